//! Importing observations: all or nothing, in one transaction.
//!
//! Rows arrive in chunks over a channel while the caller is still reading the file, and go into a
//! temporary table (COPY on PostgreSQL, multi-row `VALUES` on SQLite), so memory stays bounded
//! whatever the file's size. When the caller says [`Feed::Finish`], the checks that need the whole
//! file run in SQL — the same key twice with different values is an error; a large change from
//! the previous period and districts summing above the city total are warnings, stored as flags —
//! and the rows that differ from the latest stored revision (in value or status) become new
//! revisions. [`Feed::Abort`] (the caller found errors in the file), a conflict, or a warning
//! under `strict` roll everything back; so does an import that would change nothing.

use std::collections::HashSet;

use planwatch_plan::{ObservationRow, Plan, RegionKind};
use sqlx::{PgConnection, SqliteConnection};
use tokio::sync::mpsc::Receiver;

use crate::{Result, Store, StoreError, now, status_code, with_db};

/// What the reader of a file sends the store.
#[derive(Debug)]
pub enum Feed {
    Rows(Vec<ObservationRow>),
    /// The whole file was read without errors: check, store and commit.
    Finish,
    /// The file has errors: store nothing.
    Abort,
}

/// Who imports what.
#[derive(Debug, Clone)]
pub struct BatchInfo {
    pub file_name: String,
    /// SHA-256 of the file's bytes, hex.
    pub checksum: String,
    pub imported_by: String,
    /// When the values became known, if not now (`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, UTC):
    /// for loading historical releases so that `as_of` queries see them as they were.
    pub known_since: Option<String>,
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
            rollup_tolerance_percent: 0.5,
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
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> ImportError {
        ImportError::Store(StoreError::Database(e))
    }
}

/// Loading rows into the temporary table, per backend.
pub(crate) trait BulkLoad {
    /// Serialises imports into one plan: two at once would both read the same latest revision.
    async fn lock_imports(&mut self, plan_id: &str) -> sqlx::Result<()>;
    async fn create_import_table(&mut self) -> sqlx::Result<()>;
    async fn load(&mut self, rows: &[(ObservationRow, i64, i64)]) -> sqlx::Result<()>;
    /// Indexes the loaded rows and refreshes planner statistics.
    async fn index_import_table(&mut self) -> sqlx::Result<()>;
    async fn drop_import_table(&mut self) -> sqlx::Result<()>;
}

/// Rows per multi-row INSERT on SQLite: 8 parameters each, well under its 32 766 limit.
const SQLITE_CHUNK: usize = 1000;

