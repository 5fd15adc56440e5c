//! The embedded Chengdu plan agrees with its source text (成府函〔2022〕56号).

use planwatch_plan::{
    ColumnKind, DueRule, Frequency, IndustryCategory, LayoutGroup, Plan, RegionKind, Reporter,
    chengdu, validate,
};

fn plan() -> Plan {
    chengdu::plan()
}

#[test]
fn the_embedded_plan_is_valid() {
    assert_eq!(validate::check(&plan()), vec![]);
}

#[test]
fn identity_and_period() {
    let plan = plan();
    assert_eq!(plan.title.zh, "成都市“十四五”服务业发展规划");
    assert_eq!(plan.issuer.zh, "成都市人民政府");
    assert_eq!(
        plan.approval_document.as_deref(),
        Some("成府函〔2022〕56号")
    );
    assert_eq!(
        (
            plan.period.start,
            plan.period.end,
            plan.base_year,
            plan.target_year
        ),
        (2021, 2025, 2020, 2025)
    );
    assert_eq!(plan.region, "510100");
    assert_eq!(
        plan.outlook.iter().map(|o| o.year).collect::<Vec<_>>(),
        [2035, 2050]
    );
    let lead = plan
        .departments
        .iter()
        .find(|d| d.code == plan.lead_department)
        .unwrap();
    assert_eq!(lead.name.zh, "市商务局");
}

/// The plan's indicator table, row by row: 序号, unit, targets in the plan's words.
#[test]
fn the_twenty_indicators_of_the_table() {
    let expected: [(u32, &str, &str, &[&str]); 20] = [
        (
            1,
            "服务业增加值",
            "亿元",
            &[">17600 亿元", "年均增长 6—8 %（可比价）"],
        ),
        (2, "社会消费品零售总额", "亿元", &["11000 亿元"]),
        (3, "货物进出口总额", "亿元", &["10000 亿元"]),
        (4, "服务业对经济增长贡献率", "%", &["70 %"]),
        (5, "消费对经济增长的贡献率", "%", &[">60 %"]),
        (6, "生产性服务业增加值占服务业增加值比重", "%", &["50 %"]),
        (
            7,
            "规模以上数字经济核心服务业企业营业收入占比",
            "%",
            &["高于参照水平"],
        ),
        (8, "服务进出口总额", "亿元", &["1300 亿元"]),
        (9, "数字贸易进出口年均增速", "%", &["年均增长 10 %"]),
        (10, "跨境电子商务交易额", "亿元", &["1200 亿元"]),
        (11, "服务业利用外资年均增速", "%", &["年均增长 5 %"]),
        (12, "对外投资协议投资总额", "亿美元", &["累计 100 亿美元"]),
        (13, "全社会研发经费占GDP比重", "%", &["3.5 %"]),
        (14, "金融业增加值", "亿元", &["3000 亿元"]),
        (15, "物流业增加值", "亿元", &["1200 亿元"]),
        (16, "会展业总收入", "亿元", &["1600 亿元"]),
        (17, "文创业增加值", "亿元", &["3100 亿元"]),
        (18, "旅游业总收入年均增速", "%", &["年均增长 16 %"]),
        (
            19,
            "规模以上信息传输、软件和信息技术服务业营业收入",
            "亿元",
            &["1500 亿元"],
        ),
        (20, "节能环保服务营业收入", "亿元", &["400 亿元"]),
    ];
    let plan = plan();
    let headline: Vec<_> = plan.indicators.iter().filter(|i| i.is_headline()).collect();
    assert_eq!(headline.len(), 20);
    for (number, name, unit, targets) in expected {
        let indicator = headline.iter().find(|i| i.number == Some(number)).unwrap();
        assert_eq!(indicator.name.zh, name, "序号 {number}");
        assert_eq!(indicator.unit, unit, "序号 {number}");
        let described: Vec<String> = indicator
            .targets
            .iter()
            .map(|t| t.describe_zh(&indicator.unit))
            .collect();
        assert_eq!(described, targets, "序号 {number}");
        assert!(
            indicator.targets.iter().all(|t| t.due_year() == 2025),
            "序号 {number}"
        );
        assert!(indicator.name.en.is_some(), "序号 {number}");
    }
    // The relative target compares with the national average.
    let digital = headline.iter().find(|i| i.number == Some(7)).unwrap();
    assert!(
        matches!(&digital.targets[0], planwatch_plan::Target::Relative { reference, .. } if reference == "100000")
    );
}

