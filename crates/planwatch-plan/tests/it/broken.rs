//! Broken plan files: each case edits the valid example plan and lists the exact diagnostics
//! `plan check` must print, in file order.

use planwatch_plan::read_plan;

use crate::EXAMPLE;

/// Applies the edits to the example plan, reads it, and compares the diagnostics.
#[track_caller]
fn check(edits: &[(&str, &str)], expected: &[&str]) {
    let mut text = EXAMPLE.to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "the example plan has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    let actual: Vec<String> = match read_plan("broken.toml", &text) {
        Ok(_) => Vec::new(),
        Err(error) => error.0.iter().map(ToString::to_string).collect(),
    };
    assert_eq!(
        actual,
        expected,
        "\n--- actual ---\n{}\n",
        actual.join("\n")
    );
}

#[test]
fn the_example_plan_is_valid() {
    check(&[], &[]);
}

#[test]
fn unknown_target_kind() {
    check(
        &[(
            r#"{ kind = "share", value = 45"#,
            r#"{ kind = "percent", value = 45"#,
        )],
        &[
            "broken.toml:74:21: 错误：结构错误：未知的取值 `percent`, expected one of `level`, `strict_level`, `level_range`, `share`, `average_growth`, `growth_range`, `cumulative`, `relative`, `qualitative` (unknown variant `percent`, expected one of `level`, `strict_level`, `level_range`, `share`, `average_growth`, `growth_range`, `cumulative`, `relative`, `qualitative`) [indicators[1]]",
        ],
    );
}

#[test]
fn share_target_over_100_percent() {
    check(
        &[("value = 45", "value = 120")],
        &[
            "broken.toml:74:38: 错误：占比目标 120 超出 0–100 % 的范围 (share target 120 is outside 0–100 %) [indicators[1].targets[0].value]",
        ],
    );
}

#[test]
fn duplicate_indicator_code() {
    check(
        &[(
            r#"code = "online_retail_share""#,
            r#"code = "retail_sales""#,
        )],
        &[
            "broken.toml:64:8: 错误：指标代码“retail_sales”重复 (duplicate indicator code \"retail_sales\") [indicators[1].code]",
        ],
    );
}

#[test]
fn baseline_year_after_target_year() {
    check(
        &[(
            "baseline = { value = 30, year = 2020",
            "baseline = { value = 30, year = 2026",
        )],
        &[
            "broken.toml:73:33: 错误：基期年份 2026 不早于目标年份 2025 (the baseline year 2026 is not before the target year 2025) [indicators[1].baseline.year]",
        ],
    );
}

