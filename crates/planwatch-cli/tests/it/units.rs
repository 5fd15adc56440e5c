//! A unit's page and `/api/units/{code}` against the real server, on SQLite and on PostgreSQL
//! with the sample data: a department (commerce) and a district (锦江区, 510104) — their tasks by
//! role the same as the task board's filter by unit, their key projects, indicators (the
//! department's lead and responsible ones, the district's own targets), supervision records
//! (the open 督办单 first) and score (the same as `/api/scores/{unit}`); the answer's shape as
//! an insta snapshot; the records and the score left out for the anonymous public and for a
//! reporter of another unit; an unknown code a 404 with the JSON error; the page, its links
//! from the task page and the 考核 ranking, and a reporter's 我的单位; in a headless browser, from a
//! task page to its lead unit's page and its year select.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{AUTHORIZATION, ETAG};
use serde_json::{Value, json};

use crate::Server;
use crate::accounts::Accounts;
use crate::webauth::{add_user, token};

fn get(server: &Server, token: Option<&str>, path: &str) -> (StatusCode, String) {
    let mut request: RequestBuilder = Client::new().get(server.url(path));
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = request.send().unwrap();
    (response.status(), response.text().unwrap())
}

#[track_caller]
fn json_of(server: &Server, token: Option<&str>, path: &str) -> Value {
    let (status, text) = get(server, token, path);
    assert_eq!(status, StatusCode::OK, "GET {path}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// The ids of a unit's tasks, in every role.
fn task_ids(unit: &Value) -> BTreeSet<i64> {
    ["lead", "responsible", "supporting"]
        .iter()
        .flat_map(|role| unit["tasks"][role].as_array().unwrap())
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

/// The ids the task board's filter by unit gives.
fn board_ids(server: &Server, code: &str) -> BTreeSet<i64> {
    json_of(
        server,
        None,
        &format!("/api/tasks?year=2024&unit={code}&per_page=1000"),
    )["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

/// The answer's shape: every key with the type of its value, a list by its first item.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

#[test]
fn units_on_sqlite() {
    checks(&Accounts::sqlite_with(&["init", "--sample-data"]));
}

#[test]
fn units_on_postgres() {
    checks(&Accounts::postgres_with(&["init", "--sample-data"]));
}

fn checks(store: &Accounts) {
    add_user(store, "planner", "planner", &[]);
    add_user(store, "jinjiang", "reporter", &["510104"]);
    // Supervision records of the lagging tasks, as on 2024-10-15; commerce answers one 督办单.
    store.ok(&["supervision", "sweep", "--date", "2024-10-15"], None);
    let listed: Vec<Value> = serde_json::from_str(&store.ok(
        &[
            "supervision",
            "list",
            "--unit",
            "commerce",
            "--year",
            "2024",
            "--format",
            "json",
        ],
        None,
    ))
    .unwrap();
    let answered = listed
        .iter()
        .find(|r| r["level"] == "order")
        .expect("an order to commerce")["id"]
        .as_i64()
        .unwrap();
    store.ok(
        &[
            "supervision",
            "answer",
            &answered.to_string(),
            "--text",
            "已制定整改方案",
            "--date",
            "2024-10-20",
        ],
        None,
    );
    let server = Server::start(&store.db, &[]);
    let planner = token(store, "plan", "planner");
    let jinjiang = token(store, "jj", "jinjiang");
    let planner = Some(planner.as_str());

    // A department: its tasks by role are the board's by unit; the indicators it leads or is
    // responsible for; its score as the assessment gives it.
    let commerce = json_of(&server, planner, "/api/units/commerce?year=2024");
    insta::assert_json_snapshot!("api_unit_shape", shape(&commerce));
    assert_eq!(commerce["unit"]["kind"], "department");
    assert_eq!(commerce["year"], 2024);
    assert!(!commerce["tasks"]["lead"].as_array().unwrap().is_empty());
    assert_eq!(task_ids(&commerce), board_ids(&server, "commerce"));
    let indicators = commerce["indicators"].as_array().unwrap();
    assert!(
        indicators
            .iter()
            .any(|i| i["code"] == "retail_sales" && i["role"] == "lead"),
        "{indicators:?}"
    );
    assert!(indicators.iter().all(
        |i| ["lead", "responsible"].contains(&i["role"].as_str().unwrap())
            && i["region"] == "510100"
    ));
    // Its supervision records, the open 督办单 first, the answered one after them.
    let records = commerce["supervision"].as_array().unwrap();
    assert_eq!(records.len(), listed.len());
    let open = |r: &Value| r["order"].is_object() && r["order"]["answer"].is_null();
    let opens = records.iter().take_while(|r| open(r)).count();
    assert!(opens > 0, "{records:?}");
    assert!(
        records[opens..].iter().all(|r| !open(r)),
        "the open 督办单 first"
    );
    assert!(records[opens..].iter().any(|r| r["id"] == answered));
    let score = json_of(&server, planner, "/api/scores/commerce?year=2024");
    assert_eq!(commerce["score"]["total"], score["total"]);
    assert_eq!(commerce["score"]["rank"], score["rank"]);

    // A district: its tasks, the projects in it or in its charge, its own targets, its
    // supervision records with the open 督办单 first.
    let district = json_of(&server, planner, "/api/units/510104?year=2024");
    assert_eq!(district["unit"]["name"], "锦江区");
    assert_eq!(task_ids(&district), board_ids(&server, "510104"));
    let projects = district["projects"].as_array().unwrap();
    assert!(!projects.is_empty());
    for p in projects {
        assert!(
            p["region"]["code"] == "510104" || p["role"] == "responsible",
            "{p}"
        );
    }
    let in_district = json_of(
        &server,
        None,
        "/api/projects?year=2024&region=510104&per_page=1000",
    )["total"]
        .as_u64()
        .unwrap();
    let in_region_rows = projects.iter().filter(|p| p["role"] == "in_region").count() as u64;
    assert!(in_region_rows <= in_district);
    let targets = district["indicators"].as_array().unwrap();
    assert!(!targets.is_empty());
    assert!(
        targets
            .iter()
            .all(|i| i["role"] == "district_target" && i["region"] == "510104")
    );
    assert!(district["score"]["total"].is_number());

    // The anonymous public reads the published parts; a reporter its own unit's records and
    // score, not another's.
    let public = json_of(&server, None, "/api/units/510104?year=2024");
    assert_eq!(task_ids(&public), task_ids(&district));
    assert!(public["supervision"].is_null() && public["score"].is_null());
    let own = json_of(&server, Some(&jinjiang), "/api/units/510104?year=2024");
    assert_eq!(own["score"], district["score"]);
    assert_eq!(own["supervision"], district["supervision"]);
    let other = json_of(&server, Some(&jinjiang), "/api/units/510105?year=2024");
    assert!(other["supervision"].is_null() && other["score"].is_null());

    // Per reader and moving with adjustments: no ETag.
    let response = Client::new()
        .get(server.url("/api/units/510104?year=2024"))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(ETAG).is_none());

    // Unknown units and bad years.
    let (status, text) = get(&server, None, "/api/units/nowhere");
    assert_eq!(status, StatusCode::NOT_FOUND);
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["error"]["code"], "not_found", "{text}");
    let (status, _) = get(&server, None, "/api/units/510104?year=1800");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get(&server, None, "/units/nowhere");
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The page: its sections, the breakdown link; reached from the task page and the ranking;
    // a reporter's 我的单位.
    let (status, page) = get(&server, Some(&jinjiang), "/units/510104?year=2024");
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "id=\"unit-tasks\"",
        "id=\"unit-projects\"",
        "id=\"unit-indicators\"",
        "id=\"unit-supervision\"",
        "id=\"score-breakdown\"",
        "href=\"/assessment/510104?year=2024\"",
        "id=\"nav-my-unit\"",
        "href=\"/units/510104\"",
    ] {
        assert!(page.contains(needle), "{needle} not on the unit page");
    }
    let (status, english) = get(&server, None, "/units/commerce?year=2024&lang=en");
    assert_eq!(status, StatusCode::OK);
    assert!(english.contains("id=\"tasks-lead\""));
    assert!(
        !english.contains("id=\"score-breakdown\""),
        "no score for the public"
    );
    let first_task = commerce["tasks"]["lead"][0]["id"].as_i64().unwrap();
    let (_, task_page) = get(&server, None, &format!("/tasks/{first_task}"));
    assert!(task_page.contains("href=\"/units/commerce?year=2024\""));
    let (_, office_page) = get(&server, planner, "/units/commerce?year=2024");
    assert!(
        office_page.contains("class=\"unanswered"),
        "open orders are flagged"
    );
    let (_, ranking) = get(&server, planner, "/assessment?year=2024");
    assert!(ranking.contains("href=\"/units/510104?year=2024\""));
}

/// In a browser at 1366×768: a task page's lead unit opens its unit page, which fits the width
/// and loads nothing from another origin; its year select moves to another year.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unit_page_works_in_a_headless_browser() {
    use crate::browser::{Browser, assert_same_origin, browser_available, serve};
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path().join("store.db")).await;
    let browser = Browser::start_sized(1366, 768).await;
    browser.goto(&server.url("/tasks/1")).await;
    browser.click("a.unit-link").await;
    browser.wait_for("#unit-tasks").await;
    let path = browser.execute("return location.pathname;").await;
    assert!(path.as_str().unwrap().starts_with("/units/"), "{path}");
    let lead = browser
        .execute("return document.querySelectorAll('#tasks-lead tbody tr').length;")
        .await;
    assert!(lead.as_u64().unwrap() > 0, "task 1's lead unit leads it");
    let wide = browser
        .execute("return document.documentElement.scrollWidth;")
        .await;
    assert!(
        wide.as_u64().unwrap() <= 1366,
        "the unit page fits 1366 px: {wide}"
    );
    assert_same_origin(&browser, &server.base).await;
    browser
        .execute(
            "const form = document.getElementById('year-form');
             form.querySelector('select[name=year]').value = '2025';
             form.submit(); return null;",
        )
        .await;
    browser
        .wait_for("#year-form option[value='2025'][selected]")
        .await;
    let none = browser
        .execute("return document.querySelectorAll('#tasks-lead').length;")
        .await;
    assert_eq!(none.as_u64(), Some(0), "no tasks in 2025");
}
