// End to end: the real app binary in demo mode, driven over WebDriver (tauri-driver + WebKitWebDriver).
// Proves that a fresh data dir seeds the demo region, the wall shows one tile per seeded group, the
// simulator's figures reach the window, and the window renders (screenshot).
//
// Run by ./scripts/test under Xvfb and a private D-Bus session; alone:
//   FENDUO_APP=$HOME/.cache/fenduo/target/debug/fenduo NO_AT_BRIDGE=1 \
//     xvfb-run -a -s "-screen 0 1920x1080x24" dbus-run-session -- node --test tests/e2e/

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session, startDriver, stopDriver, tail, waitFor } from './webdriver.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const screenshots = join(here, 'screenshots');
const app = process.env.FENDUO_APP;

const WALL_TIMEOUT_MS = 60_000;
const CHANGE_WINDOW_MS = 5_000;

/** The figures the simulator moves: every tile's watching/messages/orders, and the total orders. */
const FIGURES_SCRIPT = `
  const pick = (sel) => Array.from(document.querySelectorAll(sel), (e) => e.textContent.trim());
  return {
    watching: pick('[data-testid="tile"] [data-testid="tile-watching"]'),
    messages: pick('[data-testid="tile"] [data-testid="tile-messages"]'),
    orders: pick('[data-testid="tile"] [data-testid="tile-orders"]'),
    totalOrders: pick('[data-testid="total-orders"]'),
  };`;

