//! Importing observations: all or nothing, in one transaction.
//!
//! Rows arrive in chunks over a channel while the caller is still reading the file, and go into a
//! temporary table (COPY on PostgreSQL, multi-row `VALUES` on SQLite), so memory stays bounded
//! whatever the file's size. When the caller says [`Feed::Finish`], the checks that need the whole
//! file run in SQL — the same key twice with different values is an error; a large change from
//! the previous period and districts summing above the city total are warnings, stored as flags —
//! and the rows that differ from the revision in force at the batch's known date — the latest,
//! for an ordinary import — (in value or status) become new
//! revisions. [`Feed::Abort`] (the caller found errors in the file), a conflict, or a warning
//! under `strict` roll everything back; so does an import that would change nothing.

use std::collections::{BTreeMap, HashSet};

use planwatch_plan::{ObservationRow, Period, Plan};
use sqlx::{PgConnection, SqliteConnection};
use tokio::sync::mpsc::Receiver;

use crate::audit::{Event, Who, append_audit};
use crate::plans::PlanIds;
use crate::submissions::{Publish, finish_publishing, locked_indicators, start_publishing};
use crate::{Db, Result, Store, StoreError, now, status_code, with_db};

/// What the reader of a file sends the store.
#[derive(Debug)]
pub enum Feed {
    Rows(Vec<ObservationRow>),
    /// The whole file was read without errors: check, store and commit. With the file's
    /// SHA-256 (hex), which the reader works out as it reads: a file is read once.
    Finish {
        checksum: String,
    },
    /// The file has errors: store nothing.
    Abort,
}

/// Who imports what.
#[derive(Debug, Clone)]
pub struct BatchInfo {
    pub file_name: String,
    pub imported_by: String,
    /// When the values became known, if not now (`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, UTC):
    /// for loading historical releases so that `as_of` queries see them as they were.
    pub known_since: Option<String>,
    /// Why figures of a locked period are revised (`--revise --reason`); an import touching a
    /// locked period without one is refused.
    pub revision_reason: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct ImportSettings {
    /// A change from the previous period beyond this many percent is a warning.
    pub change_bound_percent: f64,
    /// Districts may sum above the city total by this many percent before it is a warning
    /// (rounding in published figures).
    pub rollup_tolerance_percent: f64,
    /// Warnings are errors.
    pub strict: bool,
    /// Check everything, store nothing.
    pub dry_run: bool,
}

impl Default for ImportSettings {
    fn default() -> ImportSettings {
        ImportSettings {
            change_bound_percent: 50.0,
            rollup_tolerance_percent: planwatch_plan::ROLLUP_TOLERANCE_PERCENT,
            strict: false,
            dry_run: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum WarningKind {
    LargeChange {
        previous: f64,
        value: f64,
        change_percent: f64,
        bound: f64,
    },
    DistrictsAboveTotal {
        sum: f64,
        total: f64,
    },
}

/// A suspicious value: stored (with a flag) unless `strict`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreWarning {
    /// The input row.
    pub row: usize,
    /// Index into `plan.indicators`.
    pub indicator: usize,
    pub period: i32,
    pub kind: WarningKind,
}

/// The same indicator, region and period twice in one file with different values.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub first_row: usize,
    pub first_value: f64,
    pub row: usize,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportOutcome {
    /// The batch the new revisions belong to (none when nothing was stored).
    pub batch_id: Option<i64>,
    pub rows: u64,
    /// New revisions stored (or that would be, on a dry run).
    pub revisions: u64,
    /// Of those, the values of keys the store held no value for (the rest revise one).
    pub new: u64,
    /// Rows equal to what the store already had.
    pub unchanged: u64,
    pub warnings: Vec<StoreWarning>,
    pub committed: bool,
    /// An earlier batch of the same plan from a file with the same checksum.
    pub same_file_as: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file has errors; nothing was stored")]
    Aborted,
    #[error("{} conflicting value(s) for the same key; nothing was stored", .0.len())]
    Conflicts(Vec<Conflict>),
    #[error("{} warning(s) under --strict; nothing was stored", .0.len())]
    Strict(Vec<StoreWarning>),
    #[error(
        "{period_zh}已锁定（指标 {indicator}）：修订须说明理由（--revise --reason）；未保存任何数据 / the period {period} is locked (indicator {indicator}): revising it needs --revise --reason TEXT; nothing was stored"
    )]
    LockedPeriod {
        indicator: String,
        period: Period,
        period_zh: String,
    },
    #[error(
        "报送 {0} 已不在待审核状态（可能已由他人审核）/ submission {0} is no longer waiting for review (someone else may have reviewed it)"
    )]
    NotWaiting(i64),
    #[error(
        "报送 {id} 提交后，其中 {} 行的已发布数据已被他人更新：请重新审核（退回后重新报送）/ since submission {id} was submitted, the published values of {} of its rows changed: it needs a fresh review (return it to be submitted again)", .rows.len(), .rows.len()
    )]
    StaleBase { id: i64, rows: Vec<usize> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> ImportError {
        ImportError::Store(StoreError::Database(e))
    }
}

/// The feed as the store reads it.
pub(crate) struct FeedReader {
    receiver: Receiver<Feed>,
    /// The file's checksum, once the feed finished.
    checksum: Option<String>,
    /// The plan's locked periods: (index into `plan.indicators`, `None` for every one; year).
    locks: Vec<(Option<usize>, u16)>,
    /// The first row met in a locked period: its indicator (index) and period.
    locked: Option<(usize, Period)>,
}

impl FeedReader {
    /// The next chunk with the store's ids: `None` when the feed finished, `Aborted` when the
    /// reader gave up (errors in the file, or it stopped).
    async fn next_chunk(&mut self, ids: &PlanIds) -> Result<Option<Vec<StoreRow>>, ImportError> {
        match self.receiver.recv().await {
            Some(Feed::Rows(chunk)) => {
                if !self.locks.is_empty() && self.locked.is_none() {
                    self.locked = chunk.iter().find_map(|row| {
                        self.locks
                            .iter()
                            .any(|&(indicator, year)| {
                                year == row.period.year()
                                    && indicator.is_none_or(|i| i == row.indicator)
                            })
                            .then_some((row.indicator, row.period))
                    });
                }
                Ok(Some(resolve(chunk, ids)))
            }
            Some(Feed::Finish { checksum }) => {
                self.checksum = Some(checksum);
                Ok(None)
            }
            Some(Feed::Abort) | None => Err(ImportError::Aborted),
        }
    }
}

/// Rows with the store's ids of their indicator and region.
fn resolve(chunk: Vec<ObservationRow>, ids: &PlanIds) -> Vec<StoreRow> {
    chunk
        .into_iter()
        .map(|row| StoreRow {
            indicator_id: ids.indicators[row.indicator],
            region_id: ids.regions[row.region],
            flags: 0,
            row,
        })
        .collect()
}

/// A row resolved to the store's ids, with its warning flags (1 large change, 2 districts above
/// the total).
#[derive(Clone)]
pub(crate) struct StoreRow {
    row: ObservationRow,
    indicator_id: i64,
    region_id: i64,
    flags: i32,
}

/// How streaming new keys ended.
#[derive(Default)]
pub(crate) struct Streamed {
    /// Rows the feed sent.
    rows: u64,
    /// Rows stored in `observations`.
    stored: u64,
    /// Whether `import_rows` was created (and holds rows to check in SQL).
    import_table: bool,
    /// Rows still to check against their previous period in SQL.
    deferred: Vec<StoreRow>,
    /// `None`: the feed finished. Otherwise a key that may not be new came: these rows (not
    /// stored) and the rest of the feed go the staged way.
    left_over: Option<Vec<StoreRow>>,
}

