//! Golden cases for every target kind and properties of the maths.

use planwatch_plan::{
    Baseline, Direction, GrowthBasis, Indicator, Nature, Relation, SourceRef, Target, Text,
};
use proptest::prelude::*;

use crate::{Inputs, Series, Status, Thresholds, evaluate};

fn indicator(unit: &str, direction: Direction) -> Indicator {
    Indicator {
        code: "x".into(),
        number: Some(1),
        name: Text::new("指标", "Indicator"),
        unit: unit.into(),
        dimension: None,
        industry: None,
        nature: Nature::Expected,
        direction,
        additive: true,
        bounds: None,
        baseline: None,
        targets: Vec::new(),
        lead_department: None,
        departments: Vec::new(),
        definition: None,
        growth_indicator: None,
        level_indicator: None,
        unit_en: None,
        breaks: Vec::new(),
        source_ref: SourceRef("1".into()),
        note: None,
    }
}

fn r() -> SourceRef {
    SourceRef("1".into())
}

fn series(points: &[(u16, f64)]) -> Series {
    points.iter().copied().collect()
}

fn inputs(series: &Series) -> Inputs<'_> {
    Inputs {
        series,
        growth: None,
        levels: None,
        reference: None,
        assessment: None,
        base_year: 2020,
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9 * b.abs().max(1.0))
}

#[test]
fn level_golden() {
    // b = 100 (2020), T = 161.051 (2025) needs 10 % a year; 2022 = 115.5 is 7.47 % a year.
    let ind = indicator("亿元", Direction::HigherIsBetter);
    let s = series(&[(2020, 100.0), (2021, 107.0), (2022, 115.5)]);
    let target = Target::Level {
        value: 161.051,
        year: 2025,
        approximate: false,
        source_ref: r(),
    };
    let e = evaluate(&ind, &target, &inputs(&s), 2023, &Thresholds::default());
    assert_eq!((e.latest_year, e.latest_value), (Some(2022), Some(115.5)));
    assert!(close(e.required_growth, 0.1));
    assert!(close(e.actual_growth, 115.5f64.sqrt() / 10.0 - 1.0));
    assert!(close(e.completion, 115.5 / 161.051));
    assert!(close(e.distance_covered, 15.5 / 61.051));
    assert!(close(e.time_elapsed, 0.4));
    let a = 115.5f64.sqrt() / 10.0 - 1.0;
    assert!(close(e.growth_ratio, a / 0.1));
    assert!(close(e.projection, 115.5 * (1.0 + a).powi(3)));
    assert!(close(
        e.required_growth_remaining,
        (161.051f64 / 115.5).powf(1.0 / 3.0) - 1.0
    ));
    assert_eq!(e.status, Status::AccelerationNeeded); // R = 0.747
    assert_eq!(e.time_rule_met, Some(false)); // 0.254 < 0.4
    assert!(close(e.milestones.get(&2022).copied(), 121.0));
    assert!(close(e.milestone_gap, 115.5 / 121.0 - 1.0));
    assert!(e.reason_zh.contains("需年均增长"), "{}", e.reason_zh);
}

#[test]
fn the_plan_baseline_is_used_when_the_store_has_none() {
    let mut ind = indicator("亿元", Direction::HigherIsBetter);
    ind.baseline = Some(Baseline {
        value: 8118.5,
        year: 2020,
        source_ref: r(),
        note: None,
    });
    let s = series(&[(2023, 10001.6)]);
    let target = Target::Level {
        value: 11000.0,
        year: 2025,
        approximate: false,
        source_ref: r(),
    };
    let e = evaluate(&ind, &target, &inputs(&s), 2023, &Thresholds::default());
    assert_eq!(e.baseline_value, Some(8118.5));
    assert_eq!(e.status, Status::OnTrack);
}

#[test]
fn share_is_linear_in_points() {
    let ind = indicator("%", Direction::HigherIsBetter);
    let s = series(&[(2020, 40.0), (2022, 43.0)]);
    let target = Target::Share {
        value: 50.0,
        year: 2025,
        source_ref: r(),
    };
    let e = evaluate(&ind, &target, &inputs(&s), 2022, &Thresholds::default());
    assert!(close(e.actual_growth, 1.5)); // points a year
    assert!(close(e.required_growth, 2.0));
    assert!(close(e.projection, 47.5));
    assert!(close(e.growth_ratio, 0.75));
    assert!(close(e.required_growth_remaining, 7.0 / 3.0));
    assert!(close(e.milestone_gap, 43.0 - 44.0));
    assert_eq!(e.status, Status::AccelerationNeeded);
}

