import { describe, expect, test } from 'vitest';
import type { Group } from './bindings/Group';
import type { GroupStatus } from './bindings/GroupStatus';
import {
  compareTiles,
  compareUrgency,
  evaluate,
  medianConversion,
  nameRanks,
  sameEvaluation,
  searchKey,
  settle,
  type TileContext,
} from './tile';
import { regionTotals } from './totals';

const START = Date.parse('2025-12-06T11:30:00Z');
const MIN = 60_000;

function group(id: string, members = 80, name = `群${id}`): Group {
  return {
    id,
    region_id: 'r',
    name,
    leader_name: '陈秀英',
    ops_officer: '',
    atmosphere_officer: '',
    member_count: members,
    distributor_id: 'd',
    distributor_name: '天河体验馆',
  };
}

function status(id: string, fields: Partial<GroupStatus> = {}, at = START + 40 * MIN): GroupStatus {
  return {
    group_id: id,
    session_id: 's1',
    at: new Date(at).toISOString(),
    watching: 60,
    messages_per_min: 12,
    orders: 30,
    gmv_fen: 3_000_000,
    ...fields,
  };
}

function ctx(minutes: number, extra: Partial<TileContext> = {}): TileContext {
  return { now: START + minutes * MIN, sessionId: 's1', live: true, startMs: START, medianConversion: 0.4, ...extra };
}

const keys = (e: { reasons: { key: string }[] }) => e.reasons.map((r) => r.key);

