//! 填报, the reporting units' pages: `/report` (what the unit owes now and when, what is late, its
//! submissions with the reviewers' comments, and an upload form) and `/report/form` (the grid
//! form: the unit's due indicators × periods, prefilled with the published values, saved as a
//! draft as one types and submitted from there). Both are rendered per request (they depend on
//! who asks and on submissions, which do not move the plan's version); what they post goes to
//! the JSON API (`/api/submissions…`) from `static/report.js`, with the session's CSRF token.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use chrono::NaiveDate;
use minijinja::context;
use planwatch_access::{Role, Unit};
use planwatch_plan::{Period, Plan};
use planwatch_store::{StoredSubmission, SubmissionFilter};
use planwatch_workflow::{Key, Standing, StandingOf, Status, period_end};
use serde::{Deserialize, Serialize};

use crate::account::PageRequest;
use crate::api::present;
use crate::error::ApiError;
use crate::lang::Lang;
use crate::pages::{text, v};
use crate::service::Service;
use crate::submissions::visible;

/// The pages' routes (the access rules must cover each: `rules`).
pub(crate) const PATHS: [&str; 2] = ["/report", "/report/form"];

pub(crate) fn router() -> Router<Arc<Service>> {
    crate::routes(PATHS, [get(report_page), get(form_page)])
}

const REPORT_TITLE: (&str, &str) = ("填报", "Report");
const FORM_TITLE: (&str, &str) = ("填报表", "Reporting form");

/// Today (UTC), the day the calendar is read for.
pub(crate) fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A unit's name in `lang`: its region's or department's, else its code.
pub(crate) fn unit_name(plan: &Plan, unit: &Unit, lang: Lang) -> String {
    let name = match unit {
        Unit::Region(code) => plan
            .regions
            .iter()
            .find(|r| r.code == *code)
            .map(|r| &r.name),
        Unit::Department(code) => plan
            .departments
            .iter()
            .find(|d| d.code == *code)
            .map(|d| &d.name),
    };
    name.map_or_else(|| unit.code().to_owned(), |name| text(lang, name))
}

/// An indicator's name in `lang`, else its code.
pub(crate) fn indicator_name(plan: &Plan, code: &str, lang: Lang) -> String {
    plan.indicators
        .iter()
        .find(|i| i.code == code)
        .map_or_else(|| code.to_owned(), |i| text(lang, &i.name))
}

/// A region's name in `lang`, else its code.
pub(crate) fn region_name(plan: &Plan, code: &str, lang: Lang) -> String {
    plan.regions
        .iter()
        .find(|r| r.code == code)
        .map_or_else(|| code.to_owned(), |r| text(lang, &r.name))
}

/// A period as the reader writes it.
pub(crate) fn period_label(period: Period, lang: Lang) -> String {
    match lang {
        Lang::Zh => period.display_zh(),
        Lang::En => period.to_string(),
    }
}

/// A status of the workflow in `lang`.
pub(crate) fn status_label(status: Status, lang: Lang) -> String {
    match lang {
        Lang::Zh => status.label_zh().to_owned(),
        Lang::En => status.as_str().to_owned(),
    }
}

/// `中文 / English` as the half in `lang`.
pub(crate) fn half(text: &str, lang: Lang) -> String {
    match (text.split_once(" / "), lang) {
        (Some((zh, _)), Lang::Zh) => zh.to_owned(),
        (Some((_, en)), Lang::En) => en.to_owned(),
        (None, _) => text.to_owned(),
    }
}

/// Which unit: `?unit=CODE` (a reporter of several units, an administrator acting for one).
#[derive(Debug, Default, Deserialize)]
struct UnitQuery {
    unit: Option<String>,
    /// The form: the year whose figures it lists.
    year: Option<String>,
    /// The form: the submission it edits.
    submission: Option<String>,
}

/// A unit the caller may pick.
#[derive(Debug, Serialize)]
struct UnitChoice {
    code: String,
    name: String,
    current: bool,
}

