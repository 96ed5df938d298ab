//! The demo region: a realistic East China region of about 600 groups with Chinese names, its
//! distributors and staff, and a Saturday session that is running now.
//!
//! Everything is generated from the seed in `assets/demo/demo.json`, so the same groups come
//! back on every run and the end-to-end test knows how many tiles to expect.

use chrono::{DateTime, Duration, Utc};
use fenduo_proto::{Group, Region, Role, Session, SessionStatus, Stage, StageKind, User};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

use crate::{Hub, HubResult};

/// The demo's shape, shared with the end-to-end test.
pub const DEMO_JSON: &str = include_str!("../../../assets/demo/demo.json");

#[derive(Debug, Clone, Deserialize)]
pub struct DemoSpec {
    pub region: String,
    pub groups: usize,
    pub distributors: usize,
    pub seed: u64,
}

impl DemoSpec {
    pub fn load() -> DemoSpec {
        serde_json::from_str(DEMO_JSON).expect("assets/demo/demo.json is valid")
    }
}

pub const DEMO_REGION_ID: &str = "east";
pub const DEMO_SESSION_ID: &str = "session-29";
/// The coordinator the demo app logs in as.
pub const DEMO_COORDINATOR: &str = "coord";
/// How far into the stream the demo session is when the demo starts: the second product
/// segment, with the benefit reveal coming up.
pub const DEMO_MINUTES_IN: i64 = 45;
/// The service account the simulator sends metrics with.
pub const DEMO_SIMULATOR: &str = "sim";

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "沈", "叶",
    "蒋", "潘",
];
const GIVEN: &[&str] = &[
    "秀英", "桂英", "玉兰", "丽华", "建华", "建国", "志强", "海燕", "晓燕", "红梅", "淑珍", "美玲", "雪梅",
    "春花", "国庆", "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "霞", "平", "刚", "慧", "婷", "琳", "佳怡", "梓涵", "雨婷", "思远", "文博", "晓峰", "凤英",
];
const CITIES: &[&str] = &[
    "杭州", "宁波", "温州", "绍兴", "嘉兴", "湖州", "金华", "台州", "苏州", "无锡", "南京", "上海", "合肥",
    "福州", "厦门", "常州",
];
const THEMES: &[&str] = &[
    "幸福家园",
    "健康生活",
    "美丽人生",
    "好物分享",
    "宝妈互助",
    "养生茶话会",
    "邻里优选",
    "品质生活",
    "悦享会",
    "阳光家庭",
    "乐活圈",
    "花样年华",
    "营养早餐",
    "护肤交流",
    "银发乐享",
    "暖心厨房",
    "运动打卡",
    "社区团",
];
const DECOR: &[&str] = &["", "", "", "", "🌸", "☀️", "❤️", "🍀"];

fn person(rng: &mut StdRng) -> String {
    format!("{}{}", SURNAMES[rng.gen_range(0..SURNAMES.len())], GIVEN[rng.gen_range(0..GIVEN.len())])
}

/// The region, its distributors (as users) and its groups.
pub fn demo_region(spec: &DemoSpec) -> (Region, Vec<User>, Vec<Group>) {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let region = Region { id: DEMO_REGION_ID.into(), name: spec.region.clone() };
    let distributors: Vec<User> = (0..spec.distributors)
        .map(|i| User {
            id: format!("dist-{:02}", i + 1),
            username: format!("dist{:02}", i + 1),
            display_name: format!("{}·{}", CITIES[i % CITIES.len()], person(&mut rng)),
            role: Role::Distributor,
            region_id: Some(region.id.clone()),
        })
        .collect();
    let mut counters = std::collections::HashMap::<(usize, usize), u32>::new();
    let groups = (0..spec.groups)
        .map(|i| {
            let d = i % distributors.len().max(1);
            let city = CITIES[d % CITIES.len()];
            let theme = rng.gen_range(0..THEMES.len());
            let n = counters.entry((d, theme)).or_insert(0);
            *n += 1;
            let decor = DECOR[rng.gen_range(0..DECOR.len())];
            let dist = &distributors[d];
            Group {
                // WeChat-style 19-digit ids: too long for a JavaScript number, so always strings.
                id: format!("{}", 1_688_850_000_000_000_000u64 + (i as u64) * 7_919 + spec.seed % 1000),
                region_id: region.id.clone(),
                name: format!("{decor}{city}·{}{}群", THEMES[theme], n),
                leader_name: person(&mut rng),
                ops_officer: person(&mut rng),
                atmosphere_officer: person(&mut rng),
                member_count: rng.gen_range(40..=100),
                distributor_id: dist.id.clone(),
                distributor_name: dist.display_name.clone(),
            }
        })
        .collect();
    (region, distributors, groups)
}

