//! Round trips: the JSON export (and the TOML form) of any valid plan reads back to the same plan.

use planwatch_plan::{
    Baseline, Direction, GrowthBasis, Indicator, Nature, Plan, Relation, SourceRef, Target, Text,
    read_plan, validate,
};
use proptest::prelude::*;

use crate::EXAMPLE;

fn example() -> Plan {
    read_plan("example.toml", EXAMPLE).expect("the example plan is valid")
}

fn source_ref() -> impl Strategy<Value = SourceRef> {
    prop_oneof![
        (1u32..7, 1u32..9, 1u32..9).prop_map(|(c, s, i)| SourceRef(format!("{c}.{s}.{i}"))),
        (2u32..28, 1u32..9).prop_map(|(c, i)| SourceRef(format!("c{c}.{i}"))),
    ]
}

/// Finite values as plans state them, including awkward fractions.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..100_000).prop_map(f64::from),
        (0.0f64..1e6),
        (-50.0f64..50.0)
    ]
}

/// A target valid in a plan running 2021–2025 with base year 2020, for an indicator in %.
fn target() -> impl Strategy<Value = Target> {
    let year = 2021u16..=2025;
    prop_oneof![
        (value(), year.clone(), any::<bool>(), source_ref()).prop_map(
            |(value, year, approximate, source_ref)| Target::Level {
                value,
                year,
                approximate,
                source_ref
            }
        ),
        (value(), year.clone(), source_ref()).prop_map(|(value, year, source_ref)| {
            Target::StrictLevel {
                value,
                year,
                source_ref,
            }
        }),
        (0.0f64..50.0, 0.0f64..50.0, year.clone(), source_ref()).prop_map(
            |(a, b, year, source_ref)| {
                Target::LevelRange {
                    min: a.min(b),
                    max: a.max(b),
                    year,
                    source_ref,
                }
            }
        ),
        (0.0f64..=100.0, year.clone(), source_ref()).prop_map(|(value, year, source_ref)| {
            Target::Share {
                value,
                year,
                source_ref,
            }
        }),
        (-20.0f64..40.0, source_ref()).prop_map(|(value, source_ref)| Target::AverageGrowth {
            value,
            from: 2020,
            to: 2025,
            source_ref
        }),
        (
            0.0f64..10.0,
            0.0f64..10.0,
            prop_oneof![Just(GrowthBasis::Real), Just(GrowthBasis::Nominal)],
            source_ref()
        )
            .prop_map(|(a, b, basis, source_ref)| Target::GrowthRange {
                min: a.min(b),
                max: a.max(b),
                from: 2020,
                to: 2025,
                basis,
                source_ref
            }),
        (value(), any::<bool>(), any::<bool>(), source_ref()).prop_map(
            |(value, approximate, strict, source_ref)| {
                Target::Cumulative {
                    value,
                    from: 2021,
                    to: 2025,
                    approximate,
                    strict,
                    source_ref,
                }
            }
        ),
        (
            prop_oneof![Just(Relation::Above), Just(Relation::AtLeast)],
            year.clone(),
            source_ref()
        )
            .prop_map(|(relation, year, source_ref)| Target::Relative {
                reference: "440103".to_owned(),
                relation,
                year,
                source_ref
            }),
        ("[\\p{Han}]{1,12}", year, source_ref()).prop_map(|(zh, year, source_ref)| {
            Target::Qualitative {
                statement: Text { zh, en: None },
                year,
                source_ref,
            }
        }),
    ]
}

fn indicator(index: usize) -> impl Strategy<Value = Indicator> {
    (
        "[\\p{Han}]{2,20}",
        "[A-Za-z][A-Za-z ]{0,29}",
        proptest::option::of(value()),
        proptest::collection::vec(target(), 1..4),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of("[\\p{Han}a-z ,。]{0,40}"),
    )
        .prop_map(
            move |(zh, en, baseline, targets, binding, lower, note)| Indicator {
                code: format!("indicator_{index}"),
                number: if index % 3 == 2 {
                    None
                } else {
                    Some(index as u32 + 1)
                },
                name: Text { zh, en: Some(en) },
                unit: "%".to_owned(),
                dimension: Some("scale".to_owned()),
                industry: None,
                nature: if binding {
                    Nature::Binding
                } else {
                    Nature::Expected
                },
                direction: if lower {
                    Direction::LowerIsBetter
                } else {
                    Direction::HigherIsBetter
                },
                additive: binding,
                bounds: binding.then_some([0.0, 100.0]),
                baseline: baseline.map(|value| Baseline {
                    value,
                    year: 2020,
                    source_ref: SourceRef("1.1".to_owned()),
                    note: None,
                }),
                targets,
                lead_department: Some("commerce".to_owned()),
                departments: vec!["statistics".to_owned()],
                definition: None,
                growth_indicator: None,
                level_indicator: None,
                unit_en: None,
                breaks: Vec::new(),
                source_ref: SourceRef("2.3.1".to_owned()),
                note,
            },
        )
}

fn plan() -> impl Strategy<Value = Plan> {
    (1usize..6)
        .prop_flat_map(|n| (0..n).map(indicator).collect::<Vec<_>>())
        .prop_map(|indicators| Plan {
            indicators,
            ..example()
        })
}

fn assert_round_trips(plan: &Plan) {
    let json = serde_json::to_string_pretty(plan).unwrap();
    let from_json: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(&from_json, plan, "JSON round trip");

    let toml = toml::to_string(plan).unwrap();
    let from_toml = read_plan("generated.toml", &toml).unwrap_or_else(|e| {
        panic!(
            "{}\n{toml}",
            e.0.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert_eq!(&from_toml, plan, "TOML round trip");
}

proptest! {
    #[test]
    fn json_export_of_a_valid_plan_reads_back_the_same(plan in plan()) {
        prop_assert_eq!(validate::check(&plan), vec![]);
        assert_round_trips(&plan);
    }
}

#[test]
fn the_chengdu_plan_round_trips() {
    assert_round_trips(&planwatch_plan::chengdu::plan());
}
