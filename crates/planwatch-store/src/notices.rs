//! Notices in storage: each user's bell, and the outbox of their mail. Who is told what is
//! `planwatch-workflow::notice`'s decision; here a move's notices are written inside the move's
//! transaction ([`insert_notices!`], called by the submissions' moves), the deadline sweep's
//! once per user, unit, figure and kind (a unique index), and marking read is audited. The mail
//! outbox is the notices themselves: [`Store::claim_mail`] hands a delivery task the next notice
//! to send (claiming it, so that two servers on one database do not both send it), and
//! [`Store::mail_sent`] / [`Store::mail_failed`] record the outcome.

use chrono::NaiveDate;
use planwatch_access::Unit;
use planwatch_plan::{Period, Plan};
use planwatch_workflow::notice::{Audience, DeadlineNotice, NoticeKind};
use serde_json::json;

use crate::audit::{Event, Who, append_audit};
use crate::{Result, Store, StoreError, now, with_db};

/// A notice as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredNotice {
    pub id: i64,
    /// The recipient's user name.
    pub recipient: String,
    pub kind: NoticeKind,
    /// The submission it is about (a move's notice).
    pub submission_id: Option<i64>,
    /// The unit of the submission or of the figure owed.
    pub unit: Unit,
    /// The figure owed (a deadline notice): indicator, region, period and due date.
    pub indicator: Option<String>,
    pub region: Option<String>,
    pub period: Option<Period>,
    pub due: Option<String>,
    pub subject_zh: String,
    pub subject_en: String,
    pub text_zh: String,
    pub text_en: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub created_at: String,
    pub read_at: Option<String>,
}

/// A notice to mail: its id, the address, the subject and text in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailItem {
    pub id: i64,
    pub attempt: i32,
    pub to: String,
    pub recipient: String,
    pub subject_zh: String,
    pub subject_en: String,
    pub text_zh: String,
    pub text_en: String,
    /// When the mail is to be tried again if this try fails (`YYYY-MM-DD HH:MM:SS`, UTC).
    pub retry_at: String,
}

/// How long a claimed mail is left to the server that claimed it (ten minutes), whatever its
/// backoff: longer than a send may take (a delivery gives up after [`MAIL_SEND_LIMIT_SECS`]),
/// so that another server on the store does not send it too while the first is still at it.
/// A failed try makes it due at its backoff again ([`Store::mail_failed`]); a server that stops
/// mid-try leaves it to be tried after the lease.
pub const MAIL_LEASE_SECS: i64 = 600;

/// The longest a delivery task may spend on one mail before giving the try up as failed.
pub const MAIL_SEND_LIMIT_SECS: u64 = 300;

/// How many times a notice's mail is tried before it is given up (its error kept).
pub const MAIL_ATTEMPTS: i32 = 8;

/// Notices older than this many hours are not mailed: a server started with a relay for the
/// first time does not send the whole history.
pub const MAIL_MAX_AGE_HOURS: i64 = 48;

/// The wait before try `attempt` + 1 after `attempt` failed: `first` (30 s by default),
/// doubling, at most an hour.
pub fn mail_backoff(attempt: i32, first: chrono::Duration) -> chrono::Duration {
    let seconds = first
        .num_seconds()
        .max(1)
        .saturating_mul(1i64 << attempt.clamp(0, 20));
    chrono::Duration::seconds(seconds.min(3600))
}

/// The users an audience is: `$1` role, and with `$2`/`$3` (unit kind and code, both NULL for
/// the plan office) the reporters of that unit. Active accounts only.
const AUDIENCE: &str = "FROM users u WHERE u.active AND u.role = $1
    AND ($2 IS NULL OR EXISTS (SELECT 1 FROM user_units uu
        WHERE uu.user_id = u.id AND uu.kind = $2 AND uu.code = $3))";

/// `(role, unit kind, unit code)` of an audience, as [`AUDIENCE`] binds them.
pub(crate) fn audience_binds(audience: &Audience) -> (&'static str, Option<&str>, Option<&str>) {
    match audience {
        Audience::PlanOffice => ("planner", None, None),
        Audience::Reporters(unit) => ("reporter", Some(unit.kind()), Some(unit.code())),
    }
}

