//! Supervision (督查督办, issue 14) in storage: the escalation records of tasks (提醒, 警示, 督办),
//! each written once per task, period and level, in one transaction with its notices to the
//! unit's reporters and its audit entry (`supervision.issue`); the 督办单 among them and their
//! answers (`supervision.answer`, once, by `planwatch-tasks::Order::answer`'s rules). What is
//! due is `planwatch-tasks::supervision`'s decision (`notices_due`, `notice`); the sweep that
//! asks it is `planwatch-app::supervision`.

use chrono::NaiveDate;
use planwatch_access::Unit;
use planwatch_plan::{Period, Plan};
use planwatch_tasks::{AnswerRefusal, Level, Order, Status};
use serde_json::json;

use crate::audit::{Event, Who, append_audit};
use crate::notices::{audience_binds, audience_sql};
use crate::{Result, Store, StoreError, now, with_db};

/// A record to write: the notice of `level` for `task_id`'s `period`, as worded by
/// `planwatch-tasks::supervision::notice`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSupervision {
    pub task_id: i64,
    pub period: Period,
    pub level: Level,
    /// The task's status at the period.
    pub status: Status,
    pub issued: NaiveDate,
    /// The task's first lead unit.
    pub unit: Unit,
    pub title_zh: String,
    pub title_en: String,
    pub text_zh: String,
    pub text_en: String,
    /// For a 督办单: the day its answer is due.
    pub answer_by: Option<NaiveDate>,
}

/// A unit's answer to a 督办单 as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub text: String,
    /// The day the unit dates its answer.
    pub date: NaiveDate,
    /// Who recorded it (as in the audit log: a user name, `cli:USER` …).
    pub by: String,
    /// When it was recorded, `YYYY-MM-DD HH:MM:SS` UTC.
    pub at: String,
}

/// A 督办单: the day its answer is due, and the answer once given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    pub answer_by: NaiveDate,
    pub answer: Option<StoredAnswer>,
}

/// A supervision record as stored, with its task's words and, for a 督办, the order.
#[derive(Debug, Clone, PartialEq)]
pub struct SupervisionRecord {
    /// The record's id; a 督办单's number too.
    pub id: i64,
    pub task_id: i64,
    /// The task's year, 序号, title and plan clause (by ref).
    pub year: u16,
    pub task_key: String,
    pub task_title: String,
    pub clause: String,
    pub period: Period,
    pub level: Level,
    pub status: Status,
    pub issued: NaiveDate,
    /// The unit it went to: the task's first lead unit.
    pub unit: Unit,
    pub title_zh: String,
    pub title_en: String,
    pub text_zh: String,
    pub text_en: String,
    pub created_at: String,
    /// `Some` for a 督办 record.
    pub order: Option<StoredOrder>,
}

impl SupervisionRecord {
    /// The order as `planwatch-tasks` reasons about it (overdue, answered late, unanswered).
    pub fn as_order(&self) -> Option<Order> {
        self.order.as_ref().map(|order| Order {
            issued: self.issued,
            answer_by: order.answer_by,
            answer: order.answer.as_ref().map(|a| planwatch_tasks::Answer {
                date: a.date,
                text: a.text.clone(),
            }),
        })
    }
}

/// The unanswered 督办单 of `records`, the longest overdue first (then by issue): what
/// `planwatch-tasks`' `unanswered` says of their orders.
pub fn unanswered_orders(records: &[SupervisionRecord]) -> Vec<&SupervisionRecord> {
    let with_orders: Vec<(&SupervisionRecord, Order)> = records
        .iter()
        .filter_map(|r| r.as_order().map(|o| (r, o)))
        .collect();
    let orders: Vec<Order> = with_orders.iter().map(|(_, o)| o.clone()).collect();
    planwatch_tasks::unanswered(&orders)
        .into_iter()
        .filter_map(|open| {
            let at = orders.iter().position(|o| std::ptr::eq(o, open))?;
            Some(with_orders[at].0)
        })
        .collect()
}

/// Which records to list. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct SupervisionFilter {
    /// The task's year.
    pub year: Option<u16>,
    pub unit: Option<Unit>,
    /// Only records to one of these units (a reporter's scope).
    pub units: Option<Vec<Unit>>,
    pub level: Option<Level>,
    /// Only 督办单 not yet answered.
    pub unanswered: bool,
    pub task: Option<i64>,
}

