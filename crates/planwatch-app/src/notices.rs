//! The deadline sweep: from the plan's reporting calendar, what units have filed and what is
//! published already (`calendar::standings_of`, as the pages read it), the
//! `due_soon` and `overdue` notices owed on a day (`planwatch-workflow::notice`), written by the
//! store at most once per user, unit, figure and kind. `planwatch serve` runs it at start and
//! then every hour; `planwatch notices sweep [--date D]` on demand (cron).

use chrono::NaiveDate;
use planwatch_plan::Plan;
use planwatch_store::{Store, StoreError, Who};
use planwatch_workflow::notice::{deadline_notices, sweep_years};

/// What a sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Deadline notices owed on the day (per unit and figure).
    pub owed: usize,
    /// Notices written now (per recipient); those written by an earlier sweep are not again.
    pub written: u64,
}

/// Sweeps `plan` for `today`, as `who`. A plan without a reporting calendar owes nothing.
pub async fn sweep(
    store: &Store,
    who: &Who,
    plan: &Plan,
    today: NaiveDate,
) -> Result<Swept, StoreError> {
    let Some(standings) =
        crate::calendar::standings_of(store, plan, sweep_years(today), today).await?
    else {
        return Ok(Swept {
            owed: 0,
            written: 0,
        });
    };
    let notices = deadline_notices(plan, &standings, today);
    let written = store.sweep_notices(who, plan, today, &notices).await?;
    Ok(Swept {
        owed: notices.len(),
        written,
    })
}
