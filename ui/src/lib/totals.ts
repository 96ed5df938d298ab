// Region totals for the top bar, summed from the latest status of each group.
import type { Group } from './bindings/Group';
import type { GroupStatus } from './bindings/GroupStatus';
import { ratio } from './tile';

export interface Totals {
  watching: number;
  orders: number;
  gmvFen: number;
  /** Members of all the region's groups (the conversion's denominator). */
  members: number;
  /** Total orders ÷ total members, when there are members. */
  conversion: number | null;
  /** Groups with a status in the current session. */
  reporting: number;
}

export function regionTotals(
  groups: Iterable<Group>,
  statusOf: (id: string) => GroupStatus | undefined,
  sessionId: string | null,
): Totals {
  let watching = 0;
  let orders = 0;
  let gmvFen = 0;
  let members = 0;
  let reporting = 0;
  for (const g of groups) {
    members += g.member_count;
    const s = statusOf(g.id);
    if (!s || (sessionId !== null && s.session_id !== sessionId)) continue;
    reporting += 1;
    watching += s.watching;
    orders += s.orders;
    gmvFen += s.gmv_fen;
  }
  return { watching, orders, gmvFen, members, conversion: ratio(orders, members), reporting };
}
