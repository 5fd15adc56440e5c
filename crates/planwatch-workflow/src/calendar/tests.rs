use planwatch_plan::{CalendarEntry, EntryDue};
use proptest::prelude::*;

use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn default_rules_give_31_march_20_days_after_a_quarter_and_15_after_a_month() {
    let defaults = planwatch_plan::DueDefaults::default();
    assert_eq!(
        due_date(defaults.rule(Frequency::Year), Period::Year(2024)),
        day(2025, 3, 31)
    );
    assert_eq!(
        due_date(defaults.rule(Frequency::Quarter), Period::Quarter(2024, 1)),
        day(2024, 4, 20)
    );
    assert_eq!(
        due_date(defaults.rule(Frequency::Quarter), Period::Quarter(2024, 4)),
        day(2025, 1, 20)
    );
    assert_eq!(
        due_date(defaults.rule(Frequency::Month), Period::Month(2024, 2)),
        day(2024, 3, 15)
    );
    // Day 31 of a 30-day month is its last day; one month after February's end is March.
    assert_eq!(
        due_date(DueRule::month_day(2, 31), Period::Month(2024, 2)),
        day(2024, 4, 30)
    );
    assert_eq!(period_end(Period::Month(2024, 2)), day(2024, 2, 29));
}

fn calendar() -> ReportingCalendar {
    ReportingCalendar {
        indicators: vec![CalendarEntry {
            indicator: "tourism_revenue".into(),
            frequencies: Some(vec![Frequency::Year, Frequency::Quarter]),
            reporters: Some(vec![Reporter::LeadDepartment, Reporter::Districts]),
            due: Some(EntryDue {
                year: Some(DueRule::month_day(2, 28)),
                ..EntryDue::default()
            }),
        }],
        ..ReportingCalendar::default()
    }
}

#[test]
fn the_lead_department_reports_the_city_and_each_district_its_own_for_district_series() {
    let plan = planwatch_plan::chengdu::plan();
    let tourism = plan
        .indicators
        .iter()
        .find(|i| i.code == "tourism_revenue")
        .expect("the Chengdu plan has tourism_revenue");
    let owed = obligations(&plan, &calendar(), 2024..=2024, &DataProviders::new());
    let tourism_owed: Vec<_> = owed
        .iter()
        .filter(|o| o.indicator == tourism.code)
        .collect();
    let district_count = districts(&plan).count();
    assert!(district_count >= 20, "{district_count}");
    // One year and four quarters, by the lead department and by each district.
    assert_eq!(tourism_owed.len(), 5 * (1 + district_count));
    let lead = Unit::Department(tourism.lead_department.clone().unwrap());
    let city_year = tourism_owed
        .iter()
        .find(|o| o.unit == lead && o.period == Period::Year(2024))
        .unwrap();
    assert_eq!(
        (city_year.region.as_str(), city_year.due),
        ("510100", day(2025, 2, 28))
    );
    assert!(
        tourism_owed
            .iter()
            .any(|o| o.unit == Unit::Region("510105".into())
                && o.region == "510105"
                && o.period == Period::Quarter(2024, 3)
                && o.due == day(2024, 10, 20))
    );
    // Every other indicator: yearly, by its lead department, due 31 March.
    let other = owed.iter().find(|o| o.indicator != tourism.code).unwrap();
    assert_eq!(
        (other.period, other.due),
        (Period::Year(2024), day(2025, 3, 31))
    );
    assert!(matches!(other.unit, Unit::Department(_)));
}

fn key(region: &str, period: Period) -> Key {
    Key {
        indicator: "gdp".into(),
        region: region.into(),
        period,
    }
}

fn obligation(region: &str, period: Period, due: NaiveDate) -> Obligation {
    Obligation {
        unit: Unit::Region(region.into()),
        indicator: "gdp".into(),
        region: region.into(),
        period,
        due,
    }
}

/// 锦江区's GDP of the quarters of 2024, each due 20 days after it.
fn jinjiang_quarters() -> Vec<Obligation> {
    let q = |n| Period::Quarter(2024, n);
    vec![
        obligation("510104", q(1), day(2024, 4, 20)),
        obligation("510104", q(2), day(2024, 7, 20)),
        obligation("510104", q(3), day(2024, 10, 20)),
        obligation("510104", q(4), day(2025, 1, 20)),
    ]
}

/// A submission of 锦江区's first submitted on `first` (`None`: a draft), of one row.
fn jinjiang_filed(status: Status, first: Option<NaiveDate>, key: Key) -> Filed {
    Filed {
        unit: Unit::Region("510104".into()),
        status,
        first_submitted: first,
        keys: vec![key],
    }
}