/// The units the caller reports for and the one the page is about: a reporter's own (the first
/// unless `?unit=` names another of them); an administrator may act for any unit that owes
/// figures, named by `?unit=`. Planners and viewers report for none.
fn chosen_unit(
    plan: &Plan,
    request: &PageRequest,
    standings: &[StandingOf],
    asked: Option<&str>,
) -> Result<(Vec<Unit>, Option<Unit>), ApiError> {
    let Some(user) = &request.caller.user else {
        return Ok((Vec::new(), None));
    };
    let asked = crate::submissions::parse_unit(plan, asked)?;
    let units: Vec<Unit> = match user.role {
        Role::Reporter => user.units.clone(),
        Role::Admin => {
            let mut all: Vec<Unit> = standings
                .iter()
                .map(|s| s.obligation.unit.clone())
                .collect();
            all.sort();
            all.dedup();
            all
        }
        Role::Planner | Role::Viewer => Vec::new(),
    };
    let chosen = match (asked, user.role) {
        (Some(unit), Role::Admin) => Some(unit),
        (Some(unit), _) if units.contains(&unit) => Some(unit),
        (Some(unit), _) => {
            return Err(ApiError::bad(
                "unit",
                format!("您不是{unit}的填报员"),
                format!("you do not report for {unit}"),
            ));
        }
        (None, Role::Reporter) => units.first().cloned(),
        (None, _) => None,
    };
    Ok((units, chosen))
}

fn choices(plan: &Plan, units: &[Unit], chosen: Option<&Unit>, lang: Lang) -> Vec<UnitChoice> {
    units
        .iter()
        .map(|u| UnitChoice {
            code: u.code().to_owned(),
            name: unit_name(plan, u, lang),
            current: Some(u) == chosen,
        })
        .collect()
}

/// A figure owed, as the page lists it.
#[derive(Debug, Serialize)]
struct OwedView {
    indicator: String,
    indicator_name: String,
    region_name: String,
    period: String,
    period_label: String,
    due: String,
    late: bool,
    returned: bool,
}

fn owed_view(plan: &Plan, s: &StandingOf, lang: Lang) -> OwedView {
    let o = &s.obligation;
    OwedView {
        indicator: o.indicator.clone(),
        indicator_name: indicator_name(plan, &o.indicator, lang),
        region_name: region_name(plan, &o.region, lang),
        period: o.period.to_string(),
        period_label: period_label(o.period, lang),
        due: o.due.to_string(),
        late: s.standing.is_late(),
        returned: matches!(s.standing, Standing::Returned { .. }),
    }
}

/// A reviewer's comment, as shown beside its submission.
#[derive(Debug, Serialize)]
struct CommentView {
    version: i32,
    action: String,
    author: String,
    at: String,
    comment: String,
}

/// One of the unit's submissions.
#[derive(Debug, Serialize)]
struct SubmissionView {
    id: i64,
    status: &'static str,
    status_label: String,
    version: u32,
    rows: u64,
    file: Option<String>,
    submitted_at: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    comments: Vec<CommentView>,
    /// Drafts and returned submissions are edited in the form.
    editable: bool,
}

async fn submission_view(
    service: &Service,
    s: &StoredSubmission,
    lang: Lang,
) -> Result<SubmissionView, ApiError> {
    let comments = service
        .store()
        .submission_comments(s.id)
        .await?
        .into_iter()
        .map(|c| CommentView {
            version: c.version,
            action: c.action,
            author: c.author,
            at: c.at,
            comment: c.comment,
        })
        .collect();
    Ok(SubmissionView {
        id: s.id,
        status: s.status.as_str(),
        status_label: status_label(s.status, lang),
        version: s.version,
        rows: s.rows,
        file: s.file_name.clone(),
        submitted_at: s.submitted_at.clone(),
        reviewed_by: s.reviewed_by.clone(),
        reviewed_at: s.reviewed_at.clone(),
        comments,
        editable: matches!(s.status, Status::Draft | Status::Returned),
    })
}