#[test]
fn strict_bound_needs_to_be_exceeded() {
    let ind = indicator("亿元", Direction::HigherIsBetter);
    let s = series(&[(2020, 12000.0), (2025, 17600.0)]);
    let strict = Target::StrictLevel {
        value: 17600.0,
        year: 2025,
        source_ref: r(),
    };
    assert_eq!(
        evaluate(&ind, &strict, &inputs(&s), 2025, &Thresholds::default()).status,
        Status::NotAchieved
    );
    let plain = Target::Level {
        value: 17600.0,
        year: 2025,
        approximate: false,
        source_ref: r(),
    };
    assert_eq!(
        evaluate(&ind, &plain, &inputs(&s), 2025, &Thresholds::default()).status,
        Status::Achieved
    );
}

/// A growth-rate indicator in % measured through a level series, and its 16 % target.
fn growth_through_levels() -> (Indicator, Target) {
    let mut ind = indicator("%", Direction::HigherIsBetter);
    ind.level_indicator = Some("levels".into());
    let target = Target::AverageGrowth {
        value: 16.0,
        from: 2020,
        to: 2025,
        source_ref: r(),
    };
    (ind, target)
}

#[test]
fn average_growth_from_levels_or_from_yearly_rates() {
    let (ind, target) = growth_through_levels();
    let levels = series(&[(2020, 3005.18), (2021, 3600.0), (2022, 4000.0)]);
    let own = Series::new();
    let input = Inputs {
        levels: Some(&levels),
        ..inputs(&own)
    };
    let e = evaluate(&ind, &target, &input, 2022, &Thresholds::default());
    let a = (4000.0f64 / 3005.18).sqrt() - 1.0;
    assert!(close(e.actual_growth, a));
    assert!(close(e.growth_ratio, a / 0.16));
    assert_eq!(e.target_value, Some(16.0));
    assert_eq!(e.status, Status::OnTrack); // 15.37 % of 16 %: R = 0.96
    // Only yearly rates observed: the geometric mean.
    let rates = series(&[(2021, 10.0), (2022, 12.0)]);
    let e = evaluate(&ind, &target, &inputs(&rates), 2022, &Thresholds::default());
    assert!(close(e.actual_growth, (1.1f64 * 1.12).sqrt() - 1.0));
}

#[test]
fn growth_range_below_within_above() {
    let ind = indicator("亿元", Direction::HigherIsBetter);
    let levels = series(&[(2020, 100.0)]);
    let target = Target::GrowthRange {
        min: 6.0,
        max: 8.0,
        from: 2020,
        to: 2025,
        basis: GrowthBasis::Real,
        source_ref: r(),
    };
    for (rates, status, word) in [
        // √(1.086 × 1.028) − 1 = 5.66 %: R = 0.94.
        (
            series(&[(2021, 8.6), (2022, 2.8)]),
            Status::AccelerationNeeded,
            "低于",
        ),
        (
            series(&[(2021, 2.0), (2022, 2.0)]),
            Status::LimitedProgress,
            "低于",
        ),
        (series(&[(2021, 7.0), (2022, 7.0)]), Status::OnTrack, "处于"),
        (series(&[(2021, 9.0), (2022, 9.0)]), Status::OnTrack, "高于"),
    ] {
        let input = Inputs {
            growth: Some(&rates),
            ..inputs(&levels)
        };
        let e = evaluate(&ind, &target, &input, 2022, &Thresholds::default());
        assert_eq!(e.status, status, "{}", e.reason_zh);
        assert!(e.reason_zh.contains(word), "{}", e.reason_zh);
    }
}

#[test]
fn cumulative_pace() {
    let ind = indicator("亿美元", Direction::HigherIsBetter);
    let s = series(&[(2021, 15.0), (2022, 20.0), (2023, 25.0)]);
    let target = Target::Cumulative {
        value: 100.0,
        from: 2021,
        to: 2025,
        approximate: false,
        strict: false,
        source_ref: r(),
    };
    let e = evaluate(&ind, &target, &inputs(&s), 2023, &Thresholds::default());
    assert_eq!(e.latest_value, Some(60.0));
    assert!(close(e.completion, 0.6));
    assert!(close(e.projection, 100.0));
    assert!(close(e.growth_ratio, 1.0));
    assert_eq!(e.status, Status::OnTrack);
    assert_eq!(e.time_rule_met, Some(true));
}

