//! The submissions API against the real server, on SQLite and PostgreSQL: a district reporter
//! submits (a row outside its scope is refused, naming it; a body of 3 MiB is read whole), a
//! planner returns it, the reporter submits again, the submitter's side cannot approve (four
//! eyes), another planner approves and the figure is published; a reporter of another unit
//! neither sees nor withdraws it; an unapproved figure is in neither `/api/observations` nor
//! `/api/export`; a submission whose base changed asks for a fresh review; the shape of a
//! submission's detail with its changes and roll-up checks (a snapshot); two planners approving
//! at once: exactly one succeeds.

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{AUTHORIZATION, ETAG, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::Server;
use crate::webauth::{add_user, chengdu_store, token};

/// A caller with an API token.
pub(crate) struct As<'s> {
    pub(crate) server: &'s Server,
    pub(crate) token: String,
}

impl As<'_> {
    /// A GET, anonymous when the token is empty.
    pub(crate) fn get(&self, path: &str) -> Response {
        let request = Client::new()
            .get(self.server.url(path))
            .header("accept-language", "en");
        if self.token.is_empty() {
            request
        } else {
            request.header(AUTHORIZATION, format!("Bearer {}", self.token))
        }
        .send()
        .unwrap()
    }

    /// A GET revalidating what an earlier answer's `ETag` (if it had one) named.
    fn get_again(&self, path: &str, earlier: &Response) -> Response {
        let request = Client::new()
            .get(self.server.url(path))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .header("accept-language", "en");
        match earlier.headers().get(ETAG) {
            Some(etag) => request.header(IF_NONE_MATCH, etag),
            None => request,
        }
        .send()
        .unwrap()
    }

    pub(crate) fn post(&self, path: &str, body: Option<Value>) -> Response {
        self.send(Method::POST, path, body)
    }

    pub(crate) fn put(&self, path: &str, body: Value) -> Response {
        self.send(Method::PUT, path, Some(body))
    }

    fn send(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let request = self.request(method, path, "en");
        match body {
            Some(body) => request.json(&body),
            None => request,
        }
        .send()
        .unwrap()
    }

    /// A request with the token, in the language `lang`.
    pub(crate) fn request(&self, method: Method, path: &str, lang: &str) -> RequestBuilder {
        Client::new()
            .request(method, self.server.url(path))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .header("accept-language", lang)
    }
}

