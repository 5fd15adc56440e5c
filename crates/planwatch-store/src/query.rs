//! Reading observations back: the latest revision of each (or what was known at a date), the
//! revision history of one, and the import batches.

use std::collections::HashMap;

use planwatch_plan::{ObsStatus, Period, Plan};

use planwatch_workflow::{Key, Published};

use crate::{Result, Store, StoreError, revision_in_force, status_from_code, with_db};

/// Which observations to read. Empty lists mean all.
#[derive(Debug, Clone, Default)]
pub struct ObservationFilter {
    /// Indicator codes.
    pub indicators: Vec<String>,
    /// Region codes.
    pub regions: Vec<String>,
    pub from: Option<Period>,
    pub to: Option<Period>,
    /// What was known at the end of this day (`YYYY-MM-DD`), instead of the latest.
    pub as_of: Option<String>,
    /// Only yearly values (no quarters or months).
    pub yearly_only: bool,
}

/// One stored revision of an observation.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObservation {
    pub indicator: String,
    pub region: String,
    pub period: Period,
    pub revision: i32,
    pub value: f64,
    pub status: ObsStatus,
    pub source: Option<String>,
    pub note: Option<String>,
    /// 1: large change from the previous period; 2: districts above the city total.
    pub flags: i32,
    pub batch_id: i64,
    pub source_row: i64,
    pub file_name: String,
    pub imported_at: String,
    pub imported_by: String,
}

impl From<StoredObservation> for planwatch_plan::Observation {
    fn from(o: StoredObservation) -> Self {
        planwatch_plan::Observation {
            indicator: o.indicator,
            region: o.region,
            period: o.period,
            value: o.value,
            status: o.status,
            source: o.source,
            note: o.note,
        }
    }
}

/// One import.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Batch {
    pub id: i64,
    pub file_name: String,
    pub checksum: String,
    pub imported_by: String,
    pub imported_at: String,
    pub rows_read: i64,
    pub revisions: i64,
    pub warnings: i64,
}

/// Observations with their indicator, region and batch.
const FROM: &str = "FROM observations o
     JOIN indicators i ON i.id = o.indicator_id
     JOIN regions r ON r.id = o.region_id
     JOIN batches b ON b.id = o.batch_id";

type Row = (
    String,
    String,
    i32,
    i32,
    f64,
    i32,
    Option<String>,
    Option<String>,
    i32,
    i64,
    i64,
    String,
    String,
    String,
);

const COLUMNS: &str =
    "i.code, r.code, o.period, o.revision, o.value, o.status, o.source, o.note, o.flags,
     o.batch_id, o.source_row, b.file_name, b.imported_at, b.imported_by";

/// What the latest-values read takes from `observations o` alone (a [`LatestRow`]): [`Row`] with
/// the indicator's, region's and batch's ids in place of their codes and the batch's columns.
const LATEST_COLUMNS: &str = "o.indicator_id, o.region_id, o.period, o.revision, o.value,
     o.status, o.source, o.note, o.flags, o.batch_id, o.source_row";

#[derive(sqlx::FromRow)]
struct LatestRow {
    indicator_id: i64,
    region_id: i64,
    period: i32,
    revision: i32,
    value: f64,
    status: i32,
    source: Option<String>,
    note: Option<String>,
    flags: i32,
    batch_id: i64,
    source_row: i64,
}

/// A batch's id, file name, time and importer.
type BatchName = (i64, String, String, String);

fn stored(row: Row) -> Option<StoredObservation> {
    let (
        indicator,
        region,
        period,
        revision,
        value,
        status,
        source,
        note,
        flags,
        batch_id,
        source_row,
        file_name,
        imported_at,
        imported_by,
    ) = row;
    Some(StoredObservation {
        indicator,
        region,
        period: Period::from_key(period)?,
        revision,
        value,
        status: status_from_code(status),
        source,
        note,
        flags,
        batch_id,
        source_row,
        file_name,
        imported_at,
        imported_by,
    })
}