#[test]
fn standings_owed_and_on_time_rate_follow_the_submissions() {
    let jj = Unit::Region("510104".into());
    let q = |n| Period::Quarter(2024, n);
    let mut owed = jinjiang_quarters();
    owed.push(obligation("510105", q(1), day(2024, 4, 20)));
    let filed = [
        // Q1 on time, then returned and resubmitted (a new version, same submission).
        jinjiang_filed(
            Status::Approved,
            Some(day(2024, 4, 18)),
            key("510104", q(1)),
        ),
        // Q2 late.
        jinjiang_filed(
            Status::Submitted,
            Some(day(2024, 7, 25)),
            key("510104", q(2)),
        ),
        // Q3 returned, not resubmitted.
        jinjiang_filed(
            Status::Returned,
            Some(day(2024, 10, 2)),
            key("510104", q(3)),
        ),
        // Another unit's figure for the same key does not count for 510105's obligation.
        jinjiang_filed(
            Status::Submitted,
            Some(day(2024, 4, 1)),
            key("510105", q(1)),
        ),
        // A draft is nothing yet.
        jinjiang_filed(Status::Draft, None, key("510104", q(4))),
    ];
    let today = day(2024, 12, 1);
    let all = standings(owed, &filed, &Published::new(), today);
    let got: Vec<Standing> = all.iter().map(|s| s.standing).collect();
    assert_eq!(
        got,
        [
            Standing::Reported {
                submitted: day(2024, 4, 18),
                on_time: true
            },
            Standing::Reported {
                submitted: day(2024, 7, 25),
                on_time: false
            },
            Standing::Returned { late: true },
            Standing::Missing { late: false },
            Standing::Missing { late: true },
        ]
    );
    // Q4 has not ended on 1 December: not owed yet.
    let now: Vec<Period> = owed_now(&all, &jj, today)
        .iter()
        .map(|s| s.obligation.period)
        .collect();
    assert_eq!(now, [q(3)]);
    assert_eq!(
        on_time_rate(&all, &jj, 2024, today),
        OnTimeRate { due: 3, on_time: 1 }
    );
    assert_eq!(on_time_rate(&all, &jj, 2023, today).rate(), None);
    let later = on_time_rate(&all, &jj, 2024, day(2025, 2, 1));
    assert_eq!((later.due, later.on_time), (4, 1));
}

#[test]
fn a_published_figure_is_not_owed_unless_the_unit_submitted_it() {
    let jj = Unit::Region("510104".into());
    let q = |n| Period::Quarter(2024, n);
    let mut owed = jinjiang_quarters();
    owed.push(obligation("510104", Period::Year(2024), day(2025, 3, 31)));
    // Everything but the yearly figure is published (an import), Q4 before its due date.
    let published: Published = [
        (key("510104", q(1)), day(2024, 5, 2)),
        (key("510104", q(2)), day(2024, 8, 1)),
        (key("510104", q(3)), day(2024, 11, 5)),
        (key("510104", q(4)), day(2024, 12, 20)),
    ]
    .into_iter()
    .collect();
    let filed = [
        // The unit's own submission comes first: Q1 reported late, Q2 returned.
        jinjiang_filed(
            Status::Submitted,
            Some(day(2024, 4, 25)),
            key("510104", q(1)),
        ),
        jinjiang_filed(
            Status::Returned,
            Some(day(2024, 7, 10)),
            key("510104", q(2)),
        ),
        // A withdrawn submission counts as nothing: Q3 stands as published.
        jinjiang_filed(
            Status::Withdrawn,
            Some(day(2024, 10, 1)),
            key("510104", q(3)),
        ),
    ];
    let today = day(2025, 6, 1);
    let all = standings(owed, &filed, &published, today);
    let got: Vec<Standing> = all.iter().map(|s| s.standing).collect();
    assert_eq!(
        got,
        [
            Standing::Reported {
                submitted: day(2024, 4, 25),
                on_time: false
            },
            Standing::Returned { late: true },
            Standing::Published {
                on: day(2024, 11, 5)
            },
            Standing::Published {
                on: day(2024, 12, 20)
            },
            Standing::Missing { late: true },
        ]
    );
    let published_q3 = all[2].standing;
    assert!(!published_q3.is_owed() && !published_q3.is_late());
    assert_eq!(published_q3.timeliness(), Timeliness::Published);
    // Owed now: the returned quarter and the yearly figure, not the published ones.
    let now: Vec<Period> = owed_now(&all, &jj, today)
        .iter()
        .map(|s| s.obligation.period)
        .collect();
    assert_eq!(now, [q(2), Period::Year(2024)]);
    let not_asked: Vec<Period> = published_now(&all, &jj, today)
        .iter()
        .map(|s| s.obligation.period)
        .collect();
    assert_eq!(not_asked, [q(3), q(4)]);
    assert!(
        published_now(&all, &jj, day(2024, 12, 1)).len() == 1,
        "Q4 not ended"
    );
    // The rate leaves Q3 and Q4 out: of Q1 (late), Q2 (returned) and the year (missing), none
    // on time.
    assert_eq!(
        on_time_rate(&all, &jj, 2024, today),
        OnTimeRate { due: 3, on_time: 0 }
    );
    // With nothing published, the same figures are owed and counted.
    let unpublished = standings(
        all.iter().map(|s| s.obligation.clone()).collect(),
        &filed,
        &Published::new(),
        today,
    );
    assert_eq!(
        unpublished[2].standing,
        Standing::Missing { late: true },
        "a withdrawn submission is nothing"
    );
    assert_eq!(owed_now(&unpublished, &jj, today).len(), 4);
    assert_eq!(on_time_rate(&unpublished, &jj, 2024, today).due, 5);
}