#[test]
fn relative_to_a_reference() {
    let ind = indicator("%", Direction::HigherIsBetter);
    let own = series(&[(2022, 41.0)]);
    let nation = series(&[(2022, 40.0)]);
    let target = Target::Relative {
        reference: "100000".into(),
        relation: Relation::Above,
        year: 2025,
        source_ref: r(),
    };
    let input = Inputs {
        reference: Some(&nation),
        ..inputs(&own)
    };
    assert_eq!(
        evaluate(&ind, &target, &input, 2022, &Thresholds::default()).status,
        Status::OnTrack
    );
    let e = evaluate(&ind, &target, &inputs(&own), 2022, &Thresholds::default());
    assert_eq!(e.status, Status::NotAssessable);
}

#[test]
fn edge_cases() {
    let ind = indicator("亿元", Direction::HigherIsBetter);
    let target = Target::Level {
        value: 200.0,
        year: 2025,
        approximate: false,
        source_ref: r(),
    };
    let t = Thresholds::default();
    // No data after the base year.
    assert_eq!(
        evaluate(&ind, &target, &inputs(&series(&[(2020, 100.0)])), 2023, &t).status,
        Status::NoData
    );
    // No baseline at all.
    assert_eq!(
        evaluate(&ind, &target, &inputs(&series(&[(2022, 100.0)])), 2023, &t).status,
        Status::NotAssessable
    );
    // Zero or negative values have no compound growth.
    assert_eq!(
        evaluate(
            &ind,
            &target,
            &inputs(&series(&[(2020, 0.0), (2022, 5.0)])),
            2023,
            &t
        )
        .status,
        Status::NotAssessable
    );
    // Baseline already beyond the target, then below it.
    let e = evaluate(
        &ind,
        &target,
        &inputs(&series(&[(2020, 250.0), (2022, 190.0)])),
        2023,
        &t,
    );
    assert_eq!(e.status, Status::Deterioration);
    // Falling: deterioration.
    assert_eq!(
        evaluate(
            &ind,
            &target,
            &inputs(&series(&[(2020, 100.0), (2022, 90.0)])),
            2023,
            &t
        )
        .status,
        Status::Deterioration
    );
    // A gap year: the latest value at or before the evaluation year counts.
    let e = evaluate(
        &ind,
        &target,
        &inputs(&series(&[(2020, 100.0), (2021, 115.0), (2024, 190.0)])),
        2023,
        &t,
    );
    assert_eq!(e.latest_year, Some(2021));
    // The target year reached, short of the target.
    assert_eq!(
        evaluate(
            &ind,
            &target,
            &inputs(&series(&[(2020, 100.0), (2025, 199.0)])),
            2025,
            &t
        )
        .status,
        Status::NotAchieved
    );
}

