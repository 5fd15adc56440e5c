//! Submissions and their states.
//!
//! ```text
//! draft ──submit──► submitted ──approve──► approved
//!   │                 │  │
//!   │                 │  └──return──► returned ──submit (version + 1)──► submitted …
//!   └──withdraw──►  withdrawn ◄──withdraw──┘
//! ```

use std::fmt;
use std::str::FromStr;

use planwatch_access::{Actor, Role, Unit};
use planwatch_plan::Period;
use serde::{Deserialize, Serialize};

/// One figure of a submission.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionRow {
    pub indicator: String,
    pub region: String,
    pub period: Period,
    /// In the indicator's unit.
    pub value: f64,
    pub note: Option<String>,
    pub source: Option<String>,
}

/// What a figure is about: indicator, region and period (the key of a published observation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub indicator: String,
    pub region: String,
    pub period: Period,
}

impl SubmissionRow {
    pub fn key(&self) -> Key {
        Key {
            indicator: self.indicator.clone(),
            region: self.region.clone(),
            period: self.period,
        }
    }
}

/// Pairs of rows (indices, the earlier first) giving the same key different values: the import
/// refuses such a file as a whole, so a submission is checked for them before it is stored.
pub fn conflicting_rows(rows: &[SubmissionRow]) -> Vec<(usize, usize)> {
    let mut first: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
    let mut conflicts = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        match first.entry(row.key()) {
            std::collections::hash_map::Entry::Occupied(seen) => {
                if rows[*seen.get()].value != row.value {
                    conflicts.push((*seen.get(), index));
                }
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(index);
            }
        }
    }
    conflicts
}

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being prepared by the unit (the web form saves as you go); seen by nobody else.
    Draft,
    /// Waiting for review by the plan office.
    Submitted,
    /// Approved and published: its rows are observations.
    Approved,
    /// Sent back to the unit with the reviewer's comment, to correct and submit again.
    Returned,
    /// Taken back by the unit before review.
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Draft,
        Status::Submitted,
        Status::Approved,
        Status::Returned,
        Status::Withdrawn,
    ];

    /// The code used in the store, on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Approved => "approved",
            Status::Returned => "returned",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Draft => "草稿",
            Status::Submitted => "待审核",
            Status::Approved => "已通过",
            Status::Returned => "已退回",
            Status::Withdrawn => "已撤回",
        }
    }

    /// Whether nothing can happen to the submission any more.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Approved | Status::Withdrawn)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is none of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "未知状态“{0}”（可用：draft、submitted、approved、returned、withdrawn）/ unknown status \"{0}\" (one of draft, submitted, approved, returned, withdrawn)"
)]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Status, UnknownStatus> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// What someone does to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// Send a draft, or a returned submission corrected, for review (by the unit).
    Submit,
    /// Take it back before review (by the unit).
    Withdraw,
    /// Approve and publish it (by the plan office, not the submitter).
    Approve,
    /// Send it back with a comment (by the plan office).
    Return { comment: &'a str },
}

impl Step<'_> {
    fn en(self) -> &'static str {
        match self {
            Step::Submit => "submitted",
            Step::Withdraw => "withdrawn",
            Step::Approve => "approved",
            Step::Return { .. } => "returned",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Step::Submit => "报送",
            Step::Withdraw => "撤回",
            Step::Approve => "审核通过",
            Step::Return { .. } => "退回",
        }
    }
}

/// Why a step is refused. `Display` gives Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("请先登录 / sign in first")]
    SignInRequired,
    #[error("账户已停用 / the account is disabled")]
    AccountDisabled,
    #[error("“{status_zh}”状态的报送不能{step_zh} / a {status} submission cannot be {step}")]
    Illegal {
        status: Status,
        status_zh: &'static str,
        step: &'static str,
        step_zh: &'static str,
    },
    #[error("您不是{unit}的填报员 / you do not report for {unit}")]
    NotYourUnit { unit: Unit },
    #[error(
        "只有规划办（planner）可以审核报送 / only the plan office (planner) reviews submissions"
    )]
    NotReviewer,
    #[error(
        "双人复核：报送人 {submitter} 不能审核通过自己的报送，须由另一位规划办人员审核 / four eyes: {submitter} submitted it and cannot approve it; another planner must"
    )]
    OwnSubmission { submitter: String },
    #[error("退回须附审核意见 / returning a submission needs a comment")]
    CommentRequired,
}