describe('the wall in demo mode', () => {
  let driver;
  let session;
  let dataDir;
  let workDir;

  /** Runs `fn`; on failure prints what the window showed, then fails the test with the same error. */
  async function withDiagnostics(name, fn) {
    try {
      return await fn();
    } catch (err) {
      await diagnose(name);
      throw err;
    }
  }

  async function diagnose(name) {
    const lines = [`--- diagnostics for "${name}" ---`];
    if (session) {
      try {
        const src = await session.source();
        lines.push(`page source (${src.length} chars, first 4000):`, src.slice(0, 4000));
      } catch (err) {
        lines.push(`page source unavailable: ${err.message}`);
      }
      try {
        mkdirSync(screenshots, { recursive: true });
        const file = join(screenshots, `failure-${name.replace(/\W+/g, '-')}.png`);
        writeFileSync(file, await session.screenshot());
        lines.push(`screenshot: ${file}`);
      } catch (err) {
        lines.push(`screenshot unavailable: ${err.message}`);
      }
    }
    if (driver) lines.push(`tauri-driver log (${driver.logPath}):`, tail(driver.logPath));
    console.error(lines.join('\n'));
  }

  before(async () => {
    assert.ok(app, 'FENDUO_APP must name the app binary (./scripts/test sets it)');
    assert.ok(existsSync(app), `FENDUO_APP=${app} does not exist: build it with cargo build -p fenduo`);
    workDir = mkdtempSync(join(tmpdir(), 'fenduo-e2e-'));
    dataDir = join(workDir, 'data');
    mkdirSync(dataDir);
    driver = await startDriver({
      // A fresh data dir, so the app seeds the demo region anew on every run.
      env: { ...process.env, FENDUO_DATA_DIR: dataDir, FENDUO_DEMO: '1' },
      logPath: join(workDir, 'tauri-driver.log'),
    });
    try {
      session = await Session.create(driver.url, {
        alwaysMatch: {
          browserName: 'wry',
          'tauri:options': { application: app, args: ['--demo'] },
        },
      });
    } catch (err) {
      console.error(`could not create a WebDriver session: ${err.message}\ntauri-driver log:\n${tail(driver.logPath)}`);
      throw err;
    }
  });

  after(async () => {
    // Each step on its own: a failure in one must not leave the driver or the app running.
    if (session) {
      await session.delete().catch((err) => console.error(`deleting the session failed: ${err.message}`));
    }
    await stopDriver(driver);
    if (workDir && !process.env.FENDUO_E2E_KEEP) rmSync(workDir, { recursive: true, force: true });
    else if (workDir) console.error(`kept ${workDir} (FENDUO_E2E_KEEP is set)`);
  });

  test('shows one tile per seeded group within 60 s', () =>
    withDiagnostics('tiles', async () => {
      const demo = JSON.parse(readFileSync(join(root, 'assets', 'demo', 'demo.json'), 'utf8'));
      assert.ok(Number.isInteger(demo.groups) && demo.groups > 0, `assets/demo/demo.json: groups = ${demo.groups}`);

      const started = Date.now();
      const wall = await waitFor(async () => (await session.findElements('[data-testid="wall"]')).length > 0, {
        timeoutMs: WALL_TIMEOUT_MS,
      });
      assert.ok(wall, `[data-testid="wall"] did not appear within ${WALL_TIMEOUT_MS / 1000} s`);

      // The wall may fill in as the first snapshot arrives: wait (within the same 60 s) for the count.
      let tiles = 0;
      await waitFor(
        async () => {
          tiles = (await session.findElements('[data-testid="tile"]')).length;
          return tiles === demo.groups;
        },
        { timeoutMs: Math.max(0, WALL_TIMEOUT_MS - (Date.now() - started)), intervalMs: 500 },
      );
      assert.equal(tiles, demo.groups, `tiles on the wall vs groups in assets/demo/demo.json`);
      console.log(`wall with ${tiles} tiles after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }));

  test('live figures change within 5 s', () =>
    withDiagnostics('figures', async () => {
      const first = await session.execute(FIGURES_SCRIPT);
      for (const [key, values] of Object.entries(first)) {
        assert.ok(values.length > 0, `no [data-testid] elements for ${key}`);
      }
      const firstJson = JSON.stringify(first);
      const started = Date.now();
      let changed = null;
      while (!changed && Date.now() - started < CHANGE_WINDOW_MS) {
        await sleep(500);
        const now = await session.execute(FIGURES_SCRIPT);
        if (JSON.stringify(now) !== firstJson) changed = now;
      }
      assert.ok(changed, `no figure changed within ${CHANGE_WINDOW_MS / 1000} s; total orders stayed ${first.totalOrders}`);
      const moved = Object.keys(first).filter((k) => JSON.stringify(first[k]) !== JSON.stringify(changed[k]));
      console.log(`figures moved after ${((Date.now() - started) / 1000).toFixed(1)} s: ${moved.join(', ')}; ` +
        `total orders ${first.totalOrders} -> ${changed.totalOrders}`);
    }));

  test('takes a screenshot of the wall', () =>
    withDiagnostics('screenshot', async () => {
      const png = await session.screenshot();
      assert.ok(png.subarray(1, 4).toString('latin1') === 'PNG', 'the screenshot is not a PNG');
      mkdirSync(screenshots, { recursive: true });
      const file = join(screenshots, 'wall.png');
      writeFileSync(file, png);
      console.log(`screenshot: ${file} (${png.length} bytes)`);
    }));

  test('when the network drops the wall keeps its last data and says so, then recovers', () =>
    withDiagnostics('offline', async () => {
      const state = () =>
        session.execute(`
          const c = document.querySelector('[data-testid="connection-state"]');
          return {
            conn: c ? c.getAttribute('data-state') : null,
            banner: !!document.querySelector('[data-testid="stale-banner"]'),
            tiles: document.querySelectorAll('[data-testid="tile"]').length,
          };`);
      const before = await state();
      assert.equal(before.conn, 'online');
      const [cut] = await session.findElements('[data-testid="demo-network"]');
      assert.ok(cut, 'the demo has a control that cuts its hub off');
      await session.click(cut);

      const offline = await waitFor(
        async () => {
          const s = await state();
          return s.conn !== 'online' && s.banner ? s : null;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      assert.ok(offline, `no offline state and banner within 30 s: ${JSON.stringify(await state())}`);
      assert.equal(offline.tiles, before.tiles, 'the wall keeps every tile, with its last data');
      mkdirSync(screenshots, { recursive: true });
      writeFileSync(join(screenshots, 'offline.png'), await session.screenshot());

      const [restore] = await session.findElements('[data-testid="demo-network"]');
      await session.click(restore);
      const online = await waitFor(
        async () => {
          const s = await state();
          return s.conn === 'online' && !s.banner ? s : null;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      assert.ok(online, `not back online within 30 s: ${JSON.stringify(await state())}`);
      console.log(`offline: ${offline.conn} with banner and ${offline.tiles} tiles; back online`);
    }));
});
