// @vitest-environment jsdom
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { ApiError } from '../bindings/ApiError';
import type { GroupStatus } from '../bindings/GroupStatus';
import type { WallData } from '../bindings/WallData';
import type { WallEvent } from '../bindings/WallEvent';
import type { Backend } from '../backend';
import { WallStore } from './wall.svelte';

const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

function status(id: string, fields: Partial<GroupStatus> = {}, at = now): GroupStatus {
  return { group_id: id, session_id: 's1', at: iso(at), watching: 60, messages_per_min: 10, orders: 30, gmv_fen: 100, ...fields };
}

function data(statuses: GroupStatus[]): WallData {
  const group = (id: string, name: string) => ({
    id,
    region_id: 'r',
    name,
    leader_name: '陈秀英',
    ops_officer: '',
    atmosphere_officer: '',
    member_count: 80,
    distributor_id: 'd',
    distributor_name: '天河',
  });
  return {
    region: { id: 'r', name: '华南大区' },
    groups: [group('a', 'A群'), group('b', 'B群'), group('c', 'C群')],
    statuses,
    session: {
      id: 's1',
      title: '第28期',
      host: '',
      planned_start: iso(now - 40 * 60_000),
      actual_start: iso(now - 40 * 60_000),
      planned_end: iso(now + 80 * 60_000),
      status: 'live',
      target_orders: null,
      target_gmv_fen: null,
    },
    stages: [],
    connection: { state: 'online', last_data_at: iso(now), clock_offset_ms: 0, pending_actions: 0 },
  };
}

function fakeBackend(wall: () => Promise<WallData>) {
  let emit: (e: WallEvent) => void = () => {};
  const backend: Backend = {
    appInfo: vi.fn(),
    login: vi.fn(),
    logout: vi.fn(),
    wallData: vi.fn(wall),
    wallSubscribe: vi.fn(async (onEvent) => {
      emit = onEvent;
      return () => {};
    }),
    demoSetOnline: vi.fn(async () => {}),
  };
  return { backend, emit: (e: WallEvent) => emit(e) };
}

const stores: WallStore[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.stop()));

async function started(backend: Backend, onLoggedOut: (e: ApiError) => void = () => {}) {
  const store = new WallStore(backend, onLoggedOut);
  stores.push(store);
  await store.start();
  await Promise.resolve();
  return store;
}

describe('WallStore', () => {
  test('events sent while the data loads are applied after it, not lost', async () => {
    let resolve!: (d: WallData) => void;
    const { backend, emit } = fakeBackend(() => new Promise((r) => (resolve = r)));
    const store = new WallStore(backend, () => {});
    stores.push(store);
    const starting = store.start();
    await vi.waitFor(() => expect(backend.wallData).toHaveBeenCalled());
    emit({ type: 'statuses', statuses: [status('a', { watching: 70 }, now + 1000)] });
    resolve(data([status('a'), status('b')]));
    await starting;
    expect(store.statuses.get('a')?.watching).toBe(70);
    expect(store.loaded).toBe(true);
  });

  test('orders tiles worst first and fills the attention queue', async () => {
    const { backend } = fakeBackend(async () =>
      data([status('a'), status('b', { watching: 5 }), status('c', { messages_per_min: 1 })]),
    );
    const store = await started(backend);
    expect(store.order).toEqual(['b', 'c', 'a']);
    expect(store.queue).toEqual(['b', 'c']);
    expect(store.evaluations.get('b')?.state).toBe('problem');
    expect(store.totals.watching).toBe(125);
  });

  test('a status measured earlier than the one shown is ignored', async () => {
    const { backend, emit } = fakeBackend(async () => data([status('a', { watching: 60 }, now)]));
    const store = await started(backend);
    emit({ type: 'statuses', statuses: [status('a', { watching: 10 }, now - 5000)] });
    expect(store.statuses.get('a')?.watching).toBe(60);
  });

  test('an unchanged group keeps its evaluation object, so its tile does not re-render', async () => {
    const { backend, emit } = fakeBackend(async () => data([status('a'), status('b')]));
    const store = await started(backend);
    const before = store.evaluations.get('a');
    emit({ type: 'statuses', statuses: [status('b', { watching: 10 }, now + 1000)] });
    await Promise.resolve();
    expect(store.evaluations.get('a')).toBe(before);
    expect(store.evaluations.get('b')?.state).toBe('problem');
  });

  test('a snapshot replaces every status', async () => {
    const { backend, emit } = fakeBackend(async () => data([status('a'), status('b')]));
    const store = await started(backend);
    emit({ type: 'snapshot', statuses: [status('c')] });
    expect([...store.statuses.keys()]).toEqual(['c']);
  });

  test('a lost connection shows the wall as stale but keeps the last states', async () => {
    const old = now - 120_000;
    const { backend, emit } = fakeBackend(async () => data([status('a', {}, old), status('b', { watching: 5 }, old)]));
    const store = await started(backend);
    emit({ type: 'connection', state: 'offline', last_data_at: iso(old), clock_offset_ms: 0, pending_actions: 2 });
    await Promise.resolve();
    expect(store.stale).toBe(true);
    expect(store.dataAgeMs).toBeGreaterThanOrEqual(119_000);
    expect(store.evaluations.get('a')?.state).toBe('normal');
    expect(store.evaluations.get('b')?.state).toBe('problem');
  });

  test('a reload event fetches the wall data again', async () => {
    const { backend, emit } = fakeBackend(async () => data([status('a')]));
    await started(backend);
    emit({ type: 'reload' });
    expect(backend.wallData).toHaveBeenCalledTimes(2);
  });

  test('an expired login hands over to the login screen', async () => {
    const onLoggedOut = vi.fn();
    const { backend } = fakeBackend(async () => {
      throw { code: 'unauthorized', message: 'token expired' };
    });
    const store = await started(backend, onLoggedOut);
    expect(onLoggedOut).toHaveBeenCalledWith({ code: 'unauthorized', message: 'token expired', field: null });
    expect(store.error).toBeNull();
  });

  test('other load errors are kept for the screen to show', async () => {
    const { backend } = fakeBackend(async () => {
      throw { code: 'hub_unreachable', message: 'connection refused' };
    });
    const store = await started(backend);
    expect(store.error?.code).toBe('hub_unreachable');
    expect(store.loaded).toBe(false);
  });
});