/// What the backends do differently: locking, temporary-table DDL and bulk loading.
pub(crate) trait BulkLoad {
    /// Serialises imports into one plan: two at once would both read the same latest revision.
    async fn lock_imports(&mut self, plan_id: &str) -> sqlx::Result<()>;
    async fn create_import_table(&mut self) -> sqlx::Result<()>;
    /// Appends rows to the temporary table `import_rows`.
    async fn load(&mut self, rows: &[StoreRow]) -> Result<()>;
    /// Appends `first`, then every chunk of `feed` until [`Feed::Finish`], to `import_rows`;
    /// returns the number of rows the feed sent.
    async fn load_feed(
        &mut self,
        first: &[StoreRow],
        feed: &mut FeedReader,
        ids: &PlanIds,
    ) -> Result<u64, ImportError>;
    /// Streams the feed straight into `observations` as first revisions of `batch` while
    /// every key is new, working out `checks` on the way; stops at the first row it cannot be
    /// sure of (see [`Streamed`]).
    async fn stream_new_keys(
        &mut self,
        feed: &mut FeedReader,
        ids: &PlanIds,
        checks: &mut InlineChecks<'_>,
        batch: Stored<'_>,
        plan_was_empty: bool,
    ) -> Result<Streamed, ImportError>;
    /// Indexes the loaded rows and refreshes planner statistics.
    async fn index_import_table(&mut self) -> sqlx::Result<()>;
    async fn drop_import_table(&mut self) -> sqlx::Result<()>;
}

/// The columns both bulk loaders write, in this order; `observations` adds revision (always 1),
/// flags, batch and plan.
const IMPORT_COLUMNS: &str =
    "source_row, indicator_id, region_id, period, value, status, source, note";

/// The primary key of `observations` (migration `0022_observation_plans`).
const OBSERVATIONS_KEY: &str = "plan_id, indicator_id, region_id, period, revision";

/// Where rows written straight into `observations` belong: their batch and plan.
#[derive(Clone, Copy)]
pub(crate) struct Stored<'a> {
    batch_id: i64,
    plan_id: &'a str,
}

/// `text` as an SQL string literal (quotes doubled), for statements that name the plan in their
/// text: plan ids are ASCII identifiers (`planwatch-plan`'s rules), so this only ever guards.
fn text_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl BulkLoad for SqliteConnection {
    async fn lock_imports(&mut self, plan_id: &str) -> sqlx::Result<()> {
        // SQLite has one writer at a time: take the write lock at once, before the import reads
        // anything (another import waits for it, up to the busy timeout; it never interleaves).
        // A transaction that has read and then writes cannot wait: when another writer has
        // committed since its read, SQLite refuses it at once ("database is locked"). Any write
        // takes that lock (of the whole file); this one writes nothing — the plan's own version
        // row, which every plan has and the import raises at its end anyway — so that the
        // import touches no row of another plan's and no store-wide one.
        sqlx::query("UPDATE plan_versions SET version = version WHERE plan_id = $1")
            .bind(plan_id)
            .execute(&mut *self)
            .await
            .map(drop)
    }

    async fn create_import_table(&mut self) -> sqlx::Result<()> {
        sqlx::query(
            "CREATE TEMP TABLE import_rows (source_row INTEGER NOT NULL, indicator_id INTEGER NOT NULL,
             region_id INTEGER NOT NULL, period INTEGER NOT NULL, value REAL NOT NULL, status INTEGER NOT NULL,
             source TEXT, note TEXT)",
        )
        .execute(&mut *self)
        .await?;
        Ok(())
    }

    async fn load(&mut self, rows: &[StoreRow]) -> Result<()> {
        sqlite_insert(self, "import_rows", rows, None).await?;
        Ok(())
    }

    async fn load_feed(
        &mut self,
        first: &[StoreRow],
        feed: &mut FeedReader,
        ids: &PlanIds,
    ) -> Result<u64, ImportError> {
        self.load(first).await?;
        let mut rows = 0;
        while let Some(chunk) = feed.next_chunk(ids).await? {
            rows += chunk.len() as u64;
            self.load(&chunk).await?;
        }
        Ok(rows)
    }

    /// Inserts chunk by chunk; SQLite undoes a failed statement alone, so a key already stored
    /// (or repeating) shows as a primary-key collision with the rows before it kept.
    async fn stream_new_keys(
        &mut self,
        feed: &mut FeedReader,
        ids: &PlanIds,
        checks: &mut InlineChecks<'_>,
        batch: Stored<'_>,
        _plan_was_empty: bool,
    ) -> Result<Streamed, ImportError> {
        let mut streamed = Streamed::default();
        while let Some(mut resolved) = feed.next_chunk(ids).await? {
            streamed.rows += resolved.len() as u64;
            let deferred = checks.observe(&mut resolved);
            if let Some(first_not_stored) =
                sqlite_insert(self, "observations", &resolved, Some(batch)).await?
            {
                streamed.stored += first_not_stored as u64;
                streamed.left_over = Some(resolved.split_off(first_not_stored));
                return Ok(streamed);
            }
            streamed.stored += resolved.len() as u64;
            if !deferred.is_empty() {
                if !streamed.import_table {
                    self.create_import_table().await?;
                    streamed.import_table = true;
                }
                self.load(&deferred).await?;
            }
        }
        Ok(streamed)
    }

    async fn index_import_table(&mut self) -> sqlx::Result<()> {
        sqlx::query("CREATE INDEX temp.import_rows_key ON import_rows (indicator_id, region_id, period, source_row)")
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn drop_import_table(&mut self) -> sqlx::Result<()> {
        sqlx::query("DROP TABLE IF EXISTS temp.import_rows")
            .execute(&mut *self)
            .await?;
        Ok(())
    }
}

/// Rows per multi-row INSERT on SQLite: 10 parameters each, under its limit of 32 766.
const SQLITE_CHUNK: usize = 3000;

