//! Storage of plans and observations on SQLite (embedded default) or PostgreSQL.
//!
//! One [`Store`] type serves both backends: it holds an enum of the two sqlx pools, and each
//! query is written once, in SQL both dialects accept (`$1` placeholders work on SQLite too), and
//! expanded per backend by the [`with_db!`] macro. What differs — DDL and bulk loading (COPY on
//! PostgreSQL, multi-row `VALUES` on SQLite) — lives in one place per backend. Migrations are
//! applied when a store is opened.
//!
//! Observations are never overwritten: a different value (or status) for the same indicator,
//! region and period is a new revision. See `migrations/sqlite/0001_init.sql` for the schema.

mod accounts;
mod assessments;
mod audit;
mod backup;
mod copy;
mod import;
mod notices;
mod plans;
mod progress;
mod projects;
mod query;
mod report_texts;
mod scores;
mod sessions;
mod sheets;
mod strikes;
mod submissions;
mod supervision;
pub mod tables;
mod targets;
mod tasks;

use std::str::FromStr;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use crate::accounts::{NewUser, TokenInfo, User};
pub use crate::audit::{AuditFilter, AuditProblem, AuditRecord, AuditVerification, Event, Who};
pub use crate::backup::{BACKUP_FORMAT, BackupInfo, BackupVerification, verify_backup};
pub use crate::copy::{CopyProgress, CopyReport, OnProgress, TableDigest};
pub use crate::import::{
    BatchInfo, Conflict, Feed, ImportError, ImportOutcome, ImportSettings, StoreWarning,
    WarningKind,
};
pub use crate::notices::{
    MAIL_ATTEMPTS, MAIL_LEASE_SECS, MAIL_MAX_AGE_HOURS, MAIL_SEND_LIMIT_SECS, MailItem,
    StoredNotice, mail_backoff,
};
pub use crate::plans::PlanSummary;
pub use crate::progress::{
    EVIDENCE_MAX_BYTES, EVIDENCE_MAX_FILES, Evidence, EvidenceMeta, LoadedProgress,
    PROGRESS_TEXT_MAX_CHARS, ProgressContent, ProgressDetail, ProgressFigures, ProgressFilter,
    ProgressSubject, StoredProgress,
};
pub use crate::projects::{ProjectFilter, ProjectImportOutcome, ProjectRecord, StoredProject};
pub use crate::query::{Batch, ObservationFilter, StoredObservation};
pub use crate::report_texts::{ReportTextKey, StoredReportText};
pub use crate::scores::{
    FrozenYear, NewAdjustment, StoredAdjustment, SubmissionQuality, adjustment_kind_str,
};
pub use crate::sessions::{NewSession, Session, SessionLimits};
pub use crate::sheets::SheetImportOutcome;
pub use crate::strikes::{STRIKES_KEPT_MS, Strikes, strike_name};
pub use crate::submissions::{
    StoredPeriodLock, StoredSubmission, StoredSubmissionRow, SubmissionComment, SubmissionFilter,
    submission_row,
};
pub use crate::supervision::{
    NewSupervision, StoredAnswer, StoredOrder, SupervisionFilter, SupervisionRecord,
    unanswered_orders,
};
pub use crate::targets::{RegionTarget, TargetSet};
pub use crate::tasks::{StoredTask, TaskFilter, TaskImportOutcome, TaskNode, TaskRecord, TaskRole};

