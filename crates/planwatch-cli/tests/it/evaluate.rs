//! `planwatch evaluate`, `targets` and `assess` on the sample data set.

use serde_json::Value;

use crate::{planwatch, stderr, stdout};

fn sample_store(dir: &tempfile::TempDir) -> String {
    let db = dir.path().join("e.db").to_str().unwrap().to_owned();
    let output = planwatch(&["--db", &db, "init", "--sample-data"]);
    assert!(output.status.success(), "{}", stderr(&output));
    db
}

fn evaluate_json(db: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--db", db, "evaluate", "--format", "json"];
    args.extend_from_slice(extra);
    let output = planwatch(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("the output is JSON")
}

#[test]
fn every_target_of_the_city_has_a_result_with_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_store(&dir);
    let document = evaluate_json(&db, &["--year", "2024", "--region", "510100"]);
    let results = document["results"].as_array().unwrap();
    let plan = planwatch_plan::chengdu::plan();
    let expected: usize = plan.indicators.iter().map(|i| i.targets.len().max(1)).sum();
    assert_eq!(results.len(), expected);
    for field in [
        "indicator",
        "number",
        "region",
        "year",
        "latest_year",
        "latest_value",
        "baseline_value",
        "target_value",
        "completion",
        "distance_covered",
        "time_elapsed",
        "actual_growth",
        "required_growth",
        "required_growth_remaining",
        "projection",
        "growth_ratio",
        "status",
        "projection_meets_target",
        "time_rule_met",
        "milestones",
        "reason",
    ] {
        assert!(
            results.iter().all(|r| r.get(field).is_some()),
            "field {field} missing"
        );
    }
    assert!(
        results
            .iter()
            .all(|r| r["region"] == "510100" && r["year"] == 2024)
    );
    let retail = results
        .iter()
        .find(|r| r["indicator"] == "retail_sales")
        .unwrap();
    insta::assert_json_snapshot!("evaluate_retail_sales_2024", retail);
}

#[test]
fn table_and_csv_say_the_status_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_store(&dir);
    let table = planwatch(&[
        "--db",
        &db,
        "evaluate",
        "--year",
        "2025",
        "--region",
        "成都市",
    ]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(text.contains("已实现 achieved"), "{text}");
    assert!(text.contains("社会消费品零售总额"), "{text}");
    let csv = planwatch(&[
        "--db",
        &db,
        "evaluate",
        "--format",
        "csv",
        "--indicator",
        "2",
    ]);
    assert!(csv.status.success(), "{}", stderr(&csv));
    let text = stdout(&csv);
    assert!(
        text.starts_with("indicator,number,region,target,kind,year,"),
        "{text}"
    );
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.starts_with("retail_sales,2,")),
        "{text}"
    );
    // The sample's districts have the stored split of the city's targets; managed areas,
    // without targets of their own, get the readings that need none.
    assert!(text.contains(",510104,0,level,"), "{text}");
    assert!(text.contains(",gaoxin,,none,"), "{text}");

    // A date that is not one is a usage error, not an empty evaluation.
    let bad_date = planwatch(&["--db", &db, "evaluate", "--as-of", "2024-13-45"]);
    assert_eq!(bad_date.status.code(), Some(2), "{}", stderr(&bad_date));

    let unknown = planwatch(&["--db", &db, "evaluate", "--indicator", "no_such"]);
    assert_eq!(unknown.status.code(), Some(3), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("no_such"));
}

