//! What a submission changes: each row against the value published for its key when the
//! reviewer looks (new, revised old → new, unchanged), the large-change warning, locked
//! periods, and stale bases (the published value a row was compared with at submission has
//! changed since).

use planwatch_plan::Period;
use serde::{Deserialize, Serialize};

use crate::submission::{Key, SubmissionRow};

/// A locked period: a year, for every indicator or for one. Figures in it change only through a
/// submission flagged as a revision with a reason (or `planwatch import --revise --reason`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PeriodLock {
    pub year: u16,
    /// `None`: every indicator.
    pub indicator: Option<String>,
}

impl PeriodLock {
    /// Whether the lock covers `indicator` in `period` (a year's lock covers its quarters and
    /// months).
    pub fn covers(&self, indicator: &str, period: Period) -> bool {
        self.year == period.year()
            && self
                .indicator
                .as_deref()
                .is_none_or(|code| code == indicator)
    }
}

/// Whether any of `locks` covers `indicator` in `period`.
pub fn is_locked(locks: &[PeriodLock], indicator: &str, period: Period) -> bool {
    locks.iter().any(|lock| lock.covers(indicator, period))
}

/// What a row does to the published figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeKind {
    /// Nothing is published for the key.
    New,
    /// A published value changes.
    Revised {
        old: f64,
        new: f64,
        /// `new - old`.
        difference: f64,
        /// The change in percent of `old` when it is beyond the bound (the large-change
        /// warning); `None` within it.
        large_percent: Option<f64>,
    },
    /// The published value, again.
    Unchanged,
}

/// One row of a submission as a change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The row's index in the submission.
    pub row: usize,
    #[serde(flatten)]
    pub kind: ChangeKind,
    /// The row's period is locked: approving it revises a locked figure.
    pub locked: bool,
}

/// Counts of a submission's changes, for a list or a heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChangeSummary {
    pub new: usize,
    pub revised: usize,
    pub unchanged: usize,
    /// Revisions beyond the large-change bound.
    pub large: usize,
    /// Rows in a locked period.
    pub locked: usize,
}

impl ChangeSummary {
    pub fn of(changes: &[Change]) -> ChangeSummary {
        let mut summary = ChangeSummary::default();
        for change in changes {
            match change.kind {
                ChangeKind::New => summary.new += 1,
                ChangeKind::Revised { large_percent, .. } => {
                    summary.revised += 1;
                    summary.large += usize::from(large_percent.is_some());
                }
                ChangeKind::Unchanged => summary.unchanged += 1,
            }
            summary.locked += usize::from(change.locked);
        }
        summary
    }
}

/// Each row of `rows` against `published` (the value in force for a key, if any): a change
/// beyond `bound_percent` of the old value is flagged as large, as the import flags a large
/// change from the previous period.
pub fn classify(
    rows: &[SubmissionRow],
    published: impl Fn(&Key) -> Option<f64>,
    locks: &[PeriodLock],
    bound_percent: f64,
) -> Vec<Change> {
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            let kind = match published(&row.key()) {
                None => ChangeKind::New,
                Some(old) if old == row.value => ChangeKind::Unchanged,
                Some(old) => {
                    let difference = as_written(row.value - old, &[row.value, old]);
                    let beyond = old != 0.0 && difference.abs() * 100.0 > bound_percent * old.abs();
                    ChangeKind::Revised {
                        old,
                        new: row.value,
                        difference,
                        large_percent: beyond.then(|| difference / old.abs() * 100.0),
                    }
                }
            };
            Change {
                row: index,
                kind,
                locked: is_locked(locks, &row.indicator, row.period),
            }
        })
        .collect()
}

/// The rows whose base — the value published for their key when the submission was submitted,
/// `None` when there was none — differs from the value published now: someone published a figure
/// for the same key since, and the submission needs a fresh review before it may be approved.
pub fn stale_rows<'a>(
    based: impl IntoIterator<Item = (&'a Key, Option<f64>)>,
    published: impl Fn(&Key) -> Option<f64>,
) -> Vec<usize> {
    based
        .into_iter()
        .enumerate()
        .filter(|(_, (key, base))| published(key) != *base)
        .map(|(index, _)| index)
        .collect()
}

/// The decimal places `x` is written with (its shortest representation), at most 9.
fn decimal_places(x: f64) -> i32 {
    let text = format!("{x}");
    let places = text
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    i32::try_from(places.min(9)).unwrap_or(9)
}

