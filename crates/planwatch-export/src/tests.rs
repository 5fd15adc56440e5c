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
fn sdmx_csv_follows_the_structure() {
    let plan = chengdu::plan();
    let mut bytes = Vec::new();
    write_sdmx_csv(&plan, &sample(), &mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,UNIT_MULT,OBS_STATUS"
    );
    // 亿元 is CNY in units of 10^8, not a unit of its own.
    assert_eq!(
        lines[1],
        "dataflow,PLANWATCH:CHENGDU_SERVICES_2021_2025(1.0),I,A,retail_sales,510100,2020,8118.5362,CNY,8,A"
    );
    assert_eq!(
        lines[2],
        "dataflow,PLANWATCH:CHENGDU_SERVICES_2021_2025(1.0),I,Q,retail_sales,510104,2023-Q2,0.30000000000000004,CNY,8,E"
    );
}

#[test]
fn units_are_sdmx_codes_with_a_multiplier() {
    let unit = |code: &str, multiplier| SdmxUnit {
        code: code.to_owned(),
        multiplier,
    };
    assert_eq!(sdmx_unit("亿元"), unit("CNY", 8));
    assert_eq!(sdmx_unit("万元"), unit("CNY", 4));
    assert_eq!(sdmx_unit("元"), unit("CNY", 0));
    assert_eq!(sdmx_unit("亿美元"), unit("USD", 8));
    assert_eq!(sdmx_unit(" % "), unit("PT", 0));
    assert_eq!(sdmx_unit("家"), unit("NUMBER", 0));
    assert_eq!(sdmx_unit("万个"), unit("NUMBER", 4));
    assert_eq!(sdmx_unit("—"), unit("_Z", 0));
    // Not known: a code of its own, made from the text; no magnitude is read into a percentage.
    assert_eq!(sdmx_unit("人次"), unit("U_E4BABAE6ACA1", 0));
    assert_eq!(sdmx_unit("万%"), unit("U_E4B88725", 0));
    // Every unit of the Chengdu plan has a code SDMX tools know.
    for indicator in &chengdu::plan().indicators {
        assert!(
            !sdmx_unit(&indicator.unit).code.starts_with("U_"),
            "{}",
            indicator.unit
        );
    }
}

/// The codes of each codelist of a structure message.
fn codelists(xml: &str) -> HashMap<String, Vec<String>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut lists: HashMap<String, Vec<String>> = HashMap::new();
    let mut current = String::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                let id = e
                    .try_get_attribute("id")
                    .unwrap()
                    .map(|a| a.value.into_owned());
                match (e.name().as_ref(), id) {
                    ("str:Codelist", Some(id)) => current = id,
                    ("str:Code", Some(id)) => lists.entry(current.clone()).or_default().push(id),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    lists
}

#[test]
fn the_structure_has_a_code_for_every_value_of_the_data() {
    let plan = chengdu::plan();
    let mut first = Vec::new();
    write_sdmx_structure(&plan, &mut first).unwrap();
    let mut second = Vec::new();
    write_sdmx_structure(&plan, &mut second).unwrap();
    assert_eq!(first, second, "deterministic");
    let xml = String::from_utf8(first).unwrap();
    assert!(xml.contains(
        r#"<str:Dataflow id="CHENGDU_SERVICES_2021_2025" agencyID="PLANWATCH" version="1.0""#
    ));
    let lists = codelists(&xml);
    let list = |id: &str| lists.get(id).unwrap_or_else(|| panic!("{id} in {lists:?}"));
    assert_eq!(
        list("CL_CHENGDU_SERVICES_2021_2025_INDICATOR").len(),
        plan.indicators.len()
    );
    assert_eq!(
        list("CL_CHENGDU_SERVICES_2021_2025_AREA").len(),
        plan.regions.len()
    );
    assert_eq!(
        list("CL_CHENGDU_SERVICES_2021_2025_UNIT_MEASURE"),
        &["CNY", "PT", "USD", "NUMBER", "_Z"]
    );
    // Each column of the data with a codelist holds its codes.
    let mut bytes = Vec::new();
    write_sdmx_csv(&plan, &sample(), &mut bytes).unwrap();
    let columns = [
        (3, "CL_FREQ"),
        (4, "CL_CHENGDU_SERVICES_2021_2025_INDICATOR"),
        (5, "CL_CHENGDU_SERVICES_2021_2025_AREA"),
        (8, "CL_CHENGDU_SERVICES_2021_2025_UNIT_MEASURE"),
        (9, "CL_UNIT_MULT"),
        (10, "CL_OBS_STATUS"),
    ];
    for row in csv::Reader::from_reader(bytes.as_slice()).records() {
        let row = row.unwrap();
        for (column, id) in columns {
            assert!(
                list(id).iter().any(|code| *code == row[column]),
                "{row:?} {id}"
            );
        }
    }
    for status in ObsStatus::ALL {
        assert!(
            list("CL_OBS_STATUS")
                .iter()
                .any(|c| c == status.sdmx_code())
        );
    }
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
