//! A unit's submission before it is stored, and as the reviewer sees it: the import's reader and
//! validation on its rows, the unit's scope, the same key twice and locked periods — every
//! problem at once ([`stage`]) — and the changes its rows make to the published figures
//! ([`changes`]) with the roll-up checks of the figures it touches ([`rollups`]). Shared by
//! `planwatch submissions create|show` and `/api/submissions`.

use std::collections::HashMap;

use planwatch_access::Unit;
use planwatch_import::{Diagnostic, Input, Item, Options, Problem, Severity};
use planwatch_plan::{ObsStatus, ObservationRow, Plan, ROLLUP_TOLERANCE_PERCENT};
use planwatch_store::{ObservationFilter, Store, StoreError, submission_row};
use planwatch_workflow::{
    Change, Key, Rollup, SubmissionRow, check_scope, classify, conflicting_rows, is_locked,
    rollup_keys,
};

/// The change beyond which a revision is flagged as large, in percent of the published value.
pub const LARGE_CHANGE_PERCENT: f64 = 50.0;

/// A problem with a submission's rows: nothing is stored while there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The spreadsheet row (the header is row 1); 0 for the file as a whole.
    pub row: usize,
    /// The column as the file names it, when one is at fault.
    pub column: Option<String>,
    /// What is wrong with the row: `indicator`, `region`, `period`, `value` or `status`.
    pub field: Option<&'static str>,
    pub zh: String,
    pub en: String,
}

/// Rows ready to be stored, with the reader's warnings.
#[derive(Debug, Clone)]
pub struct Staged {
    pub rows: Vec<ObservationRow>,
    pub warnings: Vec<Diagnostic>,
}

/// What to stage: a file (or the rows of a form written as one), for a unit.
pub struct Submitted<'a> {
    /// The file's name, for messages and as the rows' default source.
    pub name: &'a str,
    pub input: Input,
    pub unit: &'a Unit,
    /// A revision of a locked period, with a reason: locked periods are then no problem.
    pub revise: bool,
}

