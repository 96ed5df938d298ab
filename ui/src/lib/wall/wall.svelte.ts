// The wall's live state. Statuses and evaluations live in SvelteMaps that are written only when a
// group's value really changes, and the tile order is replaced only when it changes, so with 600
// groups updating every second only the tiles that changed re-render.
//
// Two clocks: `now` is the app clock (data age is measured with it, as `last_data_at` is app
// time); `hubNow = now + clock_offset_ms` is used for stage countdowns and status ages.
import { SvelteMap } from 'svelte/reactivity';
import type { ApiError } from '../bindings/ApiError';
import type { ConnectionInfo } from '../bindings/ConnectionInfo';
import type { Group } from '../bindings/Group';
import type { GroupStatus } from '../bindings/GroupStatus';
import type { Region } from '../bindings/Region';
import type { Session } from '../bindings/Session';
import type { Stage } from '../bindings/Stage';
import type { WallData } from '../bindings/WallData';
import type { WallEvent } from '../bindings/WallEvent';
import type { Backend, Unsubscribe } from '../backend';
import { needsLogin, toApiError } from '../backend';
import { effectiveStartMs, stageAt } from '../session';
import {
  compareTiles,
  compareUrgency,
  evaluate,
  medianConversion,
  nameRanks,
  sameEvaluation,
  settle,
  type Evaluation,
  type Held,
  type TileContext,
} from '../tile';
import { regionTotals } from '../totals';
import { sameIds, sameStatus, shouldAccept } from './merge';

/** Data older than this (while live) or a connection not online shows the stale banner. */
export const STALE_BANNER_AFTER_MS = 10_000;

export class WallStore {
  region = $state.raw<Region | null>(null);
  groups = $state.raw<Group[]>([]);
  session = $state.raw<Session | null>(null);
  stages = $state.raw<Stage[]>([]);
  connection = $state.raw<ConnectionInfo>({
    state: 'online',
    last_data_at: null,
    clock_offset_ms: 0,
    pending_actions: 0,
  });
  readonly statuses = new SvelteMap<string, GroupStatus>();
  readonly evaluations = new SvelteMap<string, Evaluation>();
  /** Group ids, worst state first, then by name. */
  order = $state.raw<string[]>([]);
  /** Ids of the groups in the attention queue, most urgent first. */
  queue = $state.raw<string[]>([]);
  loaded = $state(false);
  error = $state.raw<ApiError | null>(null);
  /** App clock, ticking once a second. */
  now = $state(Date.now());
  /** App-clock time of the latest live event carrying statuses. */
  lastEventAt = $state<number | null>(null);

  readonly groupById = $derived(new Map(this.groups.map((g) => [g.id, g])));
  private readonly ranks = $derived(nameRanks(this.groups));
  readonly hubNow = $derived(this.now + this.connection.clock_offset_ms);
  readonly startMs = $derived(this.session ? effectiveStartMs(this.session) : null);
  readonly live = $derived(this.session?.status === 'live');
  readonly stage = $derived(stageAt(this.stages, this.startMs, this.hubNow));
  readonly totals = $derived(
    regionTotals(this.groups, (id) => this.statuses.get(id), this.session?.id ?? null),
  );
  readonly lastDataMs = $derived.by(() => {
    const fromShell = this.connection.last_data_at ? Date.parse(this.connection.last_data_at) : null;
    if (fromShell === null) return this.lastEventAt;
    return this.lastEventAt === null ? fromShell : Math.max(fromShell, this.lastEventAt);
  });
  readonly dataAgeMs = $derived(this.lastDataMs === null ? null : Math.max(0, this.now - this.lastDataMs));
  readonly stale = $derived(
    this.connection.state !== 'online' ||
      (this.live && (this.dataAgeMs === null || this.dataAgeMs > STALE_BANNER_AFTER_MS)),
  );

  /** Per group: the evaluation shown and since when it has looked better (not reactive). */
  private held = new Map<string, Held>();
  private unsubscribe: Unsubscribe | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private refreshQueued = false;
  private stopped = false;

  constructor(
    readonly backend: Backend,
    private onLoggedOut: (err: ApiError) => void,
  ) {}