/// The 填报 page.
async fn report_page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Query(query): Query<UnitQuery>,
) -> Result<Html<String>, ApiError> {
    let plan = &service.plan;
    let lang = request.lang();
    let (today, standings) = standings_today(&service).await?;
    let has_calendar = standings.is_some();
    let standings = standings.unwrap_or_default();
    let (units, chosen) = chosen_unit(plan, &request, &standings, query.unit.as_deref())?;
    let mut owed = Vec::new();
    let mut published = 0;
    let mut upcoming = Vec::new();
    let mut submissions = Vec::new();
    if let Some(unit) = &chosen {
        owed = planwatch_workflow::owed_now(&standings, unit, today)
            .into_iter()
            .map(|s| owed_view(plan, s, lang))
            .collect();
        published = planwatch_workflow::published_now(&standings, unit, today).len();
        let mut ahead: Vec<&StandingOf> = standings
            .iter()
            .filter(|s| {
                s.obligation.unit == *unit
                    && period_end(s.obligation.period) >= today
                    && s.standing.is_owed()
            })
            .collect();
        ahead.sort_by_key(|s| s.obligation.due);
        upcoming = ahead
            .into_iter()
            .take(8)
            .map(|s| owed_view(plan, s, lang))
            .collect();
        let filter = SubmissionFilter {
            unit: Some(unit.clone()),
            ..SubmissionFilter::default()
        };
        let mut found = service.store().submissions(plan, &filter).await?;
        found.retain(|s| visible(&request.caller.actor, s));
        found.reverse();
        for s in &found {
            submissions.push(submission_view(&service, s, lang).await?);
        }
    }
    let progress = match &chosen {
        Some(unit) => Some(
            crate::progress_pages::report_section(&service, &request.caller.actor, unit, lang)
                .await?,
        ),
        None => None,
    };
    let late = owed.iter().filter(|o| o.late).count();
    let returned = submissions
        .iter()
        .filter(|s| s.status == Status::Returned.as_str())
        .count();
    let office = request
        .caller
        .user
        .as_ref()
        .is_some_and(|u| matches!(u.role, Role::Planner | Role::Admin));
    Ok(Html(request.render(
        &service,
        "report.html",
        REPORT_TITLE,
        context! {
            has_calendar => has_calendar,
            units => v(&choices(plan, &units, chosen.as_ref(), lang)),
            unit => v(&chosen.as_ref().map(|u| (u.code(), unit_name(plan, u, lang)))),
            owed => v(&owed),
            late => late,
            published => published,
            upcoming => v(&upcoming),
            submissions => v(&submissions),
            returned => returned,
            office => office,
            today => v(&today.to_string()),
            progress => progress,
        },
    )?))
}

/// One row of the grid form.
#[derive(Debug, Serialize)]
struct FormRow {
    indicator: String,
    indicator_name: String,
    region: String,
    region_name: String,
    period: String,
    period_label: String,
    unit_of_measure: String,
    published: Option<f64>,
    /// The value in the input: the submission's, else the published one.
    value: Option<f64>,
    note: Option<String>,
    due: Option<String>,
}

impl FormRow {
    fn new(plan: &Plan, key: &Key, lang: Lang) -> FormRow {
        let unit_of_measure = plan
            .indicators
            .iter()
            .find(|i| i.code == key.indicator)
            .map(|i| text(lang, &i.unit_text()))
            .unwrap_or_default();
        FormRow {
            indicator: key.indicator.clone(),
            indicator_name: indicator_name(plan, &key.indicator, lang),
            region: key.region.clone(),
            region_name: region_name(plan, &key.region, lang),
            period: key.period.to_string(),
            period_label: period_label(key.period, lang),
            unit_of_measure,
            published: None,
            value: None,
            note: None,
            due: None,
        }
    }
}

/// A submission's rows as the API's detail gives them (the rows its unit edited since a return,
/// when there are any, else its current version's).
#[derive(Debug, Deserialize)]
struct DetailRows {
    unit: String,
    status: String,
    rows: Vec<DetailRow>,
    #[serde(default)]
    edited: Option<Vec<DetailRow>>,
    #[serde(default)]
    comments: Vec<DetailComment>,
}

/// A row of the API's detail of a submission.
#[derive(Debug, Deserialize)]
pub(crate) struct DetailRow {
    pub(crate) indicator: String,
    pub(crate) region: String,
    pub(crate) period: String,
    pub(crate) value: f64,
    pub(crate) note: Option<String>,
}

/// A reviewer's comment in the API's detail of a submission.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct DetailComment {
    pub(crate) version: i32,
    pub(crate) action: String,
    pub(crate) author: String,
    pub(crate) at: String,
    pub(crate) comment: String,
}

