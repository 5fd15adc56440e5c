//! Backups (`planwatch backup FILE`, `backup --verify FILE`, `restore FILE`).
//!
//! A backup is one SQLite database file, whatever the store's backend: every table of
//! [`TABLES`](crate::tables::TABLES) as it stood at one moment, without the sessions, and a
//! manifest — `backup_info` (format, source backend, when, the schema's last migration) and
//! `backup_manifest` (each table's row count and digest, as [`Store::digests`] gives them).
//! From SQLite it is `VACUUM INTO`, a consistent copy taken while the store is in use; from
//! PostgreSQL it is [`Store::copy_into`] from one `REPEATABLE READ` snapshot into a new SQLite
//! file, verified table by table. SQLite's file format is documented, stable and read
//! everywhere (the `sqlite3` tool opens a backup); a restore copies it into a store of either
//! backend. See `docs/scaling.md`.

use std::path::{Path, PathBuf};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{ConnectOptions, Connection};

use crate::copy::{CopyReport, OnProgress, TableDigest};
use crate::tables::{self, TABLES, Table};
use crate::{Db, Result, Store, StoreError, now};

/// The format a backup's `backup_info` names.
pub const BACKUP_FORMAT: &str = "planwatch-backup 1";

/// What a backup holds, from its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// `sqlite` or `postgres`: the backend of the store backed up.
    pub source: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub created_at: String,
    /// The schema's last migration.
    pub schema: i64,
    pub tables: Vec<TableDigest>,
}

/// What [`verify_backup`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupVerification {
    pub info: BackupInfo,
    /// Each table's count and digest as read from the file now.
    pub found: Vec<TableDigest>,
    /// SQLite's `PRAGMA integrity_check`: `ok`, or the first problems.
    pub integrity: String,
}

impl BackupVerification {
    /// Whether the file is whole and every table is as the manifest says.
    pub fn ok(&self) -> bool {
        self.integrity == "ok" && self.info.tables == self.found
    }
}

fn path_text(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| StoreError::NotABackup {
        path: path.display().to_string(),
        reason: "the path is not UTF-8".to_owned(),
    })
}

/// The last migration of a store's schema.
async fn schema_version(db: &Db) -> Result<i64> {
    Ok(crate::with_db!(db, |pool| {
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
            .fetch_one(pool)
            .await?
    }))
}

