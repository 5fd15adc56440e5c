//! `planwatch serve`: the web application (API and dashboard) on a store. On a store without a
//! plan — a first start — it first stores the Chengdu plan and its sample data set, so that the
//! README's one command gives a working dashboard.

use anyhow::Context;
use clap::Args;
use planwatch_access::{Action, Actor, Object};
use planwatch_plan::chengdu;
use planwatch_store::Who;
use std::time::Duration;

use planwatch_access::Visibility;
use planwatch_store::SessionLimits;
use planwatch_web::{AccessSettings, Limits, OfficialMap};

use lettre::message::Mailbox;

use crate::Outcome;
use crate::commands::allowed;
use crate::commands::data::{StoreArgs, load_sample_data, redact};
use crate::commands::notices::sweep_hourly;
use crate::mail::{SmtpSettings, deliver};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0: any free port)
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    addr: String,
    /// An official GeoJSON of the district boundaries, replacing the schematic map
    #[arg(long, value_name = "FILE", requires = "map_approval")]
    official_map: Option<std::path::PathBuf>,
    /// The official map's approval number (审图号), shown under it
    #[arg(long, value_name = "审图号")]
    map_approval: Option<String>,
    /// Close a connection that sends no whole request head within this many seconds (one whose
    /// headers never finish, or one idle between keep-alive requests)
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS", value_parser = positive_seconds)]
    header_timeout: f64,
    /// Answer 503 to a request not answered within this many seconds
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS", value_parser = positive_seconds)]
    request_timeout: f64,
    /// Connections served at once; one more is answered 503 and closed
    #[arg(long, default_value_t = Limits::default().max_connections as u64, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// Refuse (413) a request body over this many KiB (submissions to /api/submissions have
    /// their own limit)
    #[arg(long, default_value_t = (Limits::default().max_body_bytes / 1024) as u32, value_name = "KIB",
          value_parser = clap::value_parser!(u32).range(1..=1024 * 1024))]
    max_body_kib: u32,
    /// Refuse (413) a submission to /api/submissions (a file uploaded, or the rows of the form)
    /// or a progress report to /api/progress (with its evidence files) over this many KiB
    #[arg(long, default_value_t = (Limits::default().max_submission_bytes / 1024) as u32, value_name = "KIB",
          value_parser = clap::value_parser!(u32).range(1..=1024 * 1024))]
    max_submission_kib: u32,
    /// Published data for everyone, without signing in (the default)
    #[arg(long, conflicts_with = "private")]
    public: bool,
    /// Published data for signed-in users only (intranets)
    #[arg(long)]
    private: bool,
    /// Served over HTTPS by a reverse proxy in front: session cookies get Secure, the CSRF
    /// check expects https:// origins, and the client's address is the last X-Forwarded-For
    #[arg(long)]
    behind_https: bool,
    /// End a session after this many minutes without a request
    #[arg(long, default_value_t = 30, value_name = "MINUTES",
          value_parser = clap::value_parser!(u32).range(1..=720))]
    session_idle: u32,
    /// Mail each new notice to its user's address through this SMTP relay:
    /// smtp://HOST[:PORT], smtp://HOST?tls=starttls, smtps://USER:PASSWORD@HOST[:PORT]
    #[arg(long, value_name = "URL", value_parser = smtp_arg)]
    smtp: Option<SmtpArg>,
    /// The sender of notice mails
    #[arg(long, value_name = "ADDR", requires = "smtp", value_parser = parse_mailbox,
          default_value = "planwatch@localhost")]
    smtp_from: Mailbox,
    /// Seconds before a failed mail is tried again (doubling each time, at most an hour)
    #[arg(long, value_name = "SECONDS", default_value_t = 30, hide = true,
          value_parser = clap::value_parser!(u32).range(1..=3600))]
    smtp_retry: u32,
    /// A streaming replica of the --db PostgreSQL (postgres://…): reads go to it, writes to
    /// --db; while --db is away the server stays up read-only (docs/scaling.md)
    #[arg(long, value_name = "URL")]
    read_db: Option<String>,
    /// Read from the replica only while it is at most this many seconds behind the primary
    #[arg(long, default_value_t = planwatch_web::DEFAULT_REPLICA_MAX_LAG.as_secs_f64(),
          value_name = "SECONDS", value_parser = positive_seconds)]
    replica_max_lag: f64,
}

