//! Notices: who is told what, and in which words (Chinese and English). A submission's move tells
//! the other side — a submission (or a withdrawal of one waiting for review) tells the plan
//! office's planners, a return or an approval the unit's reporters —, and the reporting calendar
//! tells a unit's reporters of a figure due within [`DUE_SOON_DAYS`] days and of one overdue.
//! The store writes the notices (a move's in the move's transaction); this module only decides.

use std::ops::RangeInclusive;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate};
use planwatch_access::Unit;
use planwatch_plan::Plan;

use crate::calendar::{Obligation, Standing, StandingOf};
use crate::submission::Status;

/// How many days ahead a figure is "due soon".
pub const DUE_SOON_DAYS: u64 = 7;

/// How many days after its due date a missing figure still gets an `overdue` notice: a sweep
/// on a new installation (or after a long pause) does not bury reporters under every figure
/// missed in past years; the 报送情况 page shows those.
pub const OVERDUE_WINDOW_DAYS: u64 = 30;

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// A unit submitted (or resubmitted) a submission: to the plan office.
    Submitted,
    /// A unit withdrew a submission that was waiting for review: to the plan office.
    Withdrawn,
    /// The plan office returned a submission: to the unit.
    Returned,
    /// The plan office approved (published) a submission: to the unit.
    Approved,
    /// A figure the unit owes is due within [`DUE_SOON_DAYS`] days: to the unit.
    DueSoon,
    /// A figure the unit owes is past its due date: to the unit.
    Overdue,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 6] = [
        NoticeKind::Submitted,
        NoticeKind::Withdrawn,
        NoticeKind::Returned,
        NoticeKind::Approved,
        NoticeKind::DueSoon,
        NoticeKind::Overdue,
    ];

    /// As stored and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Submitted => "submitted",
            NoticeKind::Withdrawn => "withdrawn",
            NoticeKind::Returned => "returned",
            NoticeKind::Approved => "approved",
            NoticeKind::DueSoon => "due_soon",
            NoticeKind::Overdue => "overdue",
        }
    }

    /// A short label: (Chinese, English).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            NoticeKind::Submitted => ("待审核", "submitted"),
            NoticeKind::Withdrawn => ("已撤回", "withdrawn"),
            NoticeKind::Returned => ("被退回", "returned"),
            NoticeKind::Approved => ("已通过", "approved"),
            NoticeKind::DueSoon => ("即将到期", "due soon"),
            NoticeKind::Overdue => ("已逾期", "overdue"),
        }
    }
}

impl FromStr for NoticeKind {
    type Err = String;

    fn from_str(text: &str) -> Result<NoticeKind, String> {
        NoticeKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| text.to_owned())
    }
}

/// Who receives a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The plan office: every active planner.
    PlanOffice,
    /// Every active reporter of the unit.
    Reporters(Unit),
}

/// The words of a notice: a subject line and a sentence, each in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeText {
    pub subject_zh: String,
    pub subject_en: String,
    pub zh: String,
    pub en: String,
}

/// A notice to write: what, to whom, in which words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub audience: Audience,
    pub text: NoticeText,
}

/// The name of `unit` in the plan, (Chinese, English); its code when the plan does not know it.
pub fn unit_name(plan: &Plan, unit: &Unit) -> (String, String) {
    let name = match unit {
        Unit::Region(code) => plan
            .regions
            .iter()
            .find(|r| &r.code == code)
            .map(|r| &r.name),
        Unit::Department(code) => plan
            .departments
            .iter()
            .find(|d| &d.code == code)
            .map(|d| &d.name),
    };
    match name {
        Some(name) => (
            name.zh.clone(),
            name.en.clone().unwrap_or_else(|| name.zh.clone()),
        ),
        None => (unit.code().to_owned(), unit.code().to_owned()),
    }
}

/// What a move's notice is about: a submission of figures, or a progress report on a task or a
/// key project (issue 14), named by its title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    Submission(i64),
    Progress { id: i64, title: &'a str },
}

