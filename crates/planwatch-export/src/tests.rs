//! Exports read back: the CSV and the template import through `planwatch-import` unchanged.

use std::io::Cursor;

use planwatch_import::{Input, Item, Options, open};
use planwatch_plan::{ObsStatus, Observation, Period, chengdu};

use super::*;

fn sample() -> Vec<Observation> {
    vec![
        Observation {
            indicator: "retail_sales".into(),
            region: "510100".into(),
            period: Period::Year(2020),
            value: 8118.5362,
            status: ObsStatus::Final,
            source: Some("统计公报, \"2020\"".into()),
            note: None,
        },
        Observation {
            indicator: "retail_sales".into(),
            region: "510104".into(),
            period: Period::Quarter(2023, 2),
            value: 0.1 + 0.2,
            status: ObsStatus::Estimated,
            source: Some("synthetic".into()),
            note: Some("多行\n备注".into()),
        },
    ]
}

fn read_back(file: &str, input: Input) -> Vec<Observation> {
    let plan = chengdu::plan();
    let import = open(file, input, &plan, Options::default()).unwrap();
    import
        .map(|item| match item {
            Item::Row(r) => Observation {
                indicator: plan.indicators[r.indicator].code.clone(),
                region: plan.regions[r.region].code.clone(),
                period: r.period,
                value: r.value,
                status: r.status,
                source: r.source,
                note: r.note,
            },
            Item::Problem(d) => panic!("{d}"),
        })
        .collect()
}

#[test]
fn csv_imports_back_as_it_is() {
    let plan = chengdu::plan();
    let mut bytes = Vec::new();
    write_csv(&plan, &sample(), &mut bytes).unwrap();
    assert_eq!(
        read_back("export.csv", Input::Csv(Box::new(Cursor::new(bytes)))),
        sample()
    );
}

#[test]
fn sdmx_csv_has_dimensions_and_attributes() {
    let plan = chengdu::plan();
    let mut bytes = Vec::new();
    write_sdmx_csv(&plan, &sample(), &mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "DATAFLOW,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
    );
    assert_eq!(
        lines[1],
        "PLANWATCH:CHENGDU_SERVICES_2021_2025(1.0),retail_sales,510100,2020,8118.5362,亿元,A"
    );
    assert_eq!(
        lines[2],
        "PLANWATCH:CHENGDU_SERVICES_2021_2025(1.0),retail_sales,510104,2023-Q2,0.30000000000000004,亿元,E"
    );
}

#[test]
fn xlsx_is_deterministic_and_readable() {
    let plan = chengdu::plan();
    let first = write_xlsx(&plan, &sample()).unwrap();
    assert_eq!(first, write_xlsx(&plan, &sample()).unwrap());
    let back = read_back("export.xlsx", Input::Excel(first));
    assert_eq!(back.len(), 2);
    assert_eq!(back[1].value, 0.1 + 0.2);
}

#[test]
fn the_template_imports_back_once_filled() {
    let plan = chengdu::plan();
    let previous = vec![Observation {
        indicator: "retail_sales".into(),
        region: "510104".into(),
        period: Period::Year(2024),
        value: 1500.0,
        status: ObsStatus::Final,
        source: None,
        note: None,
    }];
    let bytes = write_template(&plan, "510104", 2025, &previous).unwrap();
    // Unfilled, the template imports nothing: last year's value is there for reference only.
    let back = read_back("template.xlsx", Input::Excel(bytes));
    assert_eq!(back, Vec::new());
    assert!(matches!(
        write_template(&plan, "999999", 2025, &[]),
        Err(ExportError::UnknownRegion(_))
    ));
}
