//! Reading observations back: the latest revision of each (or what was known at a date), the
//! revision history of one, and the import batches.

use std::collections::HashMap;

use planwatch_plan::{ObsStatus, Period, Plan};

use crate::{Result, Store, status_from_code, with_db};

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

impl Store {
    /// The latest revision (or the one known as of a date) of each observation of the plan that
    /// passes the filter, in a stable order: indicator (in the plan's order), region (likewise),
    /// period.
    pub async fn observations(
        &self,
        plan: &Plan,
        filter: &ObservationFilter,
    ) -> Result<Vec<StoredObservation>> {
        let as_of = filter.as_of.as_ref().map(|d| {
            if d.len() == 10 {
                format!("{d} 23:59:59")
            } else {
                d.clone()
            }
        });
        let mut sql = format!(
            "SELECT {COLUMNS} {FROM}
             WHERE i.plan_id = $1 AND b.imported_at <= $2
               AND o.revision = (SELECT MAX(m.revision) FROM observations m JOIN batches mb ON mb.id = m.batch_id
                                 WHERE m.indicator_id = o.indicator_id AND m.region_id = o.region_id
                                   AND m.period = o.period AND mb.imported_at <= $2)"
        );
        let mut binds: Vec<String> = Vec::new();
        let mut list = |column: &str, values: &[String], sql: &mut String| {
            if values.is_empty() {
                return;
            }
            let placeholders: Vec<String> = values
                .iter()
                .map(|v| {
                    binds.push(v.clone());
                    format!("${}", binds.len() + 2)
                })
                .collect();
            sql.push_str(&format!(" AND {column} IN ({})", placeholders.join(",")));
        };
        list("i.code", &filter.indicators, &mut sql);
        list("r.code", &filter.regions, &mut sql);
        if let Some(from) = filter.from {
            sql.push_str(&format!(" AND o.period >= {}", from.key()));
        }
        if let Some(to) = filter.to {
            sql.push_str(&format!(" AND o.period <= {}", to.key()));
        }
        let as_of = as_of.unwrap_or_else(|| "9999-12-31 23:59:59".to_owned());
        let rows: Vec<Row> = with_db!(&self.db, |pool| {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&plan.id)
                .bind(&as_of);
            for value in &binds {
                query = query.bind(value);
            }
            query.fetch_all(pool).await?
        });
        let mut observations: Vec<StoredObservation> =
            rows.into_iter().filter_map(stored).collect();
        sort_in_plan_order(plan, &mut observations);
        Ok(observations)
    }

    /// Every revision of one observation, oldest first.
    pub async fn history(
        &self,
        plan: &Plan,
        indicator: &str,
        region: &str,
        period: Period,
    ) -> Result<Vec<StoredObservation>> {
        let sql = format!(
            "SELECT {COLUMNS} {FROM}
             WHERE i.plan_id = $1 AND i.code = $2 AND r.code = $3 AND o.period = $4
             ORDER BY o.revision"
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
