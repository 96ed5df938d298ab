// A backend for a plain browser (`npm run dev`, screenshots): demo mode with a live simulation.
// URL switches: ?mock=login (hub mode, logged out), ?mock=offline (connection lost 2 min ago),
// ?mock=before (session starts in 12 min), ?mock=ended, ?groups=N (default 600).
// Login accepts any user; password "wrong" → bad_credentials; a hub address containing
// "unreachable" → hub_unreachable; an address without http(s):// → invalid_hub_url.
import type { ApiError } from '../../bindings/ApiError';
import type { AppInfo } from '../../bindings/AppInfo';
import type { ConnectionInfo } from '../../bindings/ConnectionInfo';
import type { Group } from '../../bindings/Group';
import type { LoginForm } from '../../bindings/LoginForm';
import type { Session } from '../../bindings/Session';
import type { User } from '../../bindings/User';
import type { WallData } from '../../bindings/WallData';
import type { WallEvent } from '../../bindings/WallEvent';
import type { Backend, Unsubscribe } from '../backend';
import { makeGroups, makeSession, makeStages, REGION } from './roster';
import { Simulation } from './simulation';

export type MockScenario = 'demo' | 'login' | 'offline' | 'before' | 'ended';

export interface MockOptions {
  scenario: MockScenario;
  groups: number;
}

export function mockOptionsFromUrl(search: string): MockOptions {
  const q = new URLSearchParams(search);
  const s = q.get('mock');
  const scenario: MockScenario =
    s === 'login' || s === 'offline' || s === 'before' || s === 'ended' ? s : 'demo';
  const n = Number(q.get('groups'));
  return { scenario, groups: Number.isInteger(n) && n > 0 ? Math.min(n, 20000) : 600 };
}

const USER: User = {
  id: 'user-coordinator',
  username: 'coordinator',
  display_name: '区域协调员',
  role: 'coordinator',
  region_id: REGION.id,
};

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fail = (code: string, message: string, field?: string): ApiError => ({ code, message, field });

export class MockBackend implements Backend {
  private info: AppInfo;
  private groups: Group[];
  private session: Session;
  private sim: Simulation;
  private connection: ConnectionInfo;

  constructor(private options: MockOptions) {
    const now = Date.now();
    const loggedOut = options.scenario === 'login';
    this.info = {
      mode: loggedOut ? 'hub' : 'demo',
      version: '0.1.0-mock',
      hub_url: loggedOut ? 'https://hub.example.cn' : 'http://127.0.0.1:8700',
      user: loggedOut ? null : USER,
      region: loggedOut ? null : REGION,
    };
    // Pretend the stream started 42 min 10 s ago (or starts soon, or ended).
    const startMs =
      options.scenario === 'before'
        ? now + 12 * 60_000
        : options.scenario === 'ended'
          ? now - 150 * 60_000
          : now - (42 * 60 + 10) * 1000;
    const status = options.scenario === 'before' ? 'scheduled' : options.scenario === 'ended' ? 'ended' : 'live';
    this.groups = makeGroups(options.groups);
    this.session = makeSession(startMs, status, this.groups.length);
    this.sim = new Simulation(this.groups, this.session.id);
    const offline = options.scenario === 'offline';
    const dataAt = offline ? now - 125_000 : now;
    if (options.scenario !== 'before') this.sim.seed((dataAt - startMs) / 60_000, dataAt);
    this.connection = {
      state: offline ? 'offline' : 'online',
      last_data_at: options.scenario === 'before' ? null : new Date(dataAt).toISOString(),
      clock_offset_ms: 0,
      pending_actions: offline ? 2 : 0,
    };
  }

  async appInfo(): Promise<AppInfo> {
    await delay(50);
    return structuredClone(this.info);
  }

  async login(form: LoginForm): Promise<AppInfo> {
    await delay(400);
    const hub = form.hub_url.trim();
    if (!/^https?:\/\/[^\s/]+/.test(hub)) throw fail('invalid_hub_url', `not an http(s) URL: ${hub}`, 'hub_url');
    if (hub.includes('unreachable')) throw fail('hub_unreachable', `cannot connect to ${hub}`);
    if (form.password === 'wrong') throw fail('bad_credentials', 'wrong username or password');
    this.info = { ...this.info, hub_url: hub, user: { ...USER, username: form.username }, region: REGION };
    return structuredClone(this.info);
  }

  async logout(): Promise<AppInfo> {
    await delay(100);
    this.info = { ...this.info, mode: 'hub', user: null, region: null };
    return structuredClone(this.info);
  }

  async wallData(): Promise<WallData> {
    await delay(150);
    if (!this.info.user) throw fail('not_logged_in', 'log in first');
    return structuredClone({
      region: REGION,
      groups: this.groups,
      statuses: [...this.sim.statuses.values()],
      session: this.session,
      stages: makeStages(this.session.id),
      connection: this.connection,
    });
  }

  private onEvent: ((event: WallEvent) => void) | null = null;
  private paused = false;

  async demoSetOnline(online: boolean): Promise<void> {
    this.paused = !online;
    this.connection = { ...this.connection, state: online ? 'online' : 'offline' };
    this.onEvent?.({ type: 'connection', ...this.connection });
  }

  async wallSubscribe(onEvent: (event: WallEvent) => void): Promise<Unsubscribe> {
    this.onEvent = onEvent;
    if (this.options.scenario !== 'demo' && this.options.scenario !== 'login') {
      return () => {};
    }
    const timer = setInterval(() => {
      if (this.paused) return;
      const now = Date.now();
      const statuses = this.sim.tick(now);
      this.connection = { ...this.connection, last_data_at: new Date(now).toISOString() };
      onEvent({ type: 'statuses', statuses });
    }, 1000);
    return () => clearInterval(timer);
  }
}