/// `x`, the result of adding or subtracting `operands`, rounded to the decimal places they are
/// written with: the difference of 1300.5 and 1134.18 is 166.32, not binary arithmetic's
/// 166.31999999999994.
pub fn as_written(x: f64, operands: &[f64]) -> f64 {
    let places = operands
        .iter()
        .map(|&o| decimal_places(o))
        .max()
        .unwrap_or(0);
    let scale = 10f64.powi(places);
    let rounded = (x * scale).round() / scale;
    if rounded.is_finite() { rounded } else { x }
}

#[cfg(test)]
mod tests {

    #[test]
    fn differences_and_sums_are_written_as_their_operands() {
        assert_eq!(as_written(1300.5 - 1134.18, &[1300.5, 1134.18]), 166.32);
        assert_eq!(as_written(0.1 + 0.2, &[0.1, 0.2]), 0.3);
        assert_eq!(as_written(3.0 - 1.0, &[3.0, 1.0]), 2.0);
        assert_eq!(as_written(1e300 * 10.0, &[1e300]), 1e301);
        let sum: f64 = [10.01, 20.02, 30.03].iter().sum();
        assert_eq!(as_written(sum, &[10.01, 20.02, 30.03]), 60.06);
    }
    use std::collections::HashMap;

    use super::*;

    fn row(indicator: &str, period: Period, value: f64) -> SubmissionRow {
        SubmissionRow {
            indicator: indicator.into(),
            region: "510100".into(),
            period,
            value,
            note: None,
            source: None,
        }
    }

    #[test]
    fn rows_are_new_revised_or_unchanged_with_large_changes_and_locks_flagged() {
        let rows = [
            row("gdp", Period::Year(2023), 100.0),
            row("gdp", Period::Year(2024), 110.0),
            row("gdp", Period::Quarter(2024, 1), 30.0),
            row("share", Period::Year(2024), 40.0),
        ];
        let published: HashMap<Key, f64> = [
            (rows[1].key(), 100.0),
            (rows[2].key(), 18.0),
            (rows[3].key(), 40.0),
        ]
        .into();
        let locks = [PeriodLock {
            year: 2024,
            indicator: Some("gdp".into()),
        }];
        let changes = classify(&rows, |key| published.get(key).copied(), &locks, 50.0);
        let kinds: Vec<_> = changes.iter().map(|c| (c.kind, c.locked)).collect();
        assert_eq!(
            kinds,
            [
                (ChangeKind::New, false),
                (
                    ChangeKind::Revised {
                        old: 100.0,
                        new: 110.0,
                        difference: 10.0,
                        large_percent: None
                    },
                    true
                ),
                (
                    ChangeKind::Revised {
                        old: 18.0,
                        new: 30.0,
                        difference: 12.0,
                        large_percent: Some(12.0 / 18.0 * 100.0)
                    },
                    true
                ),
                (ChangeKind::Unchanged, false),
            ]
        );
        assert_eq!(
            ChangeSummary::of(&changes),
            ChangeSummary {
                new: 1,
                revised: 2,
                unchanged: 1,
                large: 1,
                locked: 2
            }
        );
    }

    #[test]
    fn a_lock_on_a_year_covers_its_quarters_and_months_and_its_indicator_only() {
        let every = PeriodLock {
            year: 2024,
            indicator: None,
        };
        let one = PeriodLock {
            year: 2024,
            indicator: Some("gdp".into()),
        };
        assert!(every.covers("x", Period::Month(2024, 7)));
        assert!(!every.covers("x", Period::Year(2025)));
        assert!(one.covers("gdp", Period::Quarter(2024, 4)));
        assert!(!one.covers("x", Period::Year(2024)));
        assert!(!is_locked(&[], "gdp", Period::Year(2024)));
    }

    #[test]
    fn a_row_is_stale_when_the_published_value_moved_since_submission() {
        let keys: Vec<Key> = (2021..=2024)
            .map(|year| row("gdp", Period::Year(year), 1.0).key())
            .collect();
        // At submission: 2021 published 5, 2022 published 6, 2023 and 2024 new.
        let based = [
            (&keys[0], Some(5.0)),
            (&keys[1], Some(6.0)),
            (&keys[2], None),
            (&keys[3], None),
        ];
        // Since: 2022 revised, 2023 published by someone else.
        let now: HashMap<&Key, f64> = [(&keys[0], 5.0), (&keys[1], 6.5), (&keys[2], 1.0)].into();
        assert_eq!(stale_rows(based, |key| now.get(key).copied()), [1, 2]);
    }
}
