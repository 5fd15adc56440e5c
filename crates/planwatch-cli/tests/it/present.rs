//! What pages and the API present: English with no Chinese left over, growth-rate indicators
//! measured through levels, the layout's headings. On SQLite and on PostgreSQL.

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

use crate::Server;

fn page(server: &Server, path: &str, lang: &str) -> String {
    let response = Client::new()
        .get(server.url(path))
        .header("cookie", format!("lang={lang}"))
        .send()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.text().unwrap()
}

fn json(server: &Server, path: &str) -> Value {
    let response = Client::new().get(server.url(path)).send().unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().unwrap()
}

/// Chinese characters, and the CJK punctuation (。、；) and full-width forms written with them.
fn is_cjk(c: char) -> bool {
    ('\u{3000}'..='\u{303f}').contains(&c)
        || ('\u{3400}'..='\u{9fff}').contains(&c)
        || ('\u{f900}'..='\u{faff}').contains(&c)
        || ('\u{ff00}'..='\u{ffef}').contains(&c)
}

/// The CJK characters of a page's visible text, but for the language switch (中文: the one name
/// with no English form).
fn chinese_left(html: &str) -> String {
    visible(html)
        .replace("中文", "")
        .chars()
        .filter(|&c| is_cjk(c))
        .collect()
}

/// The text a reader sees (and the attributes read out to them), without the scripts' data.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("</script>")
            .map_or("", |end| &rest[start + end..]);
    }
    out.push_str(rest);
    out
}

/// The card of an indicator on the overview, as text.
fn card<'a>(overview: &'a str, code: &str) -> &'a str {
    overview
        .split("<article")
        .find(|c| c.contains(&format!("data-indicator=\"{code}\"")))
        .unwrap_or_else(|| panic!("no card for {code}"))
}

#[test]
fn presentation_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    checks(db.to_str().unwrap());
}

#[test]
fn presentation_on_postgres() {
    checks(&crate::fresh_postgres("present"));
}

fn checks(db: &str) {
    let server = Server::start(db, &[]);
    english_has_no_chinese_left(&server);
    growth_through_levels(&server);
    layout_headings(&server);
    statuses_in_the_page_language(&server);
}

/// The status of a value (final, estimated …) is shown in the page's language in the data
/// page's table, the indicator page's table and the revision history, never as the code the
/// API and files use.
fn statuses_in_the_page_language(server: &Server) {
    let codes = ["final", "revised", "estimated", "provisional", "forecast"];
    for (path, zh, en) in [
        ("/data?indicator=retail_sales", "最终数", "Final"),
        (
            "/data?indicator=services_value_added",
            "估计数",
            "Estimated",
        ),
        ("/indicators/retail_sales", "最终数", "Final"),
        (
            "/indicators/retail_sales/history?region=510100&period=2019",
            "修订数",
            "Revised",
        ),
    ] {
        for (lang, label) in [("zh", zh), ("en", en)] {
            let html = page(server, path, lang);
            assert!(
                html.contains(&format!("<td>{label}</td>")),
                "{path} ({lang}) shows {label}: {html}"
            );
            for code in codes {
                assert!(
                    !html.contains(&format!("<td>{code}</td>")),
                    "{path} ({lang}) shows the code {code}"
                );
            }
        }
    }
}

fn english_has_no_chinese_left(server: &Server) {
    let overview = visible(&page(server, "/", "en"));
    let leftover = chinese_left(&overview);
    assert!(
        leftover.is_empty(),
        "Chinese in the English overview: {leftover}"
    );
    // The city's page: units and targets of every indicator.
    let leftover = chinese_left(&page(server, "/regions/510100", "en"));
    assert!(
        leftover.is_empty(),
        "Chinese in the English region page: {leftover}"
    );
    // Pages whose data holds Chinese (sources, a district's old name): the units are English.
    let data = page(server, "/data?indicator=retail_sales", "en");
    assert!(data.contains("<td>CNY 100 million</td>"), "{data}");
    assert!(!data.contains("<td>亿元</td>"), "{data}");
    let map = page(server, "/map?indicator=retail_sales", "en");
    assert!(map.contains("(CNY 100 million)"), "{map}");
    assert!(!map.contains("亿元"), "{map}");
    let indicator = visible(&page(server, "/indicators/retail_sales", "en"));
    assert!(!indicator.contains("</a>。"), "{indicator}");
    let retail = card(&overview, "retail_sales");
    assert!(retail.contains("CNY 100 million"), "{retail}");
    let outbound = card(&overview, "outbound_investment");
    assert!(
        outbound.contains("100 USD 100 million in total over 2021–2025"),
        "{outbound}"
    );
    // The API gives both forms.
    let report = json(
        server,
        "/api/evaluation?indicator=outbound_investment&region=510100",
    );
    let row = &report["results"][0];
    assert_eq!(row["unit"], "亿美元");
    assert_eq!(row["unit_en"], "USD 100 million");
    assert_eq!(row["target_text"], "累计 100 亿美元");
    assert_eq!(
        row["target_text_en"],
        "100 USD 100 million in total over 2021–2025"
    );
    let chinese = page(server, "/", "zh");
    assert!(card(&chinese, "retail_sales").contains("亿元"));
}

