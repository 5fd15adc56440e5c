//! The reporting calendar at work: when each period's figure is due (from the plan's
//! [`ReportingCalendar`]), who owes which figure, and from the submissions made and the figures
//! already published: what each unit owes now, what is late, what was returned and not
//! resubmitted, and each unit's on-time rate.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use chrono::{Datelike, Days, NaiveDate};
use planwatch_access::Unit;
use planwatch_plan::{DueRule, Frequency, Period, Plan, RegionKind, Reporter, ReportingCalendar};
use serde::Serialize;

use crate::submission::{Key, Status};

/// The last day of `period`.
pub fn period_end(period: Period) -> NaiveDate {
    let (year, month) = match period {
        Period::Year(year) => (year, 12),
        Period::Quarter(year, quarter) => (year, u32::from(quarter) * 3),
        Period::Month(year, month) => (year, u32::from(month)),
    };
    last_day(i32::from(year), month)
}

/// The last day of `month` (1–12) of `year`.
pub fn last_day(year: i32, month: u32) -> NaiveDate {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|first| first.pred_opt())
        .expect("a month of a year a period can name has a last day")
}

/// The due date of `period` under `rule`. A rule naming neither days nor a month (which plan
/// validation refuses) makes the figure due at the period's end.
pub fn due_date(rule: DueRule, period: Period) -> NaiveDate {
    let end = period_end(period);
    match rule {
        DueRule {
            days_after: Some(days),
            ..
        } => end + Days::new(u64::from(days)),
        DueRule {
            months_after: Some(months),
            day,
            ..
        } => {
            let index = end.month0() + u32::from(months);
            let (year, month) = (end.year() + (index / 12) as i32, index % 12 + 1);
            let last = last_day(year, month);
            let day = day.map_or(last.day(), |day| u32::from(day).clamp(1, last.day()));
            last.with_day(day).unwrap_or(last)
        }
        _ => end,
    }
}

/// One figure a unit owes: an indicator for a region and period, due on `due`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligation {
    pub unit: Unit,
    pub indicator: String,
    pub region: String,
    pub period: Period,
    pub due: NaiveDate,
}

impl Obligation {
    pub fn key(&self) -> Key {
        Key {
            indicator: self.indicator.clone(),
            region: self.region.clone(),
            period: self.period,
        }
    }
}

/// The periods of `frequency` in `year`.
fn periods(year: u16, frequency: Frequency) -> Vec<Period> {
    match frequency {
        Frequency::Year => vec![Period::Year(year)],
        Frequency::Quarter => (1..=4).map(|q| Period::Quarter(year, q)).collect(),
        Frequency::Month => (1..=12).map(|m| Period::Month(year, m)).collect(),
    }
}

/// The plan's districts, counties and county-level cities: who reports a district series.
fn districts(plan: &Plan) -> impl Iterator<Item = &str> {
    plan.regions
        .iter()
        .filter(|region| {
            region.parent.as_deref() == Some(plan.region.as_str())
                && matches!(
                    region.kind,
                    RegionKind::District | RegionKind::County | RegionKind::CountyCity
                )
        })
        .map(|region| region.code.as_str())
}

/// The data providers (数据提供单位) a year's task file records for indicators: by indicator
/// code and year, the units that supply the figure (the store reads them:
/// `Store::data_providers`).
pub type DataProviders = HashMap<(String, u16), Vec<Unit>>;

/// Every figure owed for the periods of `years`, by indicator (in the plan's order), then
/// reporter, region and period. The city's figure (the lead department's part) is owed by the
/// indicator's data providers for a year where `providers` records some, else by its lead
/// department; an indicator reported by its lead department but without one (and without a
/// provider) owes nothing (plan validation points it out).
pub fn obligations(
    plan: &Plan,
    calendar: &ReportingCalendar,
    years: RangeInclusive<u16>,
    providers: &DataProviders,
) -> Vec<Obligation> {
    let mut owed = Vec::new();
    for indicator in &plan.indicators {
        let code = &indicator.code;
        let lead: Vec<Unit> = indicator
            .lead_department
            .iter()
            .map(|lead| Unit::Department(lead.clone()))
            .collect();
        // `None`: the city's figure, owed by the year's providers or the lead department.
        let mut units: Vec<(Option<Unit>, &str)> = Vec::new();
        for reporter in calendar.reporters_of(code) {
            match reporter {
                Reporter::LeadDepartment => units.push((None, &plan.region)),
                Reporter::Districts => units.extend(
                    districts(plan).map(|region| (Some(Unit::Region(region.to_owned())), region)),
                ),
            }
        }
        for (unit, region) in units {
            for &frequency in calendar.frequencies_of(code) {
                let rule = calendar.rule_of(code, frequency);
                for year in years.clone() {
                    let owing = match &unit {
                        Some(unit) => std::slice::from_ref(unit),
                        None => match providers.get(&(code.clone(), year)) {
                            Some(providers) if !providers.is_empty() => providers.as_slice(),
                            _ => lead.as_slice(),
                        },
                    };
                    for unit in owing {
                        for period in periods(year, frequency) {
                            owed.push(Obligation {
                                unit: unit.clone(),
                                indicator: code.clone(),
                                region: region.to_owned(),
                                period,
                                due: due_date(rule, period),
                            });
                        }
                    }
                }
            }
        }
    }
    owed
}

