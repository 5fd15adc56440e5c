//! The reporting workflow in storage: units' submissions (every version kept), their review,
//! and period locks. Which moves are legal is `planwatch-workflow`'s decision
//! ([`Submission::apply`]); here each move is a conditional update — the state it was decided
//! on, or nothing — with its audit entry in the same transaction, so that of two reviewers at
//! once exactly one succeeds. Approval publishes the rows through the import
//! ([`Store::approve_submission`]).

use planwatch_access::{Actor, Unit};
use planwatch_plan::{ObsStatus, ObservationRow, Period, Plan};
use planwatch_workflow::calendar::Filed;
use planwatch_workflow::{Key, PeriodLock, Status, Step, Submission, SubmissionRow};
use serde_json::json;
use tokio::sync::mpsc;

use crate::audit::{Event, Who, append_audit, sha256_hex};
use crate::import::{BatchInfo, Feed, ImportError, ImportOutcome, ImportSettings};
use crate::notices::insert_notices;
use crate::{Result, Store, StoreError, now, status_code, status_from_code, with_db};
use planwatch_workflow::notice::of_move as notice_of;

/// The value published for the key of the submission row `r`, NULL when none; `$3` is the plan.
/// The value in force, as [`crate::revision_in_force`] defines it: of the key's revisions the
/// one whose batch became known last (ties: the later import), not merely the last imported.
pub(crate) const PUBLISHED: &str = "(SELECT o.value FROM observations o
      JOIN batches b ON b.id = o.batch_id
      JOIN indicators i ON i.id = o.indicator_id JOIN regions g ON g.id = o.region_id
     WHERE o.plan_id = $3 AND i.plan_id = $3 AND i.code = r.indicator AND g.plan_id = $3
       AND g.code = r.region AND o.period = r.period
     ORDER BY b.imported_at DESC, o.revision DESC LIMIT 1)";

/// A submission as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSubmission {
    pub id: i64,
    pub unit: Unit,
    pub status: Status,
    pub version: u32,
    pub file_name: Option<String>,
    pub created_by: String,
    pub created_at: String,
    /// Who last submitted it (or created it, while a draft).
    pub submitted_by: String,
    pub first_submitted_at: Option<String>,
    pub submitted_at: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub revision_reason: Option<String>,
    /// The import batch that published it, once approved.
    pub batch_id: Option<i64>,
    /// Rows of the current version.
    pub rows: u64,
}

impl StoredSubmission {
    /// The workflow's view of it.
    pub fn workflow(&self) -> Submission {
        Submission {
            unit: self.unit.clone(),
            submitter: self.submitted_by.clone(),
            status: self.status,
            version: self.version,
        }
    }
}

/// A row of a stored submission.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSubmissionRow {
    /// The spreadsheet row it came from.
    pub source_row: usize,
    pub row: SubmissionRow,
    pub status: ObsStatus,
    /// The value published for its key when this version was submitted (`None`: none).
    pub base: Option<f64>,
}

/// A reviewer's comment.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SubmissionComment {
    pub version: i32,
    /// `return` or `approve`.
    pub action: String,
    pub author: String,
    pub at: String,
    pub comment: String,
}

/// A period lock as stored: what it locks, who locked it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPeriodLock {
    pub lock: PeriodLock,
    /// The actor, as the audit log names it.
    pub locked_by: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub locked_at: String,
}

/// Which submissions to list; every one when all are `None`.
#[derive(Debug, Clone, Default)]
pub struct SubmissionFilter {
    pub status: Option<Status>,
    pub unit: Option<Unit>,
    /// Submissions with a row of this period.
    pub period: Option<Period>,
}

/// What an import publishing a submission needs: which one, at which version, and the reviewer's
/// comment.
#[derive(Debug, Clone)]
pub(crate) struct Publish {
    pub(crate) id: i64,
    pub(crate) version: u32,
    pub(crate) unit: Unit,
    pub(crate) comment: Option<String>,
}

