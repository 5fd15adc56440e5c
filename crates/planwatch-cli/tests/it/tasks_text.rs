//! `planwatch tasks import` of the text form, the 分解方案 (plain text and DOCX, told by content),
//! on both backends: the sample imports, again changes nothing, as DOCX changes nothing either;
//! its 数据提供单位 move the city's figures in the reporting calendar (`submissions owed`); a
//! 分解方案 with problems names every one with its line and part, exits 1 and stores nothing.

use std::path::Path;

use crate::{fresh_postgres, planwatch, stderr, stdout};

const SAMPLE: &str = include_str!("../../../../data/chengdu-government-report-tasks-2024.txt");

fn data(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(file)
        .to_str()
        .unwrap()
        .to_owned()
}

fn check(db: &str, dir: &Path) {
    let run = |args: &[&str]| {
        let mut all = vec!["--db", db];
        all.extend_from_slice(args);
        planwatch(&all)
    };
    let init = run(&["init"]);
    assert!(init.status.success(), "{}", stderr(&init));

    let text = data("chengdu-government-report-tasks-2024.txt");
    let imported = run(&["tasks", "import", &text, "--year", "2024"]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(
        stdout(&imported).contains("32 added"),
        "{}",
        stdout(&imported)
    );
    let again = run(&["tasks", "import", &text, "--year", "2024"]);
    assert!(
        stdout(&again).contains("0 added, 0 changed, 0 removed, 32 unchanged"),
        "{}",
        stdout(&again)
    );
    let docx = data("chengdu-government-report-tasks-2024.docx");
    let from_docx = run(&["tasks", "import", &docx, "--year", "2024"]);
    assert!(from_docx.status.success(), "{}", stderr(&from_docx));
    assert!(
        stdout(&from_docx).contains("0 added, 0 changed, 0 removed, 32 unchanged"),
        "the DOCX holds the same tasks: {}",
        stdout(&from_docx)
    );

    let listed = run(&["tasks", "list", "--year", "2024", "--format", "json"]);
    let tasks: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let retail = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["seq"] == "5")
        .unwrap();
    assert_eq!(retail["indicators"][0], "retail_sales");
    assert_eq!(retail["lead"][0]["code"], "commerce");
    assert_eq!(retail["data_providers"][0]["code"], "statistics");
    assert_eq!(retail["source"]["row"], 10, "the line its item starts on");

    // 社会消费品零售总额's city figure for 2024: owed by its data provider, 市统计局, not by
    // its lead department 市商务局 (who still owes 2023's).
    let owed = |unit: &str| {
        let out = run(&[
            "submissions",
            "owed",
            "--unit",
            unit,
            "--date",
            "2025-06-01",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let statistics = owed("statistics");
    let commerce = owed("commerce");
    assert!(
        statistics.contains("retail_sales 510100 2024 "),
        "{statistics}"
    );
    assert!(
        !commerce.contains("retail_sales 510100 2024 "),
        "{commerce}"
    );
    assert!(commerce.contains("retail_sales 510100 2023 "), "{commerce}");

    let bad = dir.join("bad.txt");
    let broken = SAMPLE
        .replace(
            "牵头单位：市商务局；责任单位：各区（市）县；",
            "牵头单位：市外星局；",
        )
        .replace("（牵头单位：市教育局；责任单位：各区（市）县）", "");
    std::fs::write(&bad, broken).unwrap();
    let refused = run(&["tasks", "import", bad.to_str().unwrap(), "--year", "2024"]);
    assert_eq!(refused.status.code(), Some(1));
    let said = stderr(&refused);
    assert!(said.contains(":11: 牵头单位 “市外星局”"), "{said}");
    assert!(said.contains(":45: 牵头单位 事项末尾须有"), "{said}");
    assert!(said.contains("2 个问题"), "{said}");
    assert!(said.contains("no task was imported"), "{said}");
    let after = run(&["tasks", "list", "--year", "2024", "--format", "json"]);
    assert_eq!(stdout(&after), stdout(&listed), "nothing stored");
}

#[test]
fn tasks_text_and_docx_import_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    check(db.to_str().unwrap(), dir.path());
}

#[test]
fn tasks_text_and_docx_import_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    check(&fresh_postgres("tasks_text"), dir.path());
}
