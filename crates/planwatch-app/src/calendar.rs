//! The plan's reporting calendar against the submissions made and the figures published: where
//! every figure each unit owes stands on a day (`planwatch submissions owed`, the 填报 and 报送情况
//! pages, the notices sweep). The city's figure of an indicator is owed by the data providers
//! (数据提供单位) the year's task file records for it, else by its lead department.

use std::ops::RangeInclusive;

use chrono::NaiveDate;
use planwatch_plan::Plan;
use planwatch_store::{ObservationFilter, Store, StoreError};
use planwatch_workflow::{Obligation, StandingOf};

/// Every figure owed for the years of the plan, with where it stands on `today` (from the
/// store's submissions and published figures); `None` when the plan has no reporting calendar.
pub async fn standings(
    store: &Store,
    plan: &Plan,
    today: NaiveDate,
) -> Result<Option<Vec<StandingOf>>, StoreError> {
    standings_of(store, plan, plan.period.start..=plan.period.end, today).await
}

/// Every figure owed for the periods of `years`, with where it stands on `today`; `None`
/// when the plan has no reporting calendar.
pub async fn standings_of(
    store: &Store,
    plan: &Plan,
    years: RangeInclusive<u16>,
    today: NaiveDate,
) -> Result<Option<Vec<StandingOf>>, StoreError> {
    let Some(calendar) = &plan.calendar else {
        return Ok(None);
    };
    let providers = store.data_providers(plan).await?;
    let obligations = planwatch_workflow::obligations(plan, calendar, years, &providers);
    let filed = store.filed_submissions(plan).await?;
    let published = store.published_keys(plan, &owed_keys(&obligations)).await?;
    Ok(Some(planwatch_workflow::standings(
        obligations,
        &filed,
        &published,
        today,
    )))
}

/// The observations that may be published figures of `obligations`: their indicators, regions
/// and span of periods (one query for all, cheap enough for a page per request).
fn owed_keys(obligations: &[Obligation]) -> ObservationFilter {
    let mut indicators: Vec<String> = obligations.iter().map(|o| o.indicator.clone()).collect();
    indicators.sort();
    indicators.dedup();
    let mut regions: Vec<String> = obligations.iter().map(|o| o.region.clone()).collect();
    regions.sort();
    regions.dedup();
    let periods = || obligations.iter().map(|o| o.period);
    ObservationFilter {
        indicators,
        regions,
        from: periods().min_by_key(|p| p.key()),
        to: periods().max_by_key(|p| p.key()),
        ..ObservationFilter::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use planwatch_access::Unit;
    use planwatch_plan::Period;

    #[test]
    fn the_filter_spans_the_obligations_keys() {
        let owe = |indicator: &str, region: &str, period| Obligation {
            unit: Unit::Region(region.into()),
            indicator: indicator.into(),
            region: region.into(),
            period,
            due: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        };
        let filter = owed_keys(&[
            owe("gdp", "510104", Period::Quarter(2024, 4)),
            owe("retail_sales", "510104", Period::Year(2023)),
            owe("gdp", "510105", Period::Month(2024, 12)),
        ]);
        assert_eq!(filter.indicators, ["gdp", "retail_sales"]);
        assert_eq!(filter.regions, ["510104", "510105"]);
        // By the stored key: 2023's year first, 2024's fourth quarter (202424) after December.
        assert_eq!(filter.from, Some(Period::Year(2023)));
        assert_eq!(filter.to, Some(Period::Quarter(2024, 4)));
        assert!(owed_keys(&[]).from.is_none());
    }
}