impl Subject<'_> {
    /// Short names: (Chinese, English capitalised, English) — `第 5 号报送`, `Submission 5`.
    fn short(self) -> (String, String, String) {
        match self {
            Subject::Submission(id) => (
                format!("第 {id} 号报送"),
                format!("Submission {id}"),
                format!("submission {id}"),
            ),
            Subject::Progress { id, .. } => (
                format!("第 {id} 号进展报告"),
                format!("Progress report {id}"),
                format!("progress report {id}"),
            ),
        }
    }

    /// Names in a sentence: the short ones, with a progress report's title.
    fn long(self) -> (String, String, String) {
        let (zh, cap, en) = self.short();
        match self {
            Subject::Submission(_) => (zh, cap, en),
            Subject::Progress { title, .. } => (
                format!("{zh}（{title}）"),
                format!("{cap} ({title})"),
                format!("{en} ({title})"),
            ),
        }
    }
}

/// The notice of submission `id` of `unit` moving from `before` to `after` (its version after
/// the move; the reviewer's comment of a return), or `None` when nobody needs telling: a draft
/// saved, a draft withdrawn.
pub fn of_move(
    plan: &Plan,
    id: i64,
    unit: &Unit,
    before: Status,
    after: Status,
    version: u32,
    comment: Option<&str>,
) -> Option<Notice> {
    of_subject_move(
        plan,
        Subject::Submission(id),
        unit,
        before,
        after,
        version,
        comment,
    )
}

/// The notice of `subject` (a submission or a progress report) of `unit` moving from `before`
/// to `after`, by the rules of [`of_move`].
pub fn of_subject_move(
    plan: &Plan,
    subject: Subject<'_>,
    unit: &Unit,
    before: Status,
    after: Status,
    version: u32,
    comment: Option<&str>,
) -> Option<Notice> {
    let (name_zh, name_en) = unit_name(plan, unit);
    let (what_zh, what_cap, what_en) = subject.long();
    let (kind, audience, zh, en) = match after {
        Status::Submitted => (
            NoticeKind::Submitted,
            Audience::PlanOffice,
            format!("{name_zh}提交了{what_zh}（第 {version} 版），请审核。"),
            format!("{name_en} submitted {what_en} (version {version}) for review."),
        ),
        Status::Withdrawn if before == Status::Submitted => (
            NoticeKind::Withdrawn,
            Audience::PlanOffice,
            format!("{name_zh}撤回了待审核的{what_zh}。"),
            format!("{name_en} withdrew {what_en}, which was waiting for review."),
        ),
        Status::Returned => {
            let comment = comment.unwrap_or("").trim();
            (
                NoticeKind::Returned,
                Audience::Reporters(unit.clone()),
                format!("{what_zh}（第 {version} 版）被退回：{comment}"),
                format!("{what_cap} (version {version}) was returned: {comment}"),
            )
        }
        Status::Approved => (
            NoticeKind::Approved,
            Audience::Reporters(unit.clone()),
            match subject {
                Subject::Submission(_) => format!("{what_zh}（第 {version} 版）已审核通过并发布。"),
                Subject::Progress { .. } => format!("{what_zh}（第 {version} 版）已审核通过。"),
            },
            match subject {
                Subject::Submission(_) => {
                    format!("{what_cap} (version {version}) was approved and published.")
                }
                Subject::Progress { .. } => format!("{what_cap} (version {version}) was approved."),
            },
        ),
        Status::Withdrawn | Status::Draft => return None,
    };
    let (label_zh, label_en) = kind.label();
    let (short_zh, short_cap, _) = subject.short();
    Some(Notice {
        kind,
        audience,
        text: NoticeText {
            subject_zh: format!("【规划监测】{short_zh}{label_zh}"),
            subject_en: format!("[Planwatch] {short_cap} {label_en}"),
            zh,
            en,
        },
    })
}

/// A deadline notice owed to a unit for one figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineNotice {
    pub kind: NoticeKind,
    pub obligation: Obligation,
    pub text: NoticeText,
}