#[test]
fn region_code_not_six_digits() {
    check(
        &[
            (r#"code = "440103""#, r#"code = "44013""#),
            (r#"overlaps = ["440103"]"#, r#"overlaps = ["44013"]"#),
        ],
        &[
            "broken.toml:33:8: 错误：地区代码“44013”不是 6 位 GB/T 2260 代码；没有国家代码的功能区须写 kind = \"managed_area\" (region code \"44013\" is not a 6-digit GB/T 2260 code; a managed area without a national code needs kind = \"managed_area\") [regions[1].code]",
        ],
    );
}

#[test]
fn managed_area_with_a_numeric_code() {
    check(
        &[(r#"code = "newtown""#, r#"code = "440199""#)],
        &[
            "broken.toml:39:8: 错误：功能区代码“440199”应为 ASCII 简码（字母、数字、_ 或 -），不能是 6 位数字 (managed-area code \"440199\" must be an ASCII slug (letters, digits, _ or -), not a 6-digit code) [regions[2].code]",
        ],
    );
}

#[test]
fn unknown_department() {
    check(
        &[(
            r#"departments = ["statistics"]"#,
            r#"departments = ["statistic"]"#,
        )],
        &[
            "broken.toml:55:16: 错误：未知的部门“statistic”：本规划中没有定义 (unknown department \"statistic\": it is not defined in this plan) [indicators[0].departments[0]]",
        ],
    );
}

#[test]
fn toml_syntax_error() {
    check(
        &[(r#"unit = "%""#, r#"unit = "%"#)],
        &[
            "broken.toml:67:10: 错误：TOML 语法错误：invalid basic string, expected `\"` (TOML syntax: invalid basic string, expected `\"`)",
        ],
    );
}

#[test]
fn missing_required_field() {
    check(
        &[("unit = \"亿美元\"\n", "")],
        &[
            "broken.toml:76:1: 错误：结构错误：缺少字段 `unit` (missing field `unit`) [indicators[2]]",
        ],
    );
}

#[test]
fn inverted_growth_range_and_year_outside_the_plan() {
    check(
        &[
            (
                r#"{ kind = "average_growth", value = 7, from = 2020, to = 2025"#,
                r#"{ kind = "growth_range", min = 8, max = 6, from = 2020, to = 2025, basis = "real""#,
            ),
            (
                r#"{ kind = "cumulative", value = 20, from = 2021, to = 2025"#,
                r#"{ kind = "cumulative", value = 20, from = 2021, to = 2030"#,
            ),
        ],
        &[
            "broken.toml:60:34: 错误：区间颠倒：下限 8 大于上限 6 (range is inverted: min 8 is above max 6) [indicators[0].targets[1].min]",
            "broken.toml:86:65: 错误：年份 2030 超出规划期（基期 2020 年至目标年 2025 年） (year 2030 is outside the plan, which runs from base year 2020 to target year 2025) [indicators[2].targets[0].to]",
        ],
    );
}

#[test]
fn every_problem_is_reported_even_after_a_broken_entry() {
    // The first indicator cannot be read at all; the problems of the others are still found,
    // but "unknown reference" problems are held back since the broken entry may define the code.
    check(
        &[
            (
                r#"{ kind = "level", value = 1400"#,
                r#"{ kind = "level", valu = 1400"#,
            ),
            ("value = 45", "value = 101"),
            (
                r#"lead_department = "commerce"
ref = "2.3.1"
targets = [{ kind = "cumulative""#,
                r#"lead_department = "nobody"
ref = "2.3.1"
targets = [{ kind = "cumulative""#,
            ),
        ],
        &[
            "broken.toml:58:11: 错误：结构错误：未知的字段 `valu`, expected one of `value`, `year`, `approximate`, `ref` (unknown field `valu`, expected one of `value`, `year`, `approximate`, `ref`) [indicators[0]]",
            "broken.toml:74:38: 错误：占比目标 101 超出 0–100 % 的范围 (share target 101 is outside 0–100 %) [indicators[1].targets[0].value]",
        ],
    );
}

#[test]
fn plan_years_inverted_are_reported_once() {
    check(
        &[("base_year = 2020", "base_year = 2025")],
        &[
            "broken.toml:12:15: 错误：基期年 2025 应早于目标年 2025 (the base year 2025 must come before the target year 2025) [target_year]",
        ],
    );
}

#[test]
fn inverted_bounds() {
    check(
        &[("unit = \"%\"\n", "unit = \"%\"\nbounds = [100, 0]\n")],
        &[
            "broken.toml:68:10: 错误：区间颠倒：下限 100 大于上限 0 (range is inverted: min 100 is above max 0) [indicators[1].bounds]",
        ],
    );
}

#[test]
fn reporting_calendar_problems_point_at_their_fields() {
    let last =
        r#"targets = [{ kind = "cumulative", value = 20, from = 2021, to = 2025, ref = "2.3.1" }]"#;
    let calendar = format!(
        r#"{last}

[calendar]
frequencies = ["year", "quarter"]

[calendar.due]
quarter = {{ days_after = 20, day = 5 }}

[[calendar.indicators]]
indicator = "retail_sales"
reporters = ["lead_department", "districts"]
due = {{ year = {{ months_after = 3, day = 32 }} }}

[[calendar.indicators]]
indicator = "hotel_nights"

[[calendar.indicators]]
indicator = "retail_sales"
frequencies = []
"#
    );
    check(
        &[
            (last, &calendar),
            (
                "lead_department = \"commerce\"\nref = \"2.3.1\"",
                "ref = \"2.3.1\"",
            ),
        ],
        &[
            "broken.toml:87:1: 错误：指标“online_retail_share”应由牵头部门报送，但没有牵头部门：请写 lead_department，或在 [[calendar.indicators]] 中指定 reporters 或 frequencies = [] (indicator \"online_retail_share\" is to be reported by its lead department but has none: give it a lead_department, other reporters or frequencies = [] in [[calendar.indicators]]) [calendar.reporters]",
            "broken.toml:91:11: 错误：报送期限应写作 { days_after = N }（N ≤ 366）或 { months_after = N, day = D }（N ≤ 12，D 为 1–31） (a due date is either { days_after = N } (N ≤ 366) or { months_after = N, day = D } (N ≤ 12, D 1–31)) [calendar.due.quarter]",
            "broken.toml:96:16: 错误：报送期限应写作 { days_after = N }（N ≤ 366）或 { months_after = N, day = D }（N ≤ 12，D 为 1–31） (a due date is either { days_after = N } (N ≤ 366) or { months_after = N, day = D } (N ≤ 12, D 1–31)) [calendar.indicators[0].due.year]",
            "broken.toml:99:13: 错误：未知的指标“hotel_nights”：本规划中没有定义 (unknown indicator \"hotel_nights\": it is not defined in this plan) [calendar.indicators[1].indicator]",
            "broken.toml:102:13: 错误：指标“retail_sales”在报送日历中出现了不止一次 (indicator \"retail_sales\" has more than one calendar entry) [calendar.indicators[2].indicator]",
        ],
    );
}

#[test]
fn a_name_shared_by_two_units() {
    check(
        &[(
            "name = { zh = \"市统计局\", en = \"Municipal Bureau of Statistics\" }",
            "name = { zh = \"市统计局\", en = \"Municipal Bureau of Statistics\" }\naliases = [\"统计局\", \"市 商务局\"]",
        )],
        &[
            "broken.toml:26:19: 错误：名称“市 商务局”同时用于 commerce 和 statistics：名称或简称只能指一个单位 (the name \"市 商务局\" is used by two units, commerce and statistics: a name or alias must mean one unit) [departments[1].aliases[1]]",
        ],
    );
}