/// A submission as the workflow sees it: whose it is, who last submitted it, where it stands and
/// which version it is at (each resubmission after a return is a new version; the store keeps
/// the earlier ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub unit: Unit,
    /// The audit label of who last submitted it (or created it, while a draft).
    pub submitter: String,
    pub status: Status,
    pub version: u32,
}

impl Submission {
    /// A new submission of `unit` by `actor`: a draft, or submitted at once (an upload).
    pub fn new(actor: &Actor, unit: Unit, draft: bool) -> Result<Submission, Refusal> {
        check_active(actor)?;
        check_unit(actor, &unit)?;
        Ok(Submission {
            unit,
            submitter: actor.label(),
            status: if draft {
                Status::Draft
            } else {
                Status::Submitted
            },
            version: 1,
        })
    }

    /// Whether `actor` may edit the rows — the unit, while a draft or returned — and which
    /// version the edited rows are: a draft's own (they replace its rows), or a returned
    /// submission's next (the version the reviewer saw is kept; submitting sends the edited
    /// rows). Editing moves nothing: the status stays.
    pub fn may_edit(&self, actor: &Actor) -> Result<u32, Refusal> {
        check_active(actor)?;
        check_unit(actor, &self.unit)?;
        match self.status {
            Status::Draft => Ok(self.version),
            Status::Returned => Ok(self.version + 1),
            status => Err(Refusal::Illegal {
                status,
                status_zh: status.label_zh(),
                step: "edited",
                step_zh: "修改",
            }),
        }
    }

    /// `actor` does `step`: the new status, or why not (the submission is then unchanged).
    pub fn apply(&mut self, actor: &Actor, step: Step<'_>) -> Result<Status, Refusal> {
        check_active(actor)?;
        let legal = matches!(
            (self.status, step),
            (Status::Draft | Status::Returned, Step::Submit)
                | (Status::Draft | Status::Submitted, Step::Withdraw)
                | (Status::Submitted, Step::Approve | Step::Return { .. })
        );
        if !legal {
            return Err(Refusal::Illegal {
                status: self.status,
                status_zh: self.status.label_zh(),
                step: step.en(),
                step_zh: step.zh(),
            });
        }
        match step {
            Step::Submit | Step::Withdraw => check_unit(actor, &self.unit)?,
            Step::Approve => {
                check_reviewer(actor)?;
                if actor.label() == self.submitter {
                    return Err(Refusal::OwnSubmission {
                        submitter: self.submitter.clone(),
                    });
                }
            }
            Step::Return { comment } => {
                check_reviewer(actor)?;
                if comment.trim().is_empty() {
                    return Err(Refusal::CommentRequired);
                }
            }
        }
        let next = match step {
            Step::Submit => {
                if self.status == Status::Returned {
                    self.version += 1;
                }
                self.submitter = actor.label();
                Status::Submitted
            }
            Step::Withdraw => Status::Withdrawn,
            Step::Approve => Status::Approved,
            Step::Return { .. } => Status::Returned,
        };
        self.status = next;
        Ok(next)
    }
}

fn check_active(actor: &Actor) -> Result<(), Refusal> {
    match (actor.role(), actor.account()) {
        (None, _) => Err(Refusal::SignInRequired),
        (_, Some(account)) if !account.active => Err(Refusal::AccountDisabled),
        _ => Ok(()),
    }
}

/// The unit's own reporters submit and withdraw; an administrator (the command line) may act on
/// a unit's behalf.
fn check_unit(actor: &Actor, unit: &Unit) -> Result<(), Refusal> {
    match (actor.role(), actor.account()) {
        (Some(Role::Admin), _) => Ok(()),
        (Some(Role::Reporter), Some(account)) if account.units.contains(unit) => Ok(()),
        _ => Err(Refusal::NotYourUnit { unit: unit.clone() }),
    }
}

/// The plan office reviews: planners, and administrators (the command line included).
fn check_reviewer(actor: &Actor) -> Result<(), Refusal> {
    match actor.role() {
        Some(Role::Planner | Role::Admin) => Ok(()),
        _ => Err(Refusal::NotReviewer),
    }
}

#[cfg(test)]
mod tests;
