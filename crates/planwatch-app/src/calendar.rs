//! The plan's reporting calendar against the submissions made: where every figure each unit owes
//! stands on a day (`planwatch submissions owed`, the 填报 and 报送情况 pages).

use chrono::NaiveDate;
use planwatch_plan::Plan;
use planwatch_store::{Store, StoreError};
use planwatch_workflow::StandingOf;

/// Every figure owed for the years of the plan, with where it stands on `today` (from the
/// store's submissions); `None` when the plan has no reporting calendar.
pub async fn standings(
    store: &Store,
    plan: &Plan,
    today: NaiveDate,
) -> Result<Option<Vec<StandingOf>>, StoreError> {
    let Some(calendar) = &plan.calendar else {
        return Ok(None);
    };
    let obligations =
        planwatch_workflow::obligations(plan, calendar, plan.period.start..=plan.period.end);
    let filed = store.filed_submissions(plan).await?;
    Ok(Some(planwatch_workflow::standings(
        obligations,
        &filed,
        today,
    )))
}