proptest! {
    /// A series growing exactly at r0 is on track with R = 1 in every year and lands on T.
    #[test]
    fn growth_at_the_required_rate_is_on_track(b in 1.0f64..1e6, ratio in 1.01f64..4.0, linear in any::<bool>()) {
        let ind = indicator(if linear { "%" } else { "亿元" }, Direction::HigherIsBetter);
        let (b, target) = if linear { (b % 50.0 + 1.0, (b % 50.0 + 1.0) * ratio.min(1.9)) } else { (b, b * ratio) };
        let r0 = if linear { (target - b) / 5.0 } else { (target / b).powf(0.2) - 1.0 };
        for year in 2021..=2025u16 {
            let k = f64::from(year - 2020);
            let mut s = series(&[(2020, b)]);
            s.insert(year, if linear { b + r0 * k } else { b * (1.0 + r0).powf(k) });
            let t = Target::Level { value: target, year: 2025, approximate: false, source_ref: r() };
            let e = evaluate(&ind, &t, &inputs(&s), year, &Thresholds::default());
            if year < 2025 {
                prop_assert_eq!(e.status, Status::OnTrack);
                prop_assert!((e.growth_ratio.unwrap() - 1.0).abs() < 1e-6);
                prop_assert!((e.projection.unwrap() - target).abs() < 1e-6 * target);
            } else {
                prop_assert_eq!(e.status, Status::Achieved);
            }
            // Milestones start at b and end at T.
            prop_assert!((e.milestones[&2020] - b).abs() < 1e-9 * b);
            prop_assert!((e.milestones[&2025] - target).abs() < 1e-6 * target);
        }
    }

    /// Lower-is-better mirrors higher-is-better: falling at the required rate is on track.
    #[test]
    fn direction_mirrors(b in 10.0f64..1e4, ratio in 0.3f64..0.95, pace in 0.0f64..2.0) {
        let target = b * ratio;
        let r0 = (target / b).powf(0.2) - 1.0;
        let v = b * (1.0 + r0 * pace).powi(2);
        let down = indicator("吨", Direction::LowerIsBetter);
        let s = series(&[(2020, b), (2022, v)]);
        let t = Target::Level { value: target, year: 2025, approximate: false, source_ref: r() };
        let e = evaluate(&down, &t, &inputs(&s), 2022, &Thresholds::default());
        let up = indicator("吨", Direction::HigherIsBetter);
        let s_up = series(&[(2020, 1.0 / b), (2022, 1.0 / v)]);
        let t_up = Target::Level { value: 1.0 / target, year: 2025, approximate: false, source_ref: r() };
        let e_up = evaluate(&up, &t_up, &inputs(&s_up), 2022, &Thresholds::default());
        // The mirror of a fall at rate g is a rise at 1/(1+g) − 1: the statuses agree at the ends.
        if pace >= 1.0 { prop_assert!(matches!(e.status, Status::OnTrack | Status::Achieved)); }
        if pace == 0.0 { prop_assert_eq!(e.status, Status::LimitedProgress); }
        prop_assert_eq!(e.status == Status::Achieved, e_up.status == Status::Achieved);
    }

    /// Multiplying every level by the same factor changes no reading but the levels.
    #[test]
    fn scale_invariance(b in 1.0f64..1e5, v in 1.0f64..1e5, target in 1.0f64..1e5, k in 0.001f64..1000.0) {
        let ind = indicator("亿元", Direction::HigherIsBetter);
        let t = |x: f64| Target::Level { value: x, year: 2025, approximate: false, source_ref: r() };
        let e = evaluate(&ind, &t(target), &inputs(&series(&[(2020, b), (2023, v)])), 2023, &Thresholds::default());
        let scaled = evaluate(&ind, &t(target * k), &inputs(&series(&[(2020, b * k), (2023, v * k)])), 2023, &Thresholds::default());
        prop_assert_eq!(e.status, scaled.status);
        for (x, y) in [(e.growth_ratio, scaled.growth_ratio), (e.completion, scaled.completion), (e.actual_growth, scaled.actual_growth)] {
            match (x, y) {
                (Some(x), Some(y)) => prop_assert!((x - y).abs() < 1e-6 * x.abs().max(1.0)),
                (x, y) => prop_assert_eq!(x.is_some(), y.is_some()),
            }
        }
    }
}

/// Any evaluation year — before the baseline, at it, after the target year — gives a result,
/// never a panic (a year at or before the baseline used to panic in `latest`).
#[test]
fn every_evaluation_year_gives_a_result() {
    let ind = indicator("亿元", Direction::HigherIsBetter);
    let s = series(&[(2019, 90.0), (2020, 100.0), (2021, 107.0), (2022, 115.5)]);
    let targets = [
        Target::Level {
            value: 161.051,
            year: 2025,
            approximate: false,
            source_ref: r(),
        },
        Target::Share {
            value: 50.0,
            year: 2025,
            source_ref: r(),
        },
        Target::AverageGrowth {
            value: 16.0,
            from: 2020,
            to: 2025,
            source_ref: r(),
        },
        Target::GrowthRange {
            min: 6.0,
            max: 8.0,
            from: 2020,
            to: 2025,
            basis: GrowthBasis::Nominal,
            source_ref: r(),
        },
        Target::Cumulative {
            value: 100.0,
            from: 2021,
            to: 2025,
            approximate: false,
            strict: false,
            source_ref: r(),
        },
    ];
    for target in &targets {
        for year in [1900, 2015, 2019, 2020, 2021, 2025, 2030, 2100] {
            let e = evaluate(&ind, target, &inputs(&s), year, &Thresholds::default());
            assert_eq!(e.year, year);
            if year <= 2020 {
                assert_eq!(e.latest_year, None, "{target:?} in {year}");
            }
        }
    }
}