/// Inserts rows with multi-row `INSERT … VALUES` statements of `SQLITE_CHUNK` rows. With
/// `batch`, into `observations` (flags, batch, revision and plan after the eight import
/// columns; the plan, the same for every row, in the statement's text), and a
/// primary-key collision stops at the statement it happened in (SQLite undoes that statement
/// alone) and returns the index of its first row.
///
/// Not a prepared statement stepped per row through rusqlite on the connection's handle: that
/// was faster (SQLite first loads 0.64× instead of about 0.5× of `sqlite3 .import`), but holding
/// sqlx's handle lock on the async runtime hung concurrent imports now and then.
async fn sqlite_insert(
    connection: &mut SqliteConnection,
    table: &str,
    rows: &[StoreRow],
    batch: Option<Stored<'_>>,
) -> Result<Option<usize>> {
    let (columns, tuple) = match batch {
        None => (IMPORT_COLUMNS.to_owned(), "(?,?,?,?,?,?,?,?)".to_owned()),
        Some(batch) => (
            format!("{IMPORT_COLUMNS}, flags, batch_id, revision, plan_id"),
            format!("(?,?,?,?,?,?,?,?,?,?,1,{})", text_literal(batch.plan_id)),
        ),
    };
    for (k, chunk) in rows.chunks(SQLITE_CHUNK).enumerate() {
        let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
        // Positional `?`: with `$N` each bind is looked up by name, quadratic in the
        // statement's parameters.
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&tuple);
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            query = query
                .bind(r.row.row as i64)
                .bind(r.indicator_id)
                .bind(r.region_id)
                .bind(r.row.period.key())
                .bind(r.row.value)
                .bind(status_code(r.row.status))
                .bind(r.row.source.as_deref())
                .bind(r.row.note.as_deref());
            if let Some(batch) = batch {
                query = query.bind(r.flags).bind(batch.batch_id);
            }
        }
        match query.execute(&mut *connection).await {
            Ok(_) => {}
            Err(sqlx::Error::Database(e))
                if batch.is_some() && e.kind() == sqlx::error::ErrorKind::UniqueViolation =>
            {
                return Ok(Some(k * SQLITE_CHUNK));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

impl BulkLoad for PgConnection {
    async fn lock_imports(&mut self, plan_id: &str) -> sqlx::Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1)::bigint)")
            .bind(plan_id)
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn create_import_table(&mut self) -> sqlx::Result<()> {
        sqlx::query(
            "CREATE TEMP TABLE import_rows (source_row BIGINT NOT NULL, indicator_id BIGINT NOT NULL,
             region_id BIGINT NOT NULL, period INTEGER NOT NULL, value DOUBLE PRECISION NOT NULL,
             status INTEGER NOT NULL, source TEXT, note TEXT) ON COMMIT DROP",
        )
        .execute(&mut *self)
        .await?;
        Ok(())
    }

    async fn load(&mut self, rows: &[StoreRow]) -> Result<()> {
        let mut copy = copy_in(self, COPY_IMPORT_ROWS).await?;
        copy.send(copy_tuples(rows, None)).await?;
        finish_copy(copy).await?;
        Ok(())
    }

    async fn load_feed(
        &mut self,
        first: &[StoreRow],
        feed: &mut FeedReader,
        ids: &PlanIds,
    ) -> Result<u64, ImportError> {
        // One COPY for the whole file: sqlx does not set TCP_NODELAY, so ending a COPY costs a
        // delayed-ACK stall (40 ms on Linux) — per chunk, that was most of an import's time.
        let mut copy = copy_in(self, COPY_IMPORT_ROWS).await?;
        copy.send(copy_tuples(first, None)).await?;
        let mut rows = 0;
        loop {
            let chunk = match feed.next_chunk(ids).await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => {
                    copy.abort("the file has errors").await?;
                    return Err(e);
                }
            };
            rows += chunk.len() as u64;
            copy.send(copy_tuples(&chunk, None)).await?;
        }
        finish_copy(copy).await?;
        Ok(rows)
    }

    /// One COPY into `observations`, only for a first load of the plan and only while rows come
    /// in key order: then no key can be stored already or repeat, for a COPY that meets one
    /// fails as a whole and the rows it had are gone. Rows to check in SQL wait in memory (the
    /// table is busy with the COPY), up to [`MAX_DEFERRED`].
    ///
    /// Into a table that holds no observation at all (a new store's first load), the primary key
    /// is dropped for the COPY and built again after it, as `pg_restore` does: keeping a B-tree
    /// up to date row by row doubled the server's work. It happens inside the import's
    /// transaction, so a failed import gets its key back with the rollback, and building it
    /// proves the keys unique; other sessions wait for the table meanwhile (there is nothing
    /// for them to read yet).
    async fn stream_new_keys(
        &mut self,
        feed: &mut FeedReader,
        ids: &PlanIds,
        checks: &mut InlineChecks<'_>,
        batch: Stored<'_>,
        plan_was_empty: bool,
    ) -> Result<Streamed, ImportError> {
        if !plan_was_empty {
            return Ok(Streamed {
                left_over: Some(Vec::new()),
                ..Streamed::default()
            });
        }
        let store_was_empty = sqlx::query_scalar::<_, i32>("SELECT 1 FROM observations LIMIT 1")
            .fetch_optional(&mut *self)
            .await?
            .is_none();
        if store_was_empty {
            sqlx::query("ALTER TABLE observations DROP CONSTRAINT observations_pkey")
                .execute(&mut *self)
                .await?;
        }
        let streamed = copy_new_keys(self, feed, ids, checks, batch).await?;
        if store_was_empty {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE observations ADD CONSTRAINT observations_pkey PRIMARY KEY ({OBSERVATIONS_KEY})"
            )))
            .execute(&mut *self)
            .await?;
            // Statistics for the checks that follow (without them the planner takes any
            // condition for a rare one and scans the whole table to join) and for the readers
            // after the commit, who would otherwise wait for autovacuum.
            sqlx::query("ANALYZE observations")
                .execute(&mut *self)
                .await?;
        }
        Ok(streamed)
    }
    async fn index_import_table(&mut self) -> sqlx::Result<()> {
        sqlx::query("CREATE INDEX import_rows_key ON import_rows (indicator_id, region_id, period, source_row)")
            .execute(&mut *self)
            .await?;
        // Temporary tables are never analysed automatically; without statistics the planner
        // guesses badly on the joins below.
        sqlx::query("ANALYZE import_rows")
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn drop_import_table(&mut self) -> sqlx::Result<()> {
        // ON COMMIT DROP does it.
        Ok(())
    }
}

/// [`BulkLoad::stream_new_keys`] on PostgreSQL, once it is a first load of the plan.
async fn copy_new_keys(
    connection: &mut PgConnection,
    feed: &mut FeedReader,
    ids: &PlanIds,
    checks: &mut InlineChecks<'_>,
    batch: Stored<'_>,
) -> Result<Streamed, ImportError> {
    // Called for a first load only, and it stops (its checks then unused) at the first row out
    // of key order.
    checks.assume_first_load_in_key_order();
    let mut streamed = Streamed::default();
    let mut copy = copy_in(
        connection,
        &format!(
            "COPY observations ({IMPORT_COLUMNS}, flags, batch_id, revision, plan_id) FROM STDIN (FORMAT binary)"
        ),
    )
    .await?;
    let mut last_key: Option<(i64, i64, i32)> = None;
    loop {
        let mut resolved = match feed.next_chunk(ids).await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                copy.abort("the file has errors").await?;
                return Err(e);
            }
        };
        streamed.rows += resolved.len() as u64;
        let in_order = resolved.iter().all(|r| {
            let key = (r.indicator_id, r.region_id, r.row.period.key());
            let after = last_key.is_none_or(|last| key > last);
            last_key = Some(key);
            after
        });
        if !in_order || streamed.deferred.len() > MAX_DEFERRED {
            finish_copy(copy).await?;
            streamed.left_over = Some(resolved);
            return Ok(streamed);
        }
        streamed.deferred.extend(checks.observe(&mut resolved));
        copy.send(copy_tuples(&resolved, Some(batch))).await?;
        streamed.stored += resolved.len() as u64;
    }
    finish_copy(copy).await?;
    Ok(streamed)
}

const COPY_IMPORT_ROWS: &str = "COPY import_rows (source_row, indicator_id, region_id, period, value, status, source, note) FROM STDIN (FORMAT binary)";

/// Starts a binary COPY (`statement` says `FORMAT binary`).
async fn copy_in<'c>(
    connection: &'c mut PgConnection,
    statement: &str,
) -> sqlx::Result<sqlx::postgres::PgCopyIn<&'c mut PgConnection>> {
    let mut copy = connection.copy_in_raw(statement).await?;
    copy.send(COPY_BINARY_HEADER).await?;
    Ok(copy)
}

async fn finish_copy(mut copy: sqlx::postgres::PgCopyIn<&mut PgConnection>) -> sqlx::Result<u64> {
    copy.send(COPY_BINARY_TRAILER).await?;
    copy.finish().await
}

/// Rows streamed into PostgreSQL's `observations` that wait in memory for the check against their
/// previous period (in a sorted file, the first period of each series); beyond it the import
/// goes the staged way.
const MAX_DEFERRED: usize = 500_000;

