import { describe, expect, test } from 'vitest';
import type { Session } from './bindings/Session';
import type { Stage } from './bindings/Stage';
import { effectiveStartMs, stageAt } from './session';

const START = Date.parse('2025-12-06T11:30:00Z');

// offset_secs is bigint in the generated type but a number on the wire.
function stage(seq: number, title: string, offset: number, duration: number): Stage {
  return {
    id: `st${seq}`,
    session_id: 's1',
    seq,
    kind: 'product',
    title,
    offset_secs: offset as unknown as Stage['offset_secs'],
    duration_secs: duration,
  };
}

const stages = [
  stage(2, '开场', 0, 600),
  stage(1, '暖场', -1800, 1800),
  stage(3, '产品一', 600, 1200),
  stage(4, '福利揭晓', 2400, 900),
];

describe('effectiveStartMs', () => {
  test('follows the actual start when the stream started', () => {
    const session = {
      planned_start: '2025-12-06T11:30:00Z',
      actual_start: '2025-12-06T11:32:30Z',
    } as Session;
    expect(effectiveStartMs(session)).toBe(START + 150_000);
    expect(effectiveStartMs({ ...session, actual_start: null })).toBe(START);
  });
});

describe('stageAt', () => {
  test('finds the running stage and its time left', () => {
    const v = stageAt(stages, START, START + 700_000);
    expect(v.phase).toBe('in');
    expect(v.stage?.title).toBe('产品一');
    expect(v.leftMs).toBe(1_800_000 - 700_000);
  });

  test('the warm-up runs before the stream starts (negative offset)', () => {
    const v = stageAt(stages, START, START - 60_000);
    expect(v).toMatchObject({ phase: 'in', leftMs: 60_000 });
    expect(v.stage?.title).toBe('暖场');
  });

  test('before the first stage it counts down to it', () => {
    const v = stageAt(stages, START, START - 3600_000);
    expect(v.phase).toBe('before');
    expect(v.stage?.title).toBe('暖场');
    expect(v.leftMs).toBe(1800_000);
  });

  test('between stages it names the next one', () => {
    const v = stageAt(stages, START, START + 2000_000);
    expect(v.phase).toBe('between');
    expect(v.stage?.title).toBe('福利揭晓');
    expect(v.leftMs).toBe(400_000);
  });

  test('a stage ends exactly at offset + duration', () => {
    expect(stageAt(stages, START, START + 600_000).stage?.title).toBe('产品一');
    expect(stageAt(stages, START, START + 3300_000).phase).toBe('after');
  });

  test('no stages or no session means nothing to show', () => {
    expect(stageAt([], START, START).phase).toBe('none');
    expect(stageAt(stages, null, START).phase).toBe('none');
  });
});