impl Store {
    /// Writes a backup of the store to `path` (which must not exist) and gives its manifest.
    pub async fn backup(&self, path: &Path, progress: OnProgress<'_>) -> Result<BackupInfo> {
        let text = path_text(path)?;
        if path.exists() {
            return Err(StoreError::BackupExists(path.display().to_string()));
        }
        let backup = match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query("VACUUM INTO $1")
                    .bind(text)
                    .execute(pool)
                    .await?;
                let backup = Store::open(text).await?;
                with_sqlite(&backup, |pool| async move {
                    for name in crate::tables::NOT_COPIED {
                        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {name}")))
                            .execute(&pool)
                            .await?;
                    }
                    Ok(())
                })
                .await?;
                backup
            }
            Db::Postgres(_) => {
                let backup = Store::open(text).await?;
                let report = self.copy_into(&backup, false, progress).await?;
                if let Some(table) = first_difference(&report) {
                    backup.close().await?;
                    return Err(StoreError::CopyDiffers(table));
                }
                backup
            }
        };
        let info = BackupInfo {
            source: self.backend().to_owned(),
            created_at: now(),
            schema: schema_version(&self.db).await?,
            tables: backup.digests().await?,
        };
        let written = info.clone();
        with_sqlite(&backup, |pool| async move {
            let mut tx = pool.begin().await?;
            sqlx::query("CREATE TABLE backup_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "CREATE TABLE backup_manifest (position INTEGER PRIMARY KEY,
                 name TEXT NOT NULL UNIQUE, rows INTEGER NOT NULL, digest TEXT NOT NULL)",
            )
            .execute(&mut *tx)
            .await?;
            for (key, value) in [
                ("format", BACKUP_FORMAT.to_owned()),
                ("source", written.source),
                ("created_at", written.created_at),
                ("schema", written.schema.to_string()),
            ] {
                sqlx::query("INSERT INTO backup_info (key, value) VALUES ($1, $2)")
                    .bind(key)
                    .bind(value)
                    .execute(&mut *tx)
                    .await?;
            }
            for (position, table) in written.tables.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO backup_manifest (position, name, rows, digest) VALUES ($1, $2, $3, $4)",
                )
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .bind(&table.table)
                .bind(i64::try_from(table.rows).unwrap_or(i64::MAX))
                .bind(&table.digest)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await?;
        backup.close().await?;
        // One file on its own, without a write-ahead log beside it (set as it connects).
        SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Delete)
            .connect()
            .await?
            .close()
            .await?;
        Ok(info)
    }

    /// Restores the backup at `path` into this store: verifies it first ([`verify_backup`]),
    /// then copies it in as [`Store::copy_into`] does (refusing a store with data unless
    /// `force`). A backup of an earlier schema is brought up to date on a temporary copy; the
    /// file itself is only read.
    pub async fn restore(
        &self,
        path: &Path,
        force: bool,
        progress: OnProgress<'_>,
    ) -> Result<CopyReport> {
        let verification = verify_backup(path).await?;
        if !verification.ok() {
            return Err(StoreError::NotABackup {
                path: path.display().to_string(),
                reason: verification_problem(&verification),
            });
        }
        let copy = TempFile::new();
        std::fs::copy(path, &copy.0).map_err(|e| StoreError::NotABackup {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let source = Store::open(path_text(&copy.0)?).await?;
        let report = source.copy_into(self, force, progress).await;
        source.close().await?;
        report
    }
}

/// The first table whose count or digest differs between the two sides of a copy.
pub(crate) fn first_difference(report: &CopyReport) -> Option<String> {
    if report.source.len() != report.target.len() {
        return Some("(the list of tables)".to_owned());
    }
    report
        .source
        .iter()
        .zip(&report.target)
        .find(|(source, target)| source != target)
        .map(|(source, _)| source.table.clone())
}

/// Why a verification failed, in words.
fn verification_problem(verification: &BackupVerification) -> String {
    if verification.integrity != "ok" {
        return format!("SQLite integrity_check: {}", verification.integrity);
    }
    let differs = verification
        .info
        .tables
        .iter()
        .find(|table| !verification.found.contains(table))
        .map_or_else(|| "(the list of tables)".to_owned(), |t| t.table.clone());
    format!("表 {differs} 与清单不符 / the table {differs} differs from the manifest")
}

/// Reads the backup at `path` (without changing it) and checks it: SQLite's integrity check, and
/// every table's count and digest against its manifest.
pub async fn verify_backup(path: &Path) -> Result<BackupVerification> {
    let not_a_backup = |reason: String| StoreError::NotABackup {
        path: path.display().to_string(),
        reason,
    };
    if !path.is_file() {
        return Err(not_a_backup("no such file".to_owned()));
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| not_a_backup(e.to_string()))?;
    let store = Store {
        db: Db::Sqlite(pool.clone()),
    };
    let verification = async {
        let info: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM backup_info")
            .fetch_all(&pool)
            .await
            .map_err(|e| not_a_backup(e.to_string()))?;
        let get = |key: &str| {
            info.iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| not_a_backup(format!("the manifest has no {key}")))
        };
        if get("format")? != BACKUP_FORMAT {
            return Err(not_a_backup(format!(
                "the format is {}, not {BACKUP_FORMAT}",
                get("format")?
            )));
        }
        let tables: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT name, rows, digest FROM backup_manifest ORDER BY position")
                .fetch_all(&pool)
                .await?;
        let names: Vec<&str> = tables.iter().map(|(name, _, _)| name.as_str()).collect();
        let found = store.digests_of(backup_order(&names)).await?;
        let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&pool)
            .await?;
        Ok(BackupVerification {
            info: BackupInfo {
                source: get("source")?,
                created_at: get("created_at")?,
                schema: get("schema")?.parse().unwrap_or(0),
                tables: tables
                    .into_iter()
                    .map(|(table, rows, digest)| TableDigest {
                        table,
                        rows: u64::try_from(rows).unwrap_or(0),
                        digest,
                    })
                    .collect(),
            },
            found,
            integrity: integrity.join("; "),
        })
    }
    .await;
    pool.close().await;
    verification
}

/// The tables a backup's digests are read from, in order: those its manifest names (retired ones
/// too, in a backup of an earlier schema), then the other tables of today's schema (which it
/// should not hold: one it holds is then found, and differs from the manifest).
fn backup_order<'a>(named: &'a [&str]) -> impl Iterator<Item = &'static Table> + 'a {
    named
        .iter()
        .filter_map(|name| tables::find(name))
        .chain(TABLES.iter().filter(|t| !named.contains(&t.name)))
}

/// Runs `work` on the SQLite pool of `store` (a backup is always an SQLite file).
async fn with_sqlite<F, Fut>(store: &Store, work: F) -> Result<()>
where
    F: FnOnce(sqlx::SqlitePool) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    match &store.db {
        Db::Sqlite(pool) => work(pool.clone()).await,
        Db::Postgres(_) => unreachable!("a backup is an SQLite file"),
    }
}

/// A temporary file, removed with its SQLite companions when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new() -> TempFile {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("planwatch-restore-{}-{nanos}.db", std::process::id());
        TempFile(std::env::temp_dir().join(name))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = self.0.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}
