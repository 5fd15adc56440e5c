//! `planwatch tasks template | import | list` on the Chengdu plan, on both backends: the
//! template reads back as a sheet without tasks; a sheet imports, again changes nothing, and
//! lists as JSON; a sheet with problems names every one with its row and column and stores
//! nothing.

use crate::{fresh_postgres, planwatch, stderr, stdout};

const SHEET: &str = "\
成都市“十四五”服务业发展规划2024年度重点任务分解表,,,,,,,,,\r
填报说明：请按季度报送进展,,,,,,,,,\r
序号,重点任务,规划条款,牵头单位,责任单位,配合单位,完成时限,季度节点,年度目标,关联指标\r
一、实施通道口岸畅通行动,,,,,,,,,\r
1,提升国际铁路港枢纽能级,5.1.2,市口岸物流办,锦江区政府、青羊区人民政府,市商务局,2024年12月底前,3月底前完成方案；三季度：完成建设,新开行班列300列,\r
2,拓展国际客货通道,,,市经信局,,年底前,,推进通道建设,\r
四、实施新消费创生引领行动,,,,,,,,,\r
3,打造国际消费目的地,,市商务局,各区（市）县,,持续推进,,社零总额增长8%,社会消费品零售总额\r
";

fn check(db: &str, dir: &std::path::Path) {
    let run = |args: &[&str]| {
        let mut all = vec!["--db", db];
        all.extend_from_slice(args);
        planwatch(&all)
    };
    let init = run(&["init"]);
    assert!(init.status.success(), "{}", stderr(&init));

    let template = dir.join("template.xlsx");
    let template = template.to_str().unwrap();
    let written = run(&["tasks", "template", "--year", "2024", "-o", template]);
    assert!(written.status.success(), "{}", stderr(&written));
    assert!(stdout(&written).contains("8 个行动"));
    let empty = run(&["tasks", "import", template, "--year", "2024"]);
    assert!(empty.status.success(), "{}", stderr(&empty));
    assert!(stdout(&empty).contains("0 tasks"), "{}", stdout(&empty));

    let sheet = dir.join("tasks.csv");
    std::fs::write(&sheet, SHEET).unwrap();
    let sheet = sheet.to_str().unwrap();
    let imported = run(&["tasks", "import", sheet, "--year", "2024"]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(
        stdout(&imported).contains("3 added"),
        "{}",
        stdout(&imported)
    );
    let again = run(&["tasks", "import", sheet, "--year", "2024"]);
    assert!(stdout(&again).contains("0 added, 0 changed, 0 removed, 3 unchanged"));

    let listed = run(&["tasks", "list", "--year", "2024", "--format", "json"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let tasks: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), 3);
    assert_eq!(tasks[0]["seq"], "1");
    assert_eq!(tasks[0]["lead"][0]["code"], "port_logistics");
    assert_eq!(tasks[0]["responsible"][1]["name"], "青羊区");
    assert_eq!(tasks[0]["nodes"][1]["due"], "2024-09-30");
    assert_eq!(tasks[0]["quantity"]["value"], 300.0);
    assert_eq!(tasks[0]["source"]["row"], 5);
    assert_eq!(tasks[1]["clause"], "5.1", "the section's action");
    assert_eq!(
        tasks[1]["lead"][0]["code"], "port_logistics",
        "carried down"
    );
    assert_eq!(tasks[2]["ongoing"], true);
    assert_eq!(tasks[2]["indicators"][0], "retail_sales");
    let of_jinjiang = run(&["tasks", "list", "--unit", "510104", "--format", "csv"]);
    let lines: Vec<String> = stdout(&of_jinjiang).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "the header and tasks 1 and 3: {lines:?}");
    let other_year = run(&["tasks", "list", "--year", "2025", "--format", "json"]);
    assert_eq!(stdout(&other_year).trim(), "[]");

    let bad = dir.join("bad.csv");
    let broken = SHEET
        .replace("市口岸物流办", "市外星局")
        .replace("年底前", "尽快")
        .replace("5.1.2", "9.9");
    std::fs::write(&bad, broken).unwrap();
    let refused = run(&["tasks", "import", bad.to_str().unwrap(), "--year", "2024"]);
    assert_eq!(refused.status.code(), Some(1));
    let said = stderr(&refused);
    assert!(said.contains(":5: 规划条款"), "{said}");
    assert!(said.contains(":5: 牵头单位 “市外星局”"), "{said}");
    assert!(said.contains(":6: 完成时限 “尽快”"), "{said}");
    assert!(said.contains("no task was imported"), "{said}");
    let after = run(&["tasks", "list", "--format", "json"]);
    assert_eq!(stdout(&after), stdout(&listed), "nothing stored");
    let unknown = run(&["tasks", "list", "--unit", "nowhere"]);
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn tasks_import_list_and_template_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    check(db.to_str().unwrap(), dir.path());
}

#[test]
fn tasks_import_list_and_template_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    check(&fresh_postgres("tasks"), dir.path());
}

/// What `COMMAND list --year 2024 --format json` gives after `init --sample-data`, every item
/// recorded by the sample file's own name `file`.
pub(crate) fn sample_list(command: &str, file: &str) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let db = db.to_str().unwrap();
    let init = planwatch(&["--db", db, "init", "--sample-data"]);
    assert!(init.status.success(), "{}", stderr(&init));
    let listed = planwatch(&[
        "--db", db, command, "list", "--year", "2024", "--format", "json",
    ]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let items: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let items = items.as_array().unwrap().clone();
    assert!(
        items.iter().all(|t| t["source"]["file"] == file),
        "{}",
        items[0]["source"]
    );
    items
}

/// `init --sample-data` imports the sample 年度重点任务分解表 (data/chengdu-tasks-2024.csv):
/// every task of it, recorded by the file's own name as the sample figures are.
#[test]
fn the_sample_data_holds_the_2024_task_sheet() {
    let tasks = sample_list("tasks", "chengdu-tasks-2024.csv");
    assert!(tasks.len() >= 150, "{} tasks", tasks.len());
}