/// The status and JSON body of `response`.
#[track_caller]
pub(crate) fn answer(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

const FIGURE: f64 = 951.37;

pub(crate) fn row(region: &str, value: f64) -> Value {
    json!({"indicator": "retail_sales", "region": region, "period": "2024", "value": value})
}

/// Whether the published data (JSON and the CSV export) holds `value` for 锦江区 in 2024.
fn published(public: &As<'_>, value: &str) -> bool {
    let json = public
        .get("/api/observations?indicator=retail_sales&region=510104&per_page=1000")
        .text()
        .unwrap();
    let csv = public
        .get("/api/export?format=csv&indicator=retail_sales&region=510104")
        .text()
        .unwrap();
    assert_eq!(json.contains(value), csv.contains(value), "{json}\n{csv}");
    json.contains(value)
}

/// `detail` with what differs from run to run (its id, the time) replaced.
fn redacted(mut detail: Value) -> Value {
    detail["id"] = json!("[id]");
    detail["submitted_at"] = json!("[time]");
    detail
}

fn cycle(postgres: bool) {
    let store = chengdu_store(postgres);
    add_user(&store, "planner2", "planner", &[]);
    let server = Server::start(&store.db, &[]);
    let who = |name: &str| As {
        server: &server,
        token: token(&store, &format!("{name}-api"), name),
    };
    let (jinjiang, qingyang, planner, planner2, admin) = (
        who("jinjiang"),
        who("qingyang"),
        who("planner"),
        who("planner2"),
        who("admin"),
    );

    // A row of another district: 422, naming it, nothing stored.
    let (status, body) = answer(jinjiang.post(
        "/api/submissions",
        Some(json!({"unit": "510104", "rows": [row("510104", FIGURE), row("510105", 800.0)]})),
    ));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let problems = body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{body}");
    assert_eq!(problems[0]["row"], 2, "{body}");
    assert_eq!(problems[0]["field"], "region", "{body}");
    assert_eq!(
        problems[0]["message"], "510105 is not one of your regions",
        "{body}"
    );
    let (_, listed) = answer(planner.get("/api/submissions"));
    assert_eq!(listed, json!([]));

    // Every problem at once: a bad period and a value that is not a number's range.
    let (status, body) = answer(jinjiang.post(
        "/api/submissions",
        Some(json!({"unit": "510104", "rows": [
            {"indicator": "retail_sales", "region": "510104", "period": "twenty", "value": 1.0},
            row("510105", 1.0),
        ]})),
    ));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["period", "region"], "{body}");

    // A body beyond axum's default 2 MB (3 MiB, mostly blanks) is read whole: 422 for its row.
    let padded = format!(
        "{{\"unit\": \"510104\", \"rows\": [{}{}]}}",
        " ".repeat(3 << 20),
        row("510105", 1.0)
    );
    let response = Client::new()
        .post(server.url("/api/submissions"))
        .header(AUTHORIZATION, format!("Bearer {}", jinjiang.token))
        .header("content-type", "application/json")
        .body(padded)
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Another unit's submission: 403.
    let (status, body) = answer(qingyang.post(
        "/api/submissions",
        Some(json!({"unit": "510104", "rows": [row("510104", 1.0)]})),
    ));
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let (status, created) = answer(jinjiang.post(
        "/api/submissions",
        Some(json!({"unit": "510104", "rows": [row("510104", FIGURE)]})),
    ));
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "submitted", "{created}");
    assert_eq!(created["rows"][0]["value"], FIGURE, "{created}");
    assert_eq!(created["changes"][0]["row"], 0, "{created}");
    assert_eq!(
        created["rollups"][0]["indicator"], "retail_sales",
        "{created}"
    );
    let id = created["id"].as_i64().unwrap();
    // The detail's shape: rows, changes against the published figure, the roll-up of 2024's
    // districts (锦江区's figure replaced by the submission's) against the city.
    let (_, detail) = answer(planner.get(&format!("/api/submissions/{id}")));
    assert_eq!(detail["rollups"], created["rollups"], "{detail}");
    insta::assert_json_snapshot!("api_submission_detail", redacted(detail));
    let at = |step: &str| format!("/api/submissions/{id}/{step}");

    // Unapproved: not published, and invisible to another unit.
    let public = As {
        server: &server,
        token: String::new(),
    };
    assert!(public.get("/api/observations").status().is_success());
    assert!(!published(&public, "951.37"));
    assert!(!published(&planner, "951.37"));
    let (status, _) = answer(qingyang.get(&format!("/api/submissions/{id}")));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = answer(qingyang.post(&at("withdraw"), None));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, theirs) = answer(qingyang.get("/api/submissions"));
    assert_eq!(theirs, json!([]));
    let (_, mine) =
        answer(jinjiang.get("/api/submissions?status=submitted&unit=510104&period=2024"));
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");

    // Returned with a comment (none: 400), submitted again as version 2. A client revalidating
    // what it was answered before sees the change (submissions do not move the store's
    // version, which the ETags of published data follow).
    let before = jinjiang.get(&format!("/api/submissions/{id}"));
    let list_before = jinjiang.get("/api/submissions");
    let (status, _) = answer(planner.post(&at("return"), Some(json!({"comment": " "}))));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = answer(planner.post(&at("return"), Some(json!({"comment": "来源？"}))));
    assert_eq!(
        (status, &body["status"]),
        (StatusCode::OK, &json!("returned")),
        "{body}"
    );
    let (status, again) = answer(jinjiang.get_again(&format!("/api/submissions/{id}"), &before));
    assert_eq!(
        (status, &again["status"]),
        (StatusCode::OK, &json!("returned")),
        "{again}"
    );
    let (status, again) = answer(jinjiang.get_again("/api/submissions", &list_before));
    assert_eq!(
        (status, &again[0]["status"]),
        (StatusCode::OK, &json!("returned")),
        "{again}"
    );
    let (status, body) = answer(planner.post(&at("approve"), None));
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("a returned submission cannot be approved"),
        "{body}"
    );
    let (status, body) = answer(jinjiang.post(&at("submit"), None));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["status"], &body["version"]),
        (&json!("submitted"), &json!(2))
    );
    let (_, shown) = answer(planner.get(&format!("/api/submissions/{id}")));
    assert_eq!(shown["comments"][0]["comment"], "来源？", "{shown}");
    assert_eq!(shown["rows"].as_array().unwrap().len(), 1, "{shown}");

    // A second submission of the same figure by an administrator: four eyes.
    let (status, other) = answer(admin.post(
        "/api/submissions",
        Some(json!({"unit": "510104", "rows": [row("510104", 960.0)]})),
    ));
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let other = other["id"].as_i64().unwrap();
    let (status, body) = answer(admin.post(&format!("/api/submissions/{other}/approve"), None));
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("four eyes"),
        "{body}"
    );

    // The reporter cannot approve its own; another planner does, and the figure is published.
    let (status, _) = answer(jinjiang.post(&at("approve"), None));
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = answer(planner2.post(&at("approve"), None));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved", "{body}");
    assert!(body["batch"].is_i64(), "{body}");
    assert!(published(&public, "951.37"));
    let (status, body) = answer(jinjiang.post(&at("withdraw"), None));
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // A draft is its unit's until submitted.
    let (status, draft) = answer(jinjiang.post(
        "/api/submissions",
        Some(json!({"unit": "510104", "rows": [row("510104", 970.0)], "draft": true})),
    ));
    assert_eq!(
        (status, &draft["status"]),
        (StatusCode::CREATED, &json!("draft"))
    );
    let draft = draft["id"].as_i64().unwrap();
    let (status, _) = answer(planner.get(&format!("/api/submissions/{draft}")));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, drafts) = answer(planner.get("/api/submissions?status=draft"));
    assert_eq!(drafts, json!([]));
    let (_, drafts) = answer(jinjiang.get("/api/submissions?status=draft"));
    assert_eq!(drafts[0]["id"], draft, "{drafts}");
    let (status, body) = answer(jinjiang.post(&format!("/api/submissions/{draft}/submit"), None));
    assert_eq!(
        (status, &body["status"]),
        (StatusCode::OK, &json!("submitted"))
    );
    let (status, _) = answer(planner.get(&format!("/api/submissions/{draft}")));
    assert_eq!(status, StatusCode::OK);

    // The other submission was compared with no published figure: it needs a fresh review.
    let (status, body) = answer(planner.post(&format!("/api/submissions/{other}/approve"), None));
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "stale_base", "{body}");
    assert!(!published(&public, "960"));
    server.terminate();
}

