//! Period locks on the web, against the real server on SQLite and PostgreSQL: a planner locks
//! 2024 over the API (signed in, with the CSRF token) and it is listed with who locked it; a
//! submission with a 2024 row is then a 422 naming the locked period; the audit log has
//! `period.lock` by the planner from the client's address; a bad indicator or year is a 400
//! naming the field; reporters and viewers are refused (403); unlocking lets the submission in;
//! and the 期间锁定 page (linked from 报送情况 for the plan office only) locks and unlocks with
//! its forms.

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_TYPE, COOKIE, ETAG, LOCATION, ORIGIN};
use serde_json::{Value, json};

use crate::Server;
use crate::submissions_api::{As, answer, row};
use crate::webauth::{FORM, Session, chengdu_store, signed_in, token};
use crate::workflow_pages::{page, row_of};

/// A POST of `body` (JSON) by a signed-in browser, with its CSRF token.
fn post_json(server: &Server, session: &Session, path: &str, body: &Value) -> Response {
    Client::new()
        .post(server.url(path))
        .header(COOKIE, &session.cookie)
        .header(ORIGIN, &server.base)
        .header("x-csrf-token", &session.csrf)
        .header("accept-language", "en")
        .json(body)
        .send()
        .unwrap()
}

/// A page's form posted by a signed-in browser (the CSRF token as a form field).
fn post_form(server: &Server, session: &Session, path: &str, fields: &str) -> Response {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.url(path))
        .header(COOKIE, &session.cookie)
        .header(ORIGIN, &server.base)
        .header(CONTENT_TYPE, FORM)
        .body(format!("csrf_token={}&{fields}", session.csrf))
        .send()
        .unwrap()
}

/// The locks in force, as the API lists them (never from a cache: a lock does not move the
/// store's version, so the answer has no ETag).
fn locks(planner: &As<'_>) -> Value {
    let response = planner.get("/api/period-locks");
    assert!(response.headers().get(ETAG).is_none());
    let (status, body) = answer(response);
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn period_locks(postgres: bool) {
    let store = chengdu_store(postgres);
    let server = Server::start(&store.db, &[]);
    let as_ = |user: &str| As {
        server: &server,
        token: token(&store, &format!("{user}-locks"), user),
    };
    let (jinjiang, planner_token, leader) = (as_("jinjiang"), as_("planner"), as_("leader"));
    let planner = signed_in(&server, "planner");
    assert_eq!(locks(&planner_token), json!([]));

    // The planner locks 2024 for every indicator: 201, then 200 with nothing changed.
    let year = json!({"year": 2024});
    let response = post_json(&server, &planner, "/api/period-locks", &year);
    let (status, body) = answer(response);
    assert_eq!(
        (status, &body),
        (StatusCode::CREATED, &json!({"changed": true}))
    );
    let (status, body) = answer(post_json(&server, &planner, "/api/period-locks", &year));
    assert_eq!(
        (status, &body),
        (StatusCode::OK, &json!({"changed": false}))
    );
    let listed = locks(&planner_token);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["year"], 2024, "{listed}");
    assert_eq!(listed[0]["indicator"], Value::Null, "{listed}");
    assert_eq!(listed[0]["locked_by"], "planner", "{listed}");
    assert!(
        listed[0]["locked_at"].as_str().unwrap().starts_with("20"),
        "{listed}"
    );

    // A submission with a 2024 row is refused, naming the locked period; nothing stored.
    let submission = json!({"unit": "510104", "rows": [row("510104", 951.37)]});
    let (status, body) = answer(jinjiang.post("/api/submissions", Some(submission.clone())));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let problems = body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{body}");
    assert_eq!(problems[0]["field"], "period", "{body}");
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("the period 2024 is locked"),
        "{body}"
    );

    // Audited, by the planner, from the client's address.
    let audit = store.audit_json(&["--action", "period.lock"]);
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["actor"], "planner", "{audit:?}");
    assert_eq!(audit[0]["role"], "planner", "{audit:?}");
    assert_eq!(audit[0]["object"], "period:2024", "{audit:?}");
    assert_eq!(audit[0]["client"], "127.0.0.1", "{audit:?}");

    // Bad requests name the field; nothing is locked.
    for (body, field) in [
        (
            json!({"year": 2024, "indicator": "gdp_per_goat"}),
            "indicator",
        ),
        (json!({"year": 1999}), "year"),
        (json!({"year": 2031, "indicator": "retail_sales"}), "year"),
    ] {
        let (status, answer) = answer(post_json(&server, &planner, "/api/period-locks", &body));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    let (status, _) = answer(post_json(
        &server,
        &planner,
        "/api/period-locks",
        &json!({"year": "2024"}),
    ));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(locks(&planner_token).as_array().unwrap().len(), 1);

    // Reporters and viewers neither read nor change locks.
    for who in [&jinjiang, &leader] {
        assert_eq!(who.get("/api/period-locks").status(), StatusCode::FORBIDDEN);
        for path in ["/api/period-locks", "/api/period-locks/unlock"] {
            assert_eq!(
                who.post(path, Some(year.clone())).status(),
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        assert_eq!(who.get("/periods").status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(locks(&planner_token).as_array().unwrap().len(), 1);

    // Unlocked (once): the submission goes in.
    let unlock = |expected: bool| {
        let (status, body) = answer(post_json(
            &server,
            &planner,
            "/api/period-locks/unlock",
            &year,
        ));
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({"changed": expected}))
        );
    };
    unlock(true);
    unlock(false);
    assert_eq!(locks(&planner_token), json!([]));
    let (status, body) = answer(jinjiang.post("/api/submissions", Some(submission)));
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let unlocked = store.audit_json(&["--action", "period.unlock"]);
    assert_eq!(unlocked.len(), 1, "{unlocked:?}");
    assert_eq!(unlocked[0]["actor"], "planner", "{unlocked:?}");

    // The page: linked from 报送情况 for the plan office, not for viewers; its form locks one
    // indicator's year, listed with an unlock button, which unlocks it.
    let text = |who: &As<'_>, path: &str| page(who, path).1;
    assert!(text(&planner_token, "/reporting").contains("href=\"/periods\""));
    assert!(!text(&leader, "/reporting").contains("href=\"/periods\""));
    assert!(text(&planner_token, "/periods").contains("No period is locked"));
    // Each form goes back to the page.
    let form = |path: &str| {
        let moved = post_form(&server, &planner, path, "year=2023&indicator=retail_sales");
        assert_eq!(moved.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(moved.headers()[LOCATION], "/periods", "{path}");
    };
    form("/periods/lock");
    let listed = locks(&planner_token);
    assert_eq!(
        (&listed[0]["year"], &listed[0]["indicator"]),
        (&json!(2023), &json!("retail_sales")),
        "{listed}"
    );
    let shown = Client::new()
        .get(server.url("/periods?lang=en"))
        .header(COOKIE, &planner.cookie)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let row = row_of(&shown, "data-year=\"2023\"");
    assert!(
        row.contains("data-indicator=\"retail_sales\"")
            && row.contains("action=\"/periods/unlock\"")
            && row.contains(">planner<"),
        "{row}"
    );
    form("/periods/unlock");
    assert_eq!(locks(&planner_token), json!([]));
    // A form without its CSRF token changes nothing.
    let forger = Session {
        csrf: "0".repeat(64),
        ..planner.clone()
    };
    let forged = post_form(&server, &forger, "/periods/lock", "year=2023");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(locks(&planner_token), json!([]));
}

#[test]
fn period_locks_on_sqlite() {
    period_locks(false);
}

#[test]
fn period_locks_on_postgres() {
    period_locks(true);
}