/// The WHERE clause that picks the latest revision (or the one known as of a date) of each
/// observation passing a filter (`new`), or every revision known then (`known`), with its bind
/// values: `$1` the plan, `$2` the as-of time, then the listed codes.
struct LatestQuery {
    conditions: String,
    plan_id: String,
    as_of: String,
    codes: Vec<String>,
}

impl LatestQuery {
    /// The revision in force (as of the filter's time) of each observation that passes the
    /// filter. Over `observations o` alone: the revision's batch was known by then (the
    /// subquery's own condition), so nothing needs `batches`, and with no join the database
    /// cannot put one in the wrong order (PostgreSQL estimates one row where hundreds come).
    fn new(plan: &Plan, filter: &ObservationFilter) -> LatestQuery {
        let mut query = LatestQuery::keys(plan, filter);
        query.conditions = format!(
            "{} AND o.revision = {}",
            query.conditions,
            revision_in_force("o", "$1", "$2")
        );
        query
    }

    /// Every revision known by the filter's as-of time (not only the one in force) of the
    /// observations that pass the filter; over [`FROM`] (`b` the batch).
    fn known(plan: &Plan, filter: &ObservationFilter) -> LatestQuery {
        let mut query = LatestQuery::keys(plan, filter);
        query.conditions.push_str(" AND b.imported_at <= $2");
        query
    }

    /// The filter's conditions on the observation's key (`o`), with the bind values.
    fn keys(plan: &Plan, filter: &ObservationFilter) -> LatestQuery {
        let as_of = match &filter.as_of {
            Some(d) if d.len() == 10 => format!("{d} 23:59:59"),
            Some(d) => d.clone(),
            None => "9999-12-31 23:59:59".to_owned(),
        };
        // The plan on `o` itself: the key's first column, and what prunes a table partitioned by
        // plan to the plan's partition.
        let mut conditions = "WHERE o.plan_id = $1".to_owned();
        // Ids, not codes: `o.indicator_id IN (…) AND o.region_id IN (…)` lets the database walk
        // the primary key (plan, indicator, region, period, revision) to the rows asked for; a
        // filter on the joined codes made SQLite read every observation of the plan first.
        let mut codes: Vec<String> = Vec::new();
        for (column, table, values) in [
            ("o.indicator_id", "indicators", &filter.indicators),
            ("o.region_id", "regions", &filter.regions),
        ] {
            if values.is_empty() && table == "regions" {
                continue;
            }
            let mut ids = format!("SELECT id FROM {table} WHERE plan_id = $1");
            if !values.is_empty() {
                let placeholders: Vec<String> = values
                    .iter()
                    .map(|v| {
                        codes.push(v.clone());
                        format!("${}", codes.len() + 2)
                    })
                    .collect();
                ids.push_str(&format!(" AND code IN ({})", placeholders.join(",")));
            }
            conditions.push_str(&format!(" AND {column} IN ({ids})"));
        }
        if filter.yearly_only {
            conditions.push_str(" AND o.period % 100 = 0");
        }
        if let Some(from) = filter.from {
            conditions.push_str(&format!(" AND o.period >= {}", from.key()));
        }
        if let Some(to) = filter.to {
            conditions.push_str(&format!(" AND o.period <= {}", to.key()));
        }
        LatestQuery {
            conditions,
            plan_id: plan.id.clone(),
            as_of,
            codes,
        }
    }
}

impl Store {
    /// The latest revision (or the one known as of a date) of each observation of the plan that
    /// passes the filter, in a stable order: indicator (in the plan's order), region (likewise),
    /// period.
    pub async fn observations(
        &self,
        plan: &Plan,
        filter: &ObservationFilter,
    ) -> Result<Vec<StoredObservation>> {
        let query = LatestQuery::new(plan, filter);
        let mut observations = self.fetch(&query, filter, "").await?;
        sort_in_plan_order(plan, &mut observations);
        Ok(observations)
    }