impl BulkLoad for SqliteConnection {
    async fn lock_imports(&mut self, _plan_id: &str) -> sqlx::Result<()> {
        // SQLite has one writer at a time: the batch row written next takes the write lock
        // (another import waits for it, up to the busy timeout, or fails; it never interleaves).
        Ok(())
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

    async fn load(&mut self, rows: &[(ObservationRow, i64, i64)]) -> sqlx::Result<()> {
        for chunk in rows.chunks(SQLITE_CHUNK) {
            let mut sql = String::with_capacity(40 + chunk.len() * 20);
            sql.push_str("INSERT INTO import_rows VALUES ");
            // Positional `?`: with `$N` each bind is looked up by name, quadratic in the
            // statement's 8 000 parameters.
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str("(?,?,?,?,?,?,?,?)");
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (row, indicator_id, region_id) in chunk {
                query = query
                    .bind(row.row as i64)
                    .bind(*indicator_id)
                    .bind(*region_id)
                    .bind(row.period.key())
                    .bind(row.value)
                    .bind(status_code(row.status))
                    .bind(row.source.as_deref())
                    .bind(row.note.as_deref());
            }
            query.execute(&mut *self).await?;
        }
        Ok(())
    }

    async fn index_import_table(&mut self) -> sqlx::Result<()> {
        sqlx::query("CREATE INDEX temp.import_rows_key ON import_rows (indicator_id, region_id, period, source_row)")
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn drop_import_table(&mut self) -> sqlx::Result<()> {
        sqlx::query("DROP TABLE temp.import_rows")
            .execute(&mut *self)
            .await?;
        Ok(())
    }
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

    async fn load(&mut self, rows: &[(ObservationRow, i64, i64)]) -> sqlx::Result<()> {
        use std::fmt::Write;
        let mut buffer = String::with_capacity(rows.len() * 48);
        for (row, indicator_id, region_id) in rows {
            let _ = write!(
                buffer,
                "{}\t{}\t{}\t{}\t{:?}\t{}\t",
                row.row,
                indicator_id,
                region_id,
                row.period.key(),
                row.value,
                status_code(row.status)
            );
            copy_text(&mut buffer, row.source.as_deref());
            buffer.push('\t');
            copy_text(&mut buffer, row.note.as_deref());
            buffer.push('\n');
        }
        let mut copy = self.copy_in_raw("COPY import_rows FROM STDIN").await?;
        copy.send(buffer.into_bytes()).await?;
        copy.finish().await?;
        Ok(())
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

/// A text field in COPY's text format: `\N` for none, with backslash escapes.
fn copy_text(buffer: &mut String, text: Option<&str>) {
    let Some(text) = text else {
        buffer.push_str("\\N");
        return;
    };
    for c in text.chars() {
        match c {
            '\\' => buffer.push_str("\\\\"),
            '\t' => buffer.push_str("\\t"),
            '\n' => buffer.push_str("\\n"),
            '\r' => buffer.push_str("\\r"),
            _ => buffer.push(c),
        }
    }
}

/// The key of the previous period of `period` (a `Period::key`), in SQL.
const PREVIOUS_PERIOD: &str = "(CASE WHEN s.period % 100 = 0 THEN s.period - 100 \
     WHEN s.period % 100 = 1 THEN s.period - 89 \
     WHEN s.period % 100 = 21 THEN s.period - 97 \
     ELSE s.period - 1 END)";

/// Rows with a different value for the same key earlier in the file.
const CONFLICTS: &str = "SELECT a.source_row, a.value, b.source_row, b.value FROM import_rows a
     JOIN import_rows b ON b.indicator_id = a.indicator_id AND b.region_id = a.region_id
      AND b.period = a.period AND b.source_row > a.source_row
     WHERE a.value <> b.value ORDER BY b.source_row LIMIT 1000";

/// Each key of the file, where it differs from the latest stored revision, becomes a new
/// revision. Rows repeating a key (with the same value: different values were refused as
/// conflicts) compute the same revision, and all but the first are skipped by the primary key.
/// $1: the batch.
const INSERT_REVISIONS: &str = "INSERT INTO observations
       (indicator_id, region_id, period, revision, value, status, source, note, flags, batch_id, source_row)
     SELECT s.indicator_id, s.region_id, s.period, COALESCE(l.revision, 0) + 1, s.value, s.status, s.source,
            s.note, 0, $1, s.source_row
     FROM import_rows s
     LEFT JOIN observations l ON l.indicator_id = s.indicator_id AND l.region_id = s.region_id
      AND l.period = s.period
      AND l.revision = (SELECT MAX(m.revision) FROM observations m WHERE m.indicator_id = s.indicator_id
                        AND m.region_id = s.region_id AND m.period = s.period)
     WHERE l.revision IS NULL OR l.value <> s.value OR l.status <> s.status
     ORDER BY s.source_row
     ON CONFLICT DO NOTHING";

/// The same when the store holds nothing yet for the file's indicators: every key is new.
const INSERT_FIRST_REVISIONS: &str = "INSERT INTO observations
       (indicator_id, region_id, period, revision, value, status, source, note, flags, batch_id, source_row)
     SELECT s.indicator_id, s.region_id, s.period, 1, s.value, s.status, s.source, s.note, 0, $1, s.source_row
     FROM import_rows s ORDER BY s.source_row
     ON CONFLICT DO NOTHING";

impl Store {
    /// Imports rows fed over `feed` into `plan` (which must be stored); see the module docs.
    pub async fn import(
        &self,
        plan: &Plan,
        batch: BatchInfo,
        mut feed: Receiver<Feed>,
        settings: ImportSettings,
    ) -> Result<ImportOutcome, ImportError> {
        let ids = self.plan_ids(plan).await?;
        let imported_at = match &batch.known_since {
            Some(date) if date.len() == 10 => format!("{date} 00:00:00"),
            Some(time) => time.clone(),
            None => now(),
        };
        let rollup = Rollup::of(plan, &ids);
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            tx.lock_imports(&plan.id).await?;
            let same_file_as: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(id) FROM batches WHERE plan_id = $1 AND checksum = $2",
            )
            .bind(&plan.id)
            .bind(&batch.checksum)
            .fetch_one(&mut *tx)
            .await?;
            let batch_id: i64 = sqlx::query_scalar(
                "INSERT INTO batches (plan_id, file_name, checksum, imported_by, imported_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(&plan.id)
            .bind(&batch.file_name)
            .bind(&batch.checksum)
            .bind(&batch.imported_by)
            .bind(&imported_at)
            .fetch_one(&mut *tx)
            .await?;
            tx.create_import_table().await?;

            let mut rows = 0u64;
            loop {
                match feed.recv().await {
                    Some(Feed::Rows(chunk)) => {
                        rows += chunk.len() as u64;
                        let resolved: Vec<(ObservationRow, i64, i64)> = chunk
                            .into_iter()
                            .map(|r| {
                                let (i, g) = (ids.indicators[r.indicator], ids.regions[r.region]);
                                (r, i, g)
                            })
                            .collect();
                        tx.load(&resolved).await?;
                    }
                    Some(Feed::Finish) => break,
                    Some(Feed::Abort) | None => return Err(ImportError::Aborted),
                }
            }
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
            let stored: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM observations o WHERE o.indicator_id IN (SELECT DISTINCT indicator_id FROM import_rows) LIMIT 1",
            )
            .fetch_optional(&mut *tx)
            .await?;
            let insert = if stored.is_some() {
                INSERT_REVISIONS
            } else {
                INSERT_FIRST_REVISIONS
            };
            let revisions = sqlx::query(insert)
                .bind(batch_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let distinct: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT DISTINCT indicator_id, region_id, period FROM import_rows) k")
                    .fetch_one(&mut *tx)
                    .await?;

            // Large changes from the previous period, for levels (not percentages).
            let changes: Vec<(i64, i64, i64, i32, f64, f64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT s.source_row, s.indicator_id, s.region_id, s.period, p.value, s.value FROM import_rows s
                 JOIN observations o ON o.indicator_id = s.indicator_id AND o.region_id = s.region_id
                  AND o.period = s.period AND o.batch_id = $1 AND o.source_row = s.source_row
                 JOIN observations p ON p.indicator_id = s.indicator_id AND p.region_id = s.region_id
                  AND p.period = {PREVIOUS_PERIOD}
                 WHERE NOT EXISTS (SELECT 1 FROM observations q WHERE q.indicator_id = p.indicator_id
                                   AND q.region_id = p.region_id AND q.period = p.period AND q.revision > p.revision)
                   AND p.value <> 0 AND ABS(s.value - p.value) * 100.0 > $2 * ABS(p.value)
                 ORDER BY s.source_row"
            )))
            .bind(batch_id)
            .bind(settings.change_bound_percent)
            .fetch_all(&mut *tx)
            .await?;
            let mut warnings = Vec::new();
            for (row, indicator_id, region_id, period, previous, value) in changes {
                let Some(indicator) = ids.indicators.iter().position(|&id| id == indicator_id)
                else {
                    continue;
                };
                if plan.indicators[indicator].is_percentage() {
                    continue;
                }
                sqlx::query(
                    "UPDATE observations SET flags = flags | 1 WHERE indicator_id = $1 AND region_id = $2
                     AND period = $3 AND batch_id = $4",
                )
                .bind(indicator_id)
                .bind(region_id)
                .bind(period)
                .bind(batch_id)
                .execute(&mut *tx)
                .await?;
                warnings.push(StoreWarning {
                    row: row as usize,
                    indicator,
                    period,
                    kind: WarningKind::LargeChange {
                        previous,
                        value,
                        change_percent: (value - previous) / previous.abs() * 100.0,
                        bound: settings.change_bound_percent,
                    },
                });
            }

            // Districts above the city total, for additive indicators.
            if let Some(sql) = rollup.sql() {
                let sums: Vec<(i64, i32, f64, Option<f64>, i64)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(batch_id)
                        .fetch_all(&mut *tx)
                        .await?;
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
                        "UPDATE observations SET flags = flags | 2 WHERE indicator_id = $1 AND period = $2
                         AND batch_id = $3 AND region_id IN ({})",
                        rollup.district_list
                    )))
                    .bind(indicator_id)
                    .bind(period)
                    .bind(batch_id)
                    .execute(&mut *tx)
                    .await?;
                    warnings.push(StoreWarning {
                        row: row as usize,
                        indicator,
                        period,
                        kind: WarningKind::DistrictsAboveTotal { sum, total },
                    });
                }
            }
            warnings.sort_by_key(|w| w.row);

            if settings.strict && !warnings.is_empty() {
                return Err(ImportError::Strict(warnings));
            }
            sqlx::query(
                "UPDATE batches SET rows_read = $1, revisions = $2, warnings = $3 WHERE id = $4",
            )
            .bind(rows as i64)
            .bind(revisions as i64)
            .bind(warnings.len() as i64)
            .bind(batch_id)
            .execute(&mut *tx)
            .await?;
            tx.drop_import_table().await?;
            let commit = revisions > 0 && !settings.dry_run;
            if commit {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok(ImportOutcome {
                batch_id: commit.then_some(batch_id),
                rows,
                revisions,
                unchanged: (distinct as u64).saturating_sub(revisions),
                warnings,
                committed: commit,
                same_file_as,
            })
        })
    }
}

