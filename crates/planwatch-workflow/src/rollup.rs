//! Roll-up checks in the review of a submission ("districts against the city"): for each
//! indicator and period a submission touches where the plan's roll-up rule applies
//! (`Plan::rollup_districts`, additive indicators, `ROLLUP_TOLERANCE_PERCENT` — the import's
//! rule), the districts' figures as they would stand after approval (published, or this
//! submission's) summed against the plan region's figure (published, or this submission's).

use std::collections::BTreeSet;

use planwatch_plan::{Period, Plan};
use serde::Serialize;

use crate::submission::{Key, SubmissionRow};

/// How the districts' sum stands against the plan region's figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RollupStatus {
    /// Every district is known and their sum is the city's figure, within the tolerance.
    Ok,
    /// The sum is off the city's figure beyond the tolerance: above it (whether or not every
    /// district is known — the import will flag it), or below it with every district known.
    Mismatch,
    /// Not every district is known, or the city's figure is not: nothing to conclude (yet).
    Incomplete,
}

/// The roll-up of one indicator in one period, after approval.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rollup {
    /// The indicator's code.
    pub indicator: String,
    /// 2024, 2024-Q1 or 2024-06.
    #[serde(serialize_with = "as_text")]
    #[schema(value_type = String)]
    pub period: Period,
    pub status: RollupStatus,
    /// The sum of the districts' figures that are known.
    pub sum: f64,
    /// The plan region's figure, when known.
    pub city: Option<f64>,
    /// `sum - city`, when the city's figure is known.
    pub difference: Option<f64>,
    /// The difference in percent of the city's figure (none when it is unknown or 0).
    pub percent: Option<f64>,
    /// How many of the districts have a figure.
    pub districts_known: usize,
    pub districts: usize,
}

fn as_text<S: serde::Serializer>(period: &Period, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(period)
}

/// The arithmetic of one roll-up: `districts` (each district's figure, if known) against the
/// `city`'s, with `tolerance_percent` of the city's figure for rounding. Returns the status and
/// the sum of the known figures.
pub fn judge(
    districts: &[Option<f64>],
    city: Option<f64>,
    tolerance_percent: f64,
) -> (RollupStatus, f64) {
    let sum: f64 = districts.iter().flatten().sum();
    let complete = districts.iter().all(Option::is_some);
    let Some(city) = city else {
        return (RollupStatus::Incomplete, sum);
    };
    // As the import: a margin for the float sum, on top of the tolerance.
    let bound = city.abs() * tolerance_percent / 100.0 + 1e-9 * (1.0 + city.abs());
    let status = if sum - city > bound {
        RollupStatus::Mismatch
    } else if !complete {
        RollupStatus::Incomplete
    } else if city - sum > bound {
        RollupStatus::Mismatch
    } else {
        RollupStatus::Ok
    };
    (status, sum)
}

/// Whether a figure of `indicator` for `region` (codes) takes part in the plan's roll-up, whose
/// `districts` (indexes into the plan's regions) are given.
fn rolls_up(plan: &Plan, districts: &[usize], indicator: &str, region: &str) -> bool {
    plan.indicators
        .iter()
        .any(|i| i.code == indicator && i.additive)
        && plan.rollup_total().is_some()
        && !districts.is_empty()
        && (plan.region == region || districts.iter().any(|&d| plan.regions[d].code == region))
}

/// The (indicator, period) pairs of `rows` the roll-up applies to, in the plan's order of
/// indicators, then by period.
fn pairs(plan: &Plan, rows: &[SubmissionRow]) -> Vec<(usize, Period)> {
    let districts = plan.rollup_districts();
    let touched: BTreeSet<(usize, Period)> = rows
        .iter()
        .filter(|row| rolls_up(plan, &districts, &row.indicator, &row.region))
        .filter_map(|row| {
            let indicator = plan
                .indicators
                .iter()
                .position(|i| i.code == row.indicator)?;
            Some((indicator, row.period))
        })
        .collect();
    touched.into_iter().collect()
}

/// The keys whose published figures the roll-up checks of `rows` need: every district's and the
/// plan region's, for each pair the rows touch.
pub fn rollup_keys(plan: &Plan, rows: &[SubmissionRow]) -> Vec<Key> {
    let districts = plan.rollup_districts();
    let regions = std::iter::once(plan.region.as_str())
        .chain(districts.iter().map(|&d| plan.regions[d].code.as_str()));
    let regions: Vec<&str> = regions.collect();
    pairs(plan, rows)
        .into_iter()
        .flat_map(|(indicator, period)| {
            regions.iter().map(move |region| Key {
                indicator: plan.indicators[indicator].code.clone(),
                region: (*region).to_owned(),
                period,
            })
        })
        .collect()
}