describe('evaluate', () => {
  test('a healthy group is normal with no reasons', () => {
    const e = evaluate(group('a'), status('a'), ctx(40));
    expect(e.state).toBe('normal');
    expect(e.reasons).toEqual([]);
    expect(e.watchRatio).toBe(0.75);
    expect(e.conversion).toBe(0.375);
  });

  test('no status, or a status of another session, is no data', () => {
    expect(evaluate(group('a'), undefined, ctx(40))).toMatchObject({ state: 'nodata', reasons: [{ key: 'reason.noData' }] });
    // Before the stream no data is expected: no reason to show.
    expect(evaluate(group('a'), undefined, ctx(-10, { live: false }))).toMatchObject({ state: 'nodata', reasons: [] });
    expect(evaluate(group('a'), status('a', { session_id: 'old' }), ctx(40)).state).toBe('nodata');
  });

  test('a status measured more than 30 s ago is stale, with its age in words', () => {
    const at = START + 40 * MIN;
    const fresh = evaluate(group('a'), status('a', {}, at), { ...ctx(40), now: at + 30_000 });
    expect(fresh.state).toBe('normal');
    const stale = evaluate(group('a'), status('a', {}, at), { ...ctx(40), now: at + 45_000 });
    expect(stale.state).toBe('stale');
    expect(stale.reasons).toEqual([{ key: 'reason.staleSec', params: { n: 45 } }]);
    const old = evaluate(group('a'), status('a', {}, at), { ...ctx(40), now: at + 5 * MIN });
    expect(old.reasons).toEqual([{ key: 'reason.staleMin', params: { n: 5 } }]);
  });

  test('outside a live session nothing is flagged, not even old figures', () => {
    const e = evaluate(group('a'), status('a', { watching: 1, orders: 0, messages_per_min: 0 }), ctx(300, { live: false }));
    expect(e.state).toBe('normal');
  });

  test('fewer than 25% watching is a problem, fewer than 50% needs attention', () => {
    const problem = evaluate(group('a', 80), status('a', { watching: 19 }), ctx(40));
    expect(problem.state).toBe('problem');
    expect(problem.reasons[0]).toEqual({ key: 'reason.watchingVeryLow', params: { pct: '24%' } });
    const attention = evaluate(group('a', 80), status('a', { watching: 39 }), ctx(40));
    expect(attention.state).toBe('attention');
    expect(keys(attention)).toEqual(['reason.watchingLow']);
    expect(evaluate(group('a', 80), status('a', { watching: 40 }), ctx(40)).state).toBe('normal');
  });

  test('watching rules wait five minutes for the audience to arrive', () => {
    expect(evaluate(group('a'), status('a', { watching: 5 }, START + 4 * MIN), ctx(4)).state).toBe('normal');
    expect(evaluate(group('a'), status('a', { watching: 5 }, START + 5 * MIN), ctx(5)).state).toBe('problem');
  });

  test('zero orders is a problem from 30 minutes after the start', () => {
    const at29 = START + 29 * MIN;
    expect(evaluate(group('a'), status('a', { orders: 0 }, at29), ctx(29)).state).toBe('normal');
    const e = evaluate(group('a'), status('a', { orders: 0 }), ctx(40));
    expect(e.state).toBe('problem');
    expect(e.reasons).toEqual([{ key: 'reason.noOrders', params: { min: 40 } }]);
  });

  test('a quiet group (under 3 messages a minute) needs attention', () => {
    const e = evaluate(group('a'), status('a', { messages_per_min: 2 }), ctx(40));
    expect(e.state).toBe('attention');
    expect(e.reasons).toEqual([{ key: 'reason.quiet', params: { n: 2 } }]);
    expect(evaluate(group('a'), status('a', { messages_per_min: 3 }), ctx(40)).state).toBe('normal');
  });

  test('conversion under half the region median needs attention after 20 minutes', () => {
    // 15 orders of 80 members = 18.75% < 0.4 / 2.
    const low = status('a', { orders: 15 });
    const e = evaluate(group('a'), low, ctx(40));
    expect(e.state).toBe('attention');
    expect(e.reasons).toEqual([{ key: 'reason.conversionLow', params: { pct: '19%', median: '40%' } }]);
    expect(evaluate(group('a'), status('a', { orders: 15 }, START + 19 * MIN), ctx(19)).state).toBe('normal');
    expect(evaluate(group('a'), low, ctx(40, { medianConversion: null })).state).toBe('normal');
  });

  test('problems come before attention reasons, and all reasons are kept', () => {
    const e = evaluate(group('a'), status('a', { watching: 10, messages_per_min: 0, orders: 0 }), ctx(40));
    expect(e.state).toBe('problem');
    expect(keys(e)).toEqual(['reason.watchingVeryLow', 'reason.noOrders', 'reason.quiet']);
  });

  test('a group without members never divides by zero', () => {
    const e = evaluate(group('a', 0), status('a', { watching: 0 }), ctx(40));
    expect(e.watchRatio).toBeNull();
    expect(e.conversion).toBeNull();
    expect(e.state).toBe('normal');
  });
});

describe('region figures', () => {
  const groups = [group('a', 100), group('b', 50), group('c', 50), group('d', 40)];
  const statuses = new Map([
    ['a', status('a', { watching: 80, orders: 50, gmv_fen: 100 })],
    ['b', status('b', { watching: 20, orders: 10, gmv_fen: 50 })],
    ['c', status('c', { watching: 30, orders: 40, gmv_fen: 25, session_id: 'other' })],
  ]);
  const of = (id: string) => statuses.get(id);

  test('median conversion uses groups with data in this session', () => {
    expect(medianConversion(groups, of, 's1')).toBeCloseTo((0.5 + 0.2) / 2);
    expect(medianConversion([], of, 's1')).toBeNull();
  });

  test('totals sum the statuses; conversion is total orders over all members', () => {
    expect(regionTotals(groups, of, 's1')).toEqual({
      watching: 100,
      orders: 60,
      gmvFen: 150,
      members: 240,
      conversion: 0.25,
      reporting: 2,
    });
  });
});

