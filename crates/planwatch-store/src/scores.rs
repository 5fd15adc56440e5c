//! The yearly assessment (年度考核) in storage: planners' bonus and deduction items and frozen
//! results (migration `0018_assessment`). The scores themselves are worked out by
//! `planwatch-app::scoring` on the pure rules of `planwatch-tasks::scoring`; a frozen year's
//! result is kept here as it was, one JSON text per unit, and returned unchanged.

use planwatch_access::Unit;
use planwatch_plan::Plan;
use planwatch_tasks::scoring::AdjustmentKind;
use serde_json::json;

use crate::audit::{Event, Who, append_audit, lock_audit};
use crate::{Result, Store, StoreError, now, with_db};

/// A bonus or deduction as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAdjustment {
    pub id: i64,
    pub year: u16,
    pub unit: Unit,
    pub kind: AdjustmentKind,
    pub points: f64,
    pub reason: String,
    /// The actor, as the audit log names it.
    pub recorded_by: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub recorded_at: String,
}

/// A new bonus or deduction, and the cap of its kind for the year.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAdjustment {
    pub year: u16,
    pub unit: Unit,
    pub kind: AdjustmentKind,
    pub points: f64,
    pub reason: String,
    /// The most points of this kind the unit may have in the year (the scheme's cap).
    pub cap: f64,
}

/// A frozen year: when it was frozen and by whom, the day its data was scored on, and the
/// result, one JSON value per unit in the order given when it was frozen.
#[derive(Debug, Clone, PartialEq)]
pub struct FrozenYear {
    pub year: u16,
    /// The day scored, `YYYY-MM-DD`.
    pub as_of: String,
    pub frozen_by: String,
    pub frozen_at: String,
    pub units: Vec<serde_json::Value>,
}

/// A stored kind.
pub fn adjustment_kind_str(kind: AdjustmentKind) -> &'static str {
    match kind {
        AdjustmentKind::Bonus => "bonus",
        AdjustmentKind::Deduction => "deduction",
    }
}

fn adjustment_kind(text: &str) -> Option<AdjustmentKind> {
    match text {
        "bonus" => Some(AdjustmentKind::Bonus),
        "deduction" => Some(AdjustmentKind::Deduction),
        _ => None,
    }
}

type AdjustmentRecord = (
    i64,
    i32,
    String,
    String,
    String,
    f64,
    String,
    String,
    String,
);

fn stored_adjustment(record: AdjustmentRecord) -> Result<StoredAdjustment> {
    let (id, year, unit_kind, unit_code, kind, points, reason, recorded_by, recorded_at) = record;
    let corrupt = |what: &str| StoreError::CorruptAdjustment(id, what.to_owned());
    Ok(StoredAdjustment {
        id,
        year: u16::try_from(year).map_err(|_| corrupt("year"))?,
        unit: Unit::from_parts(&unit_kind, &unit_code).ok_or_else(|| corrupt(&unit_kind))?,
        kind: adjustment_kind(&kind).ok_or_else(|| corrupt(&kind))?,
        points,
        reason,
        recorded_by,
        recorded_at,
    })
}

const ADJUSTMENT_COLUMNS: &str =
    "id, year, unit_kind, unit_code, kind, points, reason, recorded_by, recorded_at";

