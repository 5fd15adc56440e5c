//! `planwatch plan …` and the top-level help.

use crate::{planwatch, repo_root, stderr, stdout};

#[test]
fn version_and_help_on_every_command() {
    let version = planwatch(&["--version"]);
    assert!(version.status.success());
    assert!(
        stdout(&version).starts_with("planwatch "),
        "{}",
        stdout(&version)
    );

    for args in [
        &["--help"][..],
        &["plan", "--help"],
        &["plan", "show", "--help"],
        &["plan", "check", "--help"],
        &["plan", "schema", "--help"],
        &["init", "--help"],
        &["import", "--help"],
        &["export", "--help"],
        &["template", "--help"],
        &["data", "--help"],
        &["data", "history", "--help"],
        &["data", "batches", "--help"],
        &["synth", "--help"],
    ] {
        let output = planwatch(args);
        assert!(output.status.success(), "{args:?}");
        let help = stdout(&output);
        assert!(
            help.contains("Examples:"),
            "{args:?} has no examples:\n{help}"
        );
        assert!(help.contains("planwatch"), "{args:?}");
    }
}

#[test]
fn a_usage_error_exits_with_2() {
    let output = planwatch(&["plan", "show", "--format", "yaml"]);
    assert_eq!(output.status.code(), Some(2));
    // Dates are checked, not compared as arbitrary text.
    for args in [
        &["export", "--as-of", "yesterday"][..],
        &["import", "--known-since", "2099-1-32", "x.csv"],
    ] {
        let output = planwatch(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains("is not a date"),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn plan_show_prints_the_whole_indicator_table() {
    let output = planwatch(&["plan", "show"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("成都市“十四五”服务业发展规划"));
    assert!(text.contains("成府函〔2022〕56号"));
    for name in [
        "服务业增加值",
        "社会消费品零售总额",
        "货物进出口总额",
        "服务业对经济增长贡献率",
        "消费对经济增长的贡献率",
        "数字贸易进出口年均增速",
        "跨境电子商务交易额",
        "对外投资协议投资总额",
        "金融业增加值",
        "物流业增加值",
        "会展业总收入",
        "文创业增加值",
        "旅游业总收入年均增速",
        "节能环保服务营业收入",
    ] {
        assert!(text.contains(name), "{name} missing from plan show");
    }
    assert!(text.contains(">17600 亿元"));
}

#[test]
fn plan_show_sections() {
    for (section, expected) in [
        ("columns", "建设国际音乐之都"),
        ("zones", "交子公园金融商务区"),
        ("actions", "实施通道口岸畅通行动"),
        ("regions", "510185"),
        ("industries", "社区服务"),
        ("layout", "一核"),
        ("measures", "统筹发展与安全"),
        ("departments", "市商务局"),
    ] {
        let output = planwatch(&["plan", "show", "--section", section]);
        assert!(output.status.success(), "{section}");
        assert!(
            stdout(&output).contains(expected),
            "{section} lacks {expected}"
        );
    }
}

#[test]
fn plan_show_json_has_the_documented_shape() {
    let output = planwatch(&["plan", "show", "--format", "json"]);
    assert!(output.status.success());
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let indicators = plan["indicators"].as_array().unwrap();
    for indicator in indicators {
        for key in ["code", "number", "name", "unit", "targets"] {
            assert!(indicator.get(key).is_some(), "{key} missing in {indicator}");
        }
        assert!(indicator["name"]["zh"].is_string() && indicator["name"]["en"].is_string());
        for target in indicator["targets"].as_array().unwrap() {
            assert!(target["kind"].is_string());
        }
    }
    let numbered = indicators.iter().filter(|i| i["number"].is_u64()).count();
    assert_eq!(numbered, 20);
    insta::assert_json_snapshot!("indicator_1_json", indicators[0]);
}

#[test]
fn plan_check_accepts_the_shipped_plans() {
    for file in [
        "plans/chengdu-services-2021-2025.toml",
        "plans/example-minimal.toml",
    ] {
        let output = planwatch(&["plan", "check", repo_root().join(file).to_str().unwrap()]);
        assert!(output.status.success(), "{file}: {}", stderr(&output));
        assert!(stdout(&output).contains("通过 ok"));
    }
}

#[test]
fn plan_check_reports_file_line_column_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repo_root().join("plans/example-minimal.toml")).unwrap();
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, example.replace("value = 45", "value = 120")).unwrap();
    let output = planwatch(&["plan", "check", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(
        errors.contains(&format!(
            "{}:74:38: 错误：占比目标 120 超出 0–100 % 的范围",
            broken.display()
        )),
        "{errors}"
    );
    assert!(errors.contains("1 个问题 problem(s)"), "{errors}");
}

#[test]
fn plan_check_of_a_missing_file_exits_3() {
    let output = planwatch(&["plan", "check", "/nonexistent/plan.toml"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("cannot read /nonexistent/plan.toml"));
}

#[test]
fn the_published_schema_is_the_one_the_code_generates() {
    let output = planwatch(&["plan", "schema"]);
    assert!(output.status.success());
    let published = std::fs::read_to_string(repo_root().join("schema/plan.schema.json")).unwrap();
    assert!(
        stdout(&output) == published,
        "schema/plan.schema.json is stale: run `planwatch plan schema > schema/plan.schema.json`"
    );
}