/// The roll-up check's regions: the plan's own region and its county-level divisions (managed
/// areas overlap them and are left out), and its additive indicators.
struct Rollup {
    total_id: Option<i64>,
    district_list: String,
    additive_list: String,
}

impl Rollup {
    fn of(plan: &Plan, ids: &crate::plans::PlanIds) -> Rollup {
        let total = plan.regions.iter().position(|r| r.code == plan.region);
        let districts: Vec<String> = plan
            .regions
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.parent.as_deref() == Some(plan.region.as_str())
                    && matches!(
                        r.kind,
                        RegionKind::District
                            | RegionKind::County
                            | RegionKind::CountyCity
                            | RegionKind::Province
                            | RegionKind::City
                    )
            })
            .map(|(i, _)| ids.regions[i].to_string())
            .collect();
        let additive: HashSet<String> = plan
            .indicators
            .iter()
            .enumerate()
            .filter(|(_, i)| i.additive)
            .map(|(i, _)| ids.indicators[i].to_string())
            .collect();
        Rollup {
            total_id: total.map(|i| ids.regions[i]),
            district_list: districts.join(","),
            additive_list: additive.into_iter().collect::<Vec<_>>().join(","),
        }
    }

    /// Per (indicator, period) of the import: the districts' latest sum, the total's latest value,
    /// and the first input row of the pair. $1: the batch (only pairs it changed are checked).
    fn sql(&self) -> Option<String> {
        let total = self.total_id?;
        if self.district_list.is_empty() || self.additive_list.is_empty() {
            return None;
        }
        Some(format!(
            "WITH pairs AS (
               SELECT s.indicator_id, s.period, MIN(s.source_row) AS first_row FROM import_rows s
               JOIN observations n ON n.indicator_id = s.indicator_id AND n.region_id = s.region_id
                AND n.period = s.period AND n.batch_id = $1
               WHERE s.indicator_id IN ({additive}) AND s.region_id IN ({districts},{total})
               GROUP BY s.indicator_id, s.period),
             latest AS (
               SELECT p.indicator_id, p.period, p.first_row, o.region_id, o.value FROM pairs p
               JOIN observations o ON o.indicator_id = p.indicator_id AND o.period = p.period
                AND o.region_id IN ({districts},{total})
               WHERE o.revision = (SELECT MAX(q.revision) FROM observations q WHERE q.indicator_id = o.indicator_id
                                   AND q.region_id = o.region_id AND q.period = o.period))
             SELECT indicator_id, period,
                    SUM(CASE WHEN region_id <> {total} THEN value ELSE 0 END),
                    MAX(CASE WHEN region_id = {total} THEN value END),
                    MIN(first_row)
             FROM latest GROUP BY indicator_id, period
             HAVING SUM(CASE WHEN region_id <> {total} THEN 1 ELSE 0 END) > 0",
            additive = self.additive_list,
            districts = self.district_list,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::copy_text;

    #[test]
    fn copy_text_escapes() {
        let mut buffer = String::new();
        copy_text(&mut buffer, Some("a\tb\\c\nd"));
        buffer.push('|');
        copy_text(&mut buffer, None);
        assert_eq!(buffer, "a\\tb\\\\c\\nd|\\N");
    }
}