/// Saturday's session, placed so that it started `minutes_in` minutes before `now` (two minutes
/// late, as streams often are), with its stages.
pub fn demo_session(now: DateTime<Utc>, minutes_in: i64) -> (Session, Vec<Stage>) {
    let actual = now - Duration::minutes(minutes_in);
    let planned = actual - Duration::minutes(2);
    let session = Session {
        id: DEMO_SESSION_ID.into(),
        title: "第29场 周六直播 · 秋冬焕新专场".into(),
        host: "官方直播间".into(),
        planned_start: planned,
        actual_start: Some(actual),
        planned_end: planned + Duration::minutes(120),
        status: SessionStatus::Live,
        target_orders: Some(24_000),
        target_gmv_fen: Some(2_400_000_000),
    };
    let stages = standard_stages(&session.id, ["营养早餐组合", "护肤焕新礼盒", "家居清洁套装"]);
    (session, stages)
}

fn product(segment: &str, name: &str) -> String {
    if name.trim().is_empty() {
        segment.to_string()
    } else {
        format!("{segment}：{}", name.trim())
    }
}

/// The usual two-hour Saturday: warm-up half an hour before, opening, three product segments
/// around the benefit reveal, closing, then an hour of replay push. Offsets are from the start.
pub fn standard_stages(session_id: &str, products: [&str; 3]) -> Vec<Stage> {
    let plan: [(StageKind, String, i64, u32); 8] = [
        (StageKind::WarmUp, "预热".into(), -30, 30),
        (StageKind::Opening, "开场".into(), 0, 10),
        (StageKind::Product, product("产品一", products[0]), 10, 25),
        (StageKind::Product, product("产品二", products[1]), 35, 25),
        (StageKind::BenefitReveal, "福利揭晓".into(), 60, 20),
        (StageKind::Product, product("产品三", products[2]), 80, 20),
        (StageKind::Closing, "收尾".into(), 100, 20),
        (StageKind::ReplayPush, "回放推送".into(), 120, 60),
    ];
    plan.into_iter()
        .enumerate()
        .map(|(i, (kind, title, offset_min, dur_min))| Stage {
            id: format!("{session_id}-stage-{}", i + 1),
            session_id: session_id.to_string(),
            seq: i as u32,
            kind,
            title,
            offset_secs: offset_min * 60,
            duration_secs: dur_min * 60,
        })
        .collect()
}

/// Seeds the demo region into an empty hub; every demo account gets `password`.
/// On a hub that already has users, only the session is moved so that it is running now.
pub async fn seed_demo(hub: &Hub, password: &str, now: DateTime<Utc>) -> HubResult<()> {
    let spec = DemoSpec::load();
    if hub.state.store.user_count().await? == 0 {
        let (region, distributors, groups) = demo_region(&spec);
        hub.upsert_region(&region).await?;
        let staff = [
            ("admin", "总部管理员", Role::Admin, None),
            (DEMO_SIMULATOR, "直播数据接口", Role::Admin, None),
            (DEMO_COORDINATOR, "华东区域协调员", Role::Coordinator, Some(region.id.clone())),
            ("trainer", "培训师·周老师", Role::Trainer, Some(region.id.clone())),
        ];
        for (username, name, role, region_id) in staff {
            let user = User {
                id: format!("user-{username}"),
                username: username.into(),
                display_name: name.into(),
                role,
                region_id,
            };
            hub.create_user(&user, password).await?;
        }
        for d in &distributors {
            hub.create_user(d, password).await?;
        }
        hub.upsert_groups(&groups).await?;
    }
    let (session, stages) = demo_session(now, DEMO_MINUTES_IN);
    hub.upsert_session(&session, &stages).await?;
    // The playbook ships inside the binary (assets/demo/playbook/) and is published once.
    if hub.state.store.latest_playbook_version(DEMO_SESSION_ID).await? == 0 {
        let draft = crate::playbook::demo_playbook()?;
        hub.publish_playbook(DEMO_SESSION_ID, &draft).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_region_is_deterministic_and_realistic() {
        let spec = DemoSpec::load();
        let (_, d1, g1) = demo_region(&spec);
        let (_, _, g2) = demo_region(&spec);
        assert_eq!(g1, g2);
        assert_eq!(g1.len(), spec.groups);
        assert_eq!(d1.len(), spec.distributors);
        let ids: std::collections::HashSet<_> = g1.iter().map(|g| &g.id).collect();
        assert_eq!(ids.len(), g1.len(), "group ids are unique");
        let names: std::collections::HashSet<_> = g1.iter().map(|g| &g.name).collect();
        assert_eq!(names.len(), g1.len(), "group names are unique");
        assert!(g1.iter().all(|g| (40..=100).contains(&g.member_count)));
        assert!(g1.iter().all(|g| g.id.len() == 19));
    }

    #[test]
    fn demo_session_is_running_in_a_product_stage() {
        let now = Utc::now();
        let (session, stages) = demo_session(now, DEMO_MINUTES_IN);
        let elapsed = (now - session.effective_start()).num_seconds();
        let current = stages
            .iter()
            .find(|s| elapsed >= s.offset_secs && elapsed < s.offset_secs + s.duration_secs as i64)
            .expect("a stage is running");
        assert_eq!(current.kind, StageKind::Product);
    }
}