/// COPY's binary format (PostgreSQL documentation, "COPY", Binary Format): the server reads
/// numbers as they are instead of parsing decimal text, which made it the import's bottleneck.
/// A stream is [`COPY_BINARY_HEADER`], tuples from [`copy_tuples`], then [`COPY_BINARY_TRAILER`].
const COPY_BINARY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
const COPY_BINARY_TRAILER: &[u8] = &(-1i16).to_be_bytes();

/// Rows as COPY binary tuples: the import columns (`source_row BIGINT, indicator_id BIGINT,
/// region_id BIGINT, period INTEGER, value DOUBLE PRECISION, status INTEGER, source TEXT,
/// note TEXT`); with `batch`, then `flags INTEGER, batch_id BIGINT, revision INTEGER` (1),
/// `plan_id TEXT`.
fn copy_tuples(rows: &[StoreRow], batch: Option<Stored<'_>>) -> Vec<u8> {
    fn field(buffer: &mut Vec<u8>, bytes: &[u8]) {
        buffer.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        buffer.extend_from_slice(bytes);
    }
    fn text(buffer: &mut Vec<u8>, text: Option<&str>) {
        match text {
            Some(text) => field(buffer, text.as_bytes()),
            None => buffer.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }
    let fields: i16 = if batch.is_some() { 12 } else { 8 };
    let mut buffer = Vec::with_capacity(rows.len() * 96);
    for r in rows {
        buffer.extend_from_slice(&fields.to_be_bytes());
        field(&mut buffer, &(r.row.row as i64).to_be_bytes());
        field(&mut buffer, &r.indicator_id.to_be_bytes());
        field(&mut buffer, &r.region_id.to_be_bytes());
        field(&mut buffer, &r.row.period.key().to_be_bytes());
        field(&mut buffer, &r.row.value.to_be_bytes());
        field(&mut buffer, &status_code(r.row.status).to_be_bytes());
        text(&mut buffer, r.row.source.as_deref());
        text(&mut buffer, r.row.note.as_deref());
        if let Some(batch) = batch {
            field(&mut buffer, &r.flags.to_be_bytes());
            field(&mut buffer, &batch.batch_id.to_be_bytes());
            field(&mut buffer, &1i32.to_be_bytes());
            field(&mut buffer, batch.plan_id.as_bytes());
        }
    }
    buffer
}

/// Rows with a different value for the same key earlier in the file.
const CONFLICTS: &str = "SELECT a.source_row, a.value, b.source_row, b.value FROM import_rows a
     JOIN import_rows b ON b.indicator_id = a.indicator_id AND b.region_id = a.region_id
      AND b.period = a.period AND b.source_row > a.source_row
     WHERE a.value <> b.value ORDER BY b.source_row LIMIT 1000";

/// Each key of the file, where it differs from the revision in force at the batch's known date
/// (the latest, for an ordinary import), becomes a new revision, numbered after every stored one.
/// Rows repeating a key (with the same value: different values were refused as conflicts)
/// compute the same revision, and all but the first are skipped by the primary key. In key order
/// (the temporary table's index): the primary key's B-tree then grows at its end. $1: the batch,
/// $2: the plan.
fn insert_revisions(in_force: &InForce) -> String {
    let (in_force_revision, new_revision) = match in_force {
        InForce::Latest => (
            InForce::Latest.revision("s", "$2"),
            "COALESCE(l.revision, 0) + 1".to_owned(),
        ),
        InForce::At(_) => (
            in_force.revision("s", "$2"),
            "COALESCE((SELECT MAX(m.revision) FROM observations m WHERE m.plan_id = $2
                        AND m.indicator_id = s.indicator_id AND m.region_id = s.region_id
                        AND m.period = s.period), 0) + 1"
                .to_owned(),
        ),
    };
    format!(
        "INSERT INTO observations
           (plan_id, indicator_id, region_id, period, revision, value, status, source, note, flags,
            batch_id, source_row)
         SELECT $2, s.indicator_id, s.region_id, s.period, {new_revision}, s.value, s.status, s.source,
                s.note, 0, $1, s.source_row
         FROM import_rows s
         LEFT JOIN observations l ON l.plan_id = $2 AND l.indicator_id = s.indicator_id
          AND l.region_id = s.region_id AND l.period = s.period AND l.revision = {in_force_revision}
         WHERE l.revision IS NULL OR l.value <> s.value OR l.status <> s.status
         ORDER BY s.indicator_id, s.region_id, s.period, s.source_row
         ON CONFLICT DO NOTHING"
    )
}

/// A row when the plan has a batch known after $2 or one known before a batch imported
/// earlier ($1: the plan): then revision numbers need not follow known dates.
const OUT_OF_ORDER: &str =
    "SELECT 1 WHERE EXISTS (SELECT 1 FROM batches WHERE plan_id = $1 AND imported_at > $2)
        OR EXISTS (SELECT 1 FROM batches a JOIN batches c ON c.plan_id = a.plan_id
                   AND c.id < a.id AND c.imported_at > a.imported_at WHERE a.plan_id = $1)";

/// Which revision of a key an import compares with, and checks against: the one in force at the
/// batch's known date.
pub(crate) enum InForce {
    /// Every stored batch of the plan became known no later than this one, and each no earlier
    /// than those imported before it: revisions were numbered in the order they became known,
    /// so the one in force is the highest (one probe of the primary key).
    Latest,
    /// Otherwise (a historical release loaded with `known_since` after newer ones): at this
    /// time, an SQL literal.
    At(String),
}

impl InForce {
    /// For a batch known at `at` (a time as stored, already checked), `out_of_order` when a
    /// query [`OUT_OF_ORDER`] found a row.
    fn new(out_of_order: bool, at: &str) -> InForce {
        if out_of_order {
            InForce::At(format!("'{at}'"))
        } else {
            InForce::Latest
        }
    }

    /// SQL for the revision in force of the key of `key` in `plan` (an SQL expression; see
    /// [`crate::revision_in_force`]).
    fn revision(&self, key: &str, plan: &str) -> String {
        match self {
            InForce::Latest => format!(
                "(SELECT MAX(f.revision) FROM observations f WHERE f.plan_id = {plan}
                  AND f.indicator_id = {key}.indicator_id AND f.region_id = {key}.region_id
                  AND f.period = {key}.period)"
            ),
            InForce::At(at) => crate::revision_in_force(key, plan, at),
        }
    }
}

/// The same when the store holds nothing yet for the plan: every key is new. Without ON CONFLICT:
/// the caller adds it when keys repeat in the file. $1: the batch, $2: the plan.
const INSERT_FIRST_REVISIONS: &str = "INSERT INTO observations
       (plan_id, indicator_id, region_id, period, revision, value, status, source, note, flags,
        batch_id, source_row)
     SELECT $2, s.indicator_id, s.region_id, s.period, 1, s.value, s.status, s.source, s.note, 0, $1,
            s.source_row
     FROM import_rows s ORDER BY s.indicator_id, s.region_id, s.period, s.source_row";

/// Whether a key repeats in the file (with the same value, once [`CONFLICTS`] found none other).
const REPEATED_KEY: &str = "SELECT 1 FROM import_rows a
     JOIN import_rows b ON b.indicator_id = a.indicator_id AND b.region_id = a.region_id
      AND b.period = a.period AND b.source_row > a.source_row
     LIMIT 1";

