//! 审核, the plan office's pages: `/review` (the queue of submitted submissions, oldest first)
//! and `/review/{id}` (a submission as changes — new figures, revisions old → new with the
//! difference and the large-change warning, unchanged rows counted and folded away, locked
//! periods and the revision reason marked, roll-up checks when the API gives them —, its
//! versions and comments, and approve / return, which `static/report.js` posts to the API).
//! Whether the reader may approve is the workflow's decision (four eyes), shown before they try.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;
use minijinja::context;
use planwatch_plan::{Period, Plan};
use planwatch_store::SubmissionFilter;
use planwatch_workflow::{ChangeKind, Status, Step};
use serde::{Deserialize, Serialize};

use crate::account::PageRequest;
use crate::error::ApiError;
use crate::lang::Lang;
use crate::pages::v;
use crate::reporting::{
    DetailComment, DetailRow, half, indicator_name, period_label, region_name, status_label, today,
    unit_name,
};
use crate::service::Service;

/// The pages' routes (the access rules must cover each: `rules`).
pub(crate) const PATHS: [&str; 2] = ["/review", "/review/{id}"];

pub(crate) fn router() -> Router<Arc<Service>> {
    crate::routes(PATHS, [get(queue_page), get(detail_page)])
}

const QUEUE_TITLE: (&str, &str) = ("审核", "Review");

/// A submission waiting for review.
#[derive(Debug, Serialize)]
struct Waiting {
    id: i64,
    unit: String,
    rows: u64,
    version: u32,
    submitted_at: Option<String>,
    submitted_by: String,
    /// Whole days since it was submitted.
    waiting_days: Option<i64>,
}

/// Whole days from a stored time (`YYYY-MM-DD HH:MM:SS`, UTC) to `today`.
fn days_since(at: &str, today: chrono::NaiveDate) -> Option<i64> {
    let day = chrono::NaiveDate::parse_from_str(at.get(..10)?, "%Y-%m-%d").ok()?;
    Some((today - day).num_days())
}

async fn queue_page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
) -> Result<Html<String>, ApiError> {
    let plan = &service.plan;
    let lang = request.lang();
    let today = today();
    let filter = SubmissionFilter {
        status: Some(Status::Submitted),
        ..SubmissionFilter::default()
    };
    let mut found = service.store().submissions(plan, &filter).await?;
    found.retain(|s| crate::submissions::visible(&request.caller.actor, s));
    // Oldest first: by when it was (last) submitted, not when it was created.
    found.sort_by(|a, b| (&a.submitted_at, a.id).cmp(&(&b.submitted_at, b.id)));
    let waiting: Vec<Waiting> = found
        .iter()
        .map(|s| Waiting {
            id: s.id,
            unit: unit_name(plan, &s.unit, lang),
            rows: s.rows,
            version: s.version,
            submitted_at: s.submitted_at.clone(),
            submitted_by: s.submitted_by.clone(),
            waiting_days: s
                .submitted_at
                .as_deref()
                .and_then(|at| days_since(at, today)),
        })
        .collect();
    Ok(Html(request.render(
        &service,
        "review_queue.html",
        QUEUE_TITLE,
        context! {
            waiting => v(&waiting),
            progress => v(&crate::progress_pages::waiting(&service, &request.caller.actor, lang).await?),
        },
    )?))
}

/// The API's detail of a submission, as far as the page reads it.
#[derive(Debug, Deserialize)]
struct Detail {
    status: String,
    version: u32,
    submitted_by: String,
    submitted_at: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    revision_reason: Option<String>,
    rows: Vec<DetailRow>,
    changes: Vec<planwatch_workflow::Change>,
    comments: Vec<DetailComment>,
    /// Roll-up checks, when the API gives them.
    #[serde(default)]
    rollups: Vec<DetailRollup>,
}

/// A roll-up check as the API gives it.
#[derive(Debug, Deserialize, Serialize)]
struct DetailRollup {
    indicator: String,
    period: String,
    status: String,
    sum: f64,
    city: Option<f64>,
    difference: Option<f64>,
    percent: Option<f64>,
    districts_known: usize,
    districts: usize,
}

