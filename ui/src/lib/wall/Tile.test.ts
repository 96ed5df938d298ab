// @vitest-environment jsdom
// The end-to-end test reads the wall through these data-testid hooks: keep them stable.
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, test } from 'vitest';
import type { Group } from '../bindings/Group';
import { i18n } from '../i18n.svelte';
import Tile from './Tile.svelte';

const group: Group = {
  id: '1688850012345678903',
  region_id: 'r',
  name: '美丽人生\u200B越秀3群',
  leader_name: '林晓红',
  ops_officer: '吴静',
  atmosphere_officer: '郑丽',
  member_count: 80,
  distributor_id: 'd',
  distributor_name: '越秀工作室',
};

let target: HTMLElement;
let component: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (component) unmount(component);
  component = null;
  target?.remove();
});

function render(props: Record<string, unknown>) {
  target = document.createElement('div');
  document.body.append(target);
  component = mount(Tile, { target, props: { group, ...props } as never });
  flushSync();
  const tile = target.querySelector('[data-testid="tile"]') as HTMLElement;
  const text = (id: string) => tile.querySelector(`[data-testid="${id}"]`)?.textContent?.trim();
  return { tile, text };
}

describe('Tile', () => {
  test('exposes the group, its state and its figures to tests', () => {
    i18n.locale = 'zh-CN';
    const { tile, text } = render({
      status: { group_id: group.id, session_id: 's', at: '', watching: 52, messages_per_min: 12, orders: 31, gmv_fen: 0 },
      evaluation: { state: 'attention', reasons: [{ key: 'reason.quiet', params: { n: 2 } }], watchRatio: 0.65, conversion: 0.3875 },
    });
    expect(tile.dataset.groupId).toBe(group.id);
    expect(tile.dataset.state).toBe('attention');
    expect(text('tile-watching')).toBe('52');
    expect(text('tile-messages')).toBe('12');
    expect(text('tile-orders')).toBe('31');
    expect(text('tile-conversion')).toBe('39%');
    // The name is shown as it is, zero-width space included.
    expect(tile.querySelector('.name')?.textContent).toBe('美丽人生\u200B越秀3群');
    expect(tile.textContent).toContain('群里冷场：每分钟 2 条消息');
  });

  test('without a status it says no data and shows dashes', () => {
    const { tile, text } = render({ status: undefined, evaluation: undefined });
    expect(tile.dataset.state).toBe('nodata');
    expect(text('tile-watching')).toBe('—');
    expect(text('tile-conversion')).toBe('—');
  });
});
