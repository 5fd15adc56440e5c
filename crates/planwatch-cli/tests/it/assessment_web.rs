//! 年度考核 on the web against the real server, on SQLite and on PostgreSQL with the sample
//! data: the 2024 ranking over the API and on the 考核 page, one unit's breakdown (an insta
//! snapshot on a fixed day, shared by both backends), a planner's bonus moving the unit's total
//! by exactly its points, one over the cap refused with the message, the CSV export with a row
//! per assessed unit, the XLSX export read back (a unit's total and rank, every line), freezing the year (the page's banner), a reporter seeing its own unit only
//! and refused another's breakdown, anonymous refused.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::Server;
use crate::accounts::Accounts;
use crate::webauth::{FORM, add_user, token};

const DAY: &str = "2025-03-31";

fn send(request: RequestBuilder, token: Option<&str>) -> (StatusCode, String) {
    let request = match token {
        Some(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
        None => request,
    };
    let response = request.send().unwrap();
    (response.status(), response.text().unwrap())
}

fn get(server: &Server, token: Option<&str>, path: &str) -> (StatusCode, String) {
    send(Client::new().get(server.url(path)), token)
}

fn json_of(server: &Server, token: &str, path: &str) -> Value {
    let (status, text) = get(server, Some(token), path);
    assert_eq!(status, StatusCode::OK, "GET {path}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// The workbook `path` answers.
fn xlsx_of(server: &Server, token: &str, path: &str) -> Xlsx<Cursor<Vec<u8>>> {
    let response = Client::new()
        .get(server.url(path))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml"),
    );
    let bytes = response.bytes().unwrap().to_vec();
    calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap()
}

fn post(server: &Server, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let (status, text) = send(
        Client::new().post(server.url(path)).json(&body),
        Some(token),
    );
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn total_of(scores: &Value, code: &str) -> f64 {
    scores["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {scores}"))["total"]
        .as_f64()
        .unwrap()
}

#[test]
fn assessment_on_sqlite() {
    checks(&Accounts::sqlite_with(&["init", "--sample-data"]));
}

#[test]
fn assessment_on_postgres() {
    checks(&Accounts::postgres_with(&["init", "--sample-data"]));
}

fn checks(store: &Accounts) {
    add_user(store, "planner", "planner", &[]);
    add_user(store, "jinjiang", "reporter", &["510104"]);
    add_user(store, "leader", "viewer", &[]);
    let server = Server::start(&store.db, &[]);
    let planner = token(store, "plan", "planner");
    let jinjiang = token(store, "jj", "jinjiang");
    let leader = token(store, "lead", "leader");
    let ranking = format!("/api/scores?year=2024&date={DAY}");

    // The ranking: every assessed unit, ranked among its kind, for the office and viewers.
    let before = json_of(&server, &planner, &ranking);
    let units = before["units"].as_array().unwrap();
    assert!(units.len() > 20, "{before}");
    for group in ["district", "department"] {
        let ranks: Vec<u64> = units
            .iter()
            .filter(|u| u["group"] == group && u["assessed"] == true)
            .map(|u| u["rank"].as_u64().unwrap())
            .collect();
        assert!(
            !ranks.is_empty() && ranks.contains(&1),
            "{group}: {ranks:?}"
        );
    }
    assert_eq!(
        json_of(&server, &leader, &ranking)["units"],
        before["units"]
    );

    // One unit's breakdown on a fixed day: its lines add up to its total.
    let breakdown = json_of(
        &server,
        &planner,
        &format!("/api/scores/510104?year=2024&date={DAY}"),
    );
    let sum: f64 = breakdown["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["points"].as_f64().unwrap())
        .sum();
    let base_and_adjustments = breakdown["total"].as_f64().unwrap();
    assert!(
        (sum - base_and_adjustments).abs() < 0.01,
        "{sum} vs {breakdown}"
    );
    insta::assert_json_snapshot!("assessment_web_510104_2024", breakdown);

    // The 考核 page: a table per kind, the unit linked, the freeze form for the planner.
    let (status, page) = get(&server, Some(&planner), "/assessment?year=2024");
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "ranking-district",
        "ranking-department",
        "href=\"/assessment/510104?year=2024\"",
        "id=\"freeze-form\"",
        "/api/scores/export?year=2024&amp;format=csv",
        "/api/scores/export?year=2024&amp;format=xlsx",
        "href=\"/assessment\"",
    ] {
        assert!(page.contains(needle), "{needle} not on the page");
    }
    let (status, english) = get(&server, Some(&planner), "/assessment?year=2024&lang=en");
    assert_eq!(status, StatusCode::OK);
    assert!(
        english.contains("Jinjiang"),
        "the English page names units in English"
    );
    let (status, unit_page) = get(&server, Some(&planner), "/assessment/510104?year=2024");
    assert_eq!(status, StatusCode::OK);
    assert!(unit_page.contains("id=\"adjust-form\""));
    assert!(
        unit_page.contains("href=\"/tasks/"),
        "task lines link their task"
    );

    // A bonus moves the unit's total by exactly its points; over the cap is refused, saying so.
    let (status, body) = post(
        &server,
        &planner,
        "/api/scores/adjustments",
        json!({"year": 2024, "unit": "510104", "kind": "bonus", "points": 2.5, "reason": "获省级表彰"}),
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["id"].as_i64().is_some());
    let after = json_of(&server, &planner, &ranking);
    assert!((total_of(&after, "510104") - total_of(&before, "510104") - 2.5).abs() < 1e-9);
    let (status, body) = post(
        &server,
        &planner,
        "/api/scores/adjustments",
        json!({"year": 2024, "unit": "510104", "kind": "bonus", "points": 3, "reason": "再次表彰"}),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("尚余 2.5 分"), "{message}");
    // The page's form shows the same refusal beside the form.
    let (status, refused_page) = send(
        Client::new()
            .post(server.url("/assessment/510104/adjust"))
            .header(CONTENT_TYPE, FORM)
            .body("year=2024&kind=bonus&points=3&reason=again"),
        Some(&planner),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused_page.contains("id=\"adjust-error\""),
        "{refused_page}"
    );
    assert!(refused_page.contains("尚余 2.5 分"));
    // Only the plan office adjusts.
    let (status, _) = post(
        &server,
        &leader,
        "/api/scores/adjustments",
        json!({"year": 2024, "unit": "510104", "kind": "bonus", "points": 1, "reason": "x"}),
    );
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The CSV export: Chinese headers with English beside, a row per unit.
    let (status, csv) = get(
        &server,
        Some(&planner),
        "/api/scores/export?year=2024&format=csv",
    );
    assert_eq!(status, StatusCode::OK);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("类别 Kind,排名 Rank,单位代码 Code")
    );
    assert_eq!(lines.count(), units.len());
    assert!(csv.contains(",510104,"));
    // The XLSX export: the ranking (a unit's total and rank as the API gives them) and the
    // breakdown's lines on a second sheet; a reporter's holds its own unit only.
    let today = json_of(&server, &planner, "/api/scores?year=2024");
    let jinjiang_today = today["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "510104")
        .unwrap();
    let mut book = xlsx_of(
        &server,
        &planner,
        "/api/scores/export?year=2024&format=xlsx",
    );
    let ranking_sheet = book.worksheet_range("排名 Ranking").unwrap();
    assert_eq!(ranking_sheet.height(), units.len() + 1);
    let row = (1..ranking_sheet.height())
        .find(|r| ranking_sheet.get((*r, 2)) == Some(&Data::String("510104".into())))
        .expect("510104 in the ranking");
    assert_eq!(
        ranking_sheet.get((row, 1)),
        Some(&Data::Float(jinjiang_today["rank"].as_f64().unwrap()))
    );
    let Some(Data::Float(total)) = ranking_sheet.get((row, 4)) else {
        panic!("no total for 510104");
    };
    assert!((total - jinjiang_today["total"].as_f64().unwrap()).abs() < 1e-9);
    let lines_sheet = book.worksheet_range("明细 Breakdown").unwrap();
    let lines_in_api: usize = today["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["lines"].as_array().unwrap().len())
        .sum();
    assert_eq!(lines_sheet.height(), lines_in_api + 1);
    let mut own_book = xlsx_of(
        &server,
        &jinjiang,
        "/api/scores/export?year=2024&format=xlsx",
    );
    assert_eq!(
        own_book.worksheet_range("排名 Ranking").unwrap().height(),
        2
    );
    let (status, _) = get(
        &server,
        Some(&planner),
        "/api/scores/export?year=2024&format=pdf",
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A reporter: its own unit only, refused another's breakdown; anonymous refused.
    let own = json_of(&server, &jinjiang, &ranking);
    let codes: Vec<&str> = own["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["510104"]);
    let (status, _) = get(&server, Some(&jinjiang), "/api/scores/510105?year=2024");
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&server, Some(&jinjiang), "/api/scores/510104?year=2024");
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&server, None, &ranking);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get(&server, None, "/api/scores/510104");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, reporter_page) = get(&server, Some(&jinjiang), "/assessment?year=2024");
    assert_eq!(status, StatusCode::OK);
    assert!(!reporter_page.contains("/assessment/510105"));
    assert!(!reporter_page.contains("freeze-form"));

    // Freezing: the page shows who froze it; a second freeze and a later bonus are conflicts.
    let (status, frozen) = post(
        &server,
        &planner,
        "/api/scores/freeze",
        json!({"year": 2024, "date": DAY}),
    );
    assert_eq!(status, StatusCode::OK, "{frozen}");
    assert!(frozen["frozen"]["frozen_by"].is_string(), "{frozen}");
    let (status, _) = post(
        &server,
        &planner,
        "/api/scores/freeze",
        json!({"year": 2024}),
    );
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = post(
        &server,
        &planner,
        "/api/scores/adjustments",
        json!({"year": 2024, "unit": "510104", "kind": "deduction", "points": 1, "reason": "迟报"}),
    );
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("已冻结")
    );
    let (_, page) = get(&server, Some(&planner), "/assessment?year=2024");
    assert!(page.contains("id=\"frozen-banner\""));
    assert!(!page.contains("id=\"freeze-form\""));
    assert_eq!(store.audit_json(&["--action", "score.adjust"]).len(), 1);
    assert_eq!(store.audit_json(&["--action", "score.freeze"]).len(), 1);
}