impl Store {
    /// Imports rows fed over `feed` into `plan` (which must be stored) on behalf of `who`; see
    /// the module docs. An import that commits appends one `observations.import` entry to the
    /// audit log in its transaction (the file's name and SHA-256, the counts, the batch);
    /// one that does not (errors, a conflict, `strict`, a dry run, nothing to change) leaves
    /// none, since it changed nothing.
    pub async fn import(
        &self,
        who: &Who,
        plan: &Plan,
        batch: BatchInfo,
        feed: Receiver<Feed>,
        settings: ImportSettings,
    ) -> Result<ImportOutcome, ImportError> {
        let mut first_load = false;
        let result = self
            .import_in_transaction(who, plan, batch, feed, settings, None, &mut first_load)
            .await;
        let committed = matches!(
            result,
            Ok(ImportOutcome {
                committed: true,
                ..
            })
        );
        if let (Db::Postgres(pool), true, false) = (&self.db, first_load, committed) {
            // A first load that did not commit (errors in the file, a conflict, --strict, a dry
            // run) leaves the rows it wrote dead in the table's pages: vacuumed now, not when
            // autovacuum comes, or the next first load's look for an empty table reads them all.
            let vacuum = sqlx::query("VACUUM observations").execute(pool).await;
            if let (Ok(_), Err(e)) = (&result, vacuum) {
                return Err(e.into());
            }
        }
        result
    }

