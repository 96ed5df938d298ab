// Tile state: why a group needs someone now. Pure functions, unit-tested in tile.test.ts.
//
// Rules, checked in this order (the first matching state wins; every matching reason is kept):
//   nodata    no status for this group in the current session (a reason is given only while
//             live: before the stream no data is expected).
//   stale     (live only) the status was measured more than 30 s ago: the figures cannot be trusted.
//             After the session ends, figures stop changing by design and are not stale.
//   problem   (live) fewer than 25% of members watch, or zero orders 30 min after the start.
//   attention (live) fewer than 50% watch; fewer than 3 messages a minute (a quiet group: the
//             atmosphere officer should act); or, from 20 min after the start, conversion below
//             half the region's median.
//   normal    otherwise.
// The watching rules wait 5 min after the start: audiences arrive over the first minutes, and
// flagging every group at 19:30 would bury the real problems.
// Hysteresis (`settle`): a tile gets worse at once but shows a recovery from problem/attention
// only after the group has looked better for 15 s, so groups hovering at a threshold (2↔3
// messages a minute) do not flap, jump around the wall and pulse every second.
import type { Group } from './bindings/Group';
import type { GroupStatus } from './bindings/GroupStatus';
import { formatPercent } from './format';
import type { Message } from './i18n/translate';

export type TileState = 'normal' | 'attention' | 'problem' | 'stale' | 'nodata';

export const RULES = {
  staleAfterMs: 30_000,
  watchingRampMs: 5 * 60_000,
  watchingProblemRatio: 0.25,
  watchingAttentionRatio: 0.5,
  quietMessagesPerMin: 3,
  noOrdersAfterMs: 30 * 60_000,
  conversionAfterMs: 20 * 60_000,
  conversionMedianFactor: 0.5,
  recoverAfterMs: 15_000,
} as const;

/** Worst first: the wall sorts tiles and the attention queue by this rank. */
export const STATE_RANK: Record<TileState, number> = {
  problem: 0,
  attention: 1,
  stale: 2,
  nodata: 3,
  normal: 4,
};

export interface TileContext {
  /** Hub time in ms (Date.now() + clock_offset_ms). */
  now: number;
  sessionId: string | null;
  live: boolean;
  /** The session's effective start in ms, when there is a session. */
  startMs: number | null;
  /** Median conversion (orders ÷ members) of the region's groups that have data. */
  medianConversion: number | null;
}

export interface Evaluation {
  state: TileState;
  reasons: Message[];
  /** watching ÷ members, when known. */
  watchRatio: number | null;
  /** orders ÷ members, when known. */
  conversion: number | null;
}

export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

export function evaluate(group: Group, status: GroupStatus | undefined, ctx: TileContext): Evaluation {
  if (!status || (ctx.sessionId !== null && status.session_id !== ctx.sessionId)) {
    const reasons: Message[] = ctx.live ? [{ key: 'reason.noData' }] : [];
    return { state: 'nodata', reasons, watchRatio: null, conversion: null };
  }
  const watchRatio = ratio(status.watching, group.member_count);
  const conversion = ratio(status.orders, group.member_count);
  const base = { watchRatio, conversion };
  if (!ctx.live) return { state: 'normal', reasons: [], ...base };

  const ageMs = ctx.now - Date.parse(status.at);
  if (ageMs > RULES.staleAfterMs) {
    const sec = Math.floor(ageMs / 1000);
    const reason: Message =
      sec < 120
        ? { key: 'reason.staleSec', params: { n: sec } }
        : { key: 'reason.staleMin', params: { n: Math.floor(sec / 60) } };
    return { state: 'stale', reasons: [reason], ...base };
  }

  const elapsed = ctx.startMs === null ? 0 : ctx.now - ctx.startMs;
  const problems: Message[] = [];
  const attentions: Message[] = [];

  if (watchRatio !== null && elapsed >= RULES.watchingRampMs) {
    const pct = formatPercent(watchRatio);
    if (watchRatio < RULES.watchingProblemRatio) {
      problems.push({ key: 'reason.watchingVeryLow', params: { pct } });
    } else if (watchRatio < RULES.watchingAttentionRatio) {
      attentions.push({ key: 'reason.watchingLow', params: { pct } });
    }
  }
  if (status.orders === 0 && elapsed >= RULES.noOrdersAfterMs) {
    problems.push({ key: 'reason.noOrders', params: { min: Math.floor(elapsed / 60_000) } });
  }
  if (status.messages_per_min < RULES.quietMessagesPerMin) {
    attentions.push({ key: 'reason.quiet', params: { n: status.messages_per_min } });
  }
  const median = ctx.medianConversion;
  if (
    conversion !== null &&
    median !== null &&
    median > 0 &&
    status.orders > 0 &&
    elapsed >= RULES.conversionAfterMs &&
    conversion < median * RULES.conversionMedianFactor
  ) {
    attentions.push({
      key: 'reason.conversionLow',
      params: { pct: formatPercent(conversion), median: formatPercent(median) },
    });
  }

  const reasons = [...problems, ...attentions];
  const state: TileState = problems.length ? 'problem' : attentions.length ? 'attention' : 'normal';
  return { state, reasons, ...base };
}

