//! `fenduo-hub` — runs the central hub on its own and administers it.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use fenduo_hub::playbook::{self, PlaybookError};
use fenduo_hub::{seed, Hub, HubConfig};
use fenduo_proto::{Region, Role, User};

#[derive(Parser)]
#[command(name = "fenduo-hub", version, about = "The Fenduo central hub 分舵总部服务")]
struct Cli {
    /// The database: a SQLite file (created if missing) as a path or `sqlite://path`.
    /// (`postgres://…` is refused until PostgreSQL support is built.)
    #[arg(long, global = true, env = "FENDUO_HUB_DB", default_value = "fenduo-hub.sqlite")]
    db: PathBuf,
    /// Largest clip or image the hub stores, in MiB (uploads over it get 413).
    #[arg(long, global = true, env = "FENDUO_HUB_MAX_ASSET_MIB", default_value_t = 200)]
    max_asset_mib: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the live stream and the leader pages.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "FENDUO_HUB_BIND", default_value = "127.0.0.1:8710")]
        bind: SocketAddr,
        /// Seed the demo region on an empty database (every demo account gets this password)
        /// and move the demo session so that it is running now.
        #[arg(long, env = "FENDUO_DEMO_PASSWORD")]
        demo_password: Option<String>,
    },
    /// Create or rename a region.
    CreateRegion {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
    },
    /// Create a user. The password is read from the first line of standard input, so it stays
    /// out of the shell history: `echo 'secret-pass' | fenduo-hub create-user ...`.
    CreateUser {
        #[arg(long)]
        username: String,
        /// The name shown to others, e.g. 华东区域协调员.
        #[arg(long)]
        name: String,
        /// admin, coordinator, distributor, trainer or leader.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The region id; every role but admin needs one.
        #[arg(long)]
        region: Option<String>,
    },
    /// Import a group roster (CSV in UTF-8 or GBK, or XLSX, as Excel exports it) into a region.
    /// Prints what was created, updated and refused (with Excel row numbers); re-importing the
    /// same file changes nothing.
    ImportRoster {
        /// The region the groups belong to.
        #[arg(long)]
        region: String,
        /// Create accounts (without a password) for distributors the region does not have yet.
        #[arg(long)]
        create_distributors: bool,
        /// Check the file and report, without writing anything.
        #[arg(long)]
        dry_run: bool,
        file: PathBuf,
    },
    /// Set a user's password, read from the first line of standard input (e.g. for distributor
    /// accounts created by `import-roster --create-distributors`). Ends the user's logins.
    SetPassword {
        #[arg(long)]
        username: String,
    },
    /// Schedule a session (a Saturday stream) with the standard stages: warm-up, opening, three
    /// product segments, benefit reveal, closing, replay push.
    CreateSession {
        /// A stable id, e.g. session-30.
        #[arg(long)]
        id: String,
        /// e.g. 第30场 周六直播
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "官方直播间")]
        host: String,
        /// When the stream starts: `2026-12-05 19:30` in Asia/Shanghai, or RFC 3339.
        #[arg(long)]
        start: String,
        /// The three product segments' names, comma-separated.
        #[arg(long, default_value = "")]
        products: String,
    },
    /// Check a playbook folder (see docs/playbook-format.md) and publish it as the session's next
    /// version. Problems are printed one per line as `file:line: message`; nothing is stored then.
    PublishPlaybook {
        /// The session id, e.g. session-29; must match `session` in playbook.toml.
        #[arg(long)]
        session: String,
        /// The folder holding playbook.toml.
        dir: PathBuf,
    },
}

/// China Standard Time; China has no daylight saving, so a fixed offset is exact.
fn shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// `2026-12-05 19:30` (Asia/Shanghai, how HQ writes it) or RFC 3339 with an offset.
fn parse_start(s: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    let local = chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M").with_context(|| {
        format!("--start {s:?}: write it as 2026-12-05 19:30 (Asia/Shanghai) or 2026-12-05T11:30:00Z")
    })?;
    Ok(shanghai()
        .from_local_datetime(&local)
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&chrono::Utc))
}