impl SupervisionFilter {
    fn admits(&self, record: &SupervisionRecord) -> bool {
        self.year.is_none_or(|y| y == record.year)
            && self.unit.as_ref().is_none_or(|u| *u == record.unit)
            && self
                .units
                .as_ref()
                .is_none_or(|units| units.contains(&record.unit))
            && self.level.is_none_or(|l| l == record.level)
            && (!self.unanswered
                || record
                    .order
                    .as_ref()
                    .is_some_and(|order| order.answer.is_none()))
    }
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    task_id: i64,
    year: i32,
    seq: String,
    task_title: String,
    clause: String,
    period: i32,
    level: String,
    status: String,
    issued: String,
    unit_kind: String,
    unit_code: String,
    title_zh: String,
    title_en: String,
    text_zh: String,
    text_en: String,
    created_at: String,
    due: Option<String>,
    answer_text: Option<String>,
    answered_on: Option<String>,
    answered_by: Option<String>,
    answered_at: Option<String>,
}

const SELECT_RECORDS: &str = "SELECT r.id, r.task_id, t.year, t.seq, t.title AS task_title,
        t.clause, r.period, r.level, r.status, r.issued, r.unit_kind, r.unit_code, r.title_zh,
        r.title_en, r.text_zh, r.text_en, r.created_at, o.due, o.answer_text, o.answered_on,
        o.answered_by, o.answered_at
    FROM supervision_records r JOIN tasks t ON t.id = r.task_id
    LEFT JOIN supervision_orders o ON o.record_id = r.id
    WHERE r.plan_id = $1 AND ($2 < 0 OR r.task_id = $2) AND ($3 < 0 OR r.id = $3)
    ORDER BY r.issued DESC, r.id DESC";

fn level_of(text: &str) -> Option<Level> {
    Level::ALL.into_iter().find(|l| l.as_str() == text)
}

fn record(row: RecordRow) -> Result<SupervisionRecord> {
    let id = row.id;
    let corrupt = |what: String| StoreError::CorruptSupervision(id, what);
    let day = |text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| corrupt(text.to_owned()))
    };
    let order = match row.due {
        Some(due) => Some(StoredOrder {
            answer_by: day(&due)?,
            answer: match (row.answer_text, row.answered_on) {
                (Some(text), Some(on)) => Some(StoredAnswer {
                    text,
                    date: day(&on)?,
                    by: row.answered_by.unwrap_or_default(),
                    at: row.answered_at.unwrap_or_default(),
                }),
                _ => None,
            },
        }),
        None => None,
    };
    Ok(SupervisionRecord {
        id,
        task_id: row.task_id,
        year: u16::try_from(row.year).map_err(|_| corrupt(row.year.to_string()))?,
        task_key: row.seq,
        task_title: row.task_title,
        clause: row.clause,
        period: Period::from_key(row.period).ok_or_else(|| corrupt(row.period.to_string()))?,
        level: level_of(&row.level).ok_or_else(|| corrupt(row.level.clone()))?,
        status: Status::parse(&row.status).ok_or_else(|| corrupt(row.status.clone()))?,
        issued: day(&row.issued)?,
        unit: Unit::from_parts(&row.unit_kind, &row.unit_code)
            .ok_or_else(|| corrupt(format!("{}:{}", row.unit_kind, row.unit_code)))?,
        title_zh: row.title_zh,
        title_en: row.title_en,
        text_zh: row.text_zh,
        text_en: row.text_en,
        created_at: row.created_at,
        order,
    })
}

