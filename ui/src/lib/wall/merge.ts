// Small comparisons the wall store uses to avoid needless re-renders.
import type { GroupStatus } from '../bindings/GroupStatus';

/** A status replaces the one we have unless it was measured earlier (events may arrive late). */
export function shouldAccept(old: GroupStatus | undefined, next: GroupStatus): boolean {
  return !old || old.session_id !== next.session_id || Date.parse(next.at) >= Date.parse(old.at);
}

export function sameStatus(a: GroupStatus, b: GroupStatus): boolean {
  return (
    a.at === b.at &&
    a.session_id === b.session_id &&
    a.watching === b.watching &&
    a.messages_per_min === b.messages_per_min &&
    a.orders === b.orders &&
    a.gmv_fen === b.gmv_fen
  );
}

export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