#[test]
fn split_targets_add_up_and_districts_are_evaluated_against_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_store(&dir);
    let file = dir.path().join("targets.csv");
    let file = file.to_str().unwrap();
    let split = planwatch(&[
        "--db",
        &db,
        "targets",
        "split",
        "--indicator",
        "retail_sales",
        "-o",
        file,
    ]);
    assert!(split.status.success(), "{}", stderr(&split));
    let table = std::fs::read_to_string(file).unwrap();
    let sum: f64 = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((sum - 11000.0).abs() < 1e-6, "{sum}\n{table}");
    assert_eq!(table.lines().count(), 21, "{table}");

    let check = planwatch(&["--db", &db, "targets", "check", file]);
    assert!(check.status.success(), "{}", stderr(&check));

    let document = evaluate_json(
        &db,
        &[
            "--year",
            "2024",
            "--indicator",
            "retail_sales",
            "--targets",
            file,
        ],
    );
    let jinjiang = document["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "510104")
        .unwrap();
    assert_eq!(jinjiang["target"], 0);
    assert_eq!(jinjiang["kind"], "level");
    assert!(jinjiang["target_value"].as_f64().unwrap() > 0.0);

    // A table that does not add up is refused, with the reason.
    let broken = table.replacen(",510104,", ",510104,1", 1);
    let broken = broken
        .lines()
        .map(|l| {
            if l.contains(",510104,") {
                let mut fields: Vec<&str> = l.split(',').collect();
                fields[3] = "99999";
                fields.join(",")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let broken_file = dir.path().join("broken.csv");
    std::fs::write(&broken_file, broken).unwrap();
    let check = planwatch(&[
        "--db",
        &db,
        "targets",
        "check",
        broken_file.to_str().unwrap(),
    ]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stderr(&check).contains("全市目标 11000"),
        "{}",
        stderr(&check)
    );

    // Loading refuses the same table and keeps the targets in force; a good table is saved
    // and from then on evaluations use it without --targets.
    let shown = |db: &str| stdout(&planwatch(&["--db", db, "targets", "show"]));
    let in_force = shown(&db);
    let load = planwatch(&[
        "--db",
        &db,
        "targets",
        "load",
        broken_file.to_str().unwrap(),
    ]);
    assert_eq!(load.status.code(), Some(1), "{}", stderr(&load));
    assert_eq!(shown(&db), in_force);
    let doubled: String = table
        .lines()
        .map(|l| {
            let mut fields: Vec<String> = l.split(',').map(str::to_owned).collect();
            if let Ok(v) = fields[3].parse::<f64>() {
                fields[3] = format!("{}", v * 2.0);
            }
            fields.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let doubled_file = dir.path().join("doubled.csv");
    std::fs::write(&doubled_file, doubled).unwrap();
    let load = planwatch(&[
        "--db",
        &db,
        "targets",
        "load",
        doubled_file.to_str().unwrap(),
        "--tolerance",
        "101",
    ]);
    assert!(load.status.success(), "{}", stderr(&load));
    let document = evaluate_json(&db, &["--year", "2024", "--indicator", "retail_sales"]);
    let jinjiang_now = document["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "510104")
        .unwrap();
    assert_eq!(
        jinjiang_now["target_value"].as_f64().unwrap(),
        jinjiang["target_value"].as_f64().unwrap() * 2.0
    );
}

#[test]
fn a_qualitative_target_shows_the_latest_assessment() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_store(&dir);
    let code = "health_services_level";
    let before = evaluate_json(
        &db,
        &["--year", "2024", "--region", "510100", "--indicator", code],
    );
    assert_eq!(before["results"][0]["status"], "no_data");
    for text in ["初步评估", "健康服务业综合实力居副省级城市前列"] {
        let output = planwatch(&[
            "--db", &db, "assess", code, "--year", "2024", "--text", text,
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let after = evaluate_json(
        &db,
        &["--year", "2024", "--region", "510100", "--indicator", code],
    );
    let reason = after["results"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("居副省级城市前列"), "{reason}");
    assert_eq!(after["results"][0]["status"], "not_assessable");
    // An assessment for a later year does not count for an earlier evaluation.
    let output = planwatch(&[
        "--db",
        &db,
        "assess",
        code,
        "--year",
        "2025",
        "--text",
        "2025年意见",
    ]);
    assert!(output.status.success());
    let again = evaluate_json(
        &db,
        &["--year", "2024", "--region", "510100", "--indicator", code],
    );
    assert_eq!(again["results"][0]["reason"], after["results"][0]["reason"]);
}