#[test]
fn timeliness_names_each_standing_and_orders_the_worst_last() {
    let day = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
    let cases = [
        (
            Standing::Reported {
                submitted: day,
                on_time: true,
            },
            Timeliness::OnTime,
        ),
        (
            Standing::Reported {
                submitted: day,
                on_time: false,
            },
            Timeliness::Late,
        ),
        (Standing::Returned { late: false }, Timeliness::Returned),
        (Standing::Returned { late: true }, Timeliness::Returned),
        (Standing::Missing { late: false }, Timeliness::NotYetDue),
        (Standing::Missing { late: true }, Timeliness::Missing),
        (Standing::Published { on: day }, Timeliness::Published),
    ];
    for (standing, timeliness) in cases {
        assert_eq!(standing.timeliness(), timeliness, "{standing:?}");
    }
    let worst = [Timeliness::OnTime, Timeliness::Missing, Timeliness::Late]
        .into_iter()
        .max();
    assert_eq!(worst, Some(Timeliness::Missing));
    assert!(Timeliness::Late > Timeliness::NotYetDue && Timeliness::Returned > Timeliness::Late);
    // Published is the mildest: a period with a figure on time beside a published one is on time.
    assert_eq!(
        [Timeliness::Published, Timeliness::OnTime]
            .into_iter()
            .max(),
        Some(Timeliness::OnTime)
    );
    assert_eq!(Timeliness::Published.label_zh(), "已发布");
    let labels: std::collections::HashSet<&str> =
        Timeliness::ALL.iter().map(|t| t.label_zh()).collect();
    assert_eq!(labels.len(), Timeliness::ALL.len());
}

fn any_period() -> impl Strategy<Value = Period> {
    prop_oneof![
        (2000u16..2100).prop_map(Period::Year),
        (2000u16..2100, 1u8..=4).prop_map(|(y, q)| Period::Quarter(y, q)),
        (2000u16..2100, 1u8..=12).prop_map(|(y, m)| Period::Month(y, m)),
    ]
}

fn any_rule() -> impl Strategy<Value = DueRule> {
    prop_oneof![
        (0u16..400).prop_map(DueRule::days_after),
        (1u8..=12, 1u8..=31).prop_map(|(m, d)| DueRule::month_day(m, d)),
    ]
}

proptest! {
    /// A figure is never due before its period has ended, and a later period of the same kind
    /// is never due earlier than an earlier one.
    #[test]
    fn due_dates_follow_the_periods(rule in any_rule(), period in any_period()) {
        let due = due_date(rule, period);
        prop_assert!(due >= period_end(period));
        if let Some(days) = rule.days_after {
            prop_assert_eq!((due - period_end(period)).num_days(), i64::from(days));
        } else {
            prop_assert!(due > period_end(period));
        }
        let next = match period {
            Period::Year(y) => Period::Year(y + 1),
            Period::Quarter(y, 4) => Period::Quarter(y + 1, 1),
            Period::Quarter(y, q) => Period::Quarter(y, q + 1),
            Period::Month(y, 12) => Period::Month(y + 1, 1),
            Period::Month(y, m) => Period::Month(y, m + 1),
        };
        prop_assert!(due_date(rule, next) >= due);
    }
}

#[test]
fn a_data_provider_owes_the_city_figure_of_its_year_instead_of_the_lead_department() {
    let plan = planwatch_plan::chengdu::plan();
    let statistics = Unit::Department("statistics".into());
    let survey = Unit::Department("survey_team".into());
    let culture = Unit::Department("culture_tourism".into());
    let providers = DataProviders::from([(
        ("tourism_revenue".to_owned(), 2024),
        vec![statistics.clone(), survey.clone()],
    )]);
    let owed = obligations(&plan, &calendar(), 2023..=2024, &providers);
    let city = |unit: &Unit, year: u16| {
        owed.iter()
            .filter(|o| {
                o.indicator == "tourism_revenue"
                    && o.region == "510100"
                    && o.unit == *unit
                    && o.period.year() == year
            })
            .count()
    };
    // 2024: both providers owe the year and the quarters; the lead department nothing.
    assert_eq!((city(&statistics, 2024), city(&survey, 2024)), (5, 5));
    assert_eq!(city(&culture, 2024), 0);
    // 2023, with no provider recorded: the lead department, as before.
    assert_eq!(city(&culture, 2023), 5);
    assert_eq!(city(&statistics, 2023), 0);
    // The districts' own series do not move.
    let jinjiang = Unit::Region("510104".into());
    assert!(owed.iter().any(|o| o.unit == jinjiang
        && o.indicator == "tourism_revenue"
        && o.period == Period::Quarter(2024, 2)));
    // An empty list of providers is no provider.
    let none = DataProviders::from([(("tourism_revenue".to_owned(), 2024), Vec::new())]);
    let owed = obligations(&plan, &calendar(), 2024..=2024, &none);
    assert!(
        owed.iter()
            .any(|o| o.unit == culture && o.region == "510100")
    );
}
