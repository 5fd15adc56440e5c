//! The reporting workflow of Planwatch (issue 13), pure: no I/O, no async. The store keeps what
//! this crate decides; the command line and the web ask it.
//!
//! - [`submission`] — a unit's [`Submission`] of [`SubmissionRow`]s, its [`Status`] and the one
//!   function of its transitions ([`Submission::apply`]) that refuses illegal ones with a reason in
//!   Chinese and English, four eyes included.
//! - [`scope`] — rows checked against the submitting unit ("510105 is not one of your regions").
//! - [`changes`] — rows classified against the published values (new, revised, unchanged), the
//!   large-change warning, locked periods ([`PeriodLock`]) and stale bases.
//! - [`rollup`] — roll-up checks ("districts against the city") of the figures a submission
//!   touches, as they would stand after approval.
//! - [`calendar`] — due dates from the plan's reporting calendar, who owes what, what is late and
//!   each unit's on-time rate.
//! - [`notice`] — who is told of a submission's move or a deadline, and the words (Chinese and
//!   English).

pub mod calendar;
pub mod changes;
pub mod notice;
pub mod rollup;
pub mod scope;
pub mod submission;

pub use crate::calendar::{
    DataProviders, Filed, Obligation, OnTimeRate, Published, Standing, StandingOf, Timeliness,
    due_date, obligations, on_time_rate, owed_now, period_end, published_now, standings,
};
pub use crate::changes::{
    Change, ChangeKind, ChangeSummary, PeriodLock, classify, is_locked, stale_rows,
};
pub use crate::rollup::{Rollup, RollupStatus, judge, rollup_keys, rollups};
pub use crate::scope::{ScopeProblem, check_scope};
pub use crate::submission::{
    Key, Refusal, Status, Step, Submission, SubmissionRow, conflicting_rows,
};