    /// [`Store::import`]; `first_load` is set when the plan held no observation, before anything
    /// is written. With `publish`, the import publishes that submission: in the same
    /// transaction it moves the submission from submitted to approved (refused when it is no
    /// longer waiting, or when a published value it was compared with changed since), records
    /// the batch and appends the approval's audit entry; it commits even when every row was
    /// unchanged.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn import_in_transaction(
        &self,
        who: &Who,
        plan: &Plan,
        batch: BatchInfo,
        feed: Receiver<Feed>,
        settings: ImportSettings,
        publish: Option<&Publish>,
        first_load: &mut bool,
    ) -> Result<ImportOutcome, ImportError> {
        let mut feed = FeedReader {
            receiver: feed,
            checksum: None,
            locks: Vec::new(),
            locked: None,
        };
        let ids = self.plan_ids(plan).await?;
        let imported_at = match &batch.known_since {
            Some(date) if date.len() == 10 => format!("{date} 00:00:00"),
            Some(time) => time.clone(),
            None => now(),
        };
        // Compared as text with every other batch's time, and written into SQL as a literal.
        let well_formed = imported_at.len() == 19
            && imported_at.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                10 => b == b' ',
                13 | 16 => b == b':',
                _ => b.is_ascii_digit(),
            })
            && chrono::NaiveDateTime::parse_from_str(&imported_at, "%Y-%m-%d %H:%M:%S").is_ok();
        if !well_formed {
            return Err(StoreError::BadTime(imported_at).into());
        }
        let rollup = Rollup::of(plan, &ids);
        // The plan in statements made as text (bound where the statement is fixed).
        let plan_sql = text_literal(&plan.id);
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            tx.lock_imports(&plan.id).await?;
            if let Some(publish) = publish {
                start_publishing!(tx, plan, publish);
            }
            let locks: Vec<(i32, String)> =
                sqlx::query_as("SELECT year, indicator FROM period_locks WHERE plan_id = $1")
                    .bind(&plan.id)
                    .fetch_all(&mut *tx)
                    .await?;
            feed.locks = locked_indicators(plan, locks);
            // The checksum comes with the end of the feed.
            let batch_id: i64 = sqlx::query_scalar(
                "INSERT INTO batches (plan_id, file_name, checksum, imported_by, imported_at)
                 VALUES ($1, $2, '', $3, $4) RETURNING id",
            )
            .bind(&plan.id)
            .bind(&batch.file_name)
            .bind(&batch.imported_by)
            .bind(&imported_at)
            .fetch_one(&mut *tx)
            .await?;
            let in_force = InForce::new(
                sqlx::query_scalar::<_, i32>(OUT_OF_ORDER)
                    .bind(&plan.id)
                    .bind(&imported_at)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some(),
                &imported_at,
            );
            let plan_was_empty = sqlx::query_scalar::<_, i32>(
                "SELECT 1 FROM observations WHERE plan_id = $1 LIMIT 1",
            )
            .bind(&plan.id)
            .fetch_optional(&mut *tx)
            .await?
            .is_none();
            *first_load = plan_was_empty;

            // Streamed straight into the table while every key is new; staged from the first
            // one that may not be.
            let mut checks = InlineChecks::new(plan, &rollup, settings.change_bound_percent);
            let stored = Stored {
                batch_id,
                plan_id: &plan.id,
            };
            let streamed = tx
                .stream_new_keys(&mut feed, &ids, &mut checks, stored, plan_was_empty)
                .await?;
            let mut rows = streamed.rows;
            let stored_directly = streamed.stored;
            let mut import_table = streamed.import_table;
            let direct = match streamed.left_over {
                None => {
                    if !streamed.deferred.is_empty() {
                        if !import_table {
                            tx.create_import_table().await?;
                            import_table = true;
                        }
                        tx.load(&streamed.deferred).await?;
                    }
                    Some(checks)
                }
                Some(left_over) => {
                    if import_table {
                        sqlx::query("DELETE FROM import_rows")
                            .execute(&mut *tx)
                            .await?;
                    } else {
                        tx.create_import_table().await?;
                        import_table = true;
                    }
                    if stored_directly > 0 {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "INSERT INTO import_rows ({IMPORT_COLUMNS})
                             SELECT {IMPORT_COLUMNS} FROM observations WHERE plan_id = $2 AND batch_id = $1"
                        )))
                        .bind(batch_id)
                        .bind(&plan.id)
                        .execute(&mut *tx)
                        .await?;
                        sqlx::query(
                            "DELETE FROM observations WHERE plan_id = $2 AND batch_id = $1",
                        )
                        .bind(batch_id)
                        .bind(&plan.id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    rows += tx.load_feed(&left_over, &mut feed, &ids).await?;
                    None
                }
            };

            // What the temporary table holds, and so where the previous periods are; whether
            // the query also takes the batch.
            let (changes_query, takes_batch) = match (plan_was_empty, direct.is_some()) {
                // A staged first load: every row of the file, so compare neighbours there
                // instead of probing the stored table twice per row.
                (true, false) => (CHANGES_WITHIN_FILE.to_owned(), false),
                // A direct first load: the rows it deferred, all stored as first revisions.
                (true, true) => (
                    CHANGES_AFTER_DIRECT_FIRST_LOAD.replace("$plan", &plan_sql),
                    false,
                ),
                (false, _) => (changes(&in_force, &plan_sql), true),
            };
            let (revisions, new, unchanged, mut warnings, pairs) = match direct {
                Some(checks) => (
                    stored_directly,
                    stored_directly,
                    0,
                    checks.warnings,
                    Some(checks.pairs),
                ),
                None => {
                    tx.index_import_table().await?;
                    let conflicts: Vec<(i64, f64, i64, f64)> =
                        sqlx::query_as(CONFLICTS).fetch_all(&mut *tx).await?;
                    if !conflicts.is_empty() {
                        return Err(ImportError::Conflicts(
                            conflicts
                                .into_iter()
                                .map(|(first_row, first_value, row, value)| Conflict {
                                    first_row: first_row as usize,
                                    first_value,
                                    row: row as usize,
                                    value,
                                })
                                .collect(),
                        ));
                    }
                    let repeats = sqlx::query_scalar::<_, i32>(REPEATED_KEY)
                        .fetch_optional(&mut *tx)
                        .await?
                        .is_some();
                    // Keys the store holds no value for, counted before they get one (a probe
                    // of the primary key per row; none on a first load, where every key is new).
                    let new_keys = if plan_was_empty {
                        None
                    } else {
                        let keys = if repeats {
                            "(SELECT DISTINCT indicator_id, region_id, period FROM import_rows)"
                        } else {
                            "import_rows"
                        };
                        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                            "SELECT COUNT(*) FROM {keys} s WHERE NOT EXISTS (SELECT 1 FROM observations o
                             WHERE o.plan_id = $1 AND o.indicator_id = s.indicator_id
                               AND o.region_id = s.region_id AND o.period = s.period)"
                        )))
                        .bind(&plan.id)
                        .fetch_one(&mut *tx)
                        .await?;
                        Some(count as u64)
                    };
                    let insert = match (plan_was_empty, repeats) {
                        (true, false) => INSERT_FIRST_REVISIONS.to_owned(),
                        // ON CONFLICT (a speculative insertion per row on PostgreSQL) only
                        // where a key can meet itself.
                        (true, true) => format!("{INSERT_FIRST_REVISIONS} ON CONFLICT DO NOTHING"),
                        (false, _) => insert_revisions(&in_force),
                    };
                    let revisions = sqlx::query(sqlx::AssertSqlSafe(insert))
                        .bind(batch_id)
                        .bind(&plan.id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    // Keys in the file: every row's own when none repeats.
                    let distinct: i64 = if repeats {
                        sqlx::query_scalar(
                            "SELECT COUNT(*) FROM (SELECT DISTINCT indicator_id, region_id, period FROM import_rows) k",
                        )
                        .fetch_one(&mut *tx)
                        .await?
                    } else {
                        rows as i64
                    };
                    (
                        revisions,
                        new_keys.unwrap_or(revisions),
                        (distinct as u64).saturating_sub(revisions),
                        Vec::new(),
                        None,
                    )
                }
            };

            // Large changes from the previous period, for levels, where the rows streaming past
            // could not tell: every row when staged, the rows deferred when direct.
            if import_table {
                let mut query = sqlx::query_as::<_, (i64, i64, i64, i32, f64, f64)>(
                    sqlx::AssertSqlSafe(changes_query),
                )
                .bind(settings.change_bound_percent);
                if takes_batch {
                    query = query.bind(batch_id);
                }
                let changes = query.fetch_all(&mut *tx).await?;
                for (row, indicator_id, region_id, period, previous, value) in changes {
                    let Some(indicator) = ids.indicators.iter().position(|&id| id == indicator_id)
                    else {
                        continue;
                    };
                    if plan.indicators[indicator].is_percentage() {
                        continue;
                    }
                    let Some(kind) = large_change(previous, value, settings.change_bound_percent)
                    else {
                        continue;
                    };
                    sqlx::query(
                        "UPDATE observations SET flags = flags | 1 WHERE plan_id = $5 AND indicator_id = $1
                         AND region_id = $2 AND period = $3 AND batch_id = $4",
                    )
                    .bind(indicator_id)
                    .bind(region_id)
                    .bind(period)
                    .bind(batch_id)
                    .bind(&plan.id)
                    .execute(&mut *tx)
                    .await?;
                    warnings.push(StoreWarning {
                        row: row as usize,
                        indicator,
                        period,
                        kind,
                    });
                }
            }

            // Districts above the city total, for additive indicators.
            let sums: Vec<PairTotals> = match pairs {
                // Nothing was stored for the plan before: the file's sums are the store's.
                Some(pairs) if plan_was_empty => pairs
                    .into_iter()
                    .filter(|(_, p)| p.districts > 0)
                    .map(|((indicator_id, period), p)| {
                        (
                            indicator_id,
                            period,
                            p.district_sum,
                            p.total,
                            p.first_row as i64,
                        )
                    })
                    .collect(),
                Some(pairs) => {
                    let mut sums = Vec::new();
                    let pairs: Vec<String> = pairs
                        .iter()
                        .map(|((indicator_id, period), p)| {
                            format!("({indicator_id},{period},{})", p.first_row)
                        })
                        .collect();
                    for chunk in pairs.chunks(1000) {
                        if let Some(sql) =
                            rollup.sql(&format!("VALUES {}", chunk.join(",")), &plan_sql, &in_force)
                        {
                            sums.extend(
                                sqlx::query_as::<_, PairTotals>(sqlx::AssertSqlSafe(sql))
                                    .fetch_all(&mut *tx)
                                    .await?,
                            );
                        }
                    }
                    sums
                }
                None => match rollup.sql(
                    &STAGED_PAIRS
                        .replace("$batch", &batch_id.to_string())
                        .replace("$plan", &plan_sql),
                    &plan_sql,
                    &in_force,
                ) {
                    Some(sql) => {
                        sqlx::query_as(sqlx::AssertSqlSafe(sql))
                            .fetch_all(&mut *tx)
                            .await?
                    }
                    None => Vec::new(),
                },
            };
            for (indicator_id, period, sum, total, row) in sums {
                let Some(total) = total else { continue };
                if sum <= total * (1.0 + settings.rollup_tolerance_percent / 100.0) + 1e-9 {
                    continue;
                }
                let Some(indicator) = ids.indicators.iter().position(|&id| id == indicator_id)
                else {
                    continue;
                };
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE observations SET flags = flags | 2 WHERE plan_id = $4 AND indicator_id = $1
                     AND period = $2 AND batch_id = $3 AND region_id IN ({})",
                    rollup.district_list
                )))
                .bind(indicator_id)
                .bind(period)
                .bind(batch_id)
                .bind(&plan.id)
                .execute(&mut *tx)
                .await?;
                warnings.push(StoreWarning {
                    row: row as usize,
                    indicator,
                    period,
                    kind: WarningKind::DistrictsAboveTotal { sum, total },
                });
            }
            warnings.sort_by_key(|w| w.row);

            if settings.strict && !warnings.is_empty() {
                return Err(ImportError::Strict(warnings));
            }
            if let (Some((indicator, period)), None) = (feed.locked, &batch.revision_reason) {
                return Err(ImportError::LockedPeriod {
                    indicator: plan.indicators[indicator].code.clone(),
                    period,
                    period_zh: period.display_zh(),
                });
            }
            let checksum = feed.checksum.take().ok_or(ImportError::Aborted)?;
            let same_file_as: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(id) FROM batches WHERE plan_id = $1 AND checksum = $2 AND id <> $3",
            )
            .bind(&plan.id)
            .bind(&checksum)
            .bind(batch_id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE batches SET checksum = $1, rows_read = $2, revisions = $3, warnings = $4
                 WHERE id = $5",
            )
            .bind(&checksum)
            .bind(rows as i64)
            .bind(revisions as i64)
            .bind(warnings.len() as i64)
            .bind(batch_id)
            .execute(&mut *tx)
            .await?;
            if import_table {
                tx.drop_import_table().await?;
            }
            let commit = (revisions > 0 || publish.is_some()) && !settings.dry_run;
            if commit {
                let mut event = Event::new(
                    "observations.import",
                    format!("batch:{batch_id}"),
                    serde_json::json!({
                        "plan": plan.id,
                        "batch": batch_id,
                        "file": batch.file_name,
                        "sha256": checksum,
                        "imported_by": batch.imported_by,
                        "known_since": batch.known_since,
                        "rows": rows,
                        "new": new,
                        "revised": revisions.saturating_sub(new),
                        "unchanged": unchanged,
                        "warnings": warnings.len(),
                        "same_file_as": same_file_as,
                    }),
                );
                // A revision of a locked period says so, and why.
                if let (Some(reason), Some((_, period))) = (&batch.revision_reason, feed.locked) {
                    event.details["revision_reason"] = serde_json::json!(reason);
                    event.details["locked_period"] = serde_json::json!(period.to_string());
                }
                append_audit!(tx, who, &event);
                if let Some(publish) = publish {
                    finish_publishing!(tx, who, plan, publish, batch_id);
                }
                crate::bump_version!(&mut *tx, &plan.id);
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok(ImportOutcome {
                batch_id: commit.then_some(batch_id),
                rows,
                revisions,
                new,
                unchanged,
                warnings,
                committed: commit,
                same_file_as,
            })
        })
    }
}