#[test]
fn baselines_the_plan_states() {
    let plan = plan();
    let baseline = |code: &str| {
        let b = plan
            .indicators
            .iter()
            .find(|i| i.code == code)
            .unwrap()
            .baseline
            .as_ref()
            .unwrap();
        (b.value, b.year)
    };
    assert_eq!(baseline("retail_sales"), (8118.5, 2020));
    assert_eq!(baseline("goods_trade"), (7154.2, 2020));
    assert_eq!(baseline("services_trade"), (911.1, 2020));
    assert_eq!(baseline("services_growth_contribution"), (52.2, 2020));
    assert_eq!(baseline("services_share_of_gdp"), (65.7, 2020));
}

#[test]
fn secondary_quantified_targets_of_the_text() {
    let expected: [(&str, &str); 13] = [
        ("fortune500_services_firms", "1—2 家"),
        ("headquarters_firms", ">400 家"),
        ("industry_brands", "300 个"),
        ("large_contracting_projects", "累计 100 个左右"),
        ("transport_storage_postal_revenue", "1700 亿元"),
        ("leasing_business_services_revenue", "1200 亿元"),
        ("convenience_circles", "1000 个"),
        ("community_service_coverage", "100 %"),
        ("base_stations_5g", "40000 个"),
        ("business_air_routes", "累计 6 条"),
        ("cargo_air_routes", "累计 4 条"),
        ("tourism_air_routes", "累计 3 条"),
        (
            "health_services_level",
            "健康服务业总体发展水平走在全国前列",
        ),
    ];
    let plan = plan();
    for (code, target) in expected {
        let indicator = plan
            .indicators
            .iter()
            .find(|i| i.code == code)
            .unwrap_or_else(|| panic!("{code}"));
        assert_eq!(indicator.number, None, "{code}");
        assert_eq!(
            indicator.targets[0].describe_zh(&indicator.unit),
            target,
            "{code}"
        );
    }
}

#[test]
fn the_twenty_county_level_divisions_and_the_managed_areas() {
    let expected = [
        ("510104", "锦江区"),
        ("510105", "青羊区"),
        ("510106", "金牛区"),
        ("510107", "武侯区"),
        ("510108", "成华区"),
        ("510112", "龙泉驿区"),
        ("510113", "青白江区"),
        ("510114", "新都区"),
        ("510115", "温江区"),
        ("510116", "双流区"),
        ("510117", "郫都区"),
        ("510118", "新津区"),
        ("510121", "金堂县"),
        ("510129", "大邑县"),
        ("510131", "蒲江县"),
        ("510181", "都江堰市"),
        ("510182", "彭州市"),
        ("510183", "邛崃市"),
        ("510184", "崇州市"),
        ("510185", "简阳市"),
    ];
    let plan = plan();
    let counties: Vec<(&str, &str)> = plan
        .regions
        .iter()
        .filter(|r| r.parent.as_deref() == Some("510100") && r.kind.has_national_code())
        .map(|r| (r.code.as_str(), r.name.zh.as_str()))
        .collect();
    assert_eq!(counties, expected);
    let managed: Vec<&str> = plan
        .regions
        .iter()
        .filter(|r| r.kind == RegionKind::ManagedArea)
        .map(|r| r.name.zh.as_str())
        .collect();
    for name in ["四川天府新区成都直管区", "成都高新区", "成都东部新区"] {
        assert!(managed.contains(&name), "{name}");
    }
    let xinjin = plan.regions.iter().find(|r| r.code == "510118").unwrap();
    assert_eq!(xinjin.former_codes[0].code, "510132");
}