/// Inside the transaction `$tx`, writes `$notice` (a `planwatch_workflow::notice::Notice`) of
/// submission `$id` of `$unit` for every user of its audience; with `progress` first, of the
/// progress report `$id` (issue 14).
macro_rules! insert_notices {
    ($tx:expr, $plan:expr, $id:expr, $unit:expr, $notice:expr) => {
        $crate::notices::insert_notices!(@column "submission_id", $tx, $plan, $id, $unit, $notice)
    };
    (progress, $tx:expr, $plan:expr, $id:expr, $unit:expr, $notice:expr) => {
        $crate::notices::insert_notices!(@column "progress_id", $tx, $plan, $id, $unit, $notice)
    };
    (@column $column:literal, $tx:expr, $plan:expr, $id:expr, $unit:expr, $notice:expr) => {{
        let notice: &planwatch_workflow::notice::Notice = $notice;
        let (role, kind, code) = $crate::notices::audience_binds(&notice.audience);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            concat!(
                "INSERT INTO notices (user_id, plan_id, kind, ",
                $column,
                ", unit_kind, unit_code,
               subject_zh, subject_en, text_zh, text_en, created_at)
             SELECT u.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 {}"
            ),
            $crate::notices::audience_sql()
        )))
        .bind(role)
        .bind(kind)
        .bind(code)
        .bind(&$plan.id)
        .bind(notice.kind.as_str())
        .bind($id)
        .bind($unit.kind())
        .bind($unit.code())
        .bind(&notice.text.subject_zh)
        .bind(&notice.text.subject_en)
        .bind(&notice.text.zh)
        .bind(&notice.text.en)
        .bind($crate::now())
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use insert_notices;

pub(crate) fn audience_sql() -> &'static str {
    AUDIENCE
}

