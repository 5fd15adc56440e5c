//! 报送情况: every reporting unit × period of a year (by default the year most recently due) —
//! on time, published without the unit, late, missing, returned or not yet due, each cell the
//! worst of its figures, with a
//! text label beside the colour —, the counts per unit and each unit's on-time rate, for the
//! plan office and viewers. Read from the plan's calendar and the submissions
//! (`planwatch_app::calendar::standings`, as `planwatch submissions owed`). The plan office
//! finds its 期间锁定 page (`locks`) linked here.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use chrono::NaiveDate;
use minijinja::context;
use planwatch_access::{Action, Object, Unit};
use planwatch_plan::{Period, Plan};
use planwatch_workflow::{StandingOf, Timeliness, on_time_rate, period_end};
use serde::{Deserialize, Serialize};

use crate::account::PageRequest;
use crate::api::present;
use crate::error::ApiError;
use crate::lang::Lang;
use crate::pages::v;
use crate::reporting::{parse_year, period_label, standings_today, unit_name};
use crate::service::Service;

/// The page's route (the access rules must cover it: `rules`).
pub(crate) const PATHS: [&str; 1] = ["/reporting"];

pub(crate) fn router() -> Router<Arc<Service>> {
    crate::routes(PATHS, [get(page)])
}

const TITLE: (&str, &str) = ("报送情况", "Reporting status");

#[derive(Debug, Default, Deserialize)]
struct StandingQuery {
    year: Option<String>,
    /// `departments` or `districts`; every unit otherwise.
    kind: Option<String>,
}

/// The year most recently due on `today`: the year of the period whose figure fell due last;
/// the earliest year when nothing is due yet.
fn latest_due_year(standings: &[StandingOf], today: NaiveDate) -> Option<u16> {
    standings
        .iter()
        .filter(|s| s.obligation.due < today)
        .max_by_key(|s| s.obligation.due)
        .or_else(|| standings.iter().min_by_key(|s| s.obligation.due))
        .map(|s| s.obligation.period.year())
}

/// One cell: the worst timeliness of the unit's figures of a period, and how many of them
/// stand so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Cell {
    state: &'static str,
    label_zh: &'static str,
    label_en: &'static str,
    /// How many of the period's figures are in the worst state, of how many.
    count: usize,
    of: usize,
}

fn cell(states: &[Timeliness]) -> Option<Cell> {
    let worst = states.iter().max()?;
    Some(Cell {
        state: worst.as_str(),
        label_zh: worst.label_zh(),
        label_en: worst.label_en(),
        count: states.iter().filter(|s| *s == worst).count(),
        of: states.len(),
    })
}

/// One unit's row: a cell per period, counts per state, its on-time rate.
#[derive(Debug, Serialize)]
struct UnitRow {
    name: String,
    code: String,
    cells: Vec<Option<Cell>>,
    counts: BTreeMap<&'static str, usize>,
    rate: Option<f64>,
    on_time: usize,
    due: usize,
}

/// The table of `year`: its periods (in time order) and a row per unit of `kind`.
fn table(
    plan: &Plan,
    standings: &[StandingOf],
    year: u16,
    kind: Option<&str>,
    today: NaiveDate,
    lang: Lang,
) -> (Vec<Period>, Vec<UnitRow>) {
    let of_year: Vec<&StandingOf> = standings
        .iter()
        .filter(|s| s.obligation.period.year() == year)
        .filter(|s| match (kind, &s.obligation.unit) {
            (Some("departments"), unit) => matches!(unit, Unit::Department(_)),
            (Some("districts"), unit) => matches!(unit, Unit::Region(_)),
            _ => true,
        })
        .collect();
    let mut periods: Vec<Period> = of_year.iter().map(|s| s.obligation.period).collect();
    // In time, each period at its end: a year after its quarters.
    periods.sort_by_key(|p| (period_end(*p), matches!(p, Period::Year(_))));
    periods.dedup();
    let mut by_unit: BTreeMap<&Unit, BTreeMap<Period, Vec<Timeliness>>> = BTreeMap::new();
    for s in &of_year {
        by_unit
            .entry(&s.obligation.unit)
            .or_default()
            .entry(s.obligation.period)
            .or_default()
            .push(s.standing.timeliness());
    }
    let rows = by_unit
        .into_iter()
        .map(|(unit, cells)| {
            let mut counts = BTreeMap::new();
            for state in cells.values().flatten() {
                *counts.entry(state.as_str()).or_insert(0) += 1;
            }
            let rate = on_time_rate(standings, unit, year, today);
            UnitRow {
                name: unit_name(plan, unit, lang),
                code: unit.code().to_owned(),
                cells: periods
                    .iter()
                    .map(|p| cells.get(p).and_then(|states| cell(states)))
                    .collect(),
                counts,
                rate: rate.rate(),
                on_time: rate.on_time,
                due: rate.due,
            }
        })
        .collect();
    (periods, rows)
}