fn growth_through_levels(server: &Server) {
    // 18 旅游业总收入年均增速 is observed through 旅游总收入 (亿元): the figure is the average
    // growth so far (in %), the levels stand apart in their own unit.
    let report = json(
        server,
        "/api/evaluation?indicator=tourism_revenue_growth&region=510100&year=2024",
    );
    let row = &report["results"][0];
    let levels = &row["levels"];
    let (b, v) = (
        levels["baseline_value"].as_f64().unwrap(),
        levels["latest_value"].as_f64().unwrap(),
    );
    let growth = ((v / b).powf(0.25) - 1.0) * 100.0;
    assert_eq!(row["unit"], "%");
    assert!((row["latest_value"].as_f64().unwrap() - growth).abs() < 1e-9);
    assert!(v > 1000.0, "the level: {v}");
    assert_eq!(row["level_indicator"], "tourism_revenue");
    assert_eq!(row["level_unit"], "亿元");
    assert_eq!(row["level_unit_en"], "CNY 100 million");
    assert_eq!(row["projection"], Value::Null);
    assert!(row["milestones"].as_object().unwrap().is_empty());
    assert!(row["growth_ratio"].is_f64());

    for code in [
        "digital_trade_growth",
        "services_fdi_growth",
        "tourism_revenue_growth",
    ] {
        let overview = page(server, "/?year=2024", "zh");
        let card = card(&overview, code);
        let value = card
            .split("<strong>")
            .nth(1)
            .and_then(|s| s.split("</strong>").next())
            .unwrap();
        let number: f64 = value
            .trim_end_matches(" %")
            .parse()
            .unwrap_or_else(|_| panic!("{value}"));
        assert!(
            number < 100.0,
            "{code}: the card shows {value}, a level as a %"
        );
    }
    let card = card(&page(server, "/?year=2024", "zh"), "tourism_revenue_growth").to_owned();
    assert!(card.contains(&format!("{growth:.1} %")), "{card}");

    let indicator = page(server, "/indicators/tourism_revenue_growth", "zh");
    assert!(
        !indicator.contains(&format!("最新值 {} %", fmt(v))),
        "the level is not given as a %"
    );
    assert!(indicator.contains(&format!("年均增长 {growth:.1}%，目标为年均增长 16%")));
    assert!(indicator.contains(&format!("旅游总收入 {} 亿元", fmt(v))));
    assert!(indicator.contains("href=\"/indicators/tourism_revenue\""));
    // No projection with six decimals: rounded as everywhere else.
    let readings = indicator
        .split("class=\"sentences\"")
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
        .unwrap();
    assert!(
        !readings
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .any(|n| n.split('.').nth(1).is_some_and(|d| d.len() > 2)),
        "{readings}"
    );
    // The break of the series, in the readings and on the chart.
    assert!(
        readings.contains("2025年起统计口径改为旅游总花费"),
        "{readings}"
    );
    let chart: Value = serde_json::from_str(
        indicator
            .split("id=\"chart-data\">")
            .nth(1)
            .and_then(|s| s.split("</script>").next())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(chart["unit"], "亿元");
    assert_eq!(chart["breaks"][0][0], "2025");
    let observed = chart["observed"].as_array().unwrap();
    assert!(
        observed
            .iter()
            .any(|p| p[0] == "2024" && p[1].as_f64() == Some(v))
    );
    // The data table shows the levels, in their unit.
    let table = indicator.split("class=\"data\"").nth(1).unwrap();
    assert!(
        table.contains(&format!("{} 亿元", fmt(v))),
        "the page's data table has the levels"
    );
}

fn fmt(v: f64) -> String {
    planwatch_plan::fmt_num(v)
}

fn layout_headings(server: &Server) {
    for (lang, titles) in [
        ("zh", ["一核多极驱动", "两轴三带协同", "五链N点耦合"]),
        (
            "en",
            [
                "One core and many poles driving growth",
                "Two axes and three belts working together",
                "Five chains and N points coupled",
            ],
        ),
    ] {
        let plan = page(server, "/plan", lang);
        let layout = plan
            .split("id=\"layout\"")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .unwrap();
        let at: Vec<usize> = titles
            .iter()
            .map(|t| {
                layout
                    .find(&format!("<h3>{t}</h3>"))
                    .unwrap_or_else(|| panic!("heading {t}"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "in the text's order");
        // The core's element stands under the first heading, the belts under the second.
        let core = layout
            .find(if lang == "zh" {
                "一核："
            } else {
                "One core:"
            })
            .unwrap();
        assert!(at[0] < core && core < at[1]);
    }
}