#[test]
fn the_five_plus_four_industries() {
    let plan = plan();
    let names = |category| {
        plan.industries
            .iter()
            .filter(|i| i.category == category)
            .map(|i| i.name.zh.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(IndustryCategory::Producer),
        ["科技服务", "金融服务", "流通服务", "信息服务", "商务服务"]
    );
    assert_eq!(
        names(IndustryCategory::Consumer),
        ["现代商贸", "文体旅游", "医疗健康", "社区服务"]
    );
    for industry in &plan.industries {
        assert!(
            industry.target.zh.starts_with("到2025年"),
            "{}",
            industry.name.zh
        );
    }
}

#[test]
fn the_eight_main_actions() {
    let expected = [
        ("实施通道口岸畅通行动", "建设国际门户枢纽"),
        ("实施强链补链延链行动", "建设泛欧泛亚贸易强市"),
        ("实施总部经济提能行动", "建设“一带一路”要素配置运筹中心"),
        ("实施新消费创生引领行动", "建设国际消费目的地"),
        ("实施制度集成创新行动", "建设国际化营商环境标杆城市"),
        ("实施“两化”融合行动", "建设数字服务示范城市"),
        ("实施幸福美好生活创建行动", "建设高品质生活宜居地"),
        ("实施区域协同发展行动", "建设服务业极核城市"),
    ];
    let plan = plan();
    let actions: Vec<(&str, &str)> = plan
        .actions
        .iter()
        .map(|a| (a.title.zh.as_str(), a.aim.zh.as_str()))
        .collect();
    assert_eq!(actions, expected);
    let items: Vec<usize> = plan.actions.iter().map(|a| a.items.len()).collect();
    assert_eq!(items, [5, 7, 3, 3, 3, 3, 3, 2]);
    assert_eq!(plan.actions[0].items[0].title.zh, "提升国际航空枢纽位势");
    assert_eq!(
        plan.actions[7].items[1].title.zh,
        "推动都市圈服务业联动发展"
    );
}

#[test]
fn every_column_from_2_to_27() {
    let plan = plan();
    let numbers: Vec<u32> = plan.columns.iter().map(|c| c.number).collect();
    assert_eq!(numbers, (2..=27).collect::<Vec<_>>());
    for column in &plan.columns {
        match column.kind {
            ColumnKind::List => assert!(!column.items.is_empty(), "专栏{}", column.number),
            ColumnKind::Figure | ColumnKind::Table => {
                assert!(matches!(column.number, 13 | 14 | 15 | 17))
            }
        }
    }
    let music = plan.columns.iter().find(|c| c.number == 11).unwrap();
    let towns = music
        .items
        .iter()
        .find(|i| i.entries.iter().any(|e| e == "彭州白鹿音乐古镇"))
        .unwrap();
    assert_eq!(towns.entries.len(), 5);
    let gateway = plan.columns.iter().find(|c| c.number == 16).unwrap();
    assert!(gateway.items[0].text.zh.contains("新开通6条精品商务航线"));
}

#[test]
fn the_five_chains_of_column_14() {
    let plan = plan();
    let zones: Vec<(&str, &str, usize, usize)> = plan
        .zones
        .iter()
        .map(|z| {
            (
                z.ecosystem.zh.as_str(),
                z.chain.zh.as_str(),
                z.main_carriers.len(),
                z.collaborating.len(),
            )
        })
        .collect();
    assert_eq!(
        zones,
        [
            ("先进生产性服务业", "金融业", 1, 2),
            ("先进生产性服务业", "会展业", 2, 2),
            ("先进生产性服务业", "物流业", 3, 2),
            ("新消费产业", "文创业", 3, 3),
            ("新消费产业", "旅游业", 5, 6),
        ]
    );
    assert_eq!(plan.zones[0].main_carriers, ["交子公园金融商务区"]);
    assert_eq!(
        plan.zones[2].main_carriers,
        ["天府国际航空经济区", "双流航空经济区", "成都国际铁路港"]
    );
    assert_eq!(
        plan.zones[4].collaborating.last().map(String::as_str),
        Some("成北新消费活力区")
    );
}

#[test]
fn the_spatial_layout() {
    let plan = plan();
    let count = |group| plan.layout.iter().filter(|l| l.group == group).count();
    assert_eq!(count(LayoutGroup::Core), 1);
    assert_eq!(count(LayoutGroup::Axis), 2);
    assert_eq!(count(LayoutGroup::Belt), 3);
    assert_eq!(count(LayoutGroup::Chain), 5);
    assert!(count(LayoutGroup::Pole) >= 1);
    assert!(count(LayoutGroup::Point) >= 1);
}

#[test]
fn the_three_headings_of_the_layout() {
    // 四、空间布局: （一）一核多极驱动 （二）两轴三带协同 （三）五链N点耦合, each over two groups.
    let plan = plan();
    let headings: Vec<(&str, Vec<LayoutGroup>, &str)> = plan
        .layout_headings
        .iter()
        .map(|h| {
            (
                h.title.zh.as_str(),
                h.groups.clone(),
                h.source_ref.0.as_str(),
            )
        })
        .collect();
    assert_eq!(
        headings,
        [
            (
                "一核多极驱动",
                vec![LayoutGroup::Core, LayoutGroup::Pole],
                "4.1"
            ),
            (
                "两轴三带协同",
                vec![LayoutGroup::Axis, LayoutGroup::Belt],
                "4.2"
            ),
            (
                "五链N点耦合",
                vec![LayoutGroup::Chain, LayoutGroup::Point],
                "4.3"
            ),
        ]
    );
    assert!(plan.layout_headings.iter().all(|h| h.title.en.is_some()));
    // Every element stands under a heading.
    assert!(plan.layout.iter().all(|l| {
        plan.layout_headings
            .iter()
            .any(|h| h.groups.contains(&l.group))
    }));
    // A group under two headings is refused.
    let mut twice = plan.clone();
    twice.layout_headings[1].groups.push(LayoutGroup::Core);
    let problems = validate::check(&twice);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path.to_string(), "layout_headings[1].groups[2]");
    assert!(problems[0].kind.zh().contains("两个标题"));
}

