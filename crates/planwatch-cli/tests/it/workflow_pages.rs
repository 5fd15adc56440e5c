//! The workflow's pages over HTTP on SQLite and PostgreSQL: 填报 lists a unit's submission and
//! what it still owes — not the figures published already — (and refuses another unit), 审核 queues what was submitted and tells an
//! administrator who submitted for a unit that another reviewer must approve it (four eyes),
//! and 报送情况 shows each unit's periods as reported late, missing or published, for viewers
//! but not for reporters. (The browser test, `browser_workflow.rs`, runs the whole cycle.)

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::Server;
use crate::submissions_api::{As, answer};
use crate::webauth::{chengdu_store, token};

fn submission(unit: &str, indicator: &str, value: f64) -> Value {
    json!({"unit": unit, "rows": [
        {"indicator": indicator, "region": unit, "period": "2025", "value": value}
    ]})
}

/// The page at `path` as `who` sees it, in English: its status and text.
#[track_caller]
pub(crate) fn page(who: &As<'_>, path: &str) -> (StatusCode, String) {
    let separator = if path.contains('?') { '&' } else { '?' };
    let response = who.get(&format!("{path}{separator}lang=en"));
    (response.status(), response.text().unwrap())
}

/// The `<tr>` of `html` that holds `marker`.
pub(crate) fn row_of<'h>(html: &'h str, marker: &str) -> &'h str {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let start = html[..at].rfind("<tr").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

fn the_pages(postgres: bool) {
    let store = chengdu_store(postgres);
    let server = Server::start(&store.db, &[]);
    let as_ = |user: &str| As {
        server: &server,
        token: token(&store, &format!("{user}-pages"), user),
    };
    let (jinjiang, planner, admin, leader) =
        (as_("jinjiang"), as_("planner"), as_("admin"), as_("leader"));

    // 填报 before anything is submitted: every figure of 锦江区 of 2021–2025 (20 yearly, 60
    // quarterly, all past due) is owed but the 11 yearly ones the sample data publishes (its
    // retail sales and services value added of each year, its GDP of 2022).
    let (status, before) = page(&jinjiang, "/report");
    assert_eq!(status, StatusCode::OK);
    assert!(before.contains("No submissions yet"), "{before}");
    let owed = |html: &str| html.matches("class=\"late-row\"").count();
    let owed_before = owed(&before);
    assert_eq!(owed_before, 80 - 11, "{before}");
    assert!(
        before.contains("not owed, published already: 11"),
        "{before}"
    );
    let listed = |html: &str, indicator: &str, period: &str| {
        html.contains(&format!(
            "data-indicator=\"{indicator}\" data-period=\"{period}\""
        ))
    };
    for published in ["retail_sales", "services_value_added"] {
        assert!(
            !listed(&before, published, "2024"),
            "{published} 2024 is published"
        );
    }
    assert!(!listed(&before, "gdp", "2022"), "GDP 2022 is published");
    assert!(listed(&before, "gdp", "2024") && listed(&before, "gdp", "2023"));
    assert!(
        listed(&before, "retail_sales", "2024-Q4"),
        "quarters are not published"
    );

    // The reporter submits 2025's GDP; an administrator submits 青羊区's retail sales.
    let (status, created) = answer(jinjiang.post(
        "/api/submissions",
        Some(submission("510104", "gdp", 1500.0)),
    ));
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let mine = created["id"].as_i64().unwrap();
    let (status, created) = answer(admin.post(
        "/api/submissions",
        Some(submission("510105", "retail_sales", 1100.0)),
    ));
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let admins = created["id"].as_i64().unwrap();

    // 填报 lists it waiting for review, and one figure less owed; another unit is refused.
    let (_, after) = page(&jinjiang, "/report");
    assert!(
        row_of(&after, &format!("data-id=\"{mine}\"")).contains("submitted"),
        "{after}"
    );
    assert_eq!(owed(&after), owed_before - 1);
    assert!(
        !after.contains(&format!("data-id=\"{admins}\"")),
        "another unit's submission"
    );
    assert_eq!(
        page(&jinjiang, "/report?unit=510105").0,
        StatusCode::BAD_REQUEST
    );

    // 审核: both wait, oldest first; the planner may approve the administrator's, the
    // administrator may not (four eyes) and is told why.
    let (status, queue) = page(&planner, "/review");
    assert_eq!(status, StatusCode::OK);
    let first = queue.find(&format!("data-id=\"{mine}\"")).unwrap();
    let second = queue.find(&format!("data-id=\"{admins}\"")).unwrap();
    assert!(first < second, "oldest first");
    let (_, detail) = page(&planner, &format!("/review/{admins}"));
    assert!(!detail.contains("approve-refusal"), "{detail}");
    assert!(
        detail.contains("1252.78") || detail.contains("1100"),
        "{detail}"
    );
    let (_, own) = page(&admin, &format!("/review/{admins}"));
    let refusal = &own[own
        .find("id=\"approve-refusal\"")
        .expect("the refusal shown")..];
    assert!(refusal.contains("four eyes"), "{refusal}");
    assert_eq!(page(&jinjiang, "/review").0, StatusCode::FORBIDDEN);
    assert_eq!(page(&planner, "/review/999").0, StatusCode::NOT_FOUND);

    // 报送情况 for 2025's districts: 锦江区's yearly cell counts the late report beside the
    // missing ones; 金牛区 has submitted nothing. The yearly retail sales and services value
    // added of both are published: neither owed nor counted in the on-time rate (16 figures of
    // 2025 due, 14 asked for). Viewers read it, reporters do not.
    let (status, standing) = page(&leader, "/reporting?year=2025&kind=districts");
    assert_eq!(status, StatusCode::OK);
    let jinjiang_row = row_of(&standing, "data-unit=\"510104\"");
    assert!(
        jinjiang_row.contains("late 1") && jinjiang_row.contains("published 2"),
        "{jinjiang_row}"
    );
    assert!(
        jinjiang_row.contains("0.0%") && jinjiang_row.contains("(0/14)"),
        "{jinjiang_row}"
    );
    let jinniu_row = row_of(&standing, "data-unit=\"510106\"");
    assert!(
        jinniu_row.contains("missing 14")
            && jinniu_row.contains("published 2")
            && !jinniu_row.contains("late"),
        "{jinniu_row}"
    );
    assert!(
        standing.contains("cell cell-published"),
        "the legend shows the state"
    );
    assert!(
        !standing.contains("data-unit=\"commerce\""),
        "departments filtered out"
    );
    assert_eq!(page(&jinjiang, "/reporting").0, StatusCode::FORBIDDEN);
    assert_eq!(
        page(&leader, "/reporting?kind=towns").0,
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn the_workflow_pages_on_sqlite() {
    the_pages(false);
}

#[test]
fn the_workflow_pages_on_postgres() {
    the_pages(true);
}