    /// One page of what `observations` returns, without reading the rest: `limit` rows from
    /// `offset`, in the store's key order (indicators and regions in the order the plan first
    /// listed them, then periods).
    pub async fn observations_page(
        &self,
        plan: &Plan,
        filter: &ObservationFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<StoredObservation>> {
        let query = LatestQuery::new(plan, filter);
        let tail = format!(
            " ORDER BY o.indicator_id, o.region_id, o.period LIMIT {} OFFSET {}",
            limit.min(i64::MAX as u64),
            offset.min(i64::MAX as u64)
        );
        self.fetch(&query, filter, &tail).await
    }

    /// How many observations `observations` would return.
    pub async fn count_observations(&self, plan: &Plan, filter: &ObservationFilter) -> Result<u64> {
        let query = LatestQuery::new(plan, filter);
        let sql = format!("SELECT COUNT(*) FROM observations o {}", query.conditions);
        let count: i64 = with_db!(&self.db, |pool| {
            let mut scalar = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(&query.plan_id)
                .bind(&query.as_of);
            for code in &query.codes {
                scalar = scalar.bind(code);
            }
            scalar.fetch_one(pool).await?
        });
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The figures of the plan published (any revision: an import, or an approved submission)
    /// that pass the filter — by the filter's as-of time, or ever —, each with the day it was
    /// first published: the earliest batch holding a revision of it. What the reporting
    /// calendar needs beside the submissions (`planwatch-workflow`'s `standings`): one query,
    /// walking the primary key to the indicators, regions and periods asked for.
    pub async fn published_keys(
        &self,
        plan: &Plan,
        filter: &ObservationFilter,
    ) -> Result<Published> {
        let query = LatestQuery::known(plan, filter);
        let sql = format!(
            "SELECT i.code, r.code, o.period, MIN(b.imported_at) {FROM} {}
             GROUP BY i.code, r.code, o.period",
            query.conditions
        );
        let rows: Vec<(String, String, i32, String)> = self.fetch_rows(&query, sql).await?;
        let mut published = Published::with_capacity(rows.len());
        for (indicator, region, period, first) in rows {
            let Some(period) = Period::from_key(period) else {
                continue;
            };
            let on =
                chrono::NaiveDate::parse_from_str(first.get(..10).unwrap_or(&first), "%Y-%m-%d")
                    .map_err(|_| StoreError::CorruptTime(first.clone()))?;
            let key = Key {
                indicator,
                region,
                period,
            };
            published.insert(key, on);
        }
        Ok(published)
    }

    /// The observations `query` picks (a [`LatestQuery::new`] of `filter`), `tail` after its
    /// conditions: the rows read by ids alone, then their codes from the plan's indicators and
    /// regions (those the filter names, when it names any) and the batches the rows name, read
    /// after them (an id's code and a batch's name and time never change, and none of them is
    /// deleted while its plan lives, so every id read is found).
    async fn fetch(
        &self,
        query: &LatestQuery,
        filter: &ObservationFilter,
        tail: &str,
    ) -> Result<Vec<StoredObservation>> {
        let sql = format!(
            "SELECT {LATEST_COLUMNS} FROM observations o {}{tail}",
            query.conditions
        );
        let rows: Vec<LatestRow> = self.fetch_rows(query, sql).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let plan = query.plan_id.as_str();
        let indicators = self
            .codes_by_id("indicators", plan, &filter.indicators)
            .await?;
        let regions = self.codes_by_id("regions", plan, &filter.regions).await?;
        // Only the batches the rows name (a plan gathers a batch per import and per approved
        // submission, thousands over its years; a read names a few). Ids read from the store,
        // written into the statement as numbers: no bind limit however many there are.
        let mut batch_ids: Vec<i64> = rows.iter().map(|row| row.batch_id).collect();
        batch_ids.sort_unstable();
        batch_ids.dedup();
        let batch_ids: Vec<String> = batch_ids.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT id, file_name, imported_at, imported_by FROM batches
             WHERE plan_id = $1 AND id IN ({})",
            batch_ids.join(",")
        );
        let batches: Vec<BatchName> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(plan)
                .fetch_all(pool)
                .await?
        });
        let batches: HashMap<i64, (String, String, String)> = batches
            .into_iter()
            .map(|(id, file, at, by)| (id, (file, at, by)))
            .collect();
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let (file_name, imported_at, imported_by) = batches.get(&row.batch_id)?.clone();
                stored((
                    indicators.get(&row.indicator_id)?.clone(),
                    regions.get(&row.region_id)?.clone(),
                    row.period,
                    row.revision,
                    row.value,
                    row.status,
                    row.source,
                    row.note,
                    row.flags,
                    row.batch_id,
                    row.source_row,
                    file_name,
                    imported_at,
                    imported_by,
                ))
            })
            .collect())
    }

    /// The codes of the plan's rows of `table` (`indicators` or `regions`) by id: those of `codes`,
    /// or all when it is empty.
    async fn codes_by_id(
        &self,
        table: &str,
        plan: &str,
        codes: &[String],
    ) -> Result<HashMap<i64, String>> {
        let mut sql = format!("SELECT id, code FROM {table} WHERE plan_id = $1");
        if !codes.is_empty() {
            let placeholders: Vec<String> = (2..codes.len() + 2).map(|n| format!("${n}")).collect();
            sql.push_str(&format!(" AND code IN ({})", placeholders.join(",")));
        }
        let rows: Vec<(i64, String)> = with_db!(&self.db, |pool| {
            let mut rows = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(plan);
            for code in codes {
                rows = rows.bind(code);
            }
            rows.fetch_all(pool).await?
        });
        Ok(rows.into_iter().collect())
    }

    /// The rows of `sql`, a query over `query`'s conditions, with its values bound.
    async fn fetch_rows<R>(&self, query: &LatestQuery, sql: String) -> Result<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        Ok(with_db!(&self.db, |pool| {
            let mut rows = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&query.plan_id)
                .bind(&query.as_of);
            for code in &query.codes {
                rows = rows.bind(code);
            }
            rows.fetch_all(pool).await?
        }))
    }

    /// Every revision of one observation, in the order they became known (ties: in the order
    /// they were imported): the last is the one in force.
    pub async fn history(
        &self,
        plan: &Plan,
        indicator: &str,
        region: &str,
        period: Period,
    ) -> Result<Vec<StoredObservation>> {
        let sql = format!(
            "SELECT {COLUMNS} {FROM}
             WHERE o.plan_id = $1 AND i.plan_id = $1 AND i.code = $2 AND r.code = $3
               AND o.period = $4
             ORDER BY b.imported_at, o.revision"
        );
        let rows: Vec<Row> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&plan.id)
                .bind(indicator)
                .bind(region)
                .bind(period.key())
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().filter_map(stored).collect())
    }

    /// The plan's import batches, newest first.
    pub async fn batches(&self, plan_id: &str) -> Result<Vec<Batch>> {
        Ok(with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, file_name, checksum, imported_by, imported_at, rows_read, revisions, warnings
                 FROM batches WHERE plan_id = $1 ORDER BY id DESC",
            )
            .bind(plan_id)
            .fetch_all(pool)
            .await?
        }))
    }
}

/// Sorts by indicator (plan order: numbered ones by number, then the rest as listed), region
/// (plan order), period.
pub(crate) fn sort_in_plan_order(plan: &Plan, observations: &mut [StoredObservation]) {
    let indicator_rank: HashMap<&str, (u32, usize)> = plan
        .indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| (ind.code.as_str(), (ind.number.unwrap_or(u32::MAX), i)))
        .collect();
    let region_rank: HashMap<&str, usize> = plan
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code.as_str(), i))
        .collect();
    observations.sort_by(|a, b| {
        let key = |o: &StoredObservation| {
            (
                indicator_rank
                    .get(o.indicator.as_str())
                    .copied()
                    .unwrap_or((u32::MAX, usize::MAX)),
                region_rank
                    .get(o.region.as_str())
                    .copied()
                    .unwrap_or(usize::MAX),
                o.period.key(),
            )
        };
        key(a).cmp(&key(b))
    });
}