/// The years whose figures may be due soon or overdue (within the window) on `today`: the
/// calendar's obligations of these years are what a sweep looks at.
pub fn sweep_years(today: NaiveDate) -> RangeInclusive<u16> {
    // A yearly figure is due in the next year at the latest a few months on; two years back
    // covers every rule a plan states (months_after up to 12).
    let first = today.year() - 2;
    let last = today.year();
    let clamp = |year: i32| u16::try_from(year.max(0)).unwrap_or(u16::MAX);
    clamp(first)..=clamp(last)
}

/// The deadline notices owed on `today` from the calendar's `standings`: for every figure a
/// unit still owes (missing, or returned and not resubmitted), `due_soon` when it is due within
/// [`DUE_SOON_DAYS`] days (today included), `overdue` when its due date passed at most
/// [`OVERDUE_WINDOW_DAYS`] days ago. The store writes each at most once per unit, figure and
/// kind, so that a sweep run every hour tells each thing once.
pub fn deadline_notices(
    plan: &Plan,
    standings: &[StandingOf],
    today: NaiveDate,
) -> Vec<DeadlineNotice> {
    let soon = today + Days::new(DUE_SOON_DAYS);
    let window = today - Days::new(OVERDUE_WINDOW_DAYS);
    standings
        .iter()
        .filter(|s| s.standing.is_owed())
        .filter_map(|s| {
            let due = s.obligation.due;
            let kind = if due >= today && due <= soon {
                NoticeKind::DueSoon
            } else if due < today && due >= window {
                NoticeKind::Overdue
            } else {
                return None;
            };
            Some(DeadlineNotice {
                kind,
                text: deadline_text(plan, kind, &s.obligation, s.standing, today),
                obligation: s.obligation.clone(),
            })
        })
        .collect()
}

fn deadline_text(
    plan: &Plan,
    kind: NoticeKind,
    obligation: &Obligation,
    standing: Standing,
    today: NaiveDate,
) -> NoticeText {
    let (name_zh, name_en) = match plan
        .indicators
        .iter()
        .find(|i| i.code == obligation.indicator)
    {
        Some(indicator) => (
            indicator.name.zh.clone(),
            indicator
                .name
                .en
                .clone()
                .unwrap_or_else(|| indicator.name.zh.clone()),
        ),
        None => (obligation.indicator.clone(), obligation.indicator.clone()),
    };
    let (region_zh, region_en) = unit_name(plan, &Unit::Region(obligation.region.clone()));
    let period = obligation.period;
    let due = obligation.due;
    let what_zh = format!("{region_zh} {period}“{name_zh}”");
    let what_en = format!("{name_en} for {region_en}, {period},");
    let returned = matches!(standing, Standing::Returned { .. });
    let (zh, en) = match kind {
        NoticeKind::DueSoon => {
            let days = (due - today).num_days();
            let (in_zh, in_en) = match days {
                0 => ("今天".to_owned(), "today".to_owned()),
                1 => ("还有 1 天".to_owned(), "in 1 day".to_owned()),
                n => (format!("还有 {n} 天"), format!("in {n} days")),
            };
            (
                format!("{what_zh}应于 {due} 前报送（{in_zh}）。"),
                format!("{what_en} is due on {due} ({in_en})."),
            )
        }
        _ => {
            let days = (today - due).num_days();
            let (zh_extra, en_extra) = if returned {
                (
                    "，被退回后尚未重新提交",
                    ", returned and not yet submitted again",
                )
            } else {
                ("", "")
            };
            (
                format!("{what_zh}应于 {due} 前报送，已逾期 {days} 天{zh_extra}。"),
                format!("{what_en} was due on {due}: {days} days overdue{en_extra}."),
            )
        }
    };
    let (label_zh, label_en) = kind.label();
    NoticeText {
        subject_zh: format!("【规划监测】{label_zh}：{name_zh} {period}"),
        subject_en: format!("[Planwatch] {label_en}: {name_en} {period}"),
        zh,
        en,
    }
}

#[cfg(test)]
mod tests;