/// The first line of standard input, so passwords stay out of the shell history.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("could not read the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        anyhow::bail!("no password on standard input; pipe it in: echo 'the-password' | fenduo-hub …");
    }
    Ok(password)
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| format!("{s:?} is not a role; use admin, coordinator, distributor, trainer or leader"))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // A plain sentence, not a backtrace: this is read by whoever runs the hub.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let config =
        HubConfig { max_asset_bytes: cli.max_asset_mib.saturating_mul(1024 * 1024), ..HubConfig::default() };
    // A path that is not UTF-8 cannot be a URL: open it as a SQLite file.
    let hub = match cli.db.to_str() {
        Some(url) => Hub::open_url(url, config).await,
        None => Hub::open(&cli.db, config).await,
    };
    let hub = hub.with_context(|| format!("could not open the hub database {}", cli.db.display()))?;
    match cli.command {
        Command::Serve { bind, demo_password } => {
            if let Some(password) = demo_password {
                seed::seed_demo(&hub, &password, chrono::Utc::now()).await?;
                tracing::info!(
                    "demo region ready: log in as {} (coordinator) or {} (simulator)",
                    seed::DEMO_COORDINATOR,
                    seed::DEMO_SIMULATOR
                );
            }
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("could not listen on {bind} (is another program using it?)"))?;
            tracing::info!("fenduo-hub listening on http://{}", listener.local_addr()?);
            hub.serve(listener, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        }
        Command::CreateRegion { id, name } => {
            hub.upsert_region(&Region { id: id.clone(), name }).await?;
            println!("region {id} saved");
        }
        Command::CreateUser { username, name, role, region } => {
            if let Some(r) = &region {
                if hub.state.store.region(r).await?.is_none() {
                    anyhow::bail!(
                        "region {r:?} does not exist; create it first with `fenduo-hub create-region`"
                    );
                }
            }
            let password = read_password()?;
            let password = password.as_str();
            let user = User {
                id: format!("user-{username}"),
                username: username.clone(),
                display_name: name,
                role,
                region_id: region,
            };
            hub.create_user(&user, password).await?;
            println!("user {username} ({}) created", role.as_str());
        }
        Command::SetPassword { username } => {
            let password = read_password()?;
            hub.set_password(&username, &password).await?;
            println!("password of {username} set; its earlier logins are ended");
        }
        Command::CreateSession { id, title, host, start, products } => {
            let start = parse_start(&start)?;
            let products: Vec<&str> = if products.trim().is_empty() {
                vec![""; 3]
            } else {
                products.split(',').map(str::trim).collect()
            };
            let [a, b, c] = products.as_slice() else {
                anyhow::bail!(
                    "--products wants three names separated by commas, e.g. 营养早餐,护肤礼盒,家居清洁"
                );
            };
            let session = fenduo_proto::Session {
                id: id.clone(),
                title,
                host,
                planned_start: start,
                actual_start: None,
                planned_end: start + chrono::Duration::minutes(120),
                status: fenduo_proto::SessionStatus::Scheduled,
                target_orders: None,
                target_gmv_fen: None,
            };
            let stages = seed::standard_stages(&id, [a, b, c]);
            hub.upsert_session(&session, &stages).await?;
            println!(
                "session {id} saved: starts {} (Asia/Shanghai), {} stages",
                start.with_timezone(&shanghai()).format("%Y-%m-%d %H:%M"),
                stages.len()
            );
        }
        Command::ImportRoster { region, create_distributors, dry_run, file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let options = fenduo_hub::import::ImportOptions { create_distributors, dry_run };
            let report = hub.import_roster(&region, &name, &bytes, &options).await?;
            for e in &report.refused {
                let column = e.column.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
                println!("{name}: 第 {} 行{column}: {} / row {}: {}", e.line, e.reason_zh, e.line, e.reason);
            }
            for s in &report.skipped {
                println!(
                    "{name}: 第 {} 行跳过: {} / row {} skipped: {}",
                    s.line, s.reason_zh, s.line, s.reason
                );
            }
            if !report.created_distributors.is_empty() {
                println!(
                    "新建经销商账号（尚未设密码）/ distributor accounts created (no password yet): {}",
                    report.created_distributors.join("、")
                );
            }
            println!("{}", report.summary());
            if report.refused_rows() > 0 {
                // Scripts must see that rows were left out, even though the others were imported.
                anyhow::bail!(
                    "{} row(s) refused, see above{} / {} 行被拒绝，见上方",
                    report.refused_rows(),
                    if report.dry_run { "" } else { "; the other rows were imported" },
                    report.refused_rows()
                );
            }
        }
        Command::PublishPlaybook { session, dir } => publish_playbook(&hub, &session, &dir).await?,
    }
    Ok(())
}

async fn publish_playbook(hub: &Hub, session: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let published = match playbook::load_playbook_dir(dir) {
        Ok(draft) => hub.publish_playbook(session, &draft).await,
        Err(e) => Err(e),
    };
    match published {
        Ok(p) => {
            println!("published playbook {} version {} ({} items)", p.session_id, p.version, p.items.len());
            Ok(())
        }
        Err(PlaybookError::Invalid(problems)) => {
            for p in &problems {
                // Paths as the user can open them: `DIR/scripts/x.md:3: ...`.
                let file = dir.join(&p.file);
                match p.line {
                    Some(line) => eprintln!("{}:{line}: {}", file.display(), p.message),
                    None => eprintln!("{}: {}", file.display(), p.message),
                }
            }
            anyhow::bail!("the playbook was not published: {} problem(s) above", problems.len())
        }
        Err(PlaybookError::Hub(e)) => Err(e.into()),
    }
}