/// Errors of the store. Input problems found while importing are [`ImportError`]s.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("indicator \"{0}\" is not in the plan")]
    UnknownIndicator(String),
    /// A task doing store work ended without an answer (it panicked or was cancelled).
    #[error("a store task failed: {0}")]
    Task(String),
    #[error("indicator \"{0}\" or region \"{1}\" is not in the plan")]
    UnknownTargetKey(String, String),
    #[error("plan \"{0}\" is not in the store (run `planwatch init` first)")]
    UnknownPlan(String),
    #[error("the stored plan \"{0}\" cannot be read: {1}")]
    CorruptPlan(String, String),
    #[error("用户“{0}”不存在 / there is no user \"{0}\"")]
    UnknownUser(String),
    #[error("用户“{0}”已存在 / the user \"{0}\" exists already")]
    UserExists(String),
    #[error("没有名为“{0}”的有效令牌 / there is no token \"{0}\" in force")]
    UnknownToken(String),
    #[error("名为“{0}”的令牌已存在 / a token \"{0}\" exists already")]
    TokenExists(String),
    #[error("the operating system gave no random bytes: {0}")]
    Random(String),
    #[error(
        "已知时间 \"{0}\" 不是 YYYY-MM-DD 或 YYYY-MM-DD HH:MM:SS (known-since time is not YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"
    )]
    BadTime(String),
    #[error(transparent)]
    Refused(#[from] planwatch_workflow::Refusal),
    #[error("没有编号为 {0} 的报送 / there is no submission {0}")]
    UnknownSubmission(i64),
    #[error(
        "报送 {0} 已被他人改变，请刷新后重试 / submission {0} changed meanwhile: reload and try again"
    )]
    SubmissionChanged(i64),
    #[error("the stored submission {0} cannot be read: {1}")]
    CorruptSubmission(i64, String),
    #[error("the stored notice {0} cannot be read: {1}")]
    CorruptNotice(i64, String),
    #[error("没有编号为 {0} 的督办单 / there is no supervision order {0}")]
    UnknownOrder(i64),
    #[error(transparent)]
    AnswerRefused(#[from] planwatch_tasks::AnswerRefusal),
    #[error("the stored supervision record {0} cannot be read: {1}")]
    CorruptSupervision(i64, String),
    #[error("the stored task {0} cannot be read: {1}")]
    CorruptTask(i64, String),
    #[error("没有编号为 {0} 的进展报告 / there is no progress report {0}")]
    UnknownProgress(i64),
    #[error(
        "进展报告 {0} 已被他人改变，请刷新后重试 / progress report {0} changed meanwhile: reload and try again"
    )]
    ProgressChanged(i64),
    #[error("the stored progress report {0} cannot be read: {1}")]
    CorruptProgress(i64, String),
    #[error(
        "本规划中没有 {0}（任务或重大项目）/ there is no {0} (task or key project) in the plan"
    )]
    UnknownProgressSubject(String),
    #[error(
        "{unit}不是“{subject}”的牵头单位或责任单位，不能报送其进展 / {unit} is not a lead or responsible unit of \"{subject}\" and cannot report its progress"
    )]
    NotSubjectUnit { unit: String, subject: String },
    #[error("{0}")]
    BadProgress(String),
    #[error(
        "证明材料“{name}”大小 {size} 字节，须在 1 字节到 10 MiB 之间 / the evidence file \"{name}\" has {size} bytes; it must have 1 byte to 10 MiB"
    )]
    EvidenceSize { name: String, size: usize },
    #[error(
        "每份进展报告最多 {0} 个证明材料 / a progress report carries at most {0} evidence files"
    )]
    TooManyEvidence(usize),
    #[error("没有编号为 {0} 的证明材料 / there is no evidence file {0}")]
    UnknownEvidence(i64),
    #[error("the stored project {0} cannot be read: {1}")]
    CorruptProject(i64, String),
    #[error(
        "{year} 年的考核结果已冻结，不能再改动；请管理员先解冻 / the assessment of {year} is frozen: an administrator unfreezes it first",
        year = .0
    )]
    ScoresFrozen(u16),
    #[error(
        "{unit} 的加减分 {points} 分超出上限：本年上限 {cap} 分，尚余 {left} 分 / {points} points for {unit} exceed the cap: {cap} a year, {left} left"
    )]
    OverCap {
        unit: String,
        points: f64,
        cap: f64,
        left: f64,
    },
    #[error("没有编号为 {0} 的加减分项 / there is no adjustment {0}")]
    UnknownAdjustment(i64),
    #[error("the stored adjustment {0} cannot be read: {1}")]
    CorruptAdjustment(i64, String),
    #[error("the frozen assessment of {0} cannot be read: {1}")]
    CorruptFrozenScores(u16, String),
    #[error("the stored import time \"{0}\" cannot be read")]
    CorruptTime(String),
    #[error(
        "目标库已有数据（{table} 表有 {rows} 行）；确需覆盖请加 --force / the target is not empty ({table} has {rows} rows): add --force to replace its contents"
    )]
    TargetNotEmpty { table: String, rows: u64 },
    #[error("the stores' tables differ at {table}: {detail}")]
    SchemaMismatch { table: String, detail: String },
    #[error("副本与源库在表 {0} 处不符 / the copy differs from its source at the table {0}")]
    CopyDiffers(String),
    #[error("备份文件 {0} 已存在 / the backup file {0} exists already")]
    BackupExists(String),
    #[error("{path} 不是 planwatch 备份 / {path} is not a planwatch backup: {reason}")]
    NotABackup { path: String, reason: String },
    #[error(
        "\"{0}\" is not a database URL or path (use a file path, sqlite://PATH or postgres://…)"
    )]
    BadUrl(String),
    #[error(
        "只读副本须为 PostgreSQL / a read replica must be PostgreSQL (postgres://…), not \"{0}\""
    )]
    ReplicaNotPostgres(String),
    #[error(
        "只读副本的数据库结构与本程序不符 / the read replica's schema differs from this planwatch's: {0}"
    )]
    ReplicaSchema(String),
}

