// Live figures for the mock backend: each group has a temperament (how many members watch, how
// chatty, how likely to buy) and drifts around it, so the wall shows a plausible mix of normal,
// attention and problem groups. Roughly a third of the groups change each second.
import type { Group } from '../../bindings/Group';
import type { GroupStatus } from '../../bindings/GroupStatus';
import { rng } from './roster';

interface Temperament {
  watch: number;
  chat: number;
  /** Orders per member per minute. */
  buy: number;
  priceFen: number;
  /** 'silent' never reports (no data); 'drops' stops reporting after a while (stale). */
  link: 'ok' | 'silent' | 'drops';
}

export class Simulation {
  readonly statuses = new Map<string, GroupStatus>();
  private temper = new Map<string, Temperament>();
  private random: () => number;
  private ticks = 0;

  constructor(
    private groups: Group[],
    private sessionId: string,
    seed = 7,
  ) {
    this.random = rng(seed);
    const r = this.random;
    for (const g of groups) {
      const roll = r();
      // About 3% of groups in trouble, 10% needing a nudge, the rest doing fine.
      const watch = roll < 0.025 ? 0.1 + r() * 0.13 : roll < 0.08 ? 0.3 + r() * 0.17 : 0.58 + r() * 0.37;
      const chat = r() < 0.05 ? r() * 2.5 : 5 + r() * 30;
      const buy = r() < 0.015 ? 0 : r() < 0.05 ? 0.001 + r() * 0.002 : 0.006 + r() * 0.014;
      const link = r() < 0.01 ? 'silent' : r() < 0.012 ? 'drops' : 'ok';
      this.temper.set(g.id, { watch, chat, buy, priceFen: (19900 + Math.floor(r() * 40000)), link });
    }
  }

  /** Figures as if the stream had been running for `elapsedMin` minutes, measured at `atMs`. */
  seed(elapsedMin: number, atMs: number): void {
    const r = this.random;
    for (const g of this.groups) {
      const t = this.temper.get(g.id)!;
      if (t.link === 'silent') continue;
      const minutes = Math.min(120, Math.max(0, elapsedMin));
      const orders = Math.round(t.buy * g.member_count * minutes * (0.8 + r() * 0.4));
      const at = t.link === 'drops' ? atMs - (40 + r() * 200) * 1000 : atMs - r() * 2000;
      this.statuses.set(g.id, {
        group_id: g.id,
        session_id: this.sessionId,
        at: new Date(at).toISOString(),
        watching: Math.round(g.member_count * t.watch * (minutes > 0 ? 1 : 0.4)),
        messages_per_min: Math.round(t.chat),
        orders,
        gmv_fen: orders * t.priceFen,
      });
    }
  }

  /** One second of stream: returns the statuses that changed. */
  tick(nowMs: number): GroupStatus[] {
    this.ticks += 1;
    const r = this.random;
    const changed: GroupStatus[] = [];
    for (const g of this.groups) {
      const t = this.temper.get(g.id)!;
      if (t.link !== 'ok' || r() > 0.35) continue;
      const prev = this.statuses.get(g.id);
      if (!prev) continue;
      const target = g.member_count * t.watch;
      const drift = Math.round((target - prev.watching) * 0.2 + (r() - 0.5) * 3);
      const watching = Math.min(g.member_count, Math.max(0, prev.watching + drift));
      const newOrders = r() < t.buy * g.member_count * (60 / 20) / 60 ? 1 + Math.floor(r() * 2) : 0;
      const next: GroupStatus = {
        ...prev,
        at: new Date(nowMs).toISOString(),
        watching,
        messages_per_min: Math.max(0, Math.round(t.chat + (r() - 0.5) * Math.max(2, t.chat * 0.4))),
        orders: prev.orders + newOrders,
        gmv_fen: prev.gmv_fen + newOrders * t.priceFen,
      };
      this.statuses.set(g.id, next);
      changed.push(next);
    }
    return changed;
  }
}