/// A state of the legend.
#[derive(Debug, Serialize)]
struct Legend {
    state: &'static str,
    label_zh: &'static str,
    label_en: &'static str,
}

async fn page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Query(query): Query<StandingQuery>,
) -> Result<Html<String>, ApiError> {
    let plan = &service.plan;
    let lang = request.lang();
    let (today, standings) = standings_today(&service).await?;
    let has_calendar = standings.is_some();
    let standings = standings.unwrap_or_default();
    let year = match parse_year(query.year.as_deref())? {
        Some(year) => Some(year),
        None => latest_due_year(&standings, today),
    };
    let kind = present(query.kind.as_deref())
        .map(|k| match k {
            "departments" | "districts" => Ok(k),
            other => Err(ApiError::bad(
                "kind",
                format!("应为 departments 或 districts，而不是 \"{other}\""),
                format!("must be departments or districts, not \"{other}\""),
            )),
        })
        .transpose()?;
    let (periods, rows) = match year {
        Some(year) => table(plan, &standings, year, kind, today, lang),
        None => (Vec::new(), Vec::new()),
    };
    let periods: Vec<String> = periods.into_iter().map(|p| period_label(p, lang)).collect();
    let legend: Vec<Legend> = Timeliness::ALL
        .iter()
        .map(|t| Legend {
            state: t.as_str(),
            label_zh: t.label_zh(),
            label_en: t.label_en(),
        })
        .collect();
    Ok(Html(request.render(
        &service,
        "reporting.html",
        TITLE,
        context! {
            has_calendar => has_calendar,
            year => year,
            years => v(&(plan.period.start..=plan.period.end).collect::<Vec<u16>>()),
            kind => v(&kind),
            periods => v(&periods),
            rows => v(&rows),
            legend => v(&legend),
            today => v(&today.to_string()),
            // The plan office's 期间锁定 page is linked from here.
            period_locks => service
                .policy()
                .may(&request.caller.actor, Action::Read, &Object::PeriodLocks)
                .is_allowed(),
        },
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use planwatch_workflow::{Obligation, Standing};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn of(unit: &Unit, indicator: &str, period: Period, standing: Standing) -> StandingOf {
        StandingOf {
            obligation: Obligation {
                unit: unit.clone(),
                indicator: indicator.into(),
                region: "510104".into(),
                period,
                due: planwatch_workflow::period_end(period) + chrono::Days::new(20),
            },
            standing,
        }
    }

    #[test]
    fn each_cell_is_the_worst_of_its_figures_with_counts_and_rates() {
        let plan = planwatch_plan::chengdu::plan();
        let district = Unit::Region("510104".into());
        let department = Unit::Department("commerce".into());
        let on_time = Standing::Reported {
            submitted: day(2024, 4, 1),
            on_time: true,
        };
        let standings = vec![
            of(&district, "gdp", Period::Quarter(2024, 1), on_time),
            of(
                &district,
                "retail_sales",
                Period::Quarter(2024, 1),
                Standing::Missing { late: true },
            ),
            of(
                &district,
                "gdp",
                Period::Year(2024),
                Standing::Returned { late: false },
            ),
            of(&department, "gdp", Period::Quarter(2024, 1), on_time),
            of(&department, "gdp", Period::Year(2023), on_time),
        ];
        let today = day(2025, 6, 1);
        let (periods, rows) = table(&plan, &standings, 2024, None, today, Lang::Zh);
        assert_eq!(periods, [Period::Quarter(2024, 1), Period::Year(2024)]);
        // Units in order: regions, then departments? BTreeMap follows `Unit`'s order.
        let jinjiang = rows.iter().find(|r| r.code == "510104").unwrap();
        assert_eq!(jinjiang.name, "锦江区");
        let q1 = jinjiang.cells[0].clone().unwrap();
        assert_eq!((q1.state, q1.count, q1.of), ("missing", 1, 2));
        assert_eq!(jinjiang.cells[1].as_ref().unwrap().state, "returned");
        assert_eq!(jinjiang.counts.get("on_time"), Some(&1));
        assert_eq!(jinjiang.counts.get("missing"), Some(&1));
        assert_eq!((jinjiang.on_time, jinjiang.due), (1, 3));
        let commerce = rows.iter().find(|r| r.code == "commerce").unwrap();
        assert_eq!(commerce.cells[1], None, "no yearly figure of 2024 owed");
        assert_eq!(commerce.rate, Some(1.0));
        let (_, districts) = table(&plan, &standings, 2024, Some("districts"), today, Lang::Zh);
        assert_eq!(districts.len(), 1);
        let (_, departments) = table(
            &plan,
            &standings,
            2024,
            Some("departments"),
            today,
            Lang::Zh,
        );
        assert_eq!(departments[0].code, "commerce");
        assert_eq!(latest_due_year(&standings, today), Some(2024));
        assert_eq!(latest_due_year(&standings, day(2000, 1, 1)), Some(2023));
    }
}