/// The roll-up checks of `rows` (a submission's, checked: one value a key) against the figures
/// `published` now: each district's and the city's figure is the row's when the submission has
/// one, else the published one.
pub fn rollups(
    plan: &Plan,
    rows: &[SubmissionRow],
    published: impl Fn(&Key) -> Option<f64>,
    tolerance_percent: f64,
) -> Vec<Rollup> {
    let districts = plan.rollup_districts();
    let submitted: std::collections::HashMap<Key, f64> =
        rows.iter().map(|row| (row.key(), row.value)).collect();
    let after = |indicator: &str, region: &str, period: Period| {
        let key = Key {
            indicator: indicator.to_owned(),
            region: region.to_owned(),
            period,
        };
        submitted.get(&key).copied().or_else(|| published(&key))
    };
    pairs(plan, rows)
        .into_iter()
        .map(|(indicator, period)| {
            let code = &plan.indicators[indicator].code;
            let figures: Vec<Option<f64>> = districts
                .iter()
                .map(|&d| after(code, &plan.regions[d].code, period))
                .collect();
            let city = after(code, &plan.region, period);
            let (status, sum) = judge(&figures, city, tolerance_percent);
            let operands: Vec<f64> = figures.iter().flatten().copied().chain(city).collect();
            let sum = crate::changes::as_written(sum, &operands);
            let difference = city.map(|c| crate::changes::as_written(sum - c, &operands));
            Rollup {
                indicator: code.clone(),
                period,
                status,
                sum,
                city,
                difference,
                percent: difference
                    .zip(city)
                    .filter(|&(_, c)| c != 0.0)
                    .map(|(d, c)| d / c.abs() * 100.0),
                districts_known: figures.iter().flatten().count(),
                districts: figures.len(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use planwatch_plan::ROLLUP_TOLERANCE_PERCENT;
    use proptest::prelude::*;

    use super::*;

    fn chengdu() -> Plan {
        planwatch_plan::chengdu::plan()
    }

    fn row(indicator: &str, region: &str, period: Period, value: f64) -> SubmissionRow {
        SubmissionRow {
            indicator: indicator.into(),
            region: region.into(),
            period,
            value,
            note: None,
            source: None,
        }
    }

    fn key(indicator: &str, region: &str, period: Period) -> Key {
        row(indicator, region, period, 0.0).key()
    }

    /// The codes of the Chengdu plan's districts.
    fn districts(plan: &Plan) -> Vec<String> {
        plan.rollup_districts()
            .into_iter()
            .map(|d| plan.regions[d].code.clone())
            .collect()
    }

    #[test]
    fn a_district_submission_is_summed_with_the_published_figures_of_the_others() {
        let plan = chengdu();
        let codes = districts(&plan);
        assert_eq!(codes.len(), 20);
        let y = Period::Year(2023);
        let q = Period::Quarter(2023, 1);
        // Every district published 100 in 2023 (锦江区 replaced by its submission), the city
        // 2 001; in 2023-Q1 only the city.
        let mut published: HashMap<Key, f64> = codes
            .iter()
            .map(|code| (key("retail_sales", code, y), 100.0))
            .collect();
        published.insert(key("retail_sales", "510100", y), 2001.0);
        published.insert(key("retail_sales", "510100", q), 500.0);
        let rows = [
            row("retail_sales", "510104", y, 101.0),
            row("retail_sales", "510104", q, 30.0),
            // A share does not add up; a managed area is not a district.
            row("services_share_of_gdp", "510104", y, 60.0),
            row("retail_sales", "gaoxin", y, 7.0),
        ];
        let checks = rollups(
            &plan,
            &rows,
            |k| published.get(k).copied(),
            ROLLUP_TOLERANCE_PERCENT,
        );
        assert_eq!(checks.len(), 2, "{checks:?}");
        let year = &checks[0];
        assert_eq!((year.period, year.status), (y, RollupStatus::Ok));
        assert_eq!(
            (year.sum, year.city, year.difference),
            (2001.0, Some(2001.0), Some(0.0))
        );
        assert_eq!((year.districts_known, year.districts), (20, 20));
        let quarter = &checks[1];
        assert_eq!(
            (quarter.period, quarter.status, quarter.sum),
            (q, RollupStatus::Incomplete, 30.0)
        );
        assert_eq!((quarter.districts_known, quarter.districts), (1, 20));
        // The keys to read: every district and the city, for each pair.
        assert_eq!(rollup_keys(&plan, &rows).len(), 2 * 21);
    }

    #[test]
    fn districts_above_the_city_are_a_mismatch_even_when_some_are_missing() {
        let plan = chengdu();
        let y = Period::Year(2024);
        let published: HashMap<Key, f64> = [(key("retail_sales", "510100", y), 500.0)].into();
        let rows = [row("retail_sales", "510104", y, 600.0)];
        let checks = rollups(&plan, &rows, |k| published.get(k).copied(), 0.5);
        assert_eq!(checks[0].status, RollupStatus::Mismatch);
        assert_eq!(checks[0].difference, Some(100.0));
        assert_eq!(checks[0].percent, Some(20.0));
        assert_eq!(checks[0].districts_known, 1);
        // The city's own figure in the submission counts instead of the published one; without
        // any, nothing can be concluded.
        let rows = [
            row("retail_sales", "510104", y, 600.0),
            row("retail_sales", "510100", y, 900.0),
        ];
        let checks = rollups(&plan, &rows, |k| published.get(k).copied(), 0.5);
        assert_eq!(checks.len(), 1);
        assert_eq!(
            (checks[0].status, checks[0].city),
            (RollupStatus::Incomplete, Some(900.0))
        );
        let checks = rollups(&plan, &rows[..1], |_| None, 0.5);
        assert_eq!(
            (checks[0].status, checks[0].city, checks[0].difference),
            (RollupStatus::Incomplete, None, None)
        );
    }

    #[test]
    fn below_the_city_is_a_mismatch_once_every_district_is_known() {
        assert_eq!(
            judge(&[Some(400.0), Some(500.0)], Some(1000.0), 0.5),
            (RollupStatus::Mismatch, 900.0)
        );
        assert_eq!(
            judge(&[Some(400.0), None], Some(1000.0), 0.5),
            (RollupStatus::Incomplete, 400.0)
        );
        // Within the tolerance either way.
        assert_eq!(
            judge(&[Some(498.0), Some(500.0)], Some(1000.0), 0.5).0,
            RollupStatus::Ok
        );
        assert_eq!(
            judge(&[Some(502.0), Some(503.0)], Some(1000.0), 0.5).0,
            RollupStatus::Ok
        );
        assert_eq!(
            judge(&[Some(503.0), Some(503.0)], Some(1000.0), 0.5).0,
            RollupStatus::Mismatch
        );
    }

    proptest! {
        /// Districts that add up to the city are `ok` in any order; scaled beyond the tolerance
        /// they are a mismatch; with one unknown and the rest not above the city, incomplete.
        #[test]
        fn the_arithmetic_of_a_rollup(
            figures in prop::collection::vec(0.0f64..1e7, 1..25),
            factor in 1.0f64..3.0,
            missing in any::<prop::sample::Index>(),
            seed in any::<u64>(),
        ) {
            let city: f64 = figures.iter().sum();
            let known: Vec<Option<f64>> = figures.iter().copied().map(Some).collect();
            let (status, sum) = judge(&known, Some(city), ROLLUP_TOLERANCE_PERCENT);
            prop_assert_eq!(status, RollupStatus::Ok);
            prop_assert!((sum - city).abs() <= 1e-6 * (1.0 + city));

            let mut shuffled = known.clone();
            let n = shuffled.len();
            shuffled.rotate_left((seed as usize) % n);
            prop_assert_eq!(judge(&shuffled, Some(city), ROLLUP_TOLERANCE_PERCENT).0, RollupStatus::Ok);

            if city > 1.0 {
                let beyond = 1.0 + ROLLUP_TOLERANCE_PERCENT / 100.0 * factor * 1.01;
                // The city smaller than the sum beyond the tolerance, or larger.
                let (above, _) = judge(&known, Some(city / beyond), ROLLUP_TOLERANCE_PERCENT);
                prop_assert_eq!(above, RollupStatus::Mismatch);
                let (below, _) = judge(&known, Some(city * beyond), ROLLUP_TOLERANCE_PERCENT);
                prop_assert_eq!(below, RollupStatus::Mismatch);
                let within = 1.0 + ROLLUP_TOLERANCE_PERCENT / 100.0 * 0.99;
                prop_assert_eq!(judge(&known, Some(city * within), ROLLUP_TOLERANCE_PERCENT).0, RollupStatus::Ok);
            }

            let mut partial = known.clone();
            partial[missing.index(n)] = None;
            let (status, sum) = judge(&partial, Some(city), ROLLUP_TOLERANCE_PERCENT);
            prop_assert_eq!(status, RollupStatus::Incomplete);
            prop_assert!(sum <= city + 1e-6 * (1.0 + city));
            prop_assert_eq!(judge(&known, None, ROLLUP_TOLERANCE_PERCENT).0, RollupStatus::Incomplete);
        }
    }
}
