//! Plans in the store: kept whole as JSON, with integer ids for their indicators and regions.

use std::collections::HashMap;

use planwatch_plan::Plan;
use serde_json::json;

use crate::audit::{Event, Who, append_audit, lock_audit, sha256_hex};
use crate::{Result, Store, StoreError, now, with_db};

/// (code, id) pairs.
type CodeIds = Vec<(String, i64)>;

/// A stored plan, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSummary {
    pub id: String,
    pub title: String,
    pub updated_at: String,
}

/// The ids of a plan's indicators and regions, in the plan's order.
#[derive(Debug, Clone)]
pub(crate) struct PlanIds {
    pub(crate) indicators: Vec<i64>,
    pub(crate) regions: Vec<i64>,
}

impl Store {
    /// Saves a plan (a new one, or a new version of one already stored) on behalf of `who`,
    /// audited as `plan.load` in the same transaction (the stored version before, if any, and
    /// the new one: title, SHA-256 of the JSON document, numbers of indicators and regions).
    /// Indicators and regions keep their ids across versions; new ones get new ids.
    pub async fn save_plan(&self, who: &Who, plan: &Plan) -> Result<()> {
        let document = serde_json::to_string(plan)
            .map_err(|e| StoreError::CorruptPlan(plan.id.clone(), e.to_string()))?;
        let after = json!({
            "title": plan.title.zh,
            "sha256": sha256_hex(document.as_bytes()),
            "indicators": plan.indicators.len(),
            "regions": plan.regions.len(),
        });
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            lock_audit!(tx);
            let stored: Option<(String, String, String)> =
                sqlx::query_as("SELECT title, document, updated_at FROM plans WHERE id = $1")
                    .bind(&plan.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let before = stored.map(|(title, document, updated_at)| {
                let counts = serde_json::from_str::<Plan>(&document)
                    .map(|p| (p.indicators.len(), p.regions.len()))
                    .ok();
                json!({
                    "title": title,
                    "sha256": sha256_hex(document.as_bytes()),
                    "indicators": counts.map(|c| c.0),
                    "regions": counts.map(|c| c.1),
                    "updated_at": updated_at,
                })
            });
            sqlx::query(
                "INSERT INTO plans (id, title, document, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, document = excluded.document,
                 updated_at = excluded.updated_at",
            )
            .bind(&plan.id)
            .bind(&plan.title.zh)
            .bind(&document)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            // A new plan's version (see `Store::version`), from 0: ETags name the plan, so its
            // numbers meet no other plan's. A plan saved again keeps its version: a server
            // reads the plan it serves when it starts, and does not follow it.
            sqlx::query(
                "INSERT INTO plan_versions (plan_id, version) VALUES ($1, 0)
                 ON CONFLICT (plan_id) DO NOTHING",
            )
            .bind(&plan.id)
            .execute(&mut *tx)
            .await?;
            for indicator in &plan.indicators {
                sqlx::query("INSERT INTO indicators (plan_id, code) VALUES ($1, $2) ON CONFLICT (plan_id, code) DO NOTHING")
                    .bind(&plan.id)
                    .bind(&indicator.code)
                    .execute(&mut *tx)
                    .await?;
            }
            for region in &plan.regions {
                sqlx::query("INSERT INTO regions (plan_id, code) VALUES ($1, $2) ON CONFLICT (plan_id, code) DO NOTHING")
                    .bind(&plan.id)
                    .bind(&region.code)
                    .execute(&mut *tx)
                    .await?;
            }
            let event = Event::new(
                "plan.load",
                format!("plan:{}", plan.id),
                json!({ "before": before, "after": after }),
            );
            append_audit!(tx, who, &event);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The stored plan with this id.
    pub async fn plan(&self, id: &str) -> Result<Plan> {
        let document: Option<String> = with_db!(&self.db, |pool| {
            sqlx::query_scalar("SELECT document FROM plans WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        let document = document.ok_or_else(|| StoreError::UnknownPlan(id.to_owned()))?;
        serde_json::from_str(&document)
            .map_err(|e| StoreError::CorruptPlan(id.to_owned(), e.to_string()))
    }

    pub async fn plans(&self) -> Result<Vec<PlanSummary>> {
        let rows: Vec<(String, String, String)> = with_db!(&self.db, |pool| {
            sqlx::query_as("SELECT id, title, updated_at FROM plans ORDER BY id")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, title, updated_at)| PlanSummary {
                id,
                title,
                updated_at,
            })
            .collect())
    }

    /// Ids of the plan's indicators and regions, in the plan's order.
    pub(crate) async fn plan_ids(&self, plan: &Plan) -> Result<PlanIds> {
        let (indicators, regions): (CodeIds, CodeIds) = with_db!(&self.db, |pool| {
            let indicators = sqlx::query_as("SELECT code, id FROM indicators WHERE plan_id = $1")
                .bind(&plan.id)
                .fetch_all(pool)
                .await?;
            let regions = sqlx::query_as("SELECT code, id FROM regions WHERE plan_id = $1")
                .bind(&plan.id)
                .fetch_all(pool)
                .await?;
            (indicators, regions)
        });
        let indicators: HashMap<String, i64> = indicators.into_iter().collect();
        let regions: HashMap<String, i64> = regions.into_iter().collect();
        let lookup = |map: &HashMap<String, i64>, code: &str| {
            map.get(code)
                .copied()
                .ok_or_else(|| StoreError::UnknownPlan(plan.id.clone()))
        };
        Ok(PlanIds {
            indicators: plan
                .indicators
                .iter()
                .map(|i| lookup(&indicators, &i.code))
                .collect::<Result<_>>()?,
            regions: plan
                .regions
                .iter()
                .map(|r| lookup(&regions, &r.code))
                .collect::<Result<_>>()?,
        })
    }
}