/// In the import's transaction, before anything is written: the submission moves from
/// submitted to approved — or, when it no longer waits at that version, or when a published
/// value it was compared with has changed since, the import is refused.
macro_rules! start_publishing {
    ($tx:expr, $plan:expr, $publish:expr) => {{
        let updated = sqlx::query(
            "UPDATE submissions SET status = 'approved'
             WHERE id = $1 AND version = $2 AND status = 'submitted'",
        )
        .bind($publish.id)
        .bind($publish.version as i32)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(ImportError::NotWaiting($publish.id));
        }
        let stale: Vec<i32> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT r.row_no FROM submission_rows r
             WHERE r.submission_id = $1 AND r.version = $2 AND r.base IS DISTINCT FROM {}
             ORDER BY r.row_no",
            $crate::submissions::PUBLISHED
        )))
        .bind($publish.id)
        .bind($publish.version as i32)
        .bind(&$plan.id)
        .fetch_all(&mut *$tx)
        .await?;
        if !stale.is_empty() {
            return Err(ImportError::StaleBase {
                id: $publish.id,
                rows: stale.into_iter().map(|row| row as usize).collect(),
            });
        }
    }};
}
pub(crate) use start_publishing;

/// In the import's transaction, as it commits: the submission names its batch, the comment is
/// kept, and the approval is audited.
macro_rules! finish_publishing {
    ($tx:expr, $who:expr, $plan:expr, $publish:expr, $batch_id:expr) => {{
        let at = $crate::now();
        sqlx::query("UPDATE submissions SET batch_id = $1, reviewed_by = $2, reviewed_at = $3 WHERE id = $4")
            .bind($batch_id)
            .bind(&$who.actor)
            .bind(&at)
            .bind($publish.id)
            .execute(&mut *$tx)
            .await?;
        if let Some(comment) = &$publish.comment {
            sqlx::query(
                "INSERT INTO submission_comments (submission_id, version, action, author, at, comment)
                 VALUES ($1, $2, 'approve', $3, $4, $5)",
            )
            .bind($publish.id)
            .bind($publish.version as i32)
            .bind(&$who.actor)
            .bind(&at)
            .bind(comment)
            .execute(&mut *$tx)
            .await?;
        }
        let event = Event::new(
            "submission.approve",
            format!("submission:{}", $publish.id),
            serde_json::json!({
                "plan": $plan.id,
                "unit": $publish.unit.to_string(),
                "version": $publish.version,
                "batch": $batch_id,
                "comment": $publish.comment,
                "before": "submitted",
                "after": "approved",
            }),
        );
        append_audit!($tx, $who, &event);
        if let Some(notice) = planwatch_workflow::notice::of_move(
            $plan,
            $publish.id,
            &$publish.unit,
            planwatch_workflow::Status::Submitted,
            planwatch_workflow::Status::Approved,
            $publish.version,
            $publish.comment.as_deref(),
        ) {
            $crate::notices::insert_notices!($tx, $plan, $publish.id, $publish.unit, &notice);
        }
    }};
}
pub(crate) use finish_publishing;

/// The plan's locks as the import checks rows: (index into `plan.indicators`, `None` for every
/// indicator; year). A lock on an indicator the plan no longer has covers nothing.
pub(crate) fn locked_indicators(
    plan: &Plan,
    locks: Vec<(i32, String)>,
) -> Vec<(Option<usize>, u16)> {
    locks
        .into_iter()
        .filter_map(|(year, indicator)| {
            let year = u16::try_from(year).ok()?;
            if indicator.is_empty() {
                return Some((None, year));
            }
            let index = plan.indicators.iter().position(|i| i.code == indicator)?;
            Some((Some(index), year))
        })
        .collect()
}