/// One row of the changes view.
#[derive(Debug, Serialize)]
struct ChangeRow {
    indicator_name: String,
    region_name: String,
    period_label: String,
    /// new, revised or unchanged
    kind: &'static str,
    old: Option<f64>,
    new: f64,
    difference: Option<f64>,
    large_percent: Option<f64>,
    locked: bool,
    note: Option<String>,
}

/// A roll-up check as shown.
#[derive(Debug, Serialize)]
struct RollupRow<'d> {
    indicator_name: String,
    period_label: String,
    #[serde(flatten)]
    check: &'d DetailRollup,
}

/// One version of the submission and the comments on it.
#[derive(Debug, Serialize)]
struct VersionView {
    version: u32,
    rows: usize,
    comments: Vec<DetailComment>,
}

fn period_text(text: &str, lang: Lang) -> String {
    text.parse::<Period>()
        .map_or_else(|_| text.to_owned(), |p| period_label(p, lang))
}

/// The rows as changes: (new and revised, unchanged).
fn change_rows(plan: &Plan, detail: &Detail, lang: Lang) -> (Vec<ChangeRow>, Vec<ChangeRow>) {
    let mut changed = Vec::new();
    let mut unchanged = Vec::new();
    for change in &detail.changes {
        let Some(row) = detail.rows.get(change.row) else {
            continue;
        };
        let (kind, old, difference, large_percent) = match change.kind {
            ChangeKind::New => ("new", None, None, None),
            ChangeKind::Revised {
                old,
                difference,
                large_percent,
                ..
            } => ("revised", Some(old), Some(difference), large_percent),
            ChangeKind::Unchanged => ("unchanged", Some(row.value), Some(0.0), None),
        };
        let view = ChangeRow {
            indicator_name: indicator_name(plan, &row.indicator, lang),
            region_name: region_name(plan, &row.region, lang),
            period_label: period_text(&row.period, lang),
            kind,
            old,
            new: row.value,
            difference,
            large_percent,
            locked: change.locked,
            note: row.note.clone(),
        };
        if kind == "unchanged" {
            unchanged.push(view);
        } else {
            changed.push(view);
        }
    }
    (changed, unchanged)
}