#[test]
fn the_submissions_api_on_sqlite() {
    cycle(false);
}

#[test]
fn the_submissions_api_on_postgres() {
    cycle(true);
}

/// Two planners approve the same submission at the same moment, over HTTP: exactly one gets 200,
/// the other 409, and the store holds one batch of it — three rounds, each on a
/// fresh submission.
fn two_planners_at_once(postgres: bool) {
    let store = chengdu_store(postgres);
    add_user(&store, "planner2", "planner", &[]);
    let server = Server::start(&store.db, &[]);
    let tokens: Vec<String> = ["jinjiang", "planner", "planner2"]
        .iter()
        .map(|name| token(&store, &format!("{name}-api"), name))
        .collect();
    let jinjiang = As {
        server: &server,
        token: tokens[0].clone(),
    };
    for round in 0..3 {
        let value = 1200.0 + f64::from(round);
        let (status, created) = answer(jinjiang.post(
            "/api/submissions",
            Some(json!({"unit": "510104", "rows": [row("510104", value)]})),
        ));
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let approvals: Vec<_> = tokens[1..]
            .iter()
            .map(|token| {
                let (barrier, token) = (barrier.clone(), token.clone());
                let url = server.url(&format!("/api/submissions/{id}/approve"));
                std::thread::spawn(move || {
                    let client = Client::new();
                    barrier.wait();
                    answer(
                        client
                            .post(url)
                            .header(AUTHORIZATION, format!("Bearer {token}"))
                            .send()
                            .unwrap(),
                    )
                })
            })
            .collect();
        let mut answers: Vec<(StatusCode, Value)> =
            approvals.into_iter().map(|t| t.join().unwrap()).collect();
        answers.sort_by_key(|(status, _)| *status);
        assert_eq!(
            (answers[0].0, answers[1].0),
            (StatusCode::OK, StatusCode::CONFLICT),
            "round {round}: {answers:?}"
        );
        // `changed` when both read it as submitted; `illegal_transition` when the first had
        // committed before the second read it.
        let code = &answers[1].1["error"]["code"];
        assert!(
            code == "changed" || code == "illegal_transition",
            "{answers:?}"
        );
        let batches = store.ok(&["data", "batches"], None);
        let named = format!("submission {id} v1");
        assert_eq!(
            batches.lines().filter(|l| l.contains(&named)).count(),
            1,
            "round {round}: {batches}"
        );
    }
    server.terminate();
}

#[test]
fn two_planners_approving_at_once_over_http_on_sqlite() {
    two_planners_at_once(false);
}

#[test]
fn two_planners_approving_at_once_over_http_on_postgres() {
    two_planners_at_once(true);
}