/// What is known of one submission for the calendar: its unit, status, the day it was first
/// submitted (`None` while a draft) and the keys of its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Filed {
    pub unit: Unit,
    pub status: Status,
    pub first_submitted: Option<NaiveDate>,
    pub keys: Vec<Key>,
}

/// The figures already published (an import — the statistics bureau's yearbook, the sample
/// data —, or any unit's approved submission), each with the day it was first published: the
/// earliest import batch holding a revision of it (for a historical release, the day it became
/// known). The store reads them (`Store::published_keys`).
pub type Published = HashMap<Key, NaiveDate>;

/// Where an obligation stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Submitted (waiting for review or approved), first on `submitted`.
    Reported { submitted: NaiveDate, on_time: bool },
    /// Returned and not submitted again; `late` once the due date has passed.
    Returned { late: bool },
    /// Nothing submitted by the unit, but the figure is published already (first `on`): not
    /// owed, never late, and left out of the on-time rate.
    Published { on: NaiveDate },
    /// Nothing submitted (drafts and withdrawn submissions count as nothing) and nothing
    /// published; `late` once the due date has passed.
    Missing { late: bool },
}

impl Standing {
    pub fn is_late(self) -> bool {
        match self {
            Standing::Reported { on_time, .. } => !on_time,
            Standing::Returned { late } | Standing::Missing { late } => late,
            Standing::Published { .. } => false,
        }
    }

    /// Whether the unit still has to (re)submit the figure.
    pub fn is_owed(self) -> bool {
        matches!(self, Standing::Returned { .. } | Standing::Missing { .. })
    }
}

/// How a figure stands for the 报送情况 table, worst last: published without the unit's
/// submission (nothing owed: a state of its own, shown in a neutral colour, so that a figure the
/// unit never sent is not counted as sent on time), on time, not yet due, reported late,
/// returned (and not submitted again), missing past its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    Published,
    OnTime,
    NotYetDue,
    Late,
    Returned,
    Missing,
}

impl Timeliness {
    /// From the worst down, as a table's legend lists them.
    pub const ALL: [Timeliness; 6] = [
        Timeliness::Missing,
        Timeliness::Returned,
        Timeliness::Late,
        Timeliness::NotYetDue,
        Timeliness::OnTime,
        Timeliness::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Timeliness::Published => "published",
            Timeliness::OnTime => "on_time",
            Timeliness::NotYetDue => "not_yet_due",
            Timeliness::Late => "late",
            Timeliness::Returned => "returned",
            Timeliness::Missing => "missing",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Timeliness::Published => "已发布",
            Timeliness::OnTime => "按时",
            Timeliness::NotYetDue => "未到期",
            Timeliness::Late => "逾期报送",
            Timeliness::Returned => "已退回",
            Timeliness::Missing => "缺报",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Timeliness::Published => "published",
            Timeliness::OnTime => "on time",
            Timeliness::NotYetDue => "not yet due",
            Timeliness::Late => "late",
            Timeliness::Returned => "returned",
            Timeliness::Missing => "missing",
        }
    }
}

impl Standing {
    /// The figure's timeliness: a returned figure counts as returned whether or not its due
    /// date has passed; a missing one is missing once its due date has passed.
    pub fn timeliness(self) -> Timeliness {
        match self {
            Standing::Published { .. } => Timeliness::Published,
            Standing::Reported { on_time: true, .. } => Timeliness::OnTime,
            Standing::Reported { on_time: false, .. } => Timeliness::Late,
            Standing::Returned { .. } => Timeliness::Returned,
            Standing::Missing { late: true } => Timeliness::Missing,
            Standing::Missing { late: false } => Timeliness::NotYetDue,
        }
    }
}