impl StoreError {
    /// Whether the database could not be reached (refused or lost connection, a pool that
    /// found no connection in time, a server shutting down or starting up) — as opposed to a
    /// statement it refused. The web server answers these 503 and, for the primary, goes
    /// read-only.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => sqlx_unavailable(e),
            StoreError::Migration(sqlx::migrate::MigrateError::Execute(e)) => sqlx_unavailable(e),
            _ => false,
        }
    }
}

/// See [`StoreError::is_unavailable`].
fn sqlx_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // Class 08 (connection exception); 57P01–57P03 (admin or crash shutdown, cannot
        // connect now); 25006 (a read-only transaction: a server that became a standby).
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "25006")
        }),
        _ => false,
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The two backends.
#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code against whichever pool the store has; `$pool` is bound to it.
macro_rules! with_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_db;

/// Held while a server sets a new store up (its first start: the plan and the sample data), so
/// that of several servers started together on an empty PostgreSQL database one sets it up and
/// the others wait, then find it done. On PostgreSQL a session advisory lock on a connection of
/// its own, released by [`StartLock::release`] or, if the guard is dropped, by closing that
/// connection; on SQLite nothing.
#[derive(Debug)]
pub struct StartLock(Option<sqlx::pool::PoolConnection<sqlx::Postgres>>);

/// The advisory lock's key ("planwatc" in ASCII).
const FIRST_START_LOCK: i64 = 0x706c_616e_7761_7463;

impl StartLock {
    /// Lets the next server in.
    pub async fn release(self) -> Result<()> {
        if let Some(connection) = self.0 {
            // Closing the connection ends the session, and with it the lock.
            connection.close().await?;
        }
        Ok(())
    }
}

/// A store of plans and observations.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: Db,
}