/// How long a request waits for a database connection when the server has a read replica: a
/// dead database then fails a request within seconds (and the other serves) instead of holding
/// it for sqlx's 30 s.
const ACQUIRE_TIMEOUT_WITH_REPLICA: Duration = Duration::from_secs(3);

/// `--smtp` as read: the relay, or why not. Not refused by clap, whose message would repeat the
/// URL with its password: [`ServeArgs::usage_problem`] says what is wrong, the password hidden.
#[derive(Debug, Clone)]
pub(crate) struct SmtpArg(Result<SmtpSettings, String>);

fn smtp_arg(text: &str) -> Result<SmtpArg, std::convert::Infallible> {
    Ok(SmtpArg(SmtpSettings::parse(text)))
}

fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    text.parse()
        .map_err(|e| format!("不是电子邮件地址 / not an e-mail address: {e}"))
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() => Ok(s),
        _ => Err(format!("{text:?} is not a positive number of seconds")),
    }
}

/// Files the process keeps open besides its connections: the store, its journal, the pool's
/// connections to PostgreSQL, standard streams.
const OTHER_FILES: u64 = 64;

impl ServeArgs {
    /// What is wrong with `--smtp` (its password as `***`), for a usage error.
    pub(crate) fn usage_problem(&self, db: &str) -> Option<String> {
        let postgres =
            |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
        if let Some(read_db) = &self.read_db {
            if !postgres(db) {
                return Some(
                    "--read-db 须配合 PostgreSQL 的 --db 使用 / --read-db needs a PostgreSQL --db (postgres://…), not SQLite".to_owned(),
                );
            }
            if !postgres(read_db) {
                return Some(format!(
                    "--read-db 须为 PostgreSQL 地址 / --read-db must be a postgres:// URL, not {}",
                    redact(read_db)
                ));
            }
        }
        self.smtp
            .as_ref()
            .and_then(|arg| arg.0.as_ref().err().cloned())
    }

    fn relay(&self) -> Option<&SmtpSettings> {
        self.smtp.as_ref().and_then(|arg| arg.0.as_ref().ok())
    }

    /// The limits asked for, the cap on connections lowered (and said so) where the open-files
    /// limit — raised to the hard limit first — is too low to hold them all.
    fn limits(&self) -> Limits {
        let mut max_connections = usize::try_from(self.max_connections).unwrap_or(usize::MAX);
        if let Ok(files) = rlimit::increase_nofile_limit(u64::MAX) {
            let room =
                usize::try_from(files.saturating_sub(OTHER_FILES).max(1)).unwrap_or(usize::MAX);
            if room < max_connections {
                eprintln!(
                    "打开文件数上限为 {files}，最多同时服务 {room} 个连接 (the open-files limit is {files}: at most {room} connections at once)"
                );
                max_connections = room;
            }
        }
        Limits {
            header_read_timeout: Duration::from_secs_f64(self.header_timeout),
            request_timeout: Duration::from_secs_f64(self.request_timeout),
            max_connections,
            max_body_bytes: self.max_body_kib as usize * 1024,
            max_submission_bytes: self.max_submission_kib as usize * 1024,
        }
    }
}