/// Per (indicator, period): the districts' sum, the total, the first input row of the pair.
type PairTotals = (i64, i32, f64, Option<f64>, i64);

/// Rows of the temporary table checked against the previous period's value in force (the
/// latest, for an ordinary import), once stored in the batch ($2) of `plan` (an SQL literal).
/// $1: the bound in percent.
fn changes(in_force: &InForce, plan: &str) -> String {
    // The previous period's value is a correlated subquery, not a join: looked up by its whole
    // key (one probe of the primary key a row) whatever the planner believes. Joined, it was
    // planned from the statistics of the moment, which never know the batch being written: on
    // PostgreSQL, after a few rolled-back approvals of 20 000 rows, it probed by indicator and
    // region alone and compared every row with every period of its series (minutes, and the
    // request timed out).
    format!(
        "SELECT source_row, indicator_id, region_id, period, previous, value FROM (
           SELECT s.source_row, s.indicator_id, s.region_id, s.period, s.value,
                  (SELECT p.value FROM observations p
                    WHERE p.plan_id = {plan} AND p.indicator_id = s.indicator_id
                      AND p.region_id = s.region_id AND p.period = (CASE WHEN s.period % 100 = 0 THEN s.period - 100
                                           WHEN s.period % 100 = 1 THEN s.period - 89
                                           WHEN s.period % 100 = 21 THEN s.period - 97
                                           ELSE s.period - 1 END)
                      AND p.revision = {in_force}) AS previous
           FROM import_rows s
           JOIN observations o ON o.plan_id = {plan} AND o.indicator_id = s.indicator_id
            AND o.region_id = s.region_id AND o.period = s.period AND o.batch_id = $2
            AND o.source_row = s.source_row
         ) c
         WHERE previous <> 0 AND ABS(value - previous) * 100.0 > $1 * ABS(previous)
         ORDER BY source_row",
        in_force = in_force.revision("p", plan)
    )
}

/// [`changes`] for the rows deferred by a first load streamed straight into `observations`: they
/// were all stored, as first revisions, and the plan's only stored rows are the batch's, so the
/// previous period is looked up by key alone, one probe of the primary key per row instead of
/// three. $1: the bound in percent; `$plan`, replaced: the plan (an SQL literal).
const CHANGES_AFTER_DIRECT_FIRST_LOAD: &str =
    "SELECT s.source_row, s.indicator_id, s.region_id, s.period, p.value, s.value
     FROM import_rows s
     JOIN observations p ON p.plan_id = $plan AND p.indicator_id = s.indicator_id
      AND p.region_id = s.region_id AND p.period = (CASE WHEN s.period % 100 = 0 THEN s.period - 100
                           WHEN s.period % 100 = 1 THEN s.period - 89
                           WHEN s.period % 100 = 21 THEN s.period - 97
                           ELSE s.period - 1 END)
      AND p.revision = 1
     WHERE p.value <> 0 AND ABS(s.value - p.value) * 100.0 > $1 * ABS(p.value)
     ORDER BY s.source_row";

/// [`changes`] when the store held nothing of the plan before: every row's previous period, if
/// any, is in the file: the row before among the series' rows of the same frequency (years,
/// quarters or months), when it is the period before. The first row of each key is the one
/// stored (duplicates have the same value: different ones were refused). $1: the bound in
/// percent.
const CHANGES_WITHIN_FILE: &str = "WITH k AS (
       SELECT indicator_id, region_id, period, MIN(source_row) AS source_row, MIN(value) AS value
       FROM import_rows GROUP BY indicator_id, region_id, period),
     w AS (
       SELECT k.*, LAG(period) OVER s AS previous_period, LAG(value) OVER s AS previous_value
       FROM k
       WINDOW s AS (PARTITION BY indicator_id, region_id,
                    CASE WHEN period % 100 = 0 THEN 0 WHEN period % 100 > 20 THEN 2 ELSE 1 END
                    ORDER BY period))
     SELECT source_row, indicator_id, region_id, period, previous_value, value FROM w
     WHERE previous_period = (CASE WHEN period % 100 = 0 THEN period - 100
                                   WHEN period % 100 = 1 THEN period - 89
                                   WHEN period % 100 = 21 THEN period - 97
                                   ELSE period - 1 END)
       AND previous_value <> 0 AND ABS(value - previous_value) * 100.0 > $1 * ABS(previous_value)
     ORDER BY source_row";

/// The key of the period before `key` (a `Period::key`): as in [`changes`].
fn previous_period(key: i32) -> i32 {
    match key % 100 {
        0 => key - 100,
        1 => key - 89,
        21 => key - 97,
        _ => key - 1,
    }
}

/// The large-change warning, when `value` is further than `bound` percent from `previous`.
fn large_change(previous: f64, value: f64, bound: f64) -> Option<WarningKind> {
    (previous != 0.0 && (value - previous).abs() * 100.0 > bound * previous.abs()).then(|| {
        WarningKind::LargeChange {
            previous,
            value,
            change_percent: (value - previous) / previous.abs() * 100.0,
            bound,
        }
    })
}

/// Comma-separated ids, for `IN (…)` lists (integers the store made, never input).
fn id_list(ids: impl Iterator<Item = i64>) -> String {
    ids.map(|id| id.to_string()).collect::<Vec<_>>().join(",")
}

/// The warnings worked out while rows stream straight into `observations`: a large change
/// against the row before when that row is the same series' previous period (files sorted by
/// series and period, as exports and wide sheets are, need nothing else), and the roll-up sums.
/// Rows whose previous period lies elsewhere are deferred to SQL.
pub(crate) struct InlineChecks<'a> {
    plan: &'a Plan,
    rollup: &'a Rollup,
    change_bound_percent: f64,
    /// (indicator id, region id, period, value) of the row before.
    previous: Option<(i64, i64, i32, f64)>,
    /// The store holds nothing of the plan and rows come in key order (or the checks are
    /// thrown away): a row whose previous period did not come before has none.
    first_load_in_key_order: bool,
    warnings: Vec<StoreWarning>,
    pairs: BTreeMap<(i64, i32), PairSums>,
}

struct PairSums {
    district_sum: f64,
    districts: u32,
    total: Option<f64>,
    first_row: usize,
}

