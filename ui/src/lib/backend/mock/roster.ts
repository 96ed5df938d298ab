// A realistic made-up region for the mock backend: ~600 WeChat groups of 40–100 members under a
// dozen distributors, and a Saturday session with its stages. Deterministic (seeded) so
// screenshots are comparable. Names follow the real rosters in shared/cases/roster, including an
// emoji and a zero-width space inside some group names.
import type { Group } from '../../bindings/Group';
import type { Region } from '../../bindings/Region';
import type { Session } from '../../bindings/Session';
import type { Stage } from '../../bindings/Stage';
import type { StageKind } from '../../bindings/StageKind';

/** mulberry32: a tiny seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const REGION: Region = { id: 'region-south', name: '华南大区' };

const DISTRIBUTORS: [string, string][] = [
  ['广州天河体验馆', '天河'],
  ['番禺工作室', '番禺'],
  ['越秀工作室', '越秀'],
  ['海珠工作室', '海珠'],
  ['白云工作室', '白云'],
  ['黄埔体验馆', '黄埔'],
  ['佛山禅城工作室', '禅城'],
  ['东莞南城体验馆', '南城'],
  ['深圳福田体验馆', '福田'],
  ['深圳南山工作室', '南山'],
  ['珠海香洲工作室', '香洲'],
  ['中山石岐工作室', '石岐'],
];

const THEMES = [
  '营养生活·', '健康小厨🍲', '美丽人生\u200B', '亲子运动打卡', '“晨跑”俱乐部', '养生茶话会',
  '家庭厨房', '轻食打卡', '银发健康', '宝妈互助', '好物分享', '健身达人💪', '睡眠改善', '护肤交流',
  '幸福家庭', '早餐营养', '快乐妈妈', '乐活长者',
];

const SURNAMES = '陈黄林何梁李王张刘吴周郑许冯罗谢邓叶苏曾'.split('');
const GIVEN = [
  '秀英', '建国', '晓红', '志强', '慧敏', '丽华', '伟', '敏', '静', '婷', '雪', '芳', '娜', '强',
  '桂兰', '玉梅', '国华', '淑珍', '海燕', '小燕', '文杰', '嘉欣', '少华', '美玲',
];

function person(r: () => number): string {
  return SURNAMES[Math.floor(r() * SURNAMES.length)] + GIVEN[Math.floor(r() * GIVEN.length)];
}

export function makeGroups(count: number, seed = 28): Group[] {
  const r = rng(seed);
  const groups: Group[] = [];
  const perDistributor = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const d = Math.floor(r() * r() * DISTRIBUTORS.length * 1.6) % DISTRIBUTORS.length;
    const [distributorName, district] = DISTRIBUTORS[d];
    const n = (perDistributor.get(distributorName) ?? 0) + 1;
    perDistributor.set(distributorName, n);
    const theme = THEMES[Math.floor(r() * THEMES.length)];
    groups.push({
      id: String(1688850012345678000n + BigInt(i + 1)),
      region_id: REGION.id,
      name: `${theme}${district}${n}群`,
      leader_name: person(r),
      ops_officer: r() < 0.9 ? person(r) : '',
      atmosphere_officer: r() < 0.8 ? person(r) : '',
      member_count: 40 + Math.floor(r() * 61),
      distributor_id: `dist-${d + 1}`,
      distributor_name: distributorName,
    });
  }
  return groups;
}

const STAGES: [StageKind, string, number, number][] = [
  ['warm_up', '暖场互动', -1800, 1800],
  ['opening', '开场：本周主题', 0, 600],
  ['product', '产品一：营养早餐组合', 600, 1200],
  ['product', '产品二：家庭护肤套装', 1800, 1200],
  ['benefit_reveal', '福利揭晓', 3000, 900],
  ['product', '产品三：健康饮品', 3900, 1200],
  ['closing', '收尾返场', 5100, 1200],
  ['replay_push', '回放推送', 7200, 3600],
];

export function makeSession(startMs: number, status: Session['status'], groups: number): Session {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: 'session-28',
    title: '第28期 周六直播',
    host: '总部直播间',
    planned_start: iso(startMs),
    actual_start: status === 'scheduled' ? null : iso(startMs),
    planned_end: iso(startMs + 2 * 3600_000),
    status,
    // ts-rs types u64 as bigint, but the wire carries JSON numbers: cast to whatever the binding says.
    target_orders: (groups * 55) as unknown as Session['target_orders'],
    target_gmv_fen: (groups * 55 * 32000) as unknown as Session['target_gmv_fen'],
  };
}

export function makeStages(sessionId: string): Stage[] {
  return STAGES.map(([kind, title, offset, duration], i) => ({
    id: `${sessionId}-stage-${i + 1}`,
    session_id: sessionId,
    seq: i + 1,
    kind,
    title,
    offset_secs: offset as unknown as Stage['offset_secs'],
    duration_secs: duration,
  }));
}