/// Where every figure owed stands today (`None` without a calendar), and today.
pub(crate) async fn standings_today(
    service: &Service,
) -> Result<(NaiveDate, Option<Vec<StandingOf>>), ApiError> {
    let today = today();
    let standings =
        planwatch_app::calendar::standings(service.store(), &service.plan, today).await?;
    Ok((today, standings))
}

/// A `year` parameter.
pub(crate) fn parse_year(text: Option<&str>) -> Result<Option<u16>, ApiError> {
    present(text)
        .map(|text| {
            text.parse::<u16>().map_err(|_| {
                ApiError::bad(
                    "year",
                    format!("应为年份，而不是 \"{text}\""),
                    format!("must be a year, not \"{text}\""),
                )
            })
        })
        .transpose()
}

/// The year whose figures a new form lists: the latest year with a figure of the unit due
/// before `today`, else the unit's first year.
fn default_year(standings: &[StandingOf], unit: &Unit, today: NaiveDate) -> Option<u16> {
    let of_unit = || standings.iter().filter(|s| s.obligation.unit == *unit);
    of_unit()
        .filter(|s| s.obligation.due < today)
        .map(|s| s.obligation.period.year())
        .max()
        .or_else(|| of_unit().map(|s| s.obligation.period.year()).min())
}