describe('ordering and search', () => {
  test('tiles sort worst state first, then by name', () => {
    const names = ['b群', 'a群', 'z群', 'y群', 'x群', 'w群'];
    const states = ['normal', 'normal', 'problem', 'nodata', 'attention', 'stale'] as const;
    const ranks = nameRanks(names.map((name) => ({ id: name, name })));
    const rows = names.map((name, i) => ({ name, rank: ranks.get(name)!, state: states[i] }));
    expect(rows.sort(compareTiles).map((r) => r.name)).toEqual(['z群', 'x群', 'w群', 'y群', 'a群', 'b群']);
  });

  test('names sort in pinyin order, numbers naturally', () => {
    const ranks = nameRanks(['营养10群', '营养2群', '营养1群', '白云1群'].map((name) => ({ id: name, name })));
    expect([...ranks.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id)).toEqual([
      '白云1群',
      '营养1群',
      '营养2群',
      '营养10群',
    ]);
  });

  test('the queue puts more reasons and fewer watchers first', () => {
    const base = { state: 'problem' as const, conversion: null };
    const one = { rank: 0, evaluation: { ...base, reasons: [{ key: 'reason.noData' as const }], watchRatio: 0.1 } };
    const two = {
      rank: 1,
      evaluation: { ...base, reasons: [{ key: 'reason.noData' as const }, { key: 'reason.noData' as const }], watchRatio: 0.2 },
    };
    const fewer = { rank: 2, evaluation: { ...one.evaluation, watchRatio: 0.05 } };
    expect([one, two, fewer].sort(compareUrgency).map((r) => r.rank)).toEqual([1, 2, 0]);
  });

  test('search ignores zero-width characters, width and case', () => {
    expect(searchKey('美丽人生\u200B越秀3群')).toBe('美丽人生越秀3群');
    expect(searchKey('亲子运动打卡４群')).toBe('亲子运动打卡4群');
    expect(searchKey('  ABC\uFEFF ')).toBe('abc');
    expect(searchKey('健康小厨🍲番禺2群')).toContain('🍲');
  });

  test('equal evaluations are recognised so tiles keep their props', () => {
    const a = evaluate(group('a'), status('a', { watching: 10 }), ctx(40));
    // New objects, same figures (a new `at` 10 s later, still fresh).
    const b = evaluate(group('a'), status('a', { watching: 10 }, START + 40 * MIN + 10_000), ctx(40.2));
    expect(sameEvaluation(a, b)).toBe(true);
    expect(sameEvaluation(a, evaluate(group('a'), status('a', { watching: 11 }), ctx(40)))).toBe(false);
  });
});

describe('settle (hysteresis)', () => {
  const at = (state: 'normal' | 'attention' | 'problem' | 'stale') => ({
    state,
    reasons: [],
    watchRatio: null,
    conversion: null,
  });

  test('getting worse shows at once', () => {
    const held = settle({ evaluation: at('normal'), betterSince: null }, at('problem'), 0);
    expect(held.evaluation.state).toBe('problem');
  });

  test('a recovery shows only after 15 s of looking better', () => {
    let held = settle(undefined, at('attention'), 0);
    held = settle(held, at('normal'), 1_000);
    expect(held).toMatchObject({ evaluation: { state: 'attention' }, betterSince: 1_000 });
    held = settle(held, at('normal'), 15_999);
    expect(held.evaluation.state).toBe('attention');
    held = settle(held, at('normal'), 16_000);
    expect(held).toMatchObject({ evaluation: { state: 'normal' }, betterSince: null });
  });

  test('falling back restarts the wait', () => {
    let held = settle(undefined, at('problem'), 0);
    held = settle(held, at('normal'), 1_000);
    held = settle(held, at('problem'), 2_000);
    held = settle(held, at('normal'), 3_000);
    expect(held).toMatchObject({ evaluation: { state: 'problem' }, betterSince: 3_000 });
  });

  test('going stale is shown at once', () => {
    const held = settle({ evaluation: at('problem'), betterSince: null }, at('stale'), 0);
    expect(held.evaluation.state).toBe('stale');
  });
});
