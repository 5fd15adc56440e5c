//! `planwatch projects template | import | list` on the Chengdu plan, on both backends: the
//! template reads back as a list without projects; a list imports, again changes nothing, and
//! lists as JSON and CSV with its filters; a list with problems names every one with its row and
//! column and stores nothing; `init --sample-data` holds the sample list.

use crate::tasks::sample_list;
use crate::{fresh_postgres, planwatch, stderr, stdout};

const LIST: &str = "\
成都市2024年服务业重大项目表,,,,,,,,,,,,\r
序号,项目名称,建设内容,所在区（市）县,专栏,责任单位,总投资（亿元）,年度计划投资（亿元）,计划开工,计划竣工,项目阶段,经度,纬度\r
一、现代物流,,,,,,,,,,,,\r
1,成都国际铁路港陆港型国家物流枢纽,多式联运作业区,青白江区,专栏4,市口岸物流办、青白江区政府,\"1,058.6\",9.2亿元,2021年3月,2025.12,在建,104.25,30.87\r
2,天府艺术公园——文博坊,文博展馆,金牛区政府,专栏8,金牛区,36,5,2021年,2024-06,投运,,\r
专栏11 建设国际音乐之都,,,,,,,,,,,,\r
3,金沙演艺综合体,剧场,青羊区,,青羊区、市文广旅局,22,4,2022年,2025年,在建,,\r
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
    let written = run(&["projects", "template", "--year", "2024", "-o", template]);
    assert!(written.status.success(), "{}", stderr(&written));
    let empty = run(&["projects", "import", template, "--year", "2024"]);
    assert!(empty.status.success(), "{}", stderr(&empty));
    assert!(
        stdout(&empty).contains("0 key projects"),
        "{}",
        stdout(&empty)
    );

    let list = dir.join("projects.csv");
    std::fs::write(&list, LIST).unwrap();
    let list = list.to_str().unwrap();
    let imported = run(&["projects", "import", list, "--year", "2024"]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(
        stdout(&imported).contains("3 added"),
        "{}",
        stdout(&imported)
    );
    let again = run(&["projects", "import", list, "--year", "2024"]);
    assert!(
        stdout(&again).contains("0 added, 0 changed, 0 removed, 3 unchanged"),
        "{}",
        stdout(&again)
    );

    let listed = run(&["projects", "list", "--year", "2024", "--format", "json"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let projects: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let projects = projects.as_array().unwrap();
    assert_eq!(projects.len(), 3);
    let first = &projects[0];
    assert_eq!(first["seq"], "1");
    assert_eq!(first["region"]["code"], "510113");
    assert_eq!(first["region"]["name"], "青白江区");
    assert_eq!(first["column"], 4);
    assert_eq!(first["units"][0]["code"], "port_logistics");
    assert_eq!(first["units"][1]["code"], "510113");
    assert_eq!(first["total_investment"], 1058.6);
    assert_eq!(first["year_investment"], 9.2);
    assert_eq!(first["planned_start"], "2021-03");
    assert_eq!(first["planned_completion"], "2025-12");
    assert_eq!(first["stage"], "construction");
    assert_eq!(first["coordinates"]["lon"], 104.25);
    assert_eq!(first["source"]["row"], 4);
    assert_eq!(projects[1]["region"]["code"], "510106", "金牛区政府");
    assert_eq!(projects[1]["coordinates"], serde_json::Value::Null);
    assert_eq!(projects[2]["column"], 11, "from the section row");

    let in_qingyang = run(&["projects", "list", "--region", "510105", "--format", "csv"]);
    let lines: Vec<String> = stdout(&in_qingyang).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "the header and project 3: {lines:?}");
    let building = run(&["projects", "list", "--stage", "在建", "--format", "json"]);
    let building: serde_json::Value = serde_json::from_str(&stdout(&building)).unwrap();
    assert_eq!(building.as_array().unwrap().len(), 2);
    let table = run(&["projects", "list", "--stage", "operating"]);
    assert!(
        stdout(&table).contains("天府艺术公园"),
        "{}",
        stdout(&table)
    );
    assert!(
        stdout(&table).contains("共 1 个重大项目"),
        "{}",
        stdout(&table)
    );
    let other_year = run(&["projects", "list", "--year", "2025", "--format", "json"]);
    assert_eq!(stdout(&other_year).trim(), "[]");
    for bad in [
        ["--stage", "规划中"],
        ["--region", "nowhere"],
        ["--region", "commerce"],
    ] {
        let refused = run(&["projects", "list", bad[0], bad[1]]);
        assert_eq!(refused.status.code(), Some(1), "{bad:?}");
    }

    let bad = dir.join("bad.csv");
    let broken = LIST
        .replace("市口岸物流办", "市外星局")
        .replace("2021年,2024-06", "明年,2024-06")
        .replace(",22,4,", ",22,40,");
    std::fs::write(&bad, broken).unwrap();
    let refused = run(&[
        "projects",
        "import",
        bad.to_str().unwrap(),
        "--year",
        "2024",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let said = stderr(&refused);
    assert!(said.contains(":4: 责任单位 “市外星局”"), "{said}");
    assert!(said.contains(":5: 计划开工 “明年”"), "{said}");
    assert!(
        said.contains(":7: 年度计划投资（亿元） 年度计划投资 40"),
        "{said}"
    );
    assert!(said.contains("no project was imported"), "{said}");
    let after = run(&["projects", "list", "--format", "json"]);
    assert_eq!(stdout(&after), stdout(&listed), "nothing stored");
}

#[test]
fn projects_import_list_and_template_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    check(db.to_str().unwrap(), dir.path());
}

#[test]
fn projects_import_list_and_template_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    check(&fresh_postgres("projects"), dir.path());
}

/// `init --sample-data` imports the sample key project list (data/chengdu-projects-2024.csv),
/// recorded by the file's own name.
#[test]
fn the_sample_data_holds_the_2024_project_list() {
    let projects = sample_list("projects", "chengdu-projects-2024.csv");
    assert!(projects.len() >= 30, "{} projects", projects.len());
    let in_columns = projects.iter().filter(|p| p["column"].is_number()).count();
    assert!(in_columns >= 30, "{in_columns} projects of a 专栏");
}