/// The grid form: a new draft of the unit's figures of a year (`?unit=&year=`), or a draft or
/// returned submission to edit (`?submission=ID`).
async fn form_page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Query(query): Query<UnitQuery>,
) -> Result<Html<String>, ApiError> {
    let plan = &service.plan;
    let lang = request.lang();
    let (today, standings) = standings_today(&service).await?;
    let standings = standings.unwrap_or_default();
    let mut keys: Vec<(Key, Option<String>)> = Vec::new();
    let mut values: Vec<(Option<f64>, Option<String>)> = Vec::new();
    let mut submission: Option<i64> = None;
    let mut status: Option<String> = None;
    let mut comments: Vec<DetailComment> = Vec::new();
    let mut year: Option<u16> = None;
    let (units, unit) = if let Some(id) = present(query.submission.as_deref()) {
        // The API's own answer: the caller may see it, and its rows.
        let detail = crate::submissions::show(
            State(service.clone()),
            request.caller.clone(),
            axum::extract::Path(id.to_owned()),
        )
        .await?;
        let detail: DetailRows = serde_json::to_value(&detail.0)
            .and_then(serde_json::from_value)
            .map_err(|_| ApiError::Internal)?;
        let unit = detail
            .unit
            .split_once(':')
            .and_then(|(kind, code)| Unit::from_parts(kind, code));
        let rows = detail.edited.unwrap_or(detail.rows);
        for row in rows {
            let Ok(period) = row.period.parse::<Period>() else {
                continue;
            };
            let key = Key {
                indicator: row.indicator,
                region: row.region,
                period,
            };
            keys.push((key, None));
            values.push((Some(row.value), row.note));
        }
        submission = Some(id.parse().map_err(|_| ApiError::Internal)?);
        status = Some(detail.status);
        comments = detail.comments;
        (Vec::new(), unit)
    } else {
        let (units, unit) = chosen_unit(plan, &request, &standings, query.unit.as_deref())?;
        if let Some(unit) = &unit {
            year = match parse_year(query.year.as_deref())? {
                Some(year) => Some(year),
                None => default_year(&standings, unit, today),
            };
            for s in standings
                .iter()
                .filter(|s| s.obligation.unit == *unit && Some(s.obligation.period.year()) == year)
            {
                keys.push((s.obligation.key(), Some(s.obligation.due.to_string())));
                values.push((None, None));
            }
            // By indicator (the plan's order), then in time: a year after its quarters.
            let position = |code: &str| plan.indicators.iter().position(|i| i.code == code);
            keys.sort_by_key(|(k, _)| {
                let year = matches!(k.period, Period::Year(_));
                (position(&k.indicator), period_end(k.period), year)
            });
        }
        (units, unit)
    };
    let plain: Vec<Key> = keys.iter().map(|(k, _)| k.clone()).collect();
    let published = planwatch_app::submissions::published(service.store(), plan, plain).await?;
    let rows: Vec<FormRow> = keys
        .iter()
        .zip(values)
        .map(|((key, due), (value, note))| {
            let mut row = FormRow::new(plan, key, lang);
            row.published = published.get(key).copied();
            row.value = value.or(row.published);
            row.note = note;
            row.due.clone_from(due);
            row
        })
        .collect();
    // Whether the reader may edit these rows: the workflow's answer (its unit, a draft or a
    // returned submission; a new draft for a unit it reports for).
    let actor = &request.caller.actor;
    let refusal = match (submission, &unit) {
        (Some(id), _) => service
            .store()
            .submission(plan, id)
            .await?
            .workflow()
            .may_edit(actor)
            .err(),
        (None, Some(unit)) => planwatch_workflow::Submission::new(actor, unit.clone(), true).err(),
        (None, None) => None,
    }
    .map(|r| half(&r.to_string(), lang));
    let editable = unit.is_some() && refusal.is_none();
    let years: Vec<u16> = match &unit {
        Some(u) if submission.is_none() => {
            let mut years: Vec<u16> = standings
                .iter()
                .filter(|s| s.obligation.unit == *u)
                .map(|s| s.obligation.period.year())
                .collect();
            years.sort_unstable();
            years.dedup();
            years
        }
        _ => Vec::new(),
    };
    let setup = serde_json::json!({
        "unit": unit.as_ref().map(|u| u.code().to_owned()),
        "submission": submission,
        "status": status,
    });
    Ok(Html(request.render(
        &service,
        "report_form.html",
        FORM_TITLE,
        context! {
            units => v(&choices(plan, &units, unit.as_ref(), lang)),
            unit => v(&unit.as_ref().map(|u| (u.code(), unit_name(plan, u, lang)))),
            rows => v(&rows),
            submission => submission,
            status_label => v(&status.as_deref().and_then(|s| s.parse::<Status>().ok()).map(|s| status_label(s, lang))),
            returned => status.as_deref() == Some(Status::Returned.as_str()),
            comments => v(&comments),
            editable => editable,
            refusal => v(&refusal),
            year => year,
            years => v(&years),
            setup => crate::pages::script_json(&setup),
        },
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use planwatch_workflow::Obligation;

    fn owed(unit: &Unit, period: Period, due: (i32, u32, u32)) -> StandingOf {
        StandingOf {
            obligation: Obligation {
                unit: unit.clone(),
                indicator: "gdp".into(),
                region: "510104".into(),
                period,
                due: NaiveDate::from_ymd_opt(due.0, due.1, due.2).unwrap(),
            },
            standing: Standing::Missing { late: false },
        }
    }

    #[test]
    fn a_new_form_lists_the_latest_year_already_due() {
        let unit = Unit::Region("510104".into());
        let other = Unit::Region("510105".into());
        let standings = [
            owed(&unit, Period::Year(2023), (2024, 3, 31)),
            owed(&unit, Period::Year(2024), (2025, 3, 31)),
            owed(&unit, Period::Quarter(2025, 1), (2025, 4, 20)),
            owed(&other, Period::Year(2025), (2026, 3, 31)),
        ];
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(default_year(&standings, &unit, day(2025, 4, 1)), Some(2024));
        assert_eq!(
            default_year(&standings, &unit, day(2025, 4, 21)),
            Some(2025)
        );
        assert_eq!(default_year(&standings, &unit, day(2020, 1, 1)), Some(2023));
        assert_eq!(
            default_year(&standings, &other, day(2025, 4, 21)),
            Some(2025)
        );
        assert_eq!(
            default_year(&standings, &Unit::Region("510106".into()), day(2025, 1, 1)),
            None
        );
    }

    #[test]
    fn names_and_halves_follow_the_language() {
        let plan = planwatch_plan::chengdu::plan();
        assert_eq!(
            unit_name(&plan, &Unit::Region("510104".into()), Lang::Zh),
            "锦江区"
        );
        assert_eq!(
            unit_name(&plan, &Unit::Region("999999".into()), Lang::Zh),
            "999999"
        );
        assert_eq!(half("已退回 / returned", Lang::En), "returned");
        assert_eq!(half("已退回 / returned", Lang::Zh), "已退回");
        assert_eq!(half("plain", Lang::En), "plain");
        assert_eq!(
            period_label(Period::Quarter(2025, 1), Lang::Zh),
            "2025年第一季度"
        );
    }
}
