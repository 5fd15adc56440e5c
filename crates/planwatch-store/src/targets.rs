//! District (or department) targets: planners' splits of the plan's targets, saved as whole
//! sets. The latest set of a plan is in force; older sets stay as its history.

use planwatch_plan::Plan;

use crate::{Result, Store, StoreError, now, with_db};

/// One region's value for one target (`target`: index among the indicator's targets).
#[derive(Debug, Clone, PartialEq)]
pub struct RegionTarget {
    /// Indicator code.
    pub indicator: String,
    pub target: usize,
    /// Region code.
    pub region: String,
    pub value: f64,
}

/// A saved set of region targets.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TargetSet {
    pub id: i64,
    pub description: String,
    pub set_by: String,
    pub set_at: String,
}

impl Store {
    /// Saves `targets` as the plan's new set, in one transaction: either every row is stored or
    /// none (an indicator or region not in the plan stores nothing). Returns the set's id.
    pub async fn save_region_targets(
        &self,
        plan: &Plan,
        description: &str,
        set_by: &str,
        targets: &[RegionTarget],
    ) -> Result<i64> {
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO target_sets (plan_id, description, set_by, set_at)
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(&plan.id)
            .bind(description)
            .bind(set_by)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            for t in targets {
                let inserted = sqlx::query(
                    "INSERT INTO region_targets (set_id, indicator_id, target, region_id, value)
                     SELECT $1, i.id, $3, r.id, $5 FROM indicators i, regions r
                     WHERE i.plan_id = $6 AND i.code = $2 AND r.plan_id = $6 AND r.code = $4",
                )
                .bind(id)
                .bind(&t.indicator)
                .bind(i32::try_from(t.target).unwrap_or(i32::MAX))
                .bind(&t.region)
                .bind(t.value)
                .bind(&plan.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Err(StoreError::UnknownTargetKey(
                        t.indicator.clone(),
                        t.region.clone(),
                    ));
                }
            }
            crate::bump_version!(&mut *tx);
            tx.commit().await?;
            id
        }))
    }

    /// The plan's set of region targets in force (the latest saved), with its rows; `None` when
    /// none was ever saved.
    pub async fn region_targets(
        &self,
        plan: &Plan,
    ) -> Result<Option<(TargetSet, Vec<RegionTarget>)>> {
        let set: Option<TargetSet> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, description, set_by, set_at FROM target_sets
                 WHERE plan_id = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(&plan.id)
            .fetch_optional(pool)
            .await?
        });
        let Some(set) = set else {
            return Ok(None);
        };
        let rows: Vec<(String, i32, String, f64)> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT i.code, t.target, r.code, t.value FROM region_targets t
                 JOIN indicators i ON i.id = t.indicator_id JOIN regions r ON r.id = t.region_id
                 WHERE t.set_id = $1 ORDER BY i.code, t.target, r.code",
            )
            .bind(set.id)
            .fetch_all(pool)
            .await?
        });
        let targets = rows
            .into_iter()
            .map(|(indicator, target, region, value)| RegionTarget {
                indicator,
                target: usize::try_from(target).unwrap_or(usize::MAX),
                region,
                value,
            })
            .collect();
        Ok(Some((set, targets)))
    }
}