async fn detail_page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let plan = &service.plan;
    let lang = request.lang();
    // The API's own answer (who may see it, the rows, the changes, the roll-ups).
    let answer = crate::submissions::show(
        State(service.clone()),
        request.caller.clone(),
        Path(id.clone()),
    )
    .await?;
    let detail: Detail = serde_json::to_value(&answer.0)
        .and_then(serde_json::from_value)
        .map_err(|_| ApiError::Internal)?;
    let id: i64 = id.parse().map_err(|_| ApiError::Internal)?;
    let stored = service.store().submission(plan, id).await?;
    let (changed, unchanged) = change_rows(plan, &detail, lang);
    let summary = planwatch_workflow::ChangeSummary::of(&detail.changes);
    // Whether this reader may approve or return it now: the workflow's answer.
    let approve_refusal = stored
        .workflow()
        .apply(&request.caller.actor, Step::Approve)
        .err()
        .map(|r| half(&r.to_string(), lang));
    let return_refusal = stored
        .workflow()
        .apply(&request.caller.actor, Step::Return { comment: "-" })
        .err()
        .map(|r| half(&r.to_string(), lang));
    let mut versions = Vec::new();
    for version in (1..=detail.version).rev() {
        let rows = service.store().submission_rows(id, version).await?.len();
        let comments = detail
            .comments
            .iter()
            .filter(|c| u32::try_from(c.version).ok() == Some(version))
            .cloned()
            .collect();
        versions.push(VersionView {
            version,
            rows,
            comments,
        });
    }
    let rollups: Vec<RollupRow> = detail
        .rollups
        .iter()
        .map(|r| RollupRow {
            indicator_name: indicator_name(plan, &r.indicator, lang),
            period_label: period_text(&r.period, lang),
            check: r,
        })
        .collect();
    let status = detail.status.parse::<Status>().ok();
    let title = match lang {
        Lang::Zh => format!("审核报送 {id}"),
        Lang::En => format!("Submission {id}"),
    };
    Ok(Html(request.render(
        &service,
        "review.html",
        (&title, &title),
        context! {
            id => id,
            unit => unit_name(plan, &stored.unit, lang),
            status => v(&detail.status),
            status_label => v(&status.map(|s| status_label(s, lang))),
            version => detail.version,
            submitted_by => v(&detail.submitted_by),
            submitted_at => v(&detail.submitted_at),
            reviewed_by => v(&detail.reviewed_by),
            reviewed_at => v(&detail.reviewed_at),
            file => v(&detail.file.or(stored.file_name.clone())),
            revision_reason => v(&detail.revision_reason.or(stored.revision_reason.clone())),
            changed => v(&changed),
            unchanged => v(&unchanged),
            summary => v(&summary),
            rollups => v(&rollups),
            versions => v(&versions),
            waiting => status == Some(Status::Submitted),
            approve_refusal => v(&approve_refusal),
            return_refusal => v(&return_refusal),
        },
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_days_count_whole_days() {
        let today = chrono::NaiveDate::from_ymd_opt(2025, 4, 3).unwrap();
        assert_eq!(days_since("2025-04-01 23:59:00", today), Some(2));
        assert_eq!(days_since("2025-04-03 00:00:01", today), Some(0));
        assert_eq!(days_since("soon", today), None);
    }

    #[test]
    fn unchanged_rows_are_set_apart() {
        let plan = planwatch_plan::chengdu::plan();
        let row = |value: f64| DetailRow {
            indicator: "gdp".into(),
            region: "510104".into(),
            period: "2024".into(),
            value,
            note: None,
        };
        let change = |row: usize, kind: ChangeKind| planwatch_workflow::Change {
            row,
            kind,
            locked: row == 1,
        };
        let detail = Detail {
            status: "submitted".into(),
            version: 1,
            submitted_by: "jinjiang".into(),
            submitted_at: None,
            reviewed_by: None,
            reviewed_at: None,
            file: None,
            revision_reason: None,
            rows: vec![row(1.0), row(3.0), row(5.0)],
            changes: vec![
                change(0, ChangeKind::New),
                change(
                    1,
                    ChangeKind::Revised {
                        old: 1.0,
                        new: 3.0,
                        difference: 2.0,
                        large_percent: Some(200.0),
                    },
                ),
                change(2, ChangeKind::Unchanged),
            ],
            comments: Vec::new(),
            rollups: Vec::new(),
        };
        let (changed, unchanged) = change_rows(&plan, &detail, Lang::Zh);
        assert_eq!(changed.len(), 2);
        assert_eq!(unchanged.len(), 1);
        assert_eq!(changed[1].kind, "revised");
        assert_eq!(changed[1].old, Some(1.0));
        assert_eq!(changed[1].large_percent, Some(200.0));
        assert!(changed[1].locked && !changed[0].locked);
        assert_eq!(changed[0].period_label, "2024年");
        assert_eq!(unchanged[0].new, 5.0);
    }

    #[test]
    fn roll_up_checks_from_the_api_are_shown() {
        let detail: Detail = serde_json::from_value(serde_json::json!({
            "id": 7, "unit": "region:510104", "status": "submitted", "version": 1, "rows": [],
            "submitted_by": "jinjiang", "submitted_at": null, "reviewed_by": null,
            "reviewed_at": null, "batch": null, "changes": [], "comments": [],
            "rollups": [{"indicator": "retail_sales", "period": "2024-Q1", "status": "mismatch",
                "sum": 120.0, "city": 100.0, "difference": 20.0, "percent": 20.0,
                "districts_known": 12, "districts": 12}]
        }))
        .unwrap();
        let plan = planwatch_plan::chengdu::plan();
        let rollups: Vec<RollupRow> = detail
            .rollups
            .iter()
            .map(|r| RollupRow {
                indicator_name: indicator_name(&plan, &r.indicator, Lang::Zh),
                period_label: period_text(&r.period, Lang::Zh),
                check: r,
            })
            .collect();
        let html = crate::pages::environment()
            .get_template("review.html")
            .unwrap()
            .render(minijinja::context! {
                lang => "zh",
                rollups => v(&rollups),
                summary => v(&planwatch_workflow::ChangeSummary::default()),
            })
            .unwrap();
        let table = &html[html.find("id=\"rollups\"").expect("the roll-up table")..];
        assert!(table.contains("社会消费品零售总额") && table.contains("2024年第一季度"));
        assert!(table.contains("不符") && table.contains("12/12") && table.contains("(20.0%)"));
    }
}
