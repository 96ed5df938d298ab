// A minimal W3C WebDriver client over fetch, and the tauri-driver process that serves it.
// No npm dependencies: the end-to-end tests run with Node's own test runner.
//
// tauri-driver listens on --port and starts WebKitWebDriver on --native-port; a new session makes
// WebKitWebDriver start the app binary named in `tauri:options`. The app inherits tauri-driver's
// environment, which is how a test hands it FENDUO_DATA_DIR.

import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// The W3C WebDriver web element identifier (a fixed string in the spec).
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** A TCP port that was free a moment ago (bind port 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Two distinct free ports. */
export async function freePorts() {
  const a = await freePort();
  let b = await freePort();
  while (b === a) b = await freePort();
  return [a, b];
}

/**
 * Starts `tauri-driver` in its own process group (so the driver, WebKitWebDriver and the app it
 * launches can be stopped together) and waits until it answers on its port.
 */
export async function startDriver({ env, logPath, timeoutMs = 30_000 }) {
  const [port, nativePort] = await freePorts();
  const log = createWriteStream(logPath);
  const child = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  let exited = null;
  const spawnError = new Promise((_, reject) => child.once('error', reject));
  spawnError.catch(() => {});
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  const driver = { child, port, nativePort, logPath, log, url: `http://127.0.0.1:${port}` };
  // Whatever happens to the test process, do not leave the driver (or the app) running.
  driver.onExit = () => killGroup(child.pid, 'SIGKILL');
  process.once('exit', driver.onExit);

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      throw new Error(`tauri-driver exited early (${JSON.stringify(exited)}); log: ${tail(logPath)}`);
    }
    try {
      // tauri-driver forwards /status to WebKitWebDriver: an answer means both are up.
      const res = await Promise.race([
        fetch(`${driver.url}/status`, { signal: AbortSignal.timeout(2_000) }),
        spawnError,
      ]);
      await res.text();
      return driver;
    } catch (err) {
      if (err?.code === 'ENOENT') throw new Error('tauri-driver not found on PATH (cargo install tauri-driver --version ^2 --locked)');
      if (Date.now() > deadline) {
        await stopDriver(driver);
        throw new Error(`tauri-driver did not answer on port ${port} within ${timeoutMs} ms; log: ${tail(logPath)}`);
      }
      await sleep(200);
    }
  }
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // the group is gone
  }
}

function groupAlive(pid) {
  return killGroup(pid, 0);
}

/**
 * Stops the driver's whole process group: SIGTERM first (tauri-driver then kills WebKitWebDriver),
 * SIGKILL for anything still there after `graceMs`. Resolves when the group is gone.
 */
export async function stopDriver(driver, graceMs = 5_000) {
  if (!driver) return;
  const { pid } = driver.child;
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
  for (let i = 0; i < 50 && groupAlive(pid); i++) await sleep(100);
  process.removeListener('exit', driver.onExit);
  driver.log.end();
}

/** The last `n` characters of a file, for failure messages. */
export function tail(path, n = 3000) {
  try {
    const text = readFileSync(path, 'utf8');
    return text.length > n ? `...${text.slice(-n)}` : text;
  } catch (err) {
    return `(no log: ${err.message})`;
  }
}

export class WebDriverError extends Error {
  constructor(method, path, status, value) {
    super(`${method} ${path} -> HTTP ${status}: ${value?.error ?? ''} ${value?.message ?? JSON.stringify(value)}`);
    this.status = status;
    this.value = value;
  }
}

/** One WebDriver session. Methods follow the W3C endpoint names. */
export class Session {
  constructor(baseUrl, id) {
    this.baseUrl = baseUrl;
    this.id = id;
  }

  static async create(baseUrl, capabilities, timeoutMs = 90_000) {
    const value = await request(baseUrl, 'POST', '/session', { capabilities }, timeoutMs);
    return new Session(baseUrl, value.sessionId);
  }

  cmd(method, path, body, timeoutMs) {
    return request(this.baseUrl, method, `/session/${this.id}${path}`, body, timeoutMs);
  }

  async findElements(css) {
    const list = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return list.map((el) => el[ELEMENT]);
  }

  click(elementId) {
    return this.cmd('POST', `/element/${elementId}/click`, {});
  }

  text(elementId) {
    return this.cmd('GET', `/element/${elementId}/text`);
  }

  /** Runs `script` (a function body) in the page and returns its result. */
  execute(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  source() {
    return this.cmd('GET', '/source');
  }

  /** A PNG of the window, as a Buffer. */
  async screenshot() {
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  delete() {
    return this.cmd('DELETE', '', undefined, 20_000);
  }
}

async function request(baseUrl, method, path, body, timeoutMs = 30_000) {
  let res;
  try {
    res = await fetch(baseUrl + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const why = err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : err.message;
    throw new Error(`${method} ${path}: ${why}`, { cause: err });
  }
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebDriverError(method, path, res.status, { message: text.slice(0, 500) });
  }
  if (!res.ok || json?.value?.error) throw new WebDriverError(method, path, res.status, json?.value);
  return json.value;
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes; returns that value or null. */
export async function waitFor(fn, { timeoutMs, intervalMs = 250 }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => null);
    if (value) return value;
    if (Date.now() >= deadline) return null;
    await sleep(intervalMs);
  }
}