pub(crate) async fn serve(store_args: &StoreArgs, args: &ServeArgs) -> anyhow::Result<Outcome> {
    let official_map_text = match &args.official_map {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        ),
        None => None,
    };
    let timeout = args.read_db.as_ref().map(|_| ACQUIRE_TIMEOUT_WITH_REPLICA);
    let store = store_args.open_with_timeout(timeout).await?;
    let replica = match &args.read_db {
        Some(url) => Some((
            planwatch_store::Store::open_replica(url, ACQUIRE_TIMEOUT_WITH_REPLICA)
                .await
                .with_context(|| format!("cannot open the read replica {}", redact(url)))?,
            Duration::from_secs_f64(args.replica_max_lag),
        )),
        None => None,
    };
    // Servers started together on an empty database: one sets it up, the others wait for it.
    let start_lock = store.lock_first_start().await?;
    if store.plans().await?.is_empty() {
        let plan = chengdu::plan();
        eprintln!(
            "{}: 首次启动，载入成都规划与示例数据 (first start: loading the Chengdu plan and the sample data)",
            redact(&store_args.db)
        );
        // Nobody asked for it: the installation itself, audited as `system:first-start`.
        let actor = Actor::System {
            task: "first-start".to_owned(),
        };
        if let Err(refused) = allowed(&actor, Action::Change, &Object::Plan) {
            return Ok(refused);
        }
        store.save_plan(&Who::of(&actor, None), &plan).await?;
        let with_plan = StoreArgs {
            plan_id: Some(plan.id.clone()),
            ..store_args.clone()
        };
        if load_sample_data(&with_plan, &store, &actor).await? == Outcome::InvalidInput {
            anyhow::bail!("the sample data set did not import");
        }
        // Into the database file now, not when the server stops (which may be never, cleanly).
        store.checkpoint().await?;
    }
    start_lock.release().await?;
    let plan = store_args.plan(&store).await?;
    let official_map = match (&official_map_text, &args.official_map) {
        (Some(text), Some(path)) => {
            match OfficialMap::new(text, args.map_approval.as_deref().unwrap_or(""), &plan) {
                Ok(map) => Some(map),
                Err(error) => {
                    eprintln!("{}: {error}", path.display());
                    return Ok(Outcome::InvalidInput);
                }
            }
        }
        _ => None,
    };
    let limits = args.limits();
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let address = listener.local_addr()?;
    let access = AccessSettings {
        visibility: if args.private && !args.public {
            Visibility::Private
        } else {
            Visibility::Public
        },
        behind_https: args.behind_https,
        session_limits: SessionLimits {
            idle_secs: i64::from(args.session_idle) * 60,
            ..SessionLimits::default()
        },
    };
    // The deadline sweep (at start, then hourly) and the mail of notices run beside the server;
    // a move only writes its notices, never waits for them to be mailed.
    let mut background = vec![tokio::spawn(sweep_hourly(store.clone(), plan.clone()))];
    if let Some(relay) = args.relay() {
        eprintln!(
            "通知邮件经 {} 发出 (notices are mailed through {}, from {})",
            relay.redacted(),
            relay.redacted(),
            args.smtp_from
        );
        background.push(tokio::spawn(deliver(
            store.clone(),
            relay.clone(),
            args.smtp_from.clone(),
            Duration::from_secs(1),
            chrono::Duration::seconds(i64::from(args.smtp_retry)),
        )));
    }
    if let (Some(url), Some((_, max_lag))) = (&args.read_db, &replica) {
        eprintln!(
            "读取经只读副本 {} (reads from the replica {} while it is at most {} s behind)",
            redact(url),
            redact(url),
            max_lag.as_secs_f64()
        );
    }
    let service =
        planwatch_web::Service::with_replica(store, replica, plan, official_map, access).await?;
    // The address line is what scripts and tests wait for: keep its shape.
    println!("listening on http://{address}/");
    println!(
        "规划监测已启动：http://{address}/  (API: http://{address}/api/docs/, store: {})",
        redact(&store_args.db)
    );
    let served = planwatch_web::serve(listener, service, limits, stop_signal()).await;
    for task in background {
        task.abort();
    }
    served.context("the server stopped")?;
    // `run` closes the store, which checkpoints an SQLite store's write-ahead log.
    eprintln!("已停止 stopped");
    Ok(Outcome::Success)
}

/// Ctrl-C (SIGINT) or, on Unix, SIGTERM (what `kill` and service managers send). A signal that
/// cannot be listened to never comes.
async fn stop_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