impl Store {
    /// Writes the records not written before (one per task, period and level; the others are
    /// skipped), each in the same transaction as its 督办单 (for an order), its notices to the
    /// unit's active reporters (kind `supervision`) and its audit entry (`supervision.issue`).
    /// Returns how many records were new.
    pub async fn record_supervision(
        &self,
        who: &Who,
        plan: &Plan,
        records: &[NewSupervision],
    ) -> Result<u64> {
        let at = now();
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let mut written = 0;
            for new in records {
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO supervision_records (plan_id, task_id, period, level, status,
                       issued, unit_kind, unit_code, title_zh, title_en, text_zh, text_en,
                       created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                     ON CONFLICT DO NOTHING RETURNING id",
                )
                .bind(&plan.id)
                .bind(new.task_id)
                .bind(new.period.key())
                .bind(new.level.as_str())
                .bind(new.status.as_str())
                .bind(new.issued.to_string())
                .bind(new.unit.kind())
                .bind(new.unit.code())
                .bind(&new.title_zh)
                .bind(&new.title_en)
                .bind(&new.text_zh)
                .bind(&new.text_en)
                .bind(&at)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else {
                    continue;
                };
                written += 1;
                if let Some(due) = new.answer_by {
                    sqlx::query("INSERT INTO supervision_orders (record_id, due) VALUES ($1, $2)")
                        .bind(id)
                        .bind(due.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
                let audience = planwatch_workflow::notice::Audience::Reporters(new.unit.clone());
                let (role, kind, code) = audience_binds(&audience);
                let told = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO notices (user_id, plan_id, kind, unit_kind, unit_code, period,
                       due, subject_zh, subject_en, text_zh, text_en, created_at, supervision_id)
                     SELECT u.id, $4, 'supervision', $2, $3, $5, $6, $7, $8, $9, $10, $11, $12 {}",
                    audience_sql()
                )))
                .bind(role)
                .bind(kind)
                .bind(code)
                .bind(&plan.id)
                .bind(new.period.key())
                .bind(new.answer_by.map(|d| d.to_string()))
                .bind(&new.title_zh)
                .bind(&new.title_en)
                .bind(&new.text_zh)
                .bind(&new.text_en)
                .bind(&at)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let event = Event::new(
                    "supervision.issue",
                    format!("supervision:{id}"),
                    json!({
                        "plan": plan.id,
                        "task": new.task_id,
                        "period": new.period.to_string(),
                        "level": new.level.as_str(),
                        "status": new.status.as_str(),
                        "unit": new.unit.to_string(),
                        "issued": new.issued.to_string(),
                        "answer_by": new.answer_by.map(|d| d.to_string()),
                        "notices": told,
                    }),
                );
                append_audit!(tx, who, &event);
            }
            tx.commit().await?;
            written
        }))
    }

    async fn supervision_rows(
        &self,
        plan: &Plan,
        task: Option<i64>,
        id: Option<i64>,
    ) -> Result<Vec<SupervisionRecord>> {
        let rows: Vec<RecordRow> = with_db!(&self.db, |pool| {
            sqlx::query_as(SELECT_RECORDS)
                .bind(&plan.id)
                .bind(task.unwrap_or(-1))
                .bind(id.unwrap_or(-1))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(record).collect()
    }

    /// The plan's supervision records that `filter` admits, the latest issued first.
    pub async fn supervision(
        &self,
        plan: &Plan,
        filter: &SupervisionFilter,
    ) -> Result<Vec<SupervisionRecord>> {
        let mut records = self.supervision_rows(plan, filter.task, None).await?;
        records.retain(|r| filter.admits(r));
        Ok(records)
    }

    /// The supervision records of task `task_id` (its history of notices, with the orders and
    /// their answers), the latest issued first — for the task's page.
    pub async fn supervision_of_task(
        &self,
        plan: &Plan,
        task_id: i64,
    ) -> Result<Vec<SupervisionRecord>> {
        self.supervision_rows(plan, Some(task_id), None).await
    }

    /// The record `id` of `plan`, if there is one.
    pub async fn supervision_record(
        &self,
        plan: &Plan,
        id: i64,
    ) -> Result<Option<SupervisionRecord>> {
        Ok(self.supervision_rows(plan, None, Some(id)).await?.pop())
    }

    /// Records the unit's answer to 督办单 `id`, by [`Order::answer`]'s rules (once, with a
    /// text, not dated before the order), audited as `supervision.answer`. The caller has asked
    /// the policy whether `who` may answer for the order's unit.
    pub async fn answer_order(
        &self,
        who: &Who,
        plan: &Plan,
        id: i64,
        date: NaiveDate,
        text: &str,
    ) -> Result<SupervisionRecord> {
        let record = self
            .supervision_record(plan, id)
            .await?
            .filter(|r| r.order.is_some())
            .ok_or(StoreError::UnknownOrder(id))?;
        let mut order = record.as_order().ok_or(StoreError::UnknownOrder(id))?;
        order.answer(date, text)?;
        let answer = order
            .answer
            .as_ref()
            .map(|a| a.text.clone())
            .unwrap_or_default();
        let at = now();
        let answered = with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE supervision_orders SET answer_text = $1, answered_on = $2,
                   answered_by = $3, answered_at = $4
                 WHERE record_id = $5 AND answered_on IS NULL",
            )
            .bind(&answer)
            .bind(date.to_string())
            .bind(&who.actor)
            .bind(&at)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 1 {
                let event = Event::new(
                    "supervision.answer",
                    format!("supervision:{id}"),
                    json!({
                        "plan": plan.id,
                        "task": record.task_id,
                        "unit": record.unit.to_string(),
                        "date": date.to_string(),
                        "text": answer,
                        "late": order.answered_late(),
                    }),
                );
                append_audit!(tx, who, &event);
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            changed == 1
        });
        let stored = self
            .supervision_record(plan, id)
            .await?
            .ok_or(StoreError::UnknownOrder(id))?;
        if !answered {
            // Someone answered meanwhile.
            let on = stored
                .order
                .as_ref()
                .and_then(|o| o.answer.as_ref())
                .map_or(date, |a| a.date);
            return Err(AnswerRefusal::Answered(on).into());
        }
        Ok(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(level: Level, answered: bool) -> SupervisionRecord {
        let day = |d: u32| NaiveDate::from_ymd_opt(2024, 10, d).unwrap();
        SupervisionRecord {
            id: 1,
            task_id: 7,
            year: 2024,
            task_key: "1".into(),
            task_title: "推进春熙路商圈品质提升".into(),
            clause: "5.4.2".into(),
            period: Period::Quarter(2024, 3),
            level,
            status: Status::Serious,
            issued: day(15),
            unit: Unit::Department("commerce".into()),
            title_zh: String::new(),
            title_en: String::new(),
            text_zh: String::new(),
            text_en: String::new(),
            created_at: String::new(),
            order: (level == Level::Order).then(|| StoredOrder {
                answer_by: day(25),
                answer: answered.then(|| StoredAnswer {
                    text: "已整改".into(),
                    date: day(20),
                    by: "commerce".into(),
                    at: String::new(),
                }),
            }),
        }
    }

    #[test]
    fn the_filter_admits_by_year_unit_scope_level_and_answer() {
        let order = stored(Level::Order, false);
        let answered = stored(Level::Order, true);
        let reminder = stored(Level::Reminder, false);
        let all = SupervisionFilter::default();
        assert!(all.admits(&order) && all.admits(&reminder));
        let open = SupervisionFilter {
            unanswered: true,
            ..SupervisionFilter::default()
        };
        assert!(open.admits(&order) && !open.admits(&answered) && !open.admits(&reminder));
        let elsewhere = SupervisionFilter {
            units: Some(vec![Unit::Region("510104".into())]),
            ..SupervisionFilter::default()
        };
        assert!(!elsewhere.admits(&order));
        let other_year = SupervisionFilter {
            year: Some(2025),
            ..SupervisionFilter::default()
        };
        assert!(!other_year.admits(&order));
        let warnings = SupervisionFilter {
            level: Some(Level::Warning),
            ..SupervisionFilter::default()
        };
        assert!(!warnings.admits(&reminder));
        assert_eq!(answered.as_order().unwrap().answer.unwrap().text, "已整改");
        assert_eq!(reminder.as_order(), None);
    }

    #[test]
    fn unanswered_orders_come_longest_overdue_first() {
        let mut later = stored(Level::Order, false);
        later.id = 2;
        if let Some(order) = later.order.as_mut() {
            order.answer_by = NaiveDate::from_ymd_opt(2024, 11, 30).unwrap();
        }
        let earlier = stored(Level::Order, false);
        let answered = stored(Level::Order, true);
        let reminder = stored(Level::Reminder, false);
        let records = [later, reminder, answered, earlier];
        let open: Vec<i64> = unanswered_orders(&records).iter().map(|r| r.id).collect();
        assert_eq!(open, vec![1, 2]);
        assert_eq!(unanswered_orders(&records)[0].order, records[3].order);
    }
}