  /** Subscribe first and buffer events, then load: nothing that happens in between is lost. */
  async start(): Promise<void> {
    this.stop(); // a retry starts from scratch: one subscription, one clock
    this.stopped = false;
    this.error = null;
    const early: WallEvent[] = [];
    let ready = false;
    try {
      this.unsubscribe = await this.backend.wallSubscribe((e) => (ready ? this.apply(e) : early.push(e)));
      await this.reload();
      ready = true;
      for (const e of early) this.apply(e);
      this.loaded = true;
    } catch (e) {
      this.fail(e);
    }
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async reload(): Promise<void> {
    const data = await this.backend.wallData();
    if (this.stopped) return;
    this.applyData(data);
  }

  private fail(e: unknown): void {
    const err = toApiError(e);
    if (needsLogin(err)) this.onLoggedOut(err);
    else this.error = err;
  }

  /** Ticks on the second so the clocks change together; re-evaluates tiles (ages, stage rules). */
  private tick = (): void => {
    if (this.stopped) return;
    this.now = Date.now();
    this.refresh();
    this.timer = setTimeout(this.tick, 1000 - (Date.now() % 1000) + 5);
  };

  private applyData(data: WallData): void {
    this.region = data.region;
    this.groups = data.groups;
    this.session = data.session;
    this.stages = data.stages;
    this.connection = data.connection;
    this.replaceStatuses(data.statuses);
    for (const id of [...this.evaluations.keys()]) {
      if (!this.groupById.has(id)) {
        this.evaluations.delete(id);
        this.held.delete(id);
      }
    }
    this.refresh();
  }

  apply(event: WallEvent): void {
    switch (event.type) {
      case 'snapshot':
        this.replaceStatuses(event.statuses);
        this.lastEventAt = Date.now();
        break;
      case 'statuses':
        for (const s of event.statuses) this.mergeStatus(s);
        this.lastEventAt = Date.now();
        break;
      case 'reload':
        this.reload().catch((e) => this.fail(e));
        return;
      case 'connection': {
        const { state, last_data_at, clock_offset_ms, pending_actions } = event;
        this.connection = { state, last_data_at, clock_offset_ms, pending_actions };
        break;
      }
    }
    this.queueRefresh();
  }

  private mergeStatus(s: GroupStatus): void {
    const old = this.statuses.get(s.group_id);
    if (shouldAccept(old, s) && !(old && sameStatus(old, s))) this.statuses.set(s.group_id, s);
  }

  private replaceStatuses(list: GroupStatus[]): void {
    const seen = new Set<string>();
    for (const s of list) {
      seen.add(s.group_id);
      const old = this.statuses.get(s.group_id);
      if (!old || !sameStatus(old, s)) this.statuses.set(s.group_id, s);
    }
    for (const id of [...this.statuses.keys()]) if (!seen.has(id)) this.statuses.delete(id);
  }

  /** Coalesce bursts of events into one re-evaluation. */
  private queueRefresh(): void {
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    queueMicrotask(() => {
      this.refreshQueued = false;
      this.refresh();
    });
  }

  /** Re-evaluate every tile; write only what changed. Called outside effects (no tracking). */
  refresh(): void {
    const sessionId = this.session?.id ?? null;
    const statusOf = (id: string) => this.statuses.get(id);
    const offset = this.connection.clock_offset_ms;
    // When the whole feed has stopped, judge the groups as of the last data received: the tiles
    // keep their last known states (greyed, under the banner) instead of all turning stale.
    const asOf = this.stale && this.lastDataMs !== null ? this.lastDataMs : this.now;
    const ctx: TileContext = {
      now: asOf + offset,
      sessionId,
      live: this.session?.status === 'live',
      startMs: this.session ? effectiveStartMs(this.session) : null,
      medianConversion: medianConversion(this.groups, statusOf, sessionId),
    };
    const ranks = this.ranks;
    const rows: { id: string; rank: number; state: Evaluation['state']; evaluation: Evaluation }[] = [];
    for (const g of this.groups) {
      const held = settle(this.held.get(g.id), evaluate(g, statusOf(g.id), ctx), this.now);
      this.held.set(g.id, held);
      const prev = this.evaluations.get(g.id);
      const evaluation = prev && sameEvaluation(prev, held.evaluation) ? prev : held.evaluation;
      if (evaluation !== prev) this.evaluations.set(g.id, evaluation);
      rows.push({ id: g.id, rank: ranks.get(g.id) ?? 0, state: evaluation.state, evaluation });
    }
    const order = [...rows].sort(compareTiles).map((r) => r.id);
    if (!sameIds(order, this.order)) this.order = order;
    const queue = rows
      .filter((r) => r.state === 'problem' || r.state === 'attention' || r.state === 'stale')
      .sort(compareUrgency)
      .map((r) => r.id);
    if (!sameIds(queue, this.queue)) this.queue = queue;
  }
}