type NoticeRecord = (
    i64,
    String,
    String,
    Option<i64>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i32>,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

const NOTICE_COLUMNS: &str = "n.id, u.name, n.kind, n.submission_id, n.unit_kind, n.unit_code,
    n.indicator, n.region, n.period, n.due, n.subject_zh, n.subject_en, n.text_zh, n.text_en,
    n.created_at, n.read_at";

fn stored(record: NoticeRecord) -> Result<StoredNotice> {
    let id = record.0;
    let corrupt = |what: String| StoreError::CorruptNotice(id, what);
    Ok(StoredNotice {
        id,
        recipient: record.1,
        kind: record.2.parse().map_err(corrupt)?,
        submission_id: record.3,
        unit: Unit::from_parts(&record.4, &record.5).ok_or_else(|| corrupt(record.4.clone()))?,
        indicator: record.6,
        region: record.7,
        period: match record.8 {
            Some(key) => Some(Period::from_key(key).ok_or_else(|| corrupt(key.to_string()))?),
            None => None,
        },
        due: record.9,
        subject_zh: record.10,
        subject_en: record.11,
        text_zh: record.12,
        text_en: record.13,
        created_at: record.14,
        read_at: record.15,
    })
}

impl Store {
    /// The notices of user `user` in `plan`, newest first; only the unread with `unread_only`;
    /// at most `limit`.
    pub async fn notices(
        &self,
        plan: &Plan,
        user: &str,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<StoredNotice>> {
        let records: Vec<NoticeRecord> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {NOTICE_COLUMNS} FROM notices n JOIN users u ON u.id = n.user_id
                 WHERE n.plan_id = $1 AND u.name = $2 AND ($3 = FALSE OR n.read_at IS NULL)
                 ORDER BY n.id DESC LIMIT $4"
            )))
            .bind(&plan.id)
            .bind(user)
            .bind(unread_only)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        records.into_iter().map(stored).collect()
    }

    /// The notice `id` (of any user), if there is one in `plan`.
    pub async fn notice(&self, plan: &Plan, id: i64) -> Result<Option<StoredNotice>> {
        let record: Option<NoticeRecord> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {NOTICE_COLUMNS} FROM notices n JOIN users u ON u.id = n.user_id
                 WHERE n.plan_id = $1 AND n.id = $2"
            )))
            .bind(&plan.id)
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        record.map(stored).transpose()
    }

    /// How many notices of user `user` in `plan` are unread.
    pub async fn unread_notices(&self, plan: &Plan, user: &str) -> Result<i64> {
        Ok(with_db!(&self.db, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM notices n JOIN users u ON u.id = n.user_id
                 WHERE n.plan_id = $1 AND u.name = $2 AND n.read_at IS NULL",
            )
            .bind(&plan.id)
            .bind(user)
            .fetch_one(pool)
            .await?
        }))
    }

    /// Marks read the unread notice `id` of user `user` (or, with `None`, all of them) in
    /// `plan`; audited as `notice.read` when any was unread. Returns how many it marked. The
    /// caller has checked that the notice is the user's (the access policy).
    pub async fn mark_notices_read(
        &self,
        who: &Who,
        plan: &Plan,
        user: &str,
        id: Option<i64>,
    ) -> Result<u64> {
        let at = now();
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let marked = sqlx::query(
                "UPDATE notices SET read_at = $1
                 WHERE plan_id = $2 AND read_at IS NULL AND ($4 IS NULL OR id = $4)
                   AND user_id = (SELECT id FROM users WHERE name = $3)",
            )
            .bind(&at)
            .bind(&plan.id)
            .bind(user)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if marked > 0 {
                let event = Event::new(
                    "notice.read",
                    match id {
                        Some(id) => format!("notice:{id}"),
                        None => format!("notices:{user}"),
                    },
                    json!({ "plan": plan.id, "user": user, "count": marked }),
                );
                append_audit!(tx, who, &event);
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            marked
        }))
    }

    /// Writes the deadline notices of a sweep on `today`, each for every active reporter of its
    /// unit who has not had it yet (one per user, unit, figure and kind); audited as
    /// `notice.sweep` with the count when any was new. Returns how many were written.
    pub async fn sweep_notices(
        &self,
        who: &Who,
        plan: &Plan,
        today: NaiveDate,
        notices: &[DeadlineNotice],
    ) -> Result<u64> {
        let at = now();
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let mut written = 0;
            for notice in notices {
                let obligation = &notice.obligation;
                let audience = Audience::Reporters(obligation.unit.clone());
                let (role, kind, code) = audience_binds(&audience);
                written += sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO notices (user_id, plan_id, kind, unit_kind, unit_code, indicator,
                       region, period, due, subject_zh, subject_en, text_zh, text_en, created_at)
                     SELECT u.id, $4, $5, $2, $3, $6, $7, $8, $9, $10, $11, $12, $13, $14 {AUDIENCE}
                     ON CONFLICT DO NOTHING"
                )))
                .bind(role)
                .bind(kind)
                .bind(code)
                .bind(&plan.id)
                .bind(notice.kind.as_str())
                .bind(&obligation.indicator)
                .bind(&obligation.region)
                .bind(obligation.period.key())
                .bind(obligation.due.to_string())
                .bind(&notice.text.subject_zh)
                .bind(&notice.text.subject_en)
                .bind(&notice.text.zh)
                .bind(&notice.text.en)
                .bind(&at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            if written > 0 {
                let event = Event::new(
                    "notice.sweep",
                    format!("plan:{}", plan.id),
                    json!({ "plan": plan.id, "date": today.to_string(), "count": written }),
                );
                append_audit!(tx, who, &event);
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            written
        }))
    }

    /// The next notice to mail now, claimed for this try: one not mailed, younger than
    /// [`MAIL_MAX_AGE_HOURS`], whose user has an address, with tries left and due for one. The
    /// claim (a conditional UPDATE: of several servers at once, one wins) counts the try and
    /// leases the notice for [`MAIL_LEASE_SECS`] or its [`mail_backoff`] (from `retry`),
    /// whichever is longer, so that a server that stops mid-try leaves it to be tried again,
    /// and two servers do not send it both — not even when a send takes longer than the
    /// backoff.
    pub async fn claim_mail(&self, retry: chrono::Duration) -> Result<Option<MailItem>> {
        let now_at = chrono::Utc::now();
        let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
        let oldest = stamp(now_at - chrono::Duration::hours(MAIL_MAX_AGE_HOURS));
        let current = stamp(now_at);
        type Record = (i64, i32, String, String, String, String, String, String);
        loop {
            let next: Option<Record> = with_db!(&self.db, |pool| {
                sqlx::query_as(
                    "SELECT n.id, n.mail_attempts, u.email, u.name, n.subject_zh, n.subject_en,
                            n.text_zh, n.text_en
                     FROM notices n JOIN users u ON u.id = n.user_id
                     WHERE n.mailed_at IS NULL AND n.created_at >= $1 AND n.mail_attempts < $2
                       AND (n.mail_next_at IS NULL OR n.mail_next_at <= $3)
                       AND u.email IS NOT NULL AND u.email <> '' AND u.active
                     ORDER BY n.id LIMIT 1",
                )
                .bind(&oldest)
                .bind(MAIL_ATTEMPTS)
                .bind(&current)
                .fetch_optional(pool)
                .await?
            });
            let Some((id, attempts, to, recipient, subject_zh, subject_en, text_zh, text_en)) =
                next
            else {
                return Ok(None);
            };
            let backoff = mail_backoff(attempts, retry);
            let retry_at = stamp(now_at + backoff);
            let leased_to = stamp(now_at + backoff.max(chrono::Duration::seconds(MAIL_LEASE_SECS)));
            let claimed = with_db!(&self.db, |pool| {
                sqlx::query(
                    "UPDATE notices SET mail_attempts = mail_attempts + 1, mail_next_at = $1
                     WHERE id = $2 AND mail_attempts = $3 AND mailed_at IS NULL",
                )
                .bind(&leased_to)
                .bind(id)
                .bind(attempts)
                .execute(pool)
                .await?
                .rows_affected()
            });
            if claimed == 1 {
                return Ok(Some(MailItem {
                    id,
                    attempt: attempts + 1,
                    to,
                    recipient,
                    subject_zh,
                    subject_en,
                    text_zh,
                    text_en,
                    retry_at,
                }));
            }
            // Another server claimed it first: look for the next.
        }
    }

    /// The relay took the mail of notice `id`.
    pub async fn mail_sent(&self, id: i64) -> Result<()> {
        with_db!(&self.db, |pool| {
            sqlx::query("UPDATE notices SET mailed_at = $1, mail_error = NULL WHERE id = $2")
                .bind(now())
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The mail `item` failed with `error`; it is tried again after its backoff (its
    /// `retry_at`) rather than after the claim's lease.
    pub async fn mail_failed(&self, item: &MailItem, error: &str) -> Result<()> {
        with_db!(&self.db, |pool| {
            sqlx::query(
                "UPDATE notices SET mail_error = $1, mail_next_at = $2
                 WHERE id = $3 AND mail_attempts = $4 AND mailed_at IS NULL",
            )
            .bind(error)
            .bind(&item.retry_at)
            .bind(item.id)
            .bind(item.attempt)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Where notice `id`'s mail stands: (tries, mailed at, last error). For tests and
    /// `planwatch notices list`.
    pub async fn mail_state(&self, id: i64) -> Result<(i32, Option<String>, Option<String>)> {
        Ok(with_db!(&self.db, |pool| {
            sqlx::query_as("SELECT mail_attempts, mailed_at, mail_error FROM notices WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_is_tried_again_after_30_seconds_doubling_up_to_an_hour() {
        let first = chrono::Duration::seconds(30);
        assert_eq!(mail_backoff(0, first).num_seconds(), 30);
        assert_eq!(mail_backoff(1, first).num_seconds(), 60);
        assert_eq!(mail_backoff(3, first).num_seconds(), 240);
        assert_eq!(mail_backoff(7, first).num_seconds(), 3600);
        assert_eq!(mail_backoff(63, first).num_seconds(), 3600);
        assert_eq!(mail_backoff(2, chrono::Duration::zero()).num_seconds(), 4);
    }
}