type SubmissionRecord = (
    i64,
    String,
    String,
    String,
    i32,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

const SUBMISSION_COLUMNS: &str = "s.id, s.unit_kind, s.unit_code, s.status, s.version, s.file_name,
    s.created_by, s.created_at, s.submitted_by, s.first_submitted_at, s.submitted_at,
    s.reviewed_by, s.reviewed_at, s.revision_reason, s.batch_id,
    (SELECT COUNT(*) FROM submission_rows r WHERE r.submission_id = s.id AND r.version = s.version)";

fn stored(record: SubmissionRecord) -> Result<StoredSubmission> {
    let (id, kind, code, status, version, file_name, created_by, created_at, submitted_by) = (
        record.0, record.1, record.2, record.3, record.4, record.5, record.6, record.7, record.8,
    );
    let corrupt = |what: String| StoreError::CorruptSubmission(id, what);
    Ok(StoredSubmission {
        id,
        unit: Unit::from_parts(&kind, &code).ok_or_else(|| corrupt(kind.clone()))?,
        status: status.parse().map_err(|_| corrupt(status.clone()))?,
        version: u32::try_from(version).map_err(|_| corrupt(version.to_string()))?,
        file_name,
        created_by,
        created_at,
        submitted_by,
        first_submitted_at: record.9,
        submitted_at: record.10,
        reviewed_by: record.11,
        reviewed_at: record.12,
        revision_reason: record.13,
        batch_id: record.14,
        rows: record.15 as u64,
    })
}

/// The audit entry of `before` moving to `after` (at `version`), with the reviewer's comment:
/// `submission.submit`, `submission.withdraw` or `submission.return`.
fn moved(
    plan: &Plan,
    before: &StoredSubmission,
    version: u32,
    after: Status,
    comment: Option<&str>,
) -> Event {
    let action = match after {
        Status::Submitted => "submission.submit",
        Status::Withdrawn => "submission.withdraw",
        Status::Returned => "submission.return",
        Status::Approved => "submission.approve",
        Status::Draft => "submission.edit",
    };
    let mut details = json!({
        "plan": plan.id,
        "unit": before.unit.to_string(),
        "version": version,
        "before": before.status.as_str(),
        "after": after.as_str(),
    });
    if let Some(comment) = comment {
        details["comment"] = json!(comment);
    }
    Event::new(action, format!("submission:{}", before.id), details)
}

/// `row` with the plan's codes for its indicator and region.
pub fn submission_row(plan: &Plan, row: &ObservationRow) -> SubmissionRow {
    SubmissionRow {
        indicator: plan.indicators[row.indicator].code.clone(),
        region: plan.regions[row.region].code.clone(),
        period: row.period,
        value: row.value,
        note: row.note.clone(),
        source: row.source.clone(),
    }
}

/// The rows of `rows` with the plan's codes.
fn coded(plan: &Plan, rows: &[ObservationRow]) -> Vec<(usize, SubmissionRow, ObsStatus)> {
    rows.iter()
        .map(|row| (row.row, submission_row(plan, row), row.status))
        .collect()
}

/// In a move's transaction: the update `$set` (a `SET …` clause without parameters) of the
/// submission `$before`, only while it is at the version and in the state the move was decided
/// on; otherwise the move is refused as changed meanwhile.
macro_rules! update_as_decided {
    ($tx:expr, $set:literal, $before:expr) => {{
        let updated = sqlx::query(concat!(
            "UPDATE submissions ",
            $set,
            " WHERE id = $1 AND version = $2 AND status = $3"
        ))
        .bind($before.id)
        .bind($before.version as i32)
        .bind($before.status.as_str())
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::SubmissionChanged($before.id));
        }
    }};
}

/// Appends `rows` as version `$version` of submission `$id`, and when `$submitted`, records
/// each row's base (the value published for its key now).
macro_rules! insert_rows {
    ($tx:expr, $plan:expr, $id:expr, $version:expr, $rows:expr, $submitted:expr) => {{
        // 11 parameters a row: well under SQLite's 32 766 a statement.
        for (chunk_no, chunk) in $rows.chunks(1000).enumerate() {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO submission_rows (submission_id, version, row_no, source_row, indicator,
                 region, period, value, status, source, note) ",
            );
            insert.push_values(chunk.iter().enumerate(), |mut values, (i, (source_row, row, status))| {
                values
                    .push_bind($id)
                    .push_bind($version as i32)
                    .push_bind((chunk_no * 1000 + i) as i32)
                    .push_bind(*source_row as i32)
                    .push_bind(&row.indicator)
                    .push_bind(&row.region)
                    .push_bind(row.period.key())
                    .push_bind(row.value)
                    .push_bind(status_code(*status))
                    .push_bind(&row.source)
                    .push_bind(&row.note);
            });
            insert.build().execute(&mut *$tx).await?;
        }
        if $submitted {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE submission_rows AS r SET base = {PUBLISHED}
                 WHERE r.submission_id = $1 AND r.version = $2"
            )))
            .bind($id)
            .bind($version as i32)
            .bind(&$plan.id)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