/// The PostgreSQL migrations this binary carries.
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a request waits for a connection of a PostgreSQL pool by default (sqlx's).
const DEFAULT_ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl Store {
    /// Opens (creating if needed) the store at `url` and applies migrations. `url` is a
    /// PostgreSQL URL (`postgres://…`), an SQLite URL (`sqlite://PATH`) or a file path.
    pub async fn open(url: &str) -> Result<Store> {
        Store::open_with_timeout(url, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// [`Store::open`], with a PostgreSQL pool that waits at most `acquire_timeout` for a
    /// connection (a server with a read replica bounds it, so that a dead primary fails a
    /// request in seconds instead of holding it).
    pub async fn open_with_timeout(
        url: &str,
        acquire_timeout: std::time::Duration,
    ) -> Result<Store> {
        let db = if is_postgres_url(url) {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(acquire_timeout)
                .after_connect(|connection, _| Box::pin(check_for_the_client(connection)))
                .connect(url)
                .await?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            Db::Postgres(pool)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            if path.is_empty() {
                return Err(StoreError::BadUrl(url.to_owned()));
            }
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // 32 MiB of page cache a connection (the default is 2 MiB): bulk imports and
                // index builds touch far more pages than that. Temporary tables stay on disk, so
                // memory stays bounded whatever the size of an import.
                .pragma("cache_size", "-32768")
                .busy_timeout(std::time::Duration::from_secs(30));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            Db::Sqlite(pool)
        };
        Ok(Store { db })
    }

    /// Waits for, and takes, the lock of a first start ([`StartLock`]).
    pub async fn lock_first_start(&self) -> Result<StartLock> {
        match &self.db {
            Db::Postgres(pool) => {
                let mut connection = pool.acquire().await?;
                connection.close_on_drop();
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(FIRST_START_LOCK)
                    .execute(&mut *connection)
                    .await?;
                Ok(StartLock(Some(connection)))
            }
            Db::Sqlite(_) => Ok(StartLock(None)),
        }
    }

    /// Opens a read replica (a PostgreSQL hot standby) of a store: no migrations are run (a
    /// standby takes no writes), and one whose applied migrations differ from this binary's is
    /// refused. Its pool waits at most `acquire_timeout` for a connection, so that a replica
    /// that went away never holds a request for long.
    pub async fn open_replica(url: &str, acquire_timeout: std::time::Duration) -> Result<Store> {
        if !is_postgres_url(url) {
            return Err(StoreError::ReplicaNotPostgres(url.to_owned()));
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(acquire_timeout)
            .connect(url)
            .await?;
        let applied: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&pool)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.code().as_deref() == Some("42P01") => {
                StoreError::ReplicaSchema("it has no planwatch store (no migrations)".into())
            }
            other => StoreError::Database(other),
        })?;
        let ours: Vec<(i64, Vec<u8>)> = POSTGRES_MIGRATIONS
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| (m.version, m.checksum.to_vec()))
            .collect();
        if applied != ours {
            let name = |list: &[(i64, Vec<u8>)]| list.last().map_or(0, |(v, _)| *v);
            return Err(StoreError::ReplicaSchema(format!(
                "{} migrations applied there (the last {}), {} here (the last {}){}",
                applied.len(),
                name(&applied),
                ours.len(),
                name(&ours),
                if applied.len() == ours.len() {
                    ", with different contents"
                } else {
                    ""
                }
            )));
        }
        Ok(Store {
            db: Db::Postgres(pool),
        })
    }

    /// Where a plan stands in the store, read in one statement: the plan's version (see
    /// [`Store::version`]) and the audit log's last id. Every write is audited in its own
    /// transaction, so the audit id covers every write (sessions too, and every plan's): a
    /// replica whose `audit_seq` has reached a primary's has every change the primary had then.
    /// [`StoreError::UnknownPlan`] when the plan is not stored (or not yet, on a replica).
    pub async fn position(&self, plan_id: &str) -> Result<Position> {
        let (version, changed_at, audit_seq): (Option<i64>, Option<String>, i64) =
            with_db!(&self.db, |pool| {
                sqlx::query_as(
                    "SELECT v.version, v.changed_at, h.seq FROM audit_head h
                     LEFT JOIN plan_versions v ON v.plan_id = $1 WHERE h.id = 1",
                )
                .bind(plan_id)
                .fetch_one(pool)
                .await?
            });
        let version = version.ok_or_else(|| StoreError::UnknownPlan(plan_id.to_owned()))?;
        Ok(Position {
            change: LastChange {
                version,
                changed_at,
            },
            audit_seq,
        })
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// A number of the plan's that grows whenever anything its evaluation, pages and answers
    /// read changes: observations (an import, an approved submission), assessments, region
    /// targets, tasks, projects, score adjustments. Caches key on it; a change to another plan
    /// leaves it where it is.
    pub async fn version(&self, plan_id: &str) -> Result<i64> {
        Ok(self.last_change(plan_id).await?.version)
    }

    /// The plan's version and when it last changed (see the migration `0021_plan_versions`).
    pub async fn last_change(&self, plan_id: &str) -> Result<LastChange> {
        Ok(self.position(plan_id).await?.change)
    }

    /// On SQLite, moves everything in the write-ahead log (`FILE-wal`) into the database file
    /// and empties the log (`PRAGMA wal_checkpoint(TRUNCATE)`), so that the file alone is the
    /// whole store: a plain copy of it is a backup, and a lost `-wal` loses nothing. A reader
    /// in the middle of a transaction (another process) can keep part of the log back; what it
    /// keeps is moved at the next checkpoint. Nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<()> {
        if let Db::Sqlite(pool) = &self.db {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Checkpoints (see [`Store::checkpoint`]) and closes every connection. Every command and
    /// the server end with it.
    pub async fn close(&self) -> Result<()> {
        let checkpoint = self.checkpoint().await;
        with_db!(&self.db, |pool| pool.close().await);
        checkpoint
    }
}

/// Has the server check every second, while a statement runs, that the client is still there,
/// and cancel the statement when it is not (`client_connection_check_interval`, PostgreSQL 14):
/// an interrupted import (Ctrl-C, a killed process) otherwise went on running on the server —
/// building a key, waiting for a lock — holding the plan's import lock, so that the next import
/// waited behind it. Older servers do not know the setting and go without.
async fn check_for_the_client(connection: &mut sqlx::PgConnection) -> sqlx::Result<()> {
    match sqlx::query("SET client_connection_check_interval = '1s'")
        .execute(connection)
        .await
    {
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42704") => Ok(()),
        other => other.map(drop),
    }
}

/// See `Store::last_change`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastChange {
    /// The plan's version: grows with every change to the plan's data (see [`Store::version`]).
    pub version: i64,
    /// `YYYY-MM-DD HH:MM:SS` (UTC) of the latest of them.
    pub changed_at: Option<String>,
}

/// See [`Store::position`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub change: LastChange,
    /// The audit log's last id.
    pub audit_seq: i64,
}