/// An obligation with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandingOf {
    pub obligation: Obligation,
    pub standing: Standing,
}

/// Where each obligation stands on `today`, from the submissions `filed` and the figures
/// `published`: a submission counts for the keys of its rows, for its own unit, and comes first
/// (reported, or returned); without one, a published figure is not owed. What is filed and
/// published counts whatever its day, as the store holds it now: `today` moves the due dates'
/// clock only.
pub fn standings(
    obligations: Vec<Obligation>,
    filed: &[Filed],
    published: &Published,
    today: NaiveDate,
) -> Vec<StandingOf> {
    // Per unit and key: the earliest first submission still standing, and whether any
    // submission covering it was returned.
    let mut reported: HashMap<(&Unit, &Key), NaiveDate> = HashMap::new();
    let mut returned: HashMap<(&Unit, &Key), ()> = HashMap::new();
    for submission in filed {
        for key in &submission.keys {
            let at = (&submission.unit, key);
            match (submission.status, submission.first_submitted) {
                (Status::Submitted | Status::Approved, Some(day)) => {
                    let first = reported.entry(at).or_insert(day);
                    *first = (*first).min(day);
                }
                (Status::Returned, _) => {
                    returned.insert(at, ());
                }
                _ => {}
            }
        }
    }
    obligations
        .into_iter()
        .map(|obligation| {
            let key = obligation.key();
            let at = (&obligation.unit, &key);
            let late = today > obligation.due;
            let standing = match (reported.get(&at), returned.contains_key(&at)) {
                (Some(&submitted), _) => Standing::Reported {
                    submitted,
                    on_time: submitted <= obligation.due,
                },
                (None, true) => Standing::Returned { late },
                (None, false) => match published.get(&key) {
                    Some(&on) => Standing::Published { on },
                    None => Standing::Missing { late },
                },
            };
            StandingOf {
                obligation,
                standing,
            }
        })
        .collect()
}

/// What `unit` owes on `today`: the figures of periods already ended that it has not submitted
/// and that are not published, or that were returned and not resubmitted, earliest due first.
pub fn owed_now<'a>(
    standings: &'a [StandingOf],
    unit: &Unit,
    today: NaiveDate,
) -> Vec<&'a StandingOf> {
    ended(standings, unit, today, Standing::is_owed)
}

/// What `unit` is not asked for on `today` because it is published already: the figures of
/// periods already ended that it did not submit and that are published, earliest due first.
pub fn published_now<'a>(
    standings: &'a [StandingOf],
    unit: &Unit,
    today: NaiveDate,
) -> Vec<&'a StandingOf> {
    ended(standings, unit, today, |s| {
        matches!(s, Standing::Published { .. })
    })
}

/// `unit`'s figures of periods ended before `today` that stand as `which` asks, earliest due
/// first.
fn ended<'a>(
    standings: &'a [StandingOf],
    unit: &Unit,
    today: NaiveDate,
    which: impl Fn(Standing) -> bool,
) -> Vec<&'a StandingOf> {
    let mut found: Vec<&StandingOf> = standings
        .iter()
        .filter(|s| {
            s.obligation.unit == *unit
                && period_end(s.obligation.period) < today
                && which(s.standing)
        })
        .collect();
    found.sort_by_key(|s| s.obligation.due);
    found
}

/// A unit's timeliness in a year: of the figures of that year's periods due by the day asked,
/// how many were submitted by their due date. A figure published without the unit's submission
/// is left out (neither on time nor late): the unit was not asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct OnTimeRate {
    pub due: usize,
    pub on_time: usize,
}

impl OnTimeRate {
    /// The share on time, `None` when nothing was due.
    pub fn rate(self) -> Option<f64> {
        (self.due > 0).then(|| self.on_time as f64 / self.due as f64)
    }
}

/// `unit`'s on-time rate for the periods of `year`, counting the figures due before `today`.
pub fn on_time_rate(
    standings: &[StandingOf],
    unit: &Unit,
    year: u16,
    today: NaiveDate,
) -> OnTimeRate {
    standings
        .iter()
        .filter(|s| {
            s.obligation.unit == *unit
                && s.obligation.period.year() == year
                && s.obligation.due < today
                && !matches!(s.standing, Standing::Published { .. })
        })
        .fold(OnTimeRate::default(), |rate, s| OnTimeRate {
            due: rate.due + 1,
            on_time: rate.on_time
                + usize::from(matches!(
                    s.standing,
                    Standing::Reported { on_time: true, .. }
                )),
        })
}

#[cfg(test)]
mod tests;
