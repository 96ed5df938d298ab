// Where the session stands at a given instant: which stage runs and how long it has left.
// Stage times are offsets from the session's effective start (`actual_start ?? planned_start`);
// `now` is hub time (Date.now() + clock_offset_ms) so every command post shows the same countdown.
import type { Session } from './bindings/Session';
import type { Stage } from './bindings/Stage';

export type StagePhase = 'none' | 'before' | 'in' | 'between' | 'after';

export interface StageView {
  phase: StagePhase;
  /** The running stage ('in'), or the next one ('before', 'between'). */
  stage: Stage | null;
  /** Until the running stage ends, or until the next one starts. */
  leftMs: number | null;
}

/** The instant stage offsets count from, in ms since the epoch. */
export function effectiveStartMs(session: Session): number {
  return Date.parse(session.actual_start ?? session.planned_start);
}

// ts-rs types i64 offsets as bigint, but they arrive as JSON numbers; Number() accepts both.
export function stageStartMs(stage: Stage, startMs: number): number {
  return startMs + Number(stage.offset_secs) * 1000;
}

export function stageEndMs(stage: Stage, startMs: number): number {
  return stageStartMs(stage, startMs) + Number(stage.duration_secs) * 1000;
}

export function stageAt(stages: readonly Stage[], startMs: number | null, now: number): StageView {
  if (startMs === null || stages.length === 0) return { phase: 'none', stage: null, leftMs: null };
  const sorted = [...stages].sort(
    (a, b) => Number(a.offset_secs) - Number(b.offset_secs) || a.seq - b.seq,
  );
  // If stages overlap, the one that started last is the current one.
  let current: Stage | null = null;
  for (const s of sorted) {
    if (stageStartMs(s, startMs) <= now && now < stageEndMs(s, startMs)) current = s;
  }
  if (current) return { phase: 'in', stage: current, leftMs: stageEndMs(current, startMs) - now };
  const next = sorted.find((s) => stageStartMs(s, startMs) > now) ?? null;
  if (!next) return { phase: 'after', stage: null, leftMs: null };
  const phase = next === sorted[0] ? 'before' : 'between';
  return { phase, stage: next, leftMs: stageStartMs(next, startMs) - now };
}
