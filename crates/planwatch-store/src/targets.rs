//! District (or department) targets: planners' splits of the plan's targets, saved as whole
//! sets. The latest set of a plan is in force; older sets stay as its history.

use std::collections::BTreeMap;

use planwatch_plan::Plan;
use serde_json::json;

use crate::audit::{Event, Who, append_audit, lock_audit};
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
    /// Saves `targets` as the plan's new set on behalf of `who`, in one transaction: either
    /// every row is stored or none (an indicator or region not in the plan stores nothing).
    /// Audited as `targets.load` in that transaction: the set in force before and the new one
    /// (id, description, who set it, number of rows) and every value that changed. `set_by` is
    /// the name recorded with the set. Returns the set's id.
    pub async fn save_region_targets(
        &self,
        who: &Who,
        plan: &Plan,
        description: &str,
        set_by: &str,
        targets: &[RegionTarget],
    ) -> Result<i64> {
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            lock_audit!(tx);
            let before: Option<TargetSet> = sqlx::query_as(LATEST_SET)
                .bind(&plan.id)
                .fetch_optional(&mut *tx)
                .await?;
            let before_rows: Vec<TargetRow> = match &before {
                Some(set) => {
                    sqlx::query_as(SET_ROWS)
                        .bind(set.id)
                        .fetch_all(&mut *tx)
                        .await?
                }
                None => Vec::new(),
            };
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
            let event = Event::new(
                "targets.load",
                format!("target_set:{id}"),
                json!({
                    "plan": plan.id,
                    "before": before.map(|set| json!({
                        "set": set.id,
                        "description": set.description,
                        "set_by": set.set_by,
                        "set_at": set.set_at,
                        "rows": before_rows.len(),
                    })),
                    "after": {
                        "set": id,
                        "description": description,
                        "set_by": set_by,
                        "rows": targets.len(),
                    },
                    "changed": changed_values(&before_rows, targets),
                }),
            );
            append_audit!(tx, who, &event);
            crate::bump_version!(&mut *tx, &plan.id);
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
            sqlx::query_as(LATEST_SET)
                .bind(&plan.id)
                .fetch_optional(pool)
                .await?
        });
        let Some(set) = set else {
            return Ok(None);
        };
        let rows: Vec<TargetRow> = with_db!(&self.db, |pool| {
            sqlx::query_as(SET_ROWS)
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

/// The plan's (`$1`) set in force: the latest saved.
const LATEST_SET: &str = "SELECT id, description, set_by, set_at FROM target_sets
     WHERE plan_id = $1 ORDER BY id DESC LIMIT 1";

/// A stored row of a set: indicator code, target index, region code, value.
type TargetRow = (String, i32, String, f64);

/// The rows of the set `$1`, by indicator, target and region.
const SET_ROWS: &str = "SELECT i.code, t.target, r.code, t.value FROM region_targets t
     JOIN indicators i ON i.id = t.indicator_id JOIN regions r ON r.id = t.region_id
     WHERE t.set_id = $1 ORDER BY i.code, t.target, r.code";

/// Every value that differs between the set in force and the new one, by indicator, target and
/// region: `before` or `after` is null where the set had no such row.
fn changed_values(before: &[TargetRow], after: &[RegionTarget]) -> Vec<serde_json::Value> {
    type Key<'a> = (&'a str, i64, &'a str);
    let mut values: BTreeMap<Key<'_>, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for (indicator, target, region, value) in before {
        values
            .entry((indicator, i64::from(*target), region))
            .or_default()
            .0 = Some(*value);
    }
    for t in after {
        let target = i64::try_from(t.target).unwrap_or(i64::MAX);
        values
            .entry((&t.indicator, target, &t.region))
            .or_default()
            .1 = Some(t.value);
    }
    values
        .into_iter()
        .filter(|(_, (old, new))| old != new)
        .map(|((indicator, target, region), (old, new))| {
            json!({
                "indicator": indicator,
                "target": target,
                "region": region,
                "before": old,
                "after": new,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_values_that_differ_are_listed() {
        let before = vec![
            ("gdp".to_owned(), 0, "a".to_owned(), 1.0),
            ("gdp".to_owned(), 0, "b".to_owned(), 2.0),
            ("gdp".to_owned(), 0, "c".to_owned(), 3.0),
        ];
        let target = |region: &str, value| RegionTarget {
            indicator: "gdp".into(),
            target: 0,
            region: region.into(),
            value,
        };
        let after = [target("a", 1.0), target("b", 2.5), target("d", 4.0)];
        let changed = changed_values(&before, &after);
        assert_eq!(
            changed,
            [
                json!({"indicator": "gdp", "target": 0, "region": "b", "before": 2.0, "after": 2.5}),
                json!({"indicator": "gdp", "target": 0, "region": "c", "before": 3.0, "after": null}),
                json!({"indicator": "gdp", "target": 0, "region": "d", "before": null, "after": 4.0}),
            ]
        );
    }
}
