//! Application services: the store and the evaluation engine wired together — what the
//! command line (`planwatch evaluate`, `targets`) and the web application both ask, so that
//! they give the same numbers. The evaluation stays pure in `planwatch-eval`; reading what it
//! needs from the store happens here.

pub mod calendar;
pub mod notices;
pub mod reports;
pub mod scores_xlsx;
pub mod scoring;
pub mod submissions;
pub mod supervision;
pub mod tasks;

use std::collections::HashMap;

use planwatch_eval::{
    Assessment, Panel, PlanInputs, RegionTargets, RollupGap, Selection, evaluate_plan, rollup_gaps,
};
use planwatch_plan::{Period, Plan};
use planwatch_store::{ObservationFilter, Store, StoreError};
use serde::Serialize;

/// Yearly observations of the plan (latest revisions, or as known at the end of `as_of`), as a
/// panel; only the `regions` given (codes) when there are any.
pub async fn load_panel(
    store: &Store,
    plan: &Plan,
    regions: &[String],
    as_of: Option<String>,
) -> Result<Panel, StoreError> {
    let observations = store
        .observations(
            plan,
            &ObservationFilter {
                regions: regions.to_vec(),
                as_of,
                yearly_only: true,
                ..ObservationFilter::default()
            },
        )
        .await?;
    let (indicators, region_index) = code_indexes(plan);
    let mut panel = Panel::default();
    for o in observations {
        if let (Period::Year(year), Some(&i), Some(&r)) = (
            o.period,
            indicators.get(o.indicator.as_str()),
            region_index.get(o.region.as_str()),
        ) {
            panel.insert(i, r, year, o.value);
        }
    }
    Ok(panel)
}

/// Indicator code → index and region code → index into the plan's lists.
fn code_indexes(plan: &Plan) -> (HashMap<&str, usize>, HashMap<&str, usize>) {
    fn index<'a>(codes: impl Iterator<Item = &'a str>) -> HashMap<&'a str, usize> {
        codes.enumerate().map(|(i, c)| (c, i)).collect()
    }
    (
        index(plan.indicators.iter().map(|x| x.code.as_str())),
        index(plan.regions.iter().map(|x| x.code.as_str())),
    )
}

/// The default evaluation year: the latest year with yearly data for the plan's own region (for
/// any region when it has none), at most the target year; the year after the base year when
/// there is no data at all.
pub async fn default_year(store: &Store, plan: &Plan) -> Result<u16, StoreError> {
    Ok(store
        .latest_year(plan)
        .await?
        .map_or(plan.base_year + 1, |y| y.min(plan.target_year)))
}

/// Every planners' assessment of the year, by indicator index.
async fn assessments(
    store: &Store,
    plan: &Plan,
    year: u16,
) -> Result<HashMap<usize, String>, StoreError> {
    Ok(store
        .assessments(plan, year)
        .await?
        .into_iter()
        .filter_map(|(code, text)| {
            Some((plan.indicators.iter().position(|i| i.code == code)?, text))
        })
        .collect())
}

/// The plan's region targets in force (the latest set saved, see `planwatch targets`), by
/// index; empty when none was saved.
pub async fn stored_region_targets(
    store: &Store,
    plan: &Plan,
) -> Result<RegionTargets, StoreError> {
    let Some((_, rows)) = store.region_targets(plan).await? else {
        return Ok(RegionTargets::new());
    };
    let (indicators, regions) = code_indexes(plan);
    Ok(rows
        .into_iter()
        .filter_map(|t| {
            let i = *indicators.get(t.indicator.as_str())?;
            let r = *regions.get(t.region.as_str())?;
            (t.target < plan.indicators[i].targets.len()).then_some(((i, t.target, r), t.value))
        })
        .collect())
}

/// An evaluation as the CLI prints it with `--format json` and the API returns it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvaluationReport {
    pub plan: String,
    pub year: u16,
    pub results: Vec<Assessment>,
    pub rollup: Vec<RollupGap>,
}

/// What to evaluate: indexes into the plan's lists, `None` for all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EvaluationRequest {
    pub year: Option<u16>,
    pub indicators: Option<Vec<usize>>,
    pub regions: Option<Vec<usize>>,
    pub as_of: Option<String>,
}

/// Evaluates the plan on the store's data (see `planwatch_eval::evaluate_plan`).
pub async fn evaluate(
    store: &Store,
    plan: &Plan,
    request: &EvaluationRequest,
    region_targets: &RegionTargets,
    rollup_tolerance: f64,
) -> Result<EvaluationReport, StoreError> {
    let panel = load_panel(
        store,
        plan,
        &panel_regions(plan, request),
        request.as_of.clone(),
    )
    .await?;
    let year = match (request.year, &request.as_of) {
        (Some(year), _) => year,
        // What was known then: the latest year in the data of that day.
        (None, Some(_)) => panel
            .latest_year()
            .map_or(plan.base_year + 1, |y| y.min(plan.target_year)),
        (None, None) => default_year(store, plan).await?,
    };
    let assessments = assessments(store, plan, year).await?;
    let inputs = PlanInputs {
        panel: &panel,
        region_targets,
        assessments: &assessments,
    };
    let selection = Selection {
        indicators: request.indicators.clone(),
        regions: request.regions.clone(),
    };
    Ok(EvaluationReport {
        plan: plan.id.clone(),
        year,
        results: evaluate_plan(plan, &inputs, year, &selection),
        rollup: rollup_gaps(plan, &panel, rollup_tolerance),
    })
}

/// The regions whose data an evaluation needs: those asked for plus the plan's own (shares and
/// contributions are relative to it); empty — all — when no region is asked for.
fn panel_regions(plan: &Plan, request: &EvaluationRequest) -> Vec<String> {
    let Some(regions) = &request.regions else {
        return Vec::new();
    };
    let mut codes: Vec<String> = regions
        .iter()
        .map(|&r| plan.regions[r].code.clone())
        .collect();
    if !codes.contains(&plan.region) {
        codes.push(plan.region.clone());
    }
    codes
}