impl Store {
    /// Stores a new submission of `unit` with `rows` (checked by the caller: the import's
    /// validation and the unit's scope), by `actor`: a draft, or submitted at once. Audited as
    /// `submission.create`. Returns its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_submission(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        unit: Unit,
        rows: &[ObservationRow],
        draft: bool,
        file_name: Option<&str>,
        revision_reason: Option<&str>,
    ) -> Result<i64> {
        let submission = Submission::new(actor, unit, draft)?;
        let who = Who::of(actor, client);
        let rows = coded(plan, rows);
        let at = now();
        let submitted_at = (!draft).then_some(at.as_str());
        let submitted = !draft;
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO submissions (plan_id, unit_kind, unit_code, status, version, file_name,
                 created_by, created_at, submitted_by, first_submitted_at, submitted_at, revision_reason)
                 VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $6, $8, $8, $9) RETURNING id",
            )
            .bind(&plan.id)
            .bind(submission.unit.kind())
            .bind(submission.unit.code())
            .bind(submission.status.as_str())
            .bind(file_name)
            .bind(&who.actor)
            .bind(&at)
            .bind(submitted_at)
            .bind(revision_reason)
            .fetch_one(&mut *tx)
            .await?;
            insert_rows!(tx, plan, id, 1u32, rows, submitted);
            let event = Event::new(
                "submission.create",
                format!("submission:{id}"),
                json!({
                    "plan": plan.id,
                    "unit": submission.unit.to_string(),
                    "status": submission.status.as_str(),
                    "rows": rows.len(),
                    "file": file_name,
                    "revision_reason": revision_reason,
                }),
            );
            append_audit!(tx, &who, &event);
            if let Some(notice) = &notice_of(
                plan,
                id,
                &submission.unit,
                Status::Draft,
                submission.status,
                1,
                None,
            ) {
                insert_notices!(tx, plan, id, submission.unit, notice);
            }
            tx.commit().await?;
            id
        }))
    }

    /// The submission `id` of `plan`.
    pub async fn submission(&self, plan: &Plan, id: i64) -> Result<StoredSubmission> {
        let record: Option<SubmissionRecord> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.plan_id = $1 AND s.id = $2"
            )))
            .bind(&plan.id)
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        stored(record.ok_or(StoreError::UnknownSubmission(id))?)
    }

    /// The submissions of `plan` that pass `filter`, oldest first.
    pub async fn submissions(
        &self,
        plan: &Plan,
        filter: &SubmissionFilter,
    ) -> Result<Vec<StoredSubmission>> {
        let records: Vec<SubmissionRecord> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {SUBMISSION_COLUMNS} FROM submissions s
                 WHERE s.plan_id = $1 AND ($2 IS NULL OR s.status = $2)
                   AND ($3 IS NULL OR (s.unit_kind = $3 AND s.unit_code = $4))
                   AND ($5 IS NULL OR EXISTS (SELECT 1 FROM submission_rows r
                        WHERE r.submission_id = s.id AND r.version = s.version AND r.period = $5))
                 ORDER BY s.id"
            )))
            .bind(&plan.id)
            .bind(filter.status.map(Status::as_str))
            .bind(filter.unit.as_ref().map(Unit::kind))
            .bind(filter.unit.as_ref().map(Unit::code))
            .bind(filter.period.map(Period::key))
            .fetch_all(pool)
            .await?
        });
        records.into_iter().map(stored).collect()
    }

    /// What the reporting calendar needs of every submission of `plan` (`planwatch-workflow`'s
    /// `standings`): unit, status, the day it was first submitted, the keys of its current rows.
    pub async fn filed_submissions(&self, plan: &Plan) -> Result<Vec<Filed>> {
        type Record = (
            i64,
            String,
            String,
            String,
            Option<String>,
            String,
            String,
            i32,
        );
        let records: Vec<Record> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT s.id, s.unit_kind, s.unit_code, s.status, s.first_submitted_at,
                        r.indicator, r.region, r.period
                 FROM submissions s JOIN submission_rows r
                   ON r.submission_id = s.id AND r.version = s.version
                 WHERE s.plan_id = $1 ORDER BY s.id, r.row_no",
            )
            .bind(&plan.id)
            .fetch_all(pool)
            .await?
        });
        let mut filed: Vec<(i64, Filed)> = Vec::new();
        for (id, kind, code, status, first, indicator, region, period) in records {
            let corrupt = |what: String| StoreError::CorruptSubmission(id, what);
            let period = Period::from_key(period).ok_or_else(|| corrupt(period.to_string()))?;
            let key = Key {
                indicator,
                region,
                period,
            };
            if let Some((last, submission)) = filed.last_mut()
                && *last == id
            {
                submission.keys.push(key);
                continue;
            }
            let first_submitted = match first {
                Some(at) => Some(
                    chrono::NaiveDate::parse_from_str(at.get(..10).unwrap_or(&at), "%Y-%m-%d")
                        .map_err(|_| corrupt(at.clone()))?,
                ),
                None => None,
            };
            let submission = Filed {
                unit: Unit::from_parts(&kind, &code).ok_or_else(|| corrupt(kind.clone()))?,
                status: status.parse().map_err(|_| corrupt(status.clone()))?,
                first_submitted,
                keys: vec![key],
            };
            filed.push((id, submission));
        }
        Ok(filed
            .into_iter()
            .map(|(_, submission)| submission)
            .collect())
    }

    /// The rows of version `version` of submission `id`, in their order.
    pub async fn submission_rows(&self, id: i64, version: u32) -> Result<Vec<StoredSubmissionRow>> {
        type Record = (
            i32,
            String,
            String,
            i32,
            f64,
            i32,
            Option<String>,
            Option<String>,
            Option<f64>,
        );
        let records: Vec<Record> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT source_row, indicator, region, period, value, status, source, note, base
                 FROM submission_rows WHERE submission_id = $1 AND version = $2 ORDER BY row_no",
            )
            .bind(id)
            .bind(version as i32)
            .fetch_all(pool)
            .await?
        });
        records
            .into_iter()
            .map(
                |(source_row, indicator, region, period, value, status, source, note, base)| {
                    Ok(StoredSubmissionRow {
                        source_row: source_row as usize,
                        row: SubmissionRow {
                            indicator,
                            region,
                            period: Period::from_key(period).ok_or_else(|| {
                                StoreError::CorruptSubmission(id, period.to_string())
                            })?,
                            value,
                            note,
                            source,
                        },
                        status: status_from_code(status),
                        base,
                    })
                },
            )
            .collect()
    }

    /// The reviewers' comments on submission `id`, oldest first.
    pub async fn submission_comments(&self, id: i64) -> Result<Vec<SubmissionComment>> {
        Ok(with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT version, action, author, at, comment FROM submission_comments
                 WHERE submission_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Submission `id` as stored, and as it would be once `actor` did `step` (refused as the
    /// workflow says). The caller writes the move only if the stored state is still the same.
    async fn decide(
        &self,
        actor: &Actor,
        plan: &Plan,
        id: i64,
        step: Step<'_>,
    ) -> Result<(StoredSubmission, Submission)> {
        let before = self.submission(plan, id).await?;
        let mut after = before.workflow();
        after.apply(actor, step)?;
        Ok((before, after))
    }

    /// `actor` returns submission `id` to its unit with `comment`; audited as
    /// `submission.return`.
    pub async fn return_submission(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
        comment: &str,
    ) -> Result<()> {
        let (before, _) = self
            .decide(actor, plan, id, Step::Return { comment })
            .await?;
        let who = Who::of(actor, client);
        let at = now();
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(
                "UPDATE submissions SET status = 'returned', reviewed_by = $1, reviewed_at = $2
                 WHERE id = $3 AND version = $4 AND status = 'submitted'",
            )
            .bind(&who.actor)
            .bind(&at)
            .bind(id)
            .bind(before.version as i32)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::SubmissionChanged(id));
            }
            sqlx::query(
                "INSERT INTO submission_comments (submission_id, version, action, author, at, comment)
                 VALUES ($1, $2, 'return', $3, $4, $5)",
            )
            .bind(id)
            .bind(before.version as i32)
            .bind(&who.actor)
            .bind(&at)
            .bind(comment)
            .execute(&mut *tx)
            .await?;
            let event = moved(
                plan,
                &before,
                before.version,
                Status::Returned,
                Some(comment),
            );
            append_audit!(tx, &who, &event);
            if let Some(notice) = &notice_of(
                plan,
                id,
                &before.unit,
                before.status,
                Status::Returned,
                before.version,
                Some(comment),
            ) {
                insert_notices!(tx, plan, id, before.unit, notice);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// `actor` (the unit) submits submission `id`: a draft as it stands (or with `rows` in
    /// place of its rows), or a returned one corrected — `rows` (or, without, its rows again)
    /// become the next version, the earlier one kept. Audited as `submission.submit`.
    pub async fn submit_submission(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
        rows: Option<&[ObservationRow]>,
    ) -> Result<u32> {
        let (before, submission) = self.decide(actor, plan, id, Step::Submit).await?;
        let who = Who::of(actor, client);
        let at = now();
        let version = submission.version;
        let new_version = version != before.version;
        let rows = rows.map(|rows| coded(plan, rows));
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(
                "UPDATE submissions SET status = 'submitted', version = $1, submitted_by = $2,
                   submitted_at = $3, first_submitted_at = COALESCE(first_submitted_at, $3)
                 WHERE id = $4 AND version = $5 AND status = $6",
            )
            .bind(version as i32)
            .bind(&who.actor)
            .bind(&at)
            .bind(id)
            .bind(before.version as i32)
            .bind(before.status.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::SubmissionChanged(id));
            }
            match &rows {
                Some(rows) => {
                    // In place of a draft's rows, or of a returned submission's edited ones.
                    sqlx::query(
                        "DELETE FROM submission_rows WHERE submission_id = $1 AND version = $2",
                    )
                    .bind(id)
                    .bind(version as i32)
                    .execute(&mut *tx)
                    .await?;
                    insert_rows!(tx, plan, id, version, rows, true);
                }
                None => {
                    // A returned submission: its edited rows ([`Store::edit_submission`]), or
                    // else the returned version's again.
                    if new_version {
                        sqlx::query(
                            "INSERT INTO submission_rows (submission_id, version, row_no, source_row,
                             indicator, region, period, value, status, source, note)
                             SELECT submission_id, $2, row_no, source_row, indicator, region, period,
                               value, status, source, note
                             FROM submission_rows WHERE submission_id = $1 AND version = $3
                               AND NOT EXISTS (SELECT 1 FROM submission_rows e
                                               WHERE e.submission_id = $1 AND e.version = $2)",
                        )
                        .bind(id)
                        .bind(version as i32)
                        .bind(before.version as i32)
                        .execute(&mut *tx)
                        .await?;
                    }
                    let no_rows: Vec<(usize, SubmissionRow, ObsStatus)> = Vec::new();
                    insert_rows!(tx, plan, id, version, no_rows, true);
                }
            }
            let event = moved(plan, &before, version, Status::Submitted, None);
            append_audit!(tx, &who, &event);
            if let Some(notice) = &notice_of(
                plan,
                id,
                &before.unit,
                before.status,
                Status::Submitted,
                version,
                None,
            ) {
                insert_notices!(tx, plan, id, before.unit, notice);
            }
            tx.commit().await?;
        });
        Ok(version)
    }

    /// `actor` (the unit) edits submission `id`: `rows` (checked by the caller, as for
    /// [`Store::create_submission`]) replace a draft's rows, or become a returned submission's
    /// next version — kept apart until it is submitted ([`Store::submit_submission`] sends
    /// them), the version the reviewer saw untouched and the status unchanged. Audited as
    /// `submission.edit`. Returns the version the rows were written as.
    pub async fn edit_submission(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
        rows: &[ObservationRow],
    ) -> Result<u32> {
        let before = self.submission(plan, id).await?;
        let version = before.workflow().may_edit(actor)?;
        let who = Who::of(actor, client);
        let rows = coded(plan, rows);
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            // Nothing changes on the submission itself, but it must still be as decided (and
            // is then, on PostgreSQL, locked against a submit at the same time).
            update_as_decided!(tx, "SET version = version", before);
            sqlx::query("DELETE FROM submission_rows WHERE submission_id = $1 AND version = $2")
                .bind(id)
                .bind(version as i32)
                .execute(&mut *tx)
                .await?;
            insert_rows!(tx, plan, id, version, rows, false);
            let event = Event::new(
                "submission.edit",
                format!("submission:{id}"),
                json!({
                    "plan": plan.id,
                    "unit": before.unit.to_string(),
                    "version": version,
                    "rows": rows.len(),
                    "status": before.status.as_str(),
                }),
            );
            append_audit!(tx, &who, &event);
            tx.commit().await?;
        });
        Ok(version)
    }

    /// The rows a returned submission's unit has edited and not yet submitted (its next
    /// version's); `None` when there are none (or it is not returned).
    pub async fn edited_rows(
        &self,
        submission: &StoredSubmission,
    ) -> Result<Option<Vec<StoredSubmissionRow>>> {
        if submission.status != Status::Returned {
            return Ok(None);
        }
        let rows = self
            .submission_rows(submission.id, submission.version + 1)
            .await?;
        Ok((!rows.is_empty()).then_some(rows))
    }

    /// `actor` (the unit) withdraws submission `id` before review; audited as
    /// `submission.withdraw`.
    pub async fn withdraw_submission(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
    ) -> Result<()> {
        let (before, _) = self.decide(actor, plan, id, Step::Withdraw).await?;
        let who = Who::of(actor, client);
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            update_as_decided!(tx, "SET status = 'withdrawn'", before);
            let event = moved(plan, &before, before.version, Status::Withdrawn, None);
            append_audit!(tx, &who, &event);
            if let Some(notice) = &notice_of(
                plan,
                id,
                &before.unit,
                before.status,
                Status::Withdrawn,
                before.version,
                None,
            ) {
                insert_notices!(tx, plan, id, before.unit, notice);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// `actor` approves submission `id`: its rows are published as one import batch (revisions
    /// where values change, the import's checks), in the transaction that moves it to approved
    /// and appends `submission.approve` to the audit log (after the import's own entry).
    /// Refused by the workflow (four eyes …), when someone else reviewed it first
    /// ([`ImportError::NotWaiting`]), when a value it was compared with was published since
    /// ([`ImportError::StaleBase`]), and when it touches a locked period without a revision
    /// reason ([`ImportError::LockedPeriod`]).
    pub async fn approve_submission(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
        comment: Option<&str>,
        settings: ImportSettings,
    ) -> Result<ImportOutcome, ImportError> {
        let (submission, _) = self.decide(actor, plan, id, Step::Approve).await?;
        let rows = self.submission_rows(id, submission.version).await?;
        let mut resolved = Vec::with_capacity(rows.len());
        for stored in &rows {
            let row = &stored.row;
            let indicator = plan.indicators.iter().position(|i| i.code == row.indicator);
            let region = plan.regions.iter().position(|r| r.code == row.region);
            let (Some(indicator), Some(region)) = (indicator, region) else {
                return Err(StoreError::UnknownTargetKey(
                    row.indicator.clone(),
                    row.region.clone(),
                )
                .into());
            };
            resolved.push(ObservationRow {
                row: stored.source_row,
                indicator,
                region,
                period: row.period,
                value: row.value,
                status: stored.status,
                source: row.source.clone(),
                note: row.note.clone(),
            });
        }
        let checksum = sha256_hex(format!("{id}/{}/{resolved:?}", submission.version).as_bytes());
        let (sender, receiver) = mpsc::channel(2);
        sender
            .try_send(Feed::Rows(resolved))
            .and_then(|()| sender.try_send(Feed::Finish { checksum }))
            .map_err(|e| StoreError::Task(e.to_string()))?;
        let who = Who::of(actor, client);
        let batch = BatchInfo {
            file_name: submission.file_name.clone().map_or_else(
                || format!("submission {id} v{}", submission.version),
                |file| format!("submission {id} v{} ({file})", submission.version),
            ),
            imported_by: who.actor.clone(),
            known_since: None,
            revision_reason: submission.revision_reason.clone(),
        };
        let publish = Publish {
            id,
            version: submission.version,
            unit: submission.unit.clone(),
            comment: comment.map(str::to_owned),
        };
        let mut first_load = false;
        self.import_in_transaction(
            &who,
            plan,
            batch,
            receiver,
            settings,
            Some(&publish),
            &mut first_load,
        )
        .await
    }

    /// Locks `year` (for `indicator`, or every indicator) in `plan`; audited as `period.lock`.
    /// False when it was locked already (nothing is written).
    pub async fn lock_period(
        &self,
        who: &Who,
        plan: &Plan,
        year: u16,
        indicator: Option<&str>,
    ) -> Result<bool> {
        self.change_lock(who, plan, year, indicator, true).await
    }

    /// Unlocks what [`Store::lock_period`] locked; audited as `period.unlock`. False when it was
    /// not locked.
    pub async fn unlock_period(
        &self,
        who: &Who,
        plan: &Plan,
        year: u16,
        indicator: Option<&str>,
    ) -> Result<bool> {
        self.change_lock(who, plan, year, indicator, false).await
    }

    async fn change_lock(
        &self,
        who: &Who,
        plan: &Plan,
        year: u16,
        indicator: Option<&str>,
        lock: bool,
    ) -> Result<bool> {
        if let Some(code) = indicator
            && !plan.indicators.iter().any(|i| i.code == code)
        {
            return Err(StoreError::UnknownIndicator(code.to_owned()));
        }
        let code = indicator.unwrap_or("");
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let changed = if lock {
                sqlx::query(
                    "INSERT INTO period_locks (plan_id, year, indicator, locked_by, locked_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(&plan.id)
                .bind(i32::from(year))
                .bind(code)
                .bind(&who.actor)
                .bind(now())
                .execute(&mut *tx)
                .await?
            } else {
                sqlx::query(
                    "DELETE FROM period_locks WHERE plan_id = $1 AND year = $2 AND indicator = $3",
                )
                .bind(&plan.id)
                .bind(i32::from(year))
                .bind(code)
                .execute(&mut *tx)
                .await?
            }
            .rows_affected()
                > 0;
            if changed {
                let event = Event::new(
                    if lock { "period.lock" } else { "period.unlock" },
                    format!(
                        "period:{year}{}",
                        indicator.map(|c| format!("/{c}")).unwrap_or_default()
                    ),
                    json!({ "plan": plan.id, "year": year, "indicator": indicator }),
                );
                append_audit!(tx, who, &event);
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            changed
        }))
    }

    /// The locked periods of `plan`, by year.
    pub async fn period_locks(&self, plan: &Plan) -> Result<Vec<PeriodLock>> {
        Ok(self
            .stored_period_locks(plan)
            .await?
            .into_iter()
            .map(|stored| stored.lock)
            .collect())
    }

    /// The locked periods of `plan`, by year (every indicator before one), with who locked
    /// each and when.
    pub async fn stored_period_locks(&self, plan: &Plan) -> Result<Vec<StoredPeriodLock>> {
        let locks: Vec<(i32, String, String, String)> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT year, indicator, locked_by, locked_at FROM period_locks
                 WHERE plan_id = $1 ORDER BY year, indicator",
            )
            .bind(&plan.id)
            .fetch_all(pool)
            .await?
        });
        Ok(locks
            .into_iter()
            .map(|(year, indicator, locked_by, locked_at)| StoredPeriodLock {
                lock: PeriodLock {
                    year: year as u16,
                    indicator: (!indicator.is_empty()).then_some(indicator),
                },
                locked_by,
                locked_at,
            })
            .collect())
    }
}
