//! 报告 on the web against the real server with the sample data: `/api/reports/{kind}` (the
//! model's JSON shape as an insta snapshot; every format's file with its Content-Type and a
//! Content-Disposition naming it; refusals), and in a headless browser a planner editing
//! 存在问题 on the 报告 page: saved as version 1, the preview then shows the text and the version.

use reqwest::StatusCode;
use reqwest::blocking::Client;
use reqwest::header::{AUTHORIZATION, CONTENT_DISPOSITION, CONTENT_TYPE};
use serde_json::Value;

use crate::Server;
use crate::browser::{Browser, browser_available};
use crate::browser_workflow::{sign_in, until};
use crate::webauth::{add_user, token};

/// The JSON's shape: every object's keys with their values' shapes, an array by its first item.
fn shape(value: &Value) -> Value {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
    }
}

fn get(server: &Server, token: Option<&str>, path: &str) -> reqwest::blocking::Response {
    let request = Client::new().get(server.url(path));
    match token {
        Some(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
        None => request,
    }
    .send()
    .unwrap()
}

#[test]
fn the_reports_api_gives_the_model_and_every_file() {
    let store = crate::accounts::Accounts::sqlite_with(&["init", "--sample-data"]);
    add_user(&store, "planner", "planner", &[]);
    add_user(&store, "jinjiang", "reporter", &["510104"]);
    let planner = token(&store, "planner-etl", "planner");
    let reporter = token(&store, "jinjiang-etl", "jinjiang");
    let server = Server::start(&store.db, &[]);

    let response = get(&server, Some(&planner), "/api/reports/midterm?year=2024");
    assert_eq!(response.status(), StatusCode::OK);
    let model: Value = response.json().unwrap();
    assert_eq!(model["kind"], "midterm");
    assert_eq!(model["year"], 2024);
    assert_eq!(model["sections"].as_array().unwrap().len(), 6);
    insta::assert_json_snapshot!("reports_api_model_shape", shape(&model));

    for (format, media, magic) in [
        (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            &b"PK"[..],
        ),
        ("pdf", "application/pdf", &b"%PDF-"[..]),
        ("html", "text/html; charset=utf-8", &b"<!doctype html>"[..]),
    ] {
        let path = format!("/api/reports/annual?year=2024&region=510104&lang=en&format={format}");
        let response = get(&server, Some(&planner), &path);
        let status = response.status();
        if format == "pdf"
            && status == StatusCode::INTERNAL_SERVER_ERROR
            && std::env::var_os("CI").is_none()
        {
            let text = response.text().unwrap();
            assert!(text.contains("fonts-noto-cjk"), "{text}");
            eprintln!("skipping the PDF: no CJK font (apt-get install fonts-noto-cjk)");
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{format}");
        assert_eq!(response.headers()[CONTENT_TYPE], media, "{format}");
        assert_eq!(
            response.headers()[CONTENT_DISPOSITION],
            format!(
                "attachment; filename=\"chengdu-services-2021-2025-annual-2024-510104-en.{format}\""
            ),
        );
        let body = response.bytes().unwrap();
        assert!(body.starts_with(magic), "{format}");
    }

    // Refusals: not signed in, a reporter, a kind, a format or a region that are not.
    let anonymous = get(&server, None, "/api/reports/annual?year=2024");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let refused = get(&server, Some(&reporter), "/api/reports/annual?year=2024");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    for (path, field) in [
        ("/api/reports/quarterly", "kind"),
        ("/api/reports/annual?format=odt", "format"),
        ("/api/reports/annual?region=nowhere", "region"),
        ("/api/reports/annual?lang=fr", "lang"),
        ("/api/reports/annual?year=1899", "year"),
    ] {
        let response = get(&server, Some(&planner), path);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: Value = response.json().unwrap();
        assert_eq!(body["error"]["field"], field, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_planner_edits_the_problems_and_the_preview_shows_them() {
    if !browser_available() {
        return;
    }
    let (_store, server) = tokio::task::spawn_blocking(|| {
        let store = crate::accounts::Accounts::sqlite_with(&["init", "--sample-data"]);
        add_user(&store, "planner_a", "planner", &[]);
        let server = Server::start(&store.db, &[]);
        (store, server)
    })
    .await
    .unwrap();
    let browser = Browser::start_sized(1366, 768).await;
    sign_in(
        &browser,
        &server,
        "planner_a",
        "/reports?kind=midterm&year=2024",
    )
    .await;
    // The nav links the page; the texts are the drafts so far.
    browser.wait_for("#nav-reports").await;
    let used = browser.text_of("#text-version-problems").await;
    assert!(used.contains("草稿"), "{used}");
    browser.wait_for("#report-section-5").await;

    // The editor, prefilled with the draft; the planner writes their own text and saves.
    browser.click("#edit-problems").await;
    let body = browser.wait_for("#text-body").await;
    let draft = body.prop("value").await.unwrap().unwrap_or_default();
    assert!(
        !draft.trim().is_empty(),
        "the editor is prefilled with the draft"
    );
    body.clear().await.unwrap();
    body.send_keys("消费恢复慢于预期，重点商圈客流仍低于2019年水平。\n\n- 服务业增加值增速偏低\n- 重大项目投资完成率不足")
        .await
        .unwrap();
    browser.click("#text-save").await;

    // Back on the 报告 page: the report uses version 1, and the preview shows the text.
    until(
        &browser,
        "document.querySelector('#text-version-problems') && document.querySelector('#text-version-problems').textContent.includes('第1版')",
        "the report uses version 1",
    )
    .await;
    let section = browser.text_of("#report-section-5").await;
    assert!(section.contains("消费恢复慢于预期"), "{section}");
    assert!(section.contains("重大项目投资完成率不足"), "{section}");
    let provenance = browser.text_of("#report-provenance").await;
    assert!(provenance.contains("第1版"), "{provenance}");

    // The editor lists the version with its author.
    browser.click("#edit-problems").await;
    let versions = browser.text_of("#text-versions").await;
    assert!(
        versions.contains("第1版") && versions.contains("planner_a"),
        "{versions}"
    );
}
