//! `planwatch score` on the sample store, on both backends: the 2024 ranking on a fixed day
//! (snapshot), every unit's lines adding up to its total, a bonus within the cap moving the total
//! by exactly its points, one over the cap refused, the XLSX workbook (`-o`) with the same total and rank, a frozen year unchanged by new data until it
//! is unfrozen, and every change audited.

use crate::{fresh_postgres, planwatch, stderr, stdout};

const DAY: &str = "2025-03-31";

/// A figure of 锦江区 owed for 2024's first quarter, published without its submission: it is no
/// longer owed, so it leaves 锦江区's reporting items.
const NEW_FIGURE: &str = "indicator,region,period,value,unit,status,source,note\n\
retail_sales,510104,2024Q1,300,亿元,final,test,\n";

fn scores(run: &dyn Fn(&[&str]) -> std::process::Output, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["score", "--year", "2024", "--format", "json"];
    if !extra.contains(&"--date") {
        args.extend_from_slice(&["--date", DAY]);
    }
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn total_of(scores: &serde_json::Value, code: &str) -> f64 {
    scores["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == code)
        .unwrap()["total"]
        .as_f64()
        .unwrap()
}

/// The ranking as text: kind, rank, unit, total, base, bonus, deduction (rounded).
fn ranking(scores: &serde_json::Value) -> String {
    scores["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!(
                "{} {} {} {:.2} {:.2} {:.2} {:.2}",
                u["group"].as_str().unwrap(),
                u["rank"]
                    .as_u64()
                    .map_or("-".into(), |r| format!("{r}/{}", u["of"])),
                u["code"].as_str().unwrap(),
                u["total"].as_f64().unwrap() + 0.0,
                u["base"].as_f64().unwrap() + 0.0,
                u["bonus"].as_f64().unwrap(),
                u["deduction"].as_f64().unwrap(),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn check(db: &str, dir: &std::path::Path) {
    let run = |args: &[&str]| {
        let mut all = vec!["--db", db];
        all.extend_from_slice(args);
        planwatch(&all)
    };
    let init = run(&["init", "--sample-data"]);
    assert!(init.status.success(), "{}", stderr(&init));

    let before = scores(&run, &[]);
    assert!(before["frozen"].is_null());
    insta::assert_snapshot!("score_ranking_2024", ranking(&before));
    for unit in before["units"].as_array().unwrap() {
        let lines: f64 = unit["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["points"].as_f64().unwrap())
            .sum();
        let total = unit["total"].as_f64().unwrap();
        assert!(
            (lines - total).abs() < 1e-9,
            "{}: {lines} ≠ {total}",
            unit["code"]
        );
        let base = unit["base"].as_f64().unwrap();
        assert!((-1e-9..=100.0 + 1e-9).contains(&base), "{}", unit["code"]);
    }
    let table = run(&["score", "--year", "2024", "--date", DAY, "--unit", "510104"]);
    assert!(table.status.success(), "{}", stderr(&table));
    assert!(
        stdout(&table).contains("retail_sales/510104/2024-Q1"),
        "{}",
        stdout(&table)
    );
    let csv = run(&["score", "--year", "2024", "--date", DAY, "--format", "csv"]);
    assert!(stdout(&csv).starts_with("类别 kind,排名 rank,单位 unit"));
    // The workbook: the same total and rank as the JSON.
    let file = dir.join("scores.xlsx");
    let file_arg = file.to_str().unwrap();
    let xlsx = run(&[
        "score", "--year", "2024", "--date", DAY, "--format", "xlsx", "-o", file_arg,
    ]);
    assert!(xlsx.status.success(), "{}", stderr(&xlsx));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut book, "排名 Ranking").unwrap();
    let jinjiang_json = before["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "510104")
        .unwrap();
    let row = (1..sheet.height())
        .find(|r| sheet.get((*r, 2)) == Some(&calamine::Data::String("510104".into())))
        .unwrap();
    assert_eq!(
        sheet.get((row, 1)),
        Some(&calamine::Data::Float(
            jinjiang_json["rank"].as_f64().unwrap()
        ))
    );
    assert_eq!(
        sheet.get((row, 4)),
        Some(&calamine::Data::Float(
            jinjiang_json["total"].as_f64().unwrap()
        ))
    );
    let no_file = run(&["score", "--year", "2024", "--format", "xlsx"]);
    assert!(!no_file.status.success(), "xlsx needs -o");

    // A bonus within the cap moves the total by exactly its points.
    let jinjiang = total_of(&before, "510104");
    let bonus = run(&[
        "score",
        "adjust",
        "--year",
        "2024",
        "--unit",
        "510104",
        "--bonus",
        "2.5",
        "--reason",
        "获省级表彰",
    ]);
    assert!(bonus.status.success(), "{}", stderr(&bonus));
    let adjusted = scores(&run, &[]);
    assert!((total_of(&adjusted, "510104") - jinjiang - 2.5).abs() < 1e-9);
    let breakdown = scores(&run, &["--unit", "510104"]);
    let line = breakdown["lines"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(line["source"], "adjustment");
    assert_eq!(line["label"], "获省级表彰");
    // Over the cap (5 a year: 2.5 left) refused, saying what is left; nothing stored.
    let over = run(&[
        "score",
        "adjust",
        "--year",
        "2024",
        "--unit",
        "510104",
        "--bonus",
        "3",
        "--reason",
        "再次表彰",
    ]);
    assert_eq!(over.status.code(), Some(1));
    assert!(stderr(&over).contains("尚余 2.5 分"), "{}", stderr(&over));
    assert!(stderr(&over).contains("2.5 left"), "{}", stderr(&over));
    let no_reason = run(&[
        "score",
        "adjust",
        "--year",
        "2024",
        "--unit",
        "510104",
        "--deduction",
        "1",
        "--reason",
        " ",
    ]);
    assert_eq!(no_reason.status.code(), Some(1));
    let unknown = run(&[
        "score", "adjust", "--year", "2024", "--unit", "510100", "--bonus", "1", "--reason", "x",
    ]);
    assert_eq!(unknown.status.code(), Some(1), "the city is not assessed");
    assert!((total_of(&scores(&run, &[]), "510104") - jinjiang - 2.5).abs() < 1e-9);

    // Frozen: new data does not move it; unfrozen: it does.
    let frozen = run(&["score", "freeze", "--year", "2024", "--date", DAY]);
    assert!(frozen.status.success(), "{}", stderr(&frozen));
    let again = run(&["score", "freeze", "--year", "2024"]);
    assert_eq!(again.status.code(), Some(1), "frozen already");
    let figures = dir.join("new.csv");
    std::fs::write(&figures, NEW_FIGURE).unwrap();
    let imported = run(&["import", figures.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let after = scores(&run, &["--date", "2025-12-31"]);
    assert!(
        after["frozen"]["frozen_by"]
            .as_str()
            .unwrap()
            .starts_with("cli:")
    );
    assert_eq!(
        after["units"], adjusted["units"],
        "a frozen year does not move"
    );
    let refused = run(&[
        "score", "adjust", "--year", "2024", "--unit", "510105", "--bonus", "1", "--reason", "x",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("已冻结"), "{}", stderr(&refused));

    let unfrozen = run(&["score", "unfreeze", "--year", "2024"]);
    assert!(unfrozen.status.success(), "{}", stderr(&unfrozen));
    let live = scores(&run, &[]);
    assert!(live["frozen"].is_null());
    let lines_of = |scores: &serde_json::Value| {
        scores["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["code"] == "510104")
            .unwrap()["lines"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(
        lines_of(&live) + 1,
        lines_of(&adjusted),
        "once unfrozen the figure published is no longer owed"
    );

    // Removing the bonus is audited too.
    let listed = run(&["score", "adjustments", "--year", "2024"]);
    assert!(
        stdout(&listed).contains("获省级表彰"),
        "{}",
        stdout(&listed)
    );
    let id = stdout(&bonus)
        .split("编号 ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    let removed = run(&["score", "remove", &id]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    let audit = run(&["audit", "--format", "json"]);
    let audit = stdout(&audit);
    for action in [
        "score.adjust",
        "score.freeze",
        "score.unfreeze",
        "score.adjust.remove",
    ] {
        assert!(audit.contains(&format!("\"{action}\"")), "{action}");
    }
}

#[test]
fn score_adjust_freeze_and_unfreeze_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    check(db.to_str().unwrap(), dir.path());
}

#[test]
fn score_adjust_freeze_and_unfreeze_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    check(&fresh_postgres("score"), dir.path());
}
