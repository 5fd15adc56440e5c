//! Planners' assessments in words, for qualitative targets, and the store's latest year.

use planwatch_plan::Plan;
use serde_json::json;

use crate::audit::{Event, Who, append_audit, lock_audit};
use crate::{Result, Store, StoreError, now, with_db};

impl Store {
    /// Records an assessment of `indicator` (a code of `plan`) for `year` on behalf of `who`,
    /// audited as `assessment.add` in the same transaction: the assessment of that indicator and
    /// year in force before (text, by whom, when), if any, and the new text. `assessed_by` is
    /// the name recorded with the assessment.
    pub async fn add_assessment(
        &self,
        who: &Who,
        plan: &Plan,
        indicator: &str,
        year: u16,
        text: &str,
        assessed_by: &str,
    ) -> Result<()> {
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            lock_audit!(tx);
            let before: Option<(String, String, String)> = sqlx::query_as(
                "SELECT a.text, a.assessed_by, a.assessed_at FROM assessments a
                 JOIN indicators i ON i.id = a.indicator_id
                 WHERE a.plan_id = $1 AND i.code = $2 AND a.year = $3
                 ORDER BY a.id DESC LIMIT 1",
            )
            .bind(&plan.id)
            .bind(indicator)
            .bind(i32::from(year))
            .fetch_optional(&mut *tx)
            .await?;
            let inserted = sqlx::query(
                "INSERT INTO assessments (plan_id, indicator_id, year, text, assessed_by, assessed_at)
                 SELECT $1, id, $3, $4, $5, $6 FROM indicators WHERE plan_id = $1 AND code = $2",
            )
            .bind(&plan.id)
            .bind(indicator)
            .bind(i32::from(year))
            .bind(text)
            .bind(assessed_by)
            .bind(now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Err(StoreError::UnknownIndicator(indicator.to_owned()));
            }
            let event = Event::new(
                "assessment.add",
                format!("assessment:{indicator}/{year}"),
                json!({
                    "plan": plan.id,
                    "indicator": indicator,
                    "year": year,
                    "before": before.map(|(text, by, at)| json!({
                        "text": text, "assessed_by": by, "assessed_at": at,
                    })),
                    "after": { "text": text, "assessed_by": assessed_by },
                }),
            );
            append_audit!(tx, who, &event);
            crate::bump_version!(&mut *tx, &plan.id);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The latest assessment of each indicator (code → text) made for `year` or before.
    pub async fn assessments(&self, plan: &Plan, year: u16) -> Result<Vec<(String, String)>> {
        Ok(with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT i.code, a.text FROM assessments a JOIN indicators i ON i.id = a.indicator_id
                 WHERE a.plan_id = $1 AND a.year <= $2
                   AND a.id = (SELECT MAX(b.id) FROM assessments b WHERE b.indicator_id = a.indicator_id
                               AND b.year <= $2)
                 ORDER BY i.code",
            )
            .bind(&plan.id)
            .bind(i32::from(year))
            .fetch_all(pool)
            .await?
        }))
    }

    /// The latest year with a yearly observation of the plan's own region (of any region when it
    /// has none), if any.
    pub async fn latest_year(&self, plan: &Plan) -> Result<Option<u16>> {
        // The plan's own region first: the primary key leads straight to its rows. Only a store
        // without any of them needs the scan of every region's.
        let own: Option<i32> = with_db!(&self.db, |pool| {
            sqlx::query_scalar(
                "SELECT MAX(o.period) FROM observations o
                 WHERE o.plan_id = $1 AND o.indicator_id IN (SELECT id FROM indicators WHERE plan_id = $1)
                   AND o.region_id IN (SELECT id FROM regions WHERE plan_id = $1 AND code = $2)
                   AND o.period % 100 = 0",
            )
            .bind(&plan.id)
            .bind(&plan.region)
            .fetch_one(pool)
            .await?
        });
        let key = match own {
            Some(key) => Some(key),
            None => with_db!(&self.db, |pool| {
                sqlx::query_scalar(
                    "SELECT MAX(o.period) FROM observations o WHERE o.plan_id = $1 AND o.period % 100 = 0",
                )
                .bind(&plan.id)
                .fetch_one(pool)
                .await?
            }),
        };
        Ok(key.map(|k| (k / 100) as u16))
    }
}