impl Store {
    /// Records a bonus or deduction, audited as `score.adjust` in the same transaction. Refused
    /// when the year is frozen ([`StoreError::ScoresFrozen`]), when the points are not more
    /// than 0, or when they would take the unit's points of that kind in the year beyond the
    /// cap ([`StoreError::OverCap`], with what is left). Returns its id.
    pub async fn add_adjustment(
        &self,
        who: &Who,
        plan: &Plan,
        adjustment: &NewAdjustment,
    ) -> Result<i64> {
        let kind = adjustment_kind_str(adjustment.kind);
        let year = i32::from(adjustment.year);
        let id = with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            lock_audit!(tx);
            let frozen: Option<i32> = sqlx::query_scalar(
                "SELECT year FROM score_freezes WHERE plan_id = $1 AND year = $2",
            )
            .bind(&plan.id)
            .bind(year)
            .fetch_optional(&mut *tx)
            .await?;
            if frozen.is_some() {
                return Err(StoreError::ScoresFrozen(adjustment.year));
            }
            let counted: Option<f64> = sqlx::query_scalar(
                "SELECT SUM(points) FROM score_adjustments
                 WHERE plan_id = $1 AND year = $2 AND unit_kind = $3 AND unit_code = $4
                   AND kind = $5",
            )
            .bind(&plan.id)
            .bind(year)
            .bind(adjustment.unit.kind())
            .bind(adjustment.unit.code())
            .bind(kind)
            .fetch_one(&mut *tx)
            .await?;
            let counted = counted.unwrap_or(0.0);
            let left = (adjustment.cap - counted).max(0.0);
            if !(adjustment.points > 0.0 && adjustment.points <= left + 1e-9) {
                return Err(StoreError::OverCap {
                    unit: adjustment.unit.to_string(),
                    points: adjustment.points,
                    cap: adjustment.cap,
                    left,
                });
            }
            let at = now();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO score_adjustments
                   (plan_id, year, unit_kind, unit_code, kind, points, reason, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(&plan.id)
            .bind(year)
            .bind(adjustment.unit.kind())
            .bind(adjustment.unit.code())
            .bind(kind)
            .bind(adjustment.points)
            .bind(&adjustment.reason)
            .bind(&who.actor)
            .bind(&at)
            .fetch_one(&mut *tx)
            .await?;
            let event = Event::new(
                "score.adjust",
                format!("score:{}:{}", adjustment.year, adjustment.unit),
                json!({
                    "plan": plan.id,
                    "id": id,
                    "year": adjustment.year,
                    "unit": adjustment.unit.to_string(),
                    "after": {
                        "kind": kind,
                        "points": adjustment.points,
                        "reason": adjustment.reason,
                    },
                }),
            );
            append_audit!(tx, who, &event);
            crate::bump_version!(&mut *tx, &plan.id);
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Removes the adjustment `id`, audited as `score.adjust.remove` with the row removed.
    /// Refused when its year is frozen; [`StoreError::UnknownAdjustment`] when there is none.
    pub async fn remove_adjustment(&self, who: &Who, plan: &Plan, id: i64) -> Result<()> {
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            lock_audit!(tx);
            let record: Option<AdjustmentRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {ADJUSTMENT_COLUMNS} FROM score_adjustments WHERE plan_id = $1 AND id = $2"
            )))
            .bind(&plan.id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let before = stored_adjustment(record.ok_or(StoreError::UnknownAdjustment(id))?)?;
            let frozen: Option<i32> = sqlx::query_scalar(
                "SELECT year FROM score_freezes WHERE plan_id = $1 AND year = $2",
            )
            .bind(&plan.id)
            .bind(i32::from(before.year))
            .fetch_optional(&mut *tx)
            .await?;
            if frozen.is_some() {
                return Err(StoreError::ScoresFrozen(before.year));
            }
            sqlx::query("DELETE FROM score_adjustments WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let event = Event::new(
                "score.adjust.remove",
                format!("score:{}:{}", before.year, before.unit),
                json!({
                    "plan": plan.id,
                    "id": id,
                    "year": before.year,
                    "unit": before.unit.to_string(),
                    "before": {
                        "kind": adjustment_kind_str(before.kind),
                        "points": before.points,
                        "reason": before.reason,
                        "recorded_by": before.recorded_by,
                        "recorded_at": before.recorded_at,
                    },
                }),
            );
            append_audit!(tx, who, &event);
            crate::bump_version!(&mut *tx, &plan.id);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The adjustments of `year`, in the order recorded.
    pub async fn adjustments(&self, plan: &Plan, year: u16) -> Result<Vec<StoredAdjustment>> {
        let records: Vec<AdjustmentRecord> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {ADJUSTMENT_COLUMNS} FROM score_adjustments
                 WHERE plan_id = $1 AND year = $2 ORDER BY id"
            )))
            .bind(&plan.id)
            .bind(i32::from(year))
            .fetch_all(pool)
            .await?
        });
        records.into_iter().map(stored_adjustment).collect()
    }

    /// Freezes `year` with its result (`units`: each unit and its result as JSON, in order),
    /// scored on `as_of`, audited as `score.freeze` with every unit's total and rank. Refused
    /// when the year is frozen already.
    pub async fn freeze_scores(
        &self,
        who: &Who,
        plan: &Plan,
        year: u16,
        as_of: &str,
        units: &[(Unit, serde_json::Value)],
    ) -> Result<()> {
        let summary: Vec<serde_json::Value> = units
            .iter()
            .map(|(unit, result)| {
                json!({"unit": unit.to_string(), "total": result.get("total"), "rank": result.get("rank")})
            })
            .collect();
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            lock_audit!(tx);
            let inserted = sqlx::query(
                "INSERT INTO score_freezes (plan_id, year, as_of, frozen_by, frozen_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (plan_id, year) DO NOTHING",
            )
            .bind(&plan.id)
            .bind(i32::from(year))
            .bind(as_of)
            .bind(&who.actor)
            .bind(now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Err(StoreError::ScoresFrozen(year));
            }
            for (position, (unit, result)) in units.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO frozen_scores (plan_id, year, position, unit_kind, unit_code, result)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&plan.id)
                .bind(i32::from(year))
                .bind(position as i32)
                .bind(unit.kind())
                .bind(unit.code())
                .bind(result.to_string())
                .execute(&mut *tx)
                .await?;
            }
            let event = Event::new(
                "score.freeze",
                format!("score:{year}"),
                json!({"plan": plan.id, "year": year, "as_of": as_of, "units": summary}),
            );
            append_audit!(tx, who, &event);
            crate::bump_version!(&mut *tx, &plan.id);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Unfreezes `year` (its stored result is deleted; the score is worked out from the data
    /// again), audited as `score.unfreeze` with who had frozen it and when. Returns whether it
    /// was frozen (nothing is written when it was not).
    pub async fn unfreeze_scores(&self, who: &Who, plan: &Plan, year: u16) -> Result<bool> {
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            lock_audit!(tx);
            let before: Option<(String, String, String)> = sqlx::query_as(
                "SELECT as_of, frozen_by, frozen_at FROM score_freezes
                 WHERE plan_id = $1 AND year = $2",
            )
            .bind(&plan.id)
            .bind(i32::from(year))
            .fetch_optional(&mut *tx)
            .await?;
            let Some((as_of, frozen_by, frozen_at)) = before else {
                return Ok(false);
            };
            sqlx::query("DELETE FROM frozen_scores WHERE plan_id = $1 AND year = $2")
                .bind(&plan.id)
                .bind(i32::from(year))
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM score_freezes WHERE plan_id = $1 AND year = $2")
                .bind(&plan.id)
                .bind(i32::from(year))
                .execute(&mut *tx)
                .await?;
            let event = Event::new(
                "score.unfreeze",
                format!("score:{year}"),
                json!({
                    "plan": plan.id,
                    "year": year,
                    "before": {"as_of": as_of, "frozen_by": frozen_by, "frozen_at": frozen_at},
                }),
            );
            append_audit!(tx, who, &event);
            crate::bump_version!(&mut *tx, &plan.id);
            tx.commit().await?;
            true
        }))
    }

    /// The frozen result of `year`, if it is frozen.
    pub async fn frozen_scores(&self, plan: &Plan, year: u16) -> Result<Option<FrozenYear>> {
        let head: Option<(String, String, String)> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT as_of, frozen_by, frozen_at FROM score_freezes
                 WHERE plan_id = $1 AND year = $2",
            )
            .bind(&plan.id)
            .bind(i32::from(year))
            .fetch_optional(pool)
            .await?
        });
        let Some((as_of, frozen_by, frozen_at)) = head else {
            return Ok(None);
        };
        let results: Vec<String> = with_db!(&self.db, |pool| {
            sqlx::query_scalar(
                "SELECT result FROM frozen_scores WHERE plan_id = $1 AND year = $2
                 ORDER BY position",
            )
            .bind(&plan.id)
            .bind(i32::from(year))
            .fetch_all(pool)
            .await?
        });
        let units = results
            .iter()
            .map(|text| {
                serde_json::from_str(text)
                    .map_err(|e| StoreError::CorruptFrozenScores(year, e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(FrozenYear {
            year,
            as_of,
            frozen_by,
            frozen_at,
            units,
        }))
    }

    /// The data quality of the approved submissions with a figure of `year`: for each, its
    /// id, unit, whether it was returned before approval, and whether a later approved
    /// submission of the same unit revised one of its figures.
    pub async fn submission_quality(
        &self,
        plan: &Plan,
        year: u16,
    ) -> Result<Vec<SubmissionQuality>> {
        type Record = (i64, String, String, bool, bool);
        let records: Vec<Record> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT s.id, s.unit_kind, s.unit_code,
                        EXISTS (SELECT 1 FROM submission_comments c
                                WHERE c.submission_id = s.id AND c.action = 'return') AS returned,
                        EXISTS (SELECT 1 FROM submissions t
                                JOIN submission_rows tr ON tr.submission_id = t.id AND tr.version = t.version
                                JOIN submission_rows sr ON sr.submission_id = s.id AND sr.version = s.version
                                 AND sr.indicator = tr.indicator AND sr.region = tr.region
                                 AND sr.period = tr.period
                                WHERE t.plan_id = s.plan_id AND t.status = 'approved' AND t.id > s.id
                                  AND t.unit_kind = s.unit_kind AND t.unit_code = s.unit_code) AS revised
                 FROM submissions s
                 WHERE s.plan_id = $1 AND s.status = 'approved'
                   AND EXISTS (SELECT 1 FROM submission_rows r
                               WHERE r.submission_id = s.id AND r.version = s.version
                                 AND r.period / 100 = $2)
                 ORDER BY s.id",
            )
            .bind(&plan.id)
            .bind(i32::from(year))
            .fetch_all(pool)
            .await?
        });
        records
            .into_iter()
            .map(|(id, kind, code, returned, revised)| {
                Ok(SubmissionQuality {
                    id,
                    unit: Unit::from_parts(&kind, &code)
                        .ok_or_else(|| StoreError::CorruptSubmission(id, kind.clone()))?,
                    returned,
                    revised_after_approval: revised,
                })
            })
            .collect()
    }
}

/// What the assessment's data quality needs of an approved submission.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionQuality {
    pub id: i64,
    pub unit: Unit,
    /// Returned at least once before its approval.
    pub returned: bool,
    /// A later approved submission of the same unit changed one of its figures.
    pub revised_after_approval: bool,
}