/// Raises the version of the plan `plan_id` inside the transaction that changes its data, so
/// that the new version becomes visible exactly when the change does.
macro_rules! bump_version {
    ($executor:expr, $plan_id:expr) => {
        sqlx::query(
            "UPDATE plan_versions SET version = version + 1, changed_at = $1 WHERE plan_id = $2",
        )
        .bind($crate::now())
        .bind($plan_id)
        .execute($executor)
        .await?
    };
}
pub(crate) use bump_version;

/// SQL for the revision of an observation in force at a time: of the revisions of the key of
/// `key` (an alias with `indicator_id`, `region_id` and `period`) in the plan `plan` (an SQL
/// expression: a placeholder or literal, so that a table partitioned by plan is pruned) whose
/// batch was known by `at` (an SQL expression: a placeholder or column holding a time as
/// stored), the one known last — of those known at the same time, the later import (the higher
/// revision). NULL when none was known by then. "The latest" is this at the end of time: a
/// historical release imported after a newer one does not replace it.
pub(crate) fn revision_in_force(key: &str, plan: &str, at: &str) -> String {
    format!(
        "(SELECT f.revision FROM observations f JOIN batches fb ON fb.id = f.batch_id
          WHERE f.plan_id = {plan} AND f.indicator_id = {key}.indicator_id
            AND f.region_id = {key}.region_id AND f.period = {key}.period AND fb.imported_at <= {at}
          ORDER BY fb.imported_at DESC, f.revision DESC LIMIT 1)"
    )
}

/// Status codes as stored (see the migration).
pub(crate) fn status_code(status: planwatch_plan::ObsStatus) -> i32 {
    use planwatch_plan::ObsStatus::*;
    match status {
        Provisional => 0,
        Final => 1,
        Revised => 2,
        Estimated => 3,
        Forecast => 4,
    }
}

pub(crate) fn status_from_code(code: i32) -> planwatch_plan::ObsStatus {
    use planwatch_plan::ObsStatus::*;
    match code {
        0 => Provisional,
        2 => Revised,
        3 => Estimated,
        4 => Forecast,
        _ => Final,
    }
}

/// Now, as stored: UTC `YYYY-MM-DD HH:MM:SS`.
pub(crate) fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}