/// Reads `submitted` with the import's reader and validation and checks every row against its
/// unit, the other rows and the period locks: the rows, or every problem (sorted by row).
pub async fn stage(
    store: &Store,
    plan: &Plan,
    submitted: Submitted<'_>,
) -> Result<Result<Staged, Vec<RowProblem>>, StoreError> {
    let options = Options {
        region: None,
        indicator: None,
        status: ObsStatus::Final,
        source: Some(
            submitted
                .name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(submitted.name)
                .to_owned(),
        ),
    };
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    match planwatch_import::open(submitted.name, submitted.input, plan, options) {
        Err(diagnostic) => problems.push(diagnosed(&diagnostic)),
        Ok(import) => {
            for item in import {
                match item {
                    Item::Row(row) => rows.push(row),
                    Item::Problem(d) if d.severity == Severity::Error => {
                        problems.push(diagnosed(&d));
                    }
                    Item::Problem(d) => warnings.push(d),
                }
            }
        }
    }
    let coded = coded_rows(plan, &rows);
    for (index, problem) in check_scope(plan, submitted.unit, &coded) {
        let field = match problem {
            planwatch_workflow::ScopeProblem::RegionNotYours { .. } => "region",
            _ => "indicator",
        };
        problems.push(halves(rows[index].row, field, &problem.to_string()));
    }
    for (first, second) in conflicting_rows(&coded) {
        let earlier = rows[first].row;
        problems.push(RowProblem {
            row: rows[second].row,
            column: None,
            field: Some("value"),
            zh: format!("与第 {earlier} 行同一指标、地区、时期但数值不同"),
            en: format!(
                "the same indicator, region and period as row {earlier} with a different value"
            ),
        });
    }
    if !submitted.revise {
        let locks = store.period_locks(plan).await?;
        for (row, coded) in rows.iter().zip(&coded) {
            if is_locked(&locks, &coded.indicator, coded.period) {
                problems.push(RowProblem {
                    row: row.row,
                    column: None,
                    field: Some("period"),
                    zh: format!(
                        "{}已锁定：修订须说明理由（--revise --reason）",
                        coded.period.display_zh()
                    ),
                    en: format!(
                        "the period {} is locked: a revision needs a reason (--revise --reason TEXT)",
                        coded.period
                    ),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(Ok(Staged { rows, warnings }))
    } else {
        problems.sort_by_key(|p| p.row);
        Ok(Err(problems))
    }
}

/// A message written `中文 / English` as a problem of `row`.
fn halves(row: usize, field: &'static str, text: &str) -> RowProblem {
    let (zh, en) = text.split_once(" / ").unwrap_or((text, text));
    RowProblem {
        row,
        column: None,
        field: Some(field),
        zh: zh.to_owned(),
        en: en.to_owned(),
    }
}

/// The import's diagnostic as a problem of a submission.
fn diagnosed(d: &Diagnostic) -> RowProblem {
    let field = match d.problem {
        Problem::UnknownIndicator(_) => Some("indicator"),
        Problem::UnknownRegion(_) => Some("region"),
        Problem::BadPeriod(_) => Some("period"),
        Problem::BadStatus(_) => Some("status"),
        Problem::NotANumber(_)
        | Problem::ErrorValue(_)
        | Problem::UncalculatedFormula(_)
        | Problem::UnitMismatch { .. }
        | Problem::PercentForNonPercent { .. }
        | Problem::OutOfBounds { .. }
        | Problem::Conflict { .. } => Some("value"),
        _ => None,
    };
    RowProblem {
        row: d.row,
        column: d.column.clone(),
        field,
        zh: d.problem.zh(),
        en: d.problem.to_string(),
    }
}

/// `rows` with the plan's codes for their indicator and region.
pub fn coded_rows(plan: &Plan, rows: &[ObservationRow]) -> Vec<SubmissionRow> {
    rows.iter().map(|row| submission_row(plan, row)).collect()
}

/// What `rows` change: against the figures published now, locked periods marked.
pub async fn changes(
    store: &Store,
    plan: &Plan,
    rows: &[SubmissionRow],
) -> Result<Vec<Change>, StoreError> {
    let published = published(store, plan, rows.iter().map(SubmissionRow::key)).await?;
    let locks = store.period_locks(plan).await?;
    Ok(classify(
        rows,
        |key| published.get(key).copied(),
        &locks,
        LARGE_CHANGE_PERCENT,
    ))
}

/// The roll-up checks of the figures `rows` touch ("districts against the city"), as they would
/// stand after approval: the plan's roll-up rule, the import's tolerance.
pub async fn rollups(
    store: &Store,
    plan: &Plan,
    rows: &[SubmissionRow],
) -> Result<Vec<Rollup>, StoreError> {
    let published = published(store, plan, rollup_keys(plan, rows)).await?;
    Ok(planwatch_workflow::rollups(
        plan,
        rows,
        |key| published.get(key).copied(),
        ROLLUP_TOLERANCE_PERCENT,
    ))
}

/// The figures published now for `keys` (those with none are absent): read by the keys'
/// indicators, regions and span of periods.
pub async fn published(
    store: &Store,
    plan: &Plan,
    keys: impl IntoIterator<Item = Key>,
) -> Result<HashMap<Key, f64>, StoreError> {
    let keys: Vec<Key> = keys.into_iter().collect();
    // By the stored key, which orders periods in time (the type's order puts years first).
    let (Some(from), Some(to)) = (
        keys.iter().map(|k| k.period).min_by_key(|p| p.key()),
        keys.iter().map(|k| k.period).max_by_key(|p| p.key()),
    ) else {
        return Ok(HashMap::new());
    };
    let filter = ObservationFilter {
        indicators: unique(keys.iter().map(|k| k.indicator.clone())),
        regions: unique(keys.iter().map(|k| k.region.clone())),
        from: Some(from),
        to: Some(to),
        ..ObservationFilter::default()
    };
    let wanted: std::collections::HashSet<&Key> = keys.iter().collect();
    Ok(store
        .observations(plan, &filter)
        .await?
        .into_iter()
        .map(|o| {
            let key = Key {
                indicator: o.indicator,
                region: o.region,
                period: o.period,
            };
            (key, o.value)
        })
        .filter(|(key, _)| wanted.contains(key))
        .collect())
}

fn unique(codes: impl Iterator<Item = String>) -> Vec<String> {
    let mut codes: Vec<String> = codes.collect();
    codes.sort();
    codes.dedup();
    codes
}
