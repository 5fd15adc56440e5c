//! Rows checked against the unit that submits them: a district reports its own region, a
//! department the indicators it leads or is responsible for (`planwatch-access`'s unit scope).

use planwatch_access::{Figure, FigureState, Unit};
use planwatch_plan::Plan;

use crate::submission::SubmissionRow;

/// A row the submitting unit does not report. `Display` gives Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeProblem {
    #[error("{region} 不是您的地区 / {region} is not one of your regions")]
    RegionNotYours { region: String },
    #[error(
        "指标 {indicator} 不由您的部门牵头或负责 / {indicator} is not one of your department's indicators"
    )]
    IndicatorNotYours { indicator: String },
    #[error("本规划中没有指标 {0} / the plan has no indicator {0}")]
    UnknownIndicator(String),
}

/// Every row of `rows` that `unit` does not report, with its index in `rows`.
pub fn check_scope(plan: &Plan, unit: &Unit, rows: &[SubmissionRow]) -> Vec<(usize, ScopeProblem)> {
    rows.iter()
        .enumerate()
        .filter_map(|(index, row)| {
            let problem =
                match Figure::of(plan, &row.indicator, &row.region, FigureState::Published) {
                    None => ScopeProblem::UnknownIndicator(row.indicator.clone()),
                    Some(figure) if figure.reported_by(unit) => return None,
                    Some(_) => match unit {
                        Unit::Region(_) => ScopeProblem::RegionNotYours {
                            region: row.region.clone(),
                        },
                        Unit::Department(_) => ScopeProblem::IndicatorNotYours {
                            indicator: row.indicator.clone(),
                        },
                    },
                };
            Some((index, problem))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use planwatch_plan::Period;

    use super::*;

    fn row(indicator: &str, region: &str) -> SubmissionRow {
        SubmissionRow {
            indicator: indicator.into(),
            region: region.into(),
            period: Period::Year(2024),
            value: 1.0,
            note: None,
            source: None,
        }
    }

    #[test]
    fn a_district_reports_its_own_region_only() {
        let plan = planwatch_plan::chengdu::plan();
        let indicator = &plan.indicators[0].code;
        let rows = [row(indicator, "510104"), row(indicator, "510105")];
        let problems = check_scope(&plan, &Unit::Region("510104".into()), &rows);
        assert_eq!(
            problems,
            [(
                1,
                ScopeProblem::RegionNotYours {
                    region: "510105".into()
                }
            )]
        );
        assert_eq!(
            problems[0].1.to_string(),
            "510105 不是您的地区 / 510105 is not one of your regions"
        );
    }

    #[test]
    fn a_department_reports_the_indicators_it_leads_or_shares() {
        let plan = planwatch_plan::chengdu::plan();
        let led = plan
            .indicators
            .iter()
            .find(|i| i.lead_department.is_some())
            .unwrap();
        let lead = Unit::Department(led.lead_department.clone().unwrap());
        let other = plan
            .indicators
            .iter()
            .find(|i| {
                i.lead_department != led.lead_department
                    && !i.departments.contains(&lead.code().to_owned())
            })
            .unwrap();
        let rows = [
            row(&led.code, &plan.region),
            row(&other.code, &plan.region),
            row("no_such_indicator", &plan.region),
        ];
        let problems = check_scope(&plan, &lead, &rows);
        assert_eq!(
            problems,
            [
                (
                    1,
                    ScopeProblem::IndicatorNotYours {
                        indicator: other.code.clone()
                    }
                ),
                (
                    2,
                    ScopeProblem::UnknownIndicator("no_such_indicator".into())
                ),
            ]
        );
    }
}