#[test]
fn growth_ratio_at_the_target_year_for_every_kind_that_grows() {
    // Final reports state "grew at x % of the pace needed" for every indicator: R is given at
    // the target year too, whether the target was met or not.
    let t = Thresholds::default();
    let money = indicator("亿元", Direction::HigherIsBetter);
    let pct = indicator("%", Direction::HigherIsBetter);
    let levels = series(&[(2020, 100.0), (2024, 130.0), (2025, 150.0)]);
    let shares = series(&[(2020, 40.0), (2025, 45.0)]);
    let needed = (200.0f64 / 100.0).powf(0.2) - 1.0;
    let actual = 1.5f64.powf(0.2) - 1.0;
    let cases: Vec<(&Indicator, &Series, Target, f64)> = vec![
        (
            &money,
            &levels,
            Target::Level {
                value: 200.0,
                year: 2025,
                approximate: false,
                source_ref: r(),
            },
            actual / needed,
        ),
        (
            &money,
            &levels,
            Target::Level {
                value: 140.0,
                year: 2025,
                approximate: false,
                source_ref: r(),
            },
            actual / ((1.4f64).powf(0.2) - 1.0),
        ),
        (
            &money,
            &levels,
            Target::StrictLevel {
                value: 200.0,
                year: 2025,
                source_ref: r(),
            },
            actual / needed,
        ),
        (
            &money,
            &levels,
            Target::LevelRange {
                min: 200.0,
                max: 210.0,
                year: 2025,
                source_ref: r(),
            },
            actual / needed,
        ),
        (
            &pct,
            &shares,
            Target::Share {
                value: 50.0,
                year: 2025,
                source_ref: r(),
            },
            0.5,
        ),
    ];
    for (ind, s, target, ratio) in cases {
        let e = evaluate(ind, &target, &inputs(s), 2025, &t);
        assert!(
            matches!(e.status, Status::Achieved | Status::NotAchieved),
            "{target:?}: {:?}",
            e.status
        );
        assert!(
            close(e.growth_ratio, ratio),
            "{target:?}: {:?} ≠ {ratio}",
            e.growth_ratio
        );
    }
    // Met before the target year: R is still the pace against the pace needed.
    let early = Target::Level {
        value: 125.0,
        year: 2025,
        approximate: false,
        source_ref: r(),
    };
    let e = evaluate(&money, &early, &inputs(&levels), 2024, &t);
    assert_eq!(e.status, Status::Achieved);
    assert!(close(
        e.growth_ratio,
        (1.3f64.powf(0.25) - 1.0) / (1.25f64.powf(0.2) - 1.0)
    ));
}

#[test]
fn a_growth_rate_measured_through_levels_reads_in_percent_with_the_levels_apart() {
    // 旅游业总收入年均增速 (unit %) through 旅游总收入 (亿元): the figure is the average growth
    // so far in %, never the level 4100 labelled %; the levels keep their own place.
    let (ind, target) = growth_through_levels();
    let levels = series(&[(2020, 3012.8), (2024, 4100.0)]);
    let own = Series::new();
    let input = Inputs {
        levels: Some(&levels),
        ..inputs(&own)
    };
    let e = evaluate(&ind, &target, &input, 2024, &Thresholds::default());
    let a = (4100.0f64 / 3012.8).powf(0.25) - 1.0;
    assert!(close(e.latest_value, a * 100.0), "{:?}", e.latest_value);
    assert_eq!((e.baseline_value, e.projection), (None, None));
    assert!(e.milestones.is_empty(), "no level path on a % axis");
    let l = e.levels.expect("the levels, apart");
    assert_eq!(
        (l.baseline_value, l.latest_value),
        (Some(3012.8), Some(4100.0))
    );
    assert!(close(l.projection, 4100.0 * (1.0 + a)));
    assert!(close(
        l.milestones.get(&2025).copied(),
        3012.8 * 1.16f64.powi(5)
    ));
    // From yearly rates alone: the figure is the geometric mean, and there are no levels.
    let rates = series(&[(2021, 10.0), (2022, 12.0)]);
    let e = evaluate(&ind, &target, &inputs(&rates), 2022, &Thresholds::default());
    assert!(close(
        e.latest_value,
        ((1.1f64 * 1.12).sqrt() - 1.0) * 100.0
    ));
    assert_eq!(e.levels, None);
}