/** Median of the conversions of groups that have a status in the session (null when none). */
export function medianConversion(
  groups: Iterable<Group>,
  statusOf: (id: string) => GroupStatus | undefined,
  sessionId: string | null,
): number | null {
  const values: number[] = [];
  for (const g of groups) {
    const s = statusOf(g.id);
    if (!s || g.member_count <= 0 || (sessionId !== null && s.session_id !== sessionId)) continue;
    values.push(s.orders / g.member_count);
  }
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/** What a tile shows, and since when the group has looked better than that (if it has). */
export interface Held {
  evaluation: Evaluation;
  betterSince: number | null;
}

/** Applies the recovery hysteresis: see the rules at the top of this file. */
export function settle(held: Held | undefined, next: Evaluation, now: number): Held {
  const prev = held?.evaluation;
  const recovering =
    prev !== undefined &&
    (prev.state === 'problem' || prev.state === 'attention') &&
    (next.state === 'attention' || next.state === 'normal') &&
    STATE_RANK[next.state] > STATE_RANK[prev.state];
  if (!recovering) return { evaluation: next, betterSince: null };
  const since = held!.betterSince ?? now;
  if (now - since >= RULES.recoverAfterMs) return { evaluation: next, betterSince: null };
  return { evaluation: prev, betterSince: since };
}

/** Two evaluations that would render the same (lets the wall keep the old object). */
export function sameEvaluation(a: Evaluation, b: Evaluation): boolean {
  if (a.state !== b.state || a.watchRatio !== b.watchRatio || a.conversion !== b.conversion) return false;
  if (a.reasons.length !== b.reasons.length) return false;
  return a.reasons.every((r, i) => {
    const o = b.reasons[i];
    return r.key === o.key && JSON.stringify(r.params) === JSON.stringify(o.params);
  });
}

const collator = new Intl.Collator('zh-CN', { numeric: true });

/** Each group's place in name order (pinyin for Chinese, numbers natural: 2群 before 10群).
 *  Computed once per roster so the per-second sort compares integers, not strings. */
export function nameRanks(groups: readonly { id: string; name: string }[]): Map<string, number> {
  const sorted = [...groups].sort((a, b) => collator.compare(a.name, b.name) || (a.id < b.id ? -1 : 1));
  return new Map(sorted.map((g, i) => [g.id, i]));
}

/** Tile order: worst state first, then by name rank. */
export function compareTiles(
  a: { rank: number; state: TileState },
  b: { rank: number; state: TileState },
): number {
  return STATE_RANK[a.state] - STATE_RANK[b.state] || a.rank - b.rank;
}

/** Attention-queue order: worst state, more reasons, fewer watching, then name rank. */
export function compareUrgency(
  a: { rank: number; evaluation: Evaluation },
  b: { rank: number; evaluation: Evaluation },
): number {
  const ea = a.evaluation;
  const eb = b.evaluation;
  return (
    STATE_RANK[ea.state] - STATE_RANK[eb.state] ||
    eb.reasons.length - ea.reasons.length ||
    (ea.watchRatio ?? 1) - (eb.watchRatio ?? 1) ||
    a.rank - b.rank
  );
}

const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;

/** Text for searching: zero-width characters dropped, full-width folded (４ → 4), lower case. */
export function searchKey(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '').toLowerCase().trim();
}