impl<'a> InlineChecks<'a> {
    fn new(plan: &'a Plan, rollup: &'a Rollup, change_bound_percent: f64) -> InlineChecks<'a> {
        InlineChecks {
            plan,
            rollup,
            change_bound_percent,
            previous: None,
            first_load_in_key_order: false,
            warnings: Vec::new(),
            pairs: BTreeMap::new(),
        }
    }

    /// Promises that the store holds nothing of the plan and that rows will come in key order,
    /// or that these checks will be thrown away at the first row that does not.
    fn assume_first_load_in_key_order(&mut self) {
        self.first_load_in_key_order = true;
    }

    /// Flags the rows it can judge and returns (copies of) those to check in SQL.
    fn observe(&mut self, rows: &mut [StoreRow]) -> Vec<StoreRow> {
        let mut deferred = Vec::new();
        for r in rows {
            let period = r.row.period.key();
            let value = r.row.value;
            if !self.plan.indicators[r.row.indicator].is_percentage() {
                let series_before = self
                    .previous
                    .filter(|&(indicator_id, region_id, ..)| {
                        indicator_id == r.indicator_id && region_id == r.region_id
                    })
                    .map(|(_, _, previous_key, previous)| (previous_key, previous));
                match series_before {
                    Some((previous_key, previous)) if previous_key == previous_period(period) => {
                        if let Some(kind) = large_change(previous, value, self.change_bound_percent)
                        {
                            r.flags |= 1;
                            self.warnings.push(StoreWarning {
                                row: r.row.row,
                                indicator: r.row.indicator,
                                period,
                                kind,
                            });
                        }
                    }
                    // The previous period may have come earlier, before rows of the series'
                    // other periods (a year before the months of that year).
                    Some((previous_key, _)) if previous_key > previous_period(period) => {
                        deferred.push(r.clone())
                    }
                    // The series starts here, or skips the previous period: in a first load
                    // in key order the file cannot hold it, nor can the store.
                    _ if self.first_load_in_key_order => {}
                    _ => deferred.push(r.clone()),
                }
            }
            self.previous = Some((r.indicator_id, r.region_id, period, value));
            if let Some(is_total) = self.rollup.role(r.indicator_id, r.region_id) {
                let sums = self
                    .pairs
                    .entry((r.indicator_id, period))
                    .or_insert(PairSums {
                        district_sum: 0.0,
                        districts: 0,
                        total: None,
                        first_row: r.row.row,
                    });
                sums.first_row = sums.first_row.min(r.row.row);
                if is_total {
                    sums.total = Some(value);
                } else {
                    sums.district_sum += value;
                    sums.districts += 1;
                }
            }
        }
        deferred
    }
}

/// The roll-up check's pairs when staged: those the batch ($batch) of the plan ($plan) changed.
const STAGED_PAIRS: &str = "SELECT s.indicator_id, s.period, MIN(s.source_row) FROM import_rows s
     JOIN observations n ON n.plan_id = $plan AND n.indicator_id = s.indicator_id
      AND n.region_id = s.region_id AND n.period = s.period AND n.batch_id = $batch
     GROUP BY s.indicator_id, s.period";

/// The roll-up check's regions (the plan's rule: `Plan::rollup_total`, `Plan::rollup_districts`)
/// and its additive indicators, as the store's ids.
struct Rollup {
    total_id: Option<i64>,
    districts: HashSet<i64>,
    additive: HashSet<i64>,
    district_list: String,
    additive_list: String,
}

impl Rollup {
    fn of(plan: &Plan, ids: &PlanIds) -> Rollup {
        let total = plan.rollup_total();
        let districts: HashSet<i64> = plan
            .rollup_districts()
            .into_iter()
            .map(|i| ids.regions[i])
            .collect();
        let additive: HashSet<i64> = plan
            .indicators
            .iter()
            .enumerate()
            .filter(|(_, i)| i.additive)
            .map(|(i, _)| ids.indicators[i])
            .collect();
        let mut sorted: Vec<i64> = districts.iter().copied().collect();
        sorted.sort_unstable();
        let mut sorted_additive: Vec<i64> = additive.iter().copied().collect();
        sorted_additive.sort_unstable();
        Rollup {
            total_id: total.map(|i| ids.regions[i]),
            district_list: id_list(sorted.into_iter()),
            districts,
            additive_list: id_list(sorted_additive.into_iter()),
            additive,
        }
    }

    /// Whether a row takes part in the check: `Some(true)` for the total, `Some(false)` for a
    /// district.
    fn role(&self, indicator_id: i64, region_id: i64) -> Option<bool> {
        if self.total_id.is_none() || !self.additive.contains(&indicator_id) {
            return None;
        }
        if self.total_id == Some(region_id) {
            Some(true)
        } else {
            self.districts.contains(&region_id).then_some(false)
        }
    }

    /// [`PairTotals`] for the (indicator, period, first row) `pairs` (a query or `VALUES` list),
    /// from the values of `plan` (an SQL literal) in force (the latest, for an ordinary import);
    /// additive indicators only.
    fn sql(&self, pairs: &str, plan: &str, in_force: &InForce) -> Option<String> {
        let total = self.total_id?;
        if self.districts.is_empty() || self.additive.is_empty() {
            return None;
        }
        Some(format!(
            "WITH pairs (indicator_id, period, first_row) AS ({pairs}),
             latest AS (
               SELECT o.indicator_id, o.period, p.first_row, o.region_id, o.value FROM pairs p
               JOIN observations o ON o.plan_id = {plan} AND o.indicator_id = p.indicator_id
                AND o.period = p.period AND o.region_id IN ({districts},{total})
               WHERE p.indicator_id IN ({additive}) AND o.revision = {in_force_revision})
             SELECT indicator_id, period,
                    SUM(CASE WHEN region_id <> {total} THEN value ELSE 0 END),
                    MAX(CASE WHEN region_id = {total} THEN value END),
                    CAST(MIN(first_row) AS BIGINT)
             FROM latest GROUP BY indicator_id, period
             HAVING SUM(CASE WHEN region_id <> {total} THEN 1 ELSE 0 END) > 0",
            districts = self.district_list,
            additive = self.additive_list,
            in_force_revision = in_force.revision("o", plan),
        ))
    }
}

#[cfg(test)]
mod tests {
    use planwatch_plan::{ObsStatus, ObservationRow, Period};

    use super::{COPY_BINARY_HEADER, StoreRow, Stored, copy_tuples, text_literal};

    #[test]
    fn copy_binary_layout() {
        // Signature (11 bytes), flags and header extension length (4 each).
        assert_eq!(COPY_BINARY_HEADER.len(), 19);
        assert_eq!(&COPY_BINARY_HEADER[..11], b"PGCOPY\n\xff\r\n\0");
        let row = StoreRow {
            row: ObservationRow {
                row: 7,
                indicator: 0,
                region: 0,
                period: Period::Year(2023),
                value: 1.5,
                status: ObsStatus::Revised,
                source: Some("统计局\t".into()),
                note: None,
            },
            indicator_id: 3,
            region_id: 4,
            flags: 2,
        };
        let mut expected = Vec::new();
        expected.extend(12i16.to_be_bytes());
        for (length, value) in [
            (8i32, 7i64.to_be_bytes().to_vec()),
            (8, 3i64.to_be_bytes().to_vec()),
            (8, 4i64.to_be_bytes().to_vec()),
            (4, Period::Year(2023).key().to_be_bytes().to_vec()),
            (8, 1.5f64.to_be_bytes().to_vec()),
            (4, 2i32.to_be_bytes().to_vec()),
            (10, "统计局\t".as_bytes().to_vec()),
        ] {
            expected.extend(length.to_be_bytes());
            expected.extend(value);
        }
        expected.extend((-1i32).to_be_bytes());
        for value in [
            2i32.to_be_bytes().to_vec(),
            9i64.to_be_bytes().to_vec(),
            1i32.to_be_bytes().to_vec(),
            b"plan-a".to_vec(),
        ] {
            expected.extend((value.len() as i32).to_be_bytes());
            expected.extend(value);
        }
        let stored = Stored {
            batch_id: 9,
            plan_id: "plan-a",
        };
        assert_eq!(
            copy_tuples(std::slice::from_ref(&row), Some(stored)),
            expected
        );
        // Without a batch: the eight import columns only.
        assert_eq!(copy_tuples(&[row], None)[..2], 8i16.to_be_bytes());
    }

    #[test]
    fn text_literals_double_quotes() {
        assert_eq!(text_literal("chengdu-2021"), "'chengdu-2021'");
        assert_eq!(text_literal("o'brien"), "'o''brien'");
    }
}