#[test]
fn units_in_english_and_the_break_of_the_tourism_series() {
    let plan = plan();
    let unit = |code: &str| {
        plan.indicators
            .iter()
            .find(|i| i.code == code)
            .unwrap()
            .unit_text()
            .en
            .unwrap()
    };
    assert_eq!(unit("retail_sales"), "CNY 100 million");
    assert_eq!(unit("outbound_investment"), "USD 100 million");
    assert_eq!(unit("business_air_routes"), "routes");
    assert_eq!(unit("headquarters_firms"), "firms");
    // No indicator of the plan is left with a Chinese unit in English.
    for indicator in &plan.indicators {
        let en = indicator.unit_text().en.unwrap();
        assert!(
            !en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{}: {en}",
            indicator.code
        );
    }
    let outbound = plan
        .indicators
        .iter()
        .find(|i| i.code == "outbound_investment")
        .unwrap();
    let described = outbound.targets[0].describe(&outbound.unit_text());
    assert_eq!(described.zh, "累计 100 亿美元");
    assert_eq!(
        described.en.as_deref(),
        Some("100 USD 100 million in total over 2021–2025")
    );
    let tourism = plan
        .indicators
        .iter()
        .find(|i| i.code == "tourism_revenue")
        .unwrap();
    assert_eq!(tourism.breaks.len(), 1);
    assert_eq!(tourism.breaks[0].year, 2025);
    assert!(tourism.breaks[0].note.zh.contains("旅游总花费"));
}

#[test]
fn the_four_guarantee_measures() {
    let titles: Vec<String> = plan().measures.iter().map(|m| m.title.zh.clone()).collect();
    assert_eq!(
        titles,
        [
            "坚持党的全面领导",
            "加强部门协同联动",
            "强化产业要素支撑",
            "统筹发展与安全"
        ]
    );
    assert!(
        plan().measures[1]
            .text
            .zh
            .contains("按年度将任务目标分解落实到具体部门和各区（市）县")
    );
}

#[test]
fn scanning_artefacts_are_fixed_not_copied() {
    let text = chengdu::TOML;
    assert!(
        !text.chars().any(|c| ('\u{AC00}'..='\u{D7AF}').contains(&c)),
        "Hangul left in the plan"
    );
    for artefact in ["科研机构 and", "李劫人", "澳新闻", "打造成成都"] {
        assert!(!text.contains(artefact), "{artefact}");
    }
}

#[test]
fn the_reporting_calendar() {
    let plan = plan();
    let calendar = plan
        .calendar
        .as_ref()
        .expect("the Chengdu plan has a calendar");
    assert_eq!(
        calendar.due.rule(Frequency::Year),
        DueRule::month_day(3, 31)
    );
    assert_eq!(
        calendar.due.rule(Frequency::Quarter),
        DueRule::days_after(20)
    );
    assert_eq!(
        calendar.frequencies_of("gdp"),
        [Frequency::Year, Frequency::Quarter]
    );
    assert_eq!(
        calendar.reporters_of("retail_sales"),
        [Reporter::LeadDepartment, Reporter::Districts]
    );
    assert_eq!(calendar.frequencies_of("rd_intensity"), [Frequency::Year]);
    assert_eq!(
        calendar.reporters_of("rd_intensity"),
        [Reporter::LeadDepartment]
    );
    assert!(calendar.frequencies_of("health_services_level").is_empty());
}
