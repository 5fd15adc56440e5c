//! Accounts on the web, against the real server: the authorization matrix (every route of the
//! router × every kind of caller, under `--public` and `--private`), sessions on SQLite and
//! PostgreSQL (a new id at every sign-in, idle and absolute expiry, sign-out, a role change or a
//! disabled account ends sessions, two servers on one store share them), CSRF, the sign-in
//! throttle and the security headers.

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{
    AUTHORIZATION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, REFERER,
    RETRY_AFTER, SET_COOKIE,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::Server;
use crate::accounts::Accounts;

pub(crate) const PASSWORD: &str = "a long passphrase 4 tests";
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

pub(crate) fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A signed-in browser: its session cookie (`planwatch_session=…`) and CSRF token.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

/// How a caller proves who it is.
#[derive(Debug, Clone)]
enum Credential {
    None,
    Cookie(Session),
    Bearer(String),
}

fn request(server: &Server, method: Method, path: &str, credential: &Credential) -> RequestBuilder {
    let builder = client().request(method, server.url(path));
    match credential {
        Credential::None => builder,
        Credential::Cookie(session) => builder.header(COOKIE, &session.cookie),
        Credential::Bearer(token) => builder.header(AUTHORIZATION, format!("Bearer {token}")),
    }
}

/// Asserts that `held` (a 429) asks to come back in one or two seconds (`Retry-After`); the
/// seconds.
pub(crate) fn assert_held_for_a_second_or_two(held: &Response) -> u64 {
    let wait: u64 = held.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    wait
}

pub(crate) fn sign_in(server: &Server, user: &str, password: &str) -> Response {
    client()
        .post(server.url("/api/session"))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .unwrap()
}

#[track_caller]
fn session_of(response: Response) -> Session {
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    let body: Value = response.json().unwrap();
    Session {
        cookie: cookie.split(';').next().unwrap().to_owned(),
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
    }
}

#[track_caller]
pub(crate) fn signed_in(server: &Server, user: &str) -> Session {
    session_of(sign_in(server, user, PASSWORD))
}

/// The status of `GET /api/session` (who am I) for `credential`.
fn whoami(server: &Server, credential: &Credential) -> StatusCode {
    request(server, Method::GET, "/api/session", credential)
        .send()
        .unwrap()
        .status()
}

/// Asserts that `GET /api/session` comes to answer `status` within a second: a change made by
/// another server or the command line reaches a server within one poll of its watcher (200 ms).
#[track_caller]
fn soon(server: &Server, credential: &Credential, status: StatusCode) {
    let start = std::time::Instant::now();
    loop {
        let got = whoami(server, credential);
        if got == status {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(1),
            "still {got}, not {status}, after a second"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

pub(crate) fn add_user(store: &Accounts, name: &str, role: &str, units: &[&str]) {
    let mut args = vec!["user", "add", name, "--role", role, "--password-stdin"];
    for unit in units {
        args.extend(["--unit", unit]);
    }
    store.ok(&args, Some(PASSWORD));
}

pub(crate) fn token(store: &Accounts, name: &str, user: &str) -> String {
    let out = store.ok(&["token", "create", name, "--user", user], None);
    out.split_whitespace()
        .find(|w| w.starts_with("pwt_"))
        .unwrap_or_else(|| panic!("no token in {out}"))
        .to_owned()
}

/// The Chengdu plan and its sample data, and the people of the matrix.
pub(crate) fn chengdu_store(postgres: bool) -> Accounts {
    let init = ["init", "--sample-data"];
    let store = if postgres {
        Accounts::postgres_with(&init)
    } else {
        Accounts::sqlite_with(&init)
    };
    add_user(&store, "admin", "admin", &[]);
    add_user(&store, "planner", "planner", &[]);
    add_user(&store, "jinjiang", "reporter", &["510104"]);
    add_user(&store, "qingyang", "reporter", &["510105"]);
    add_user(&store, "leader", "viewer", &[]);
    add_user(&store, "gone", "viewer", &[]);
    store
}

/// What the matrix expects of a route, written out here rather than read from the server's
/// rule table, so that a rule that changes shows up as a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Anyone (health, files, the sign-in page).
    Open,
    /// A route that only takes POST: GET is 405 for anyone.
    PostOnly,
    /// Who am I: signed-in callers.
    WhoAmI,
    /// The caller's own account.
    Account,
    /// The audit log: planners and admins.
    Audit,
    /// Published data: everyone under `--public`, signed-in callers under `--private`.
    Published,
    /// Submissions (`ok` the answer to GET for those let through): reporters, planners and
    /// admins.
    Submissions { ok: u16 },
    /// Reviewing submissions (POST only: GET is 405 for those let through): planners and admins.
    Review,
    /// The plan office's routes (`ok` the answer to GET for those let through): planners and
    /// admins — the 审核 pages, period locks.
    Office { ok: u16 },
    /// 报送情况: planners, admins and viewers, signed in whatever the deployment.
    Standing,
    /// The caller's own notices (`ok` the answer to GET for those let through): every signed-in
    /// account.
    Notices { ok: u16 },
    /// Supervision records (`ok` the answer to GET for those let through): planners, admins,
    /// viewers and reporters (each then sees its units' only).
    Supervision { ok: u16 },
    /// Answering a 督办单 (POST only: GET is 405 for those let through): reporters and admins.
    AnswerOrder,
    /// The assessment's ranking: every signed-in account (a reporter gets its own units').
    Scores,
    /// One unit's score (510104's): the plan office, viewers and that unit's reporters.
    UnitScore,
}

/// Every route the router serves must have a row here: a new route fails the matrix until its
/// expected answers are written down.
fn class_of(route: &str) -> Class {
    match route {
        "/healthz"
        | "/static/{*path}"
        | "/vendor/echarts.min.js"
        | "/vendor/htmx.min.js"
        | "/login" => Class::Open,
        "/logout" => Class::PostOnly,
        "/api/session" => Class::WhoAmI,
        "/account" => Class::Account,
        "/api/audit" | "/audit" => Class::Audit,
        "/api/submissions" => Class::Submissions { ok: 200 },
        // No submission 1 in the matrix's store.
        "/api/submissions/{id}" => Class::Submissions { ok: 404 },
        "/api/submissions/check"
        | "/api/submissions/{id}/rows"
        | "/api/submissions/{id}/submit"
        | "/api/submissions/{id}/withdraw" => Class::Submissions { ok: 405 },
        "/api/submissions/{id}/approve" | "/api/submissions/{id}/return" => Class::Review,
        "/api/progress" => Class::Submissions { ok: 200 },
        // No progress report 999999 in the matrix's store.
        "/api/progress/{id}" | "/api/progress/{id}/evidence/{evidence}" => {
            Class::Submissions { ok: 404 }
        }
        "/api/progress/{id}/evidence"
        | "/api/progress/{id}/submit"
        | "/api/progress/{id}/withdraw" => Class::Submissions { ok: 405 },
        "/api/progress/{id}/approve" | "/api/progress/{id}/return" => Class::Review,
        "/report" | "/report/form" => Class::Submissions { ok: 200 },
        "/review" | "/api/period-locks" | "/periods" => Class::Office { ok: 200 },
        "/review/{id}" | "/review/progress/{id}" => Class::Office { ok: 404 },
        "/api/period-locks/unlock" | "/periods/lock" | "/periods/unlock" => {
            Class::Office { ok: 405 }
        }
        // 报告: the same readers as 报送情况; the texts' editor is the plan office's.
        "/reporting" | "/reports" | "/reports/{kind}" | "/api/reports/{kind}" => Class::Standing,
        "/reports/texts/{text}" => Class::Office { ok: 200 },
        "/api/notices" | "/notices" => Class::Notices { ok: 200 },
        "/api/notices/{id}/read" | "/api/notices/read" | "/notices/read" => {
            Class::Notices { ok: 405 }
        }
        "/api/supervision" | "/supervision" => Class::Supervision { ok: 200 },
        // No order 1 in the matrix's store.
        "/api/supervision/orders/{id}"
        | "/supervision/orders/{id}"
        | "/supervision/orders/{id}/print" => Class::Supervision { ok: 404 },
        "/api/supervision/orders/{id}/answer" | "/supervision/orders/{id}/answer" => {
            Class::AnswerOrder
        }
        "/api/scores" | "/api/scores/export" | "/assessment" => Class::Scores,
        "/api/scores/{unit}" | "/assessment/{unit}" => Class::UnitScore,
        "/api/scores/adjustments"
        | "/api/scores/freeze"
        | "/assessment/freeze"
        | "/assessment/{unit}/adjust" => Class::Office { ok: 405 },
        "/api/openapi.json"
        | "/api/docs"
        | "/api/docs/"
        | "/api/docs/{*rest}"
        | "/api/plan"
        | "/api/plan/{section}"
        | "/api/map/chengdu.geojson"
        | "/api/observations"
        | "/api/observations/history"
        | "/api/export"
        | "/api/sdmx/structure"
        | "/api/evaluation"
        | "/api/milestones"
        | "/"
        | "/indicators/{code}"
        | "/indicators/{code}/history"
        | "/regions/{code}"
        | "/map"
        | "/plan"
        | "/data"
        | "/methodology"
        | "/api/tasks"
        | "/api/tasks/{id}"
        | "/api/projects"
        | "/api/projects/{id}"
        | "/tasks"
        | "/tasks/{id}"
        | "/projects"
        | "/projects/{id}"
        // A unit's page: published; its supervision records and score are left out for those
        // who may not read them (checked in units.rs).
        | "/api/units/{code}"
        | "/units/{code}" => Class::Published,
        other => panic!("the route {other} has no row in the authorization matrix: add one"),
    }
}

/// A URL that reaches `route`.
fn concrete(route: &str) -> String {
    match route {
        "/api/observations/history" => {
            "/api/observations/history?indicator=retail_sales&region=510100&period=2020".into()
        }
        "/indicators/{code}/history" => "/indicators/retail_sales/history?period=2020".into(),
        "/api/export" => "/api/export?format=csv&indicator=retail_sales".into(),
        _ => route
            .replace("{section}", "indicators")
            .replace("/submissions/{id}", "/submissions/1")
            // The sample data holds approved progress reports: one that is not.
            .replace("/progress/{id}", "/progress/999999")
            .replace("/evidence/{evidence}", "/evidence/1")
            .replace("/review/{id}", "/review/1")
            .replace("/notices/{id}", "/notices/1")
            // The sample data's first task and project.
            .replace("/tasks/{id}", "/tasks/1")
            .replace("/projects/{id}", "/projects/1")
            .replace("/orders/{id}", "/orders/1")
            .replace("/indicators/{code}", "/indicators/retail_sales")
            .replace("/regions/{code}", "/regions/510104")
            .replace("/units/{code}", "/units/510104")
            .replace("{unit}", "510104")
            .replace("{kind}", "midterm")
            .replace("{text}", "problems")
            .replace("{*path}", "app.css")
            .replace("{*rest}", "swagger-ui.css"),
    }
}

/// The status `actor` must get from `route` (of `class`).
fn expected(route: &str, class: Class, actor: &str, private: bool) -> StatusCode {
    if matches!(actor, "disabled user" | "expired token" | "revoked token") {
        return StatusCode::UNAUTHORIZED;
    }
    let anonymous = actor == "anonymous";
    let page = !route.starts_with("/api/");
    let sign_in = if page {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::UNAUTHORIZED
    };
    let ok = if route == "/api/docs" {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::OK
    };
    match class {
        Class::Open => ok,
        Class::PostOnly => StatusCode::METHOD_NOT_ALLOWED,
        Class::WhoAmI if anonymous => StatusCode::UNAUTHORIZED,
        Class::Account if anonymous => StatusCode::SEE_OTHER,
        Class::WhoAmI | Class::Account => ok,
        Class::Audit => match actor {
            "admin" | "planner" => ok,
            "anonymous" => sign_in,
            _ => StatusCode::FORBIDDEN,
        },
        Class::Published if anonymous && private => sign_in,
        Class::Published => ok,
        Class::Submissions { .. } | Class::Review | Class::Office { .. } | Class::Standing
            if anonymous =>
        {
            sign_in
        }
        Class::Submissions { ok } => match actor {
            "viewer" => StatusCode::FORBIDDEN,
            _ => StatusCode::from_u16(ok).unwrap(),
        },
        Class::Review => match actor {
            "admin" | "planner" => StatusCode::METHOD_NOT_ALLOWED,
            _ => StatusCode::FORBIDDEN,
        },
        Class::Office { ok } => match actor {
            "admin" | "planner" => StatusCode::from_u16(ok).unwrap(),
            _ => StatusCode::FORBIDDEN,
        },
        Class::Standing => match actor {
            "admin" | "planner" | "viewer" => ok,
            _ => StatusCode::FORBIDDEN,
        },
        Class::Notices { .. } if anonymous => sign_in,
        Class::Notices { ok } => StatusCode::from_u16(ok).unwrap(),
        Class::Supervision { .. } | Class::AnswerOrder if anonymous => sign_in,
        Class::Supervision { ok } => StatusCode::from_u16(ok).unwrap(),
        Class::Scores | Class::UnitScore if anonymous => sign_in,
        Class::Scores => ok,
        Class::UnitScore => match actor {
            "reporter of another unit (token)" => StatusCode::FORBIDDEN,
            _ => ok,
        },
        Class::AnswerOrder => match actor {
            "admin" | "reporter of 510104" | "reporter of another unit (token)" => {
                StatusCode::METHOD_NOT_ALLOWED
            }
            _ => StatusCode::FORBIDDEN,
        },
    }
}

/// The headers every answer carries.
#[track_caller]
fn assert_security_headers(response: &Response, what: &str) {
    let headers = response.headers();
    let csp = headers
        .get(CONTENT_SECURITY_POLICY)
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
        .to_str()
        .unwrap();
    let script_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap_or("");
    assert!(
        script_src.contains("'self'") && !script_src.contains("unsafe"),
        "{what}: {csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert!(headers.contains_key("referrer-policy"), "{what}");
}

#[test]
fn authorization_matrix() {
    let store = chengdu_store(false);
    let reporter_token = token(&store, "qingyang-etl", "qingyang");
    let disabled = token(&store, "gone-etl", "gone");
    store.ok(&["user", "disable", "gone"], None);
    let expired = token(&store, "old", "leader");
    store.sql("UPDATE api_tokens SET expires_at = 1 WHERE name = 'old'");
    let revoked = token(&store, "cancelled", "leader");
    store.ok(&["token", "revoke", "cancelled"], None);

    let routes = planwatch_web::route_paths(&planwatch_plan::chengdu::plan());
    assert!(routes.len() > 30, "{routes:?}");
    for visibility in ["--public", "--private"] {
        let server = Server::start(&store.db, &[visibility]);
        let private = visibility == "--private";
        let actors = [
            ("anonymous", Credential::None),
            ("admin", Credential::Cookie(signed_in(&server, "admin"))),
            ("planner", Credential::Cookie(signed_in(&server, "planner"))),
            (
                "reporter of 510104",
                Credential::Cookie(signed_in(&server, "jinjiang")),
            ),
            (
                "reporter of another unit (token)",
                Credential::Bearer(reporter_token.clone()),
            ),
            ("viewer", Credential::Cookie(signed_in(&server, "leader"))),
            ("disabled user", Credential::Bearer(disabled.clone())),
            ("expired token", Credential::Bearer(expired.clone())),
            ("revoked token", Credential::Bearer(revoked.clone())),
        ];
        let mut wrong = Vec::new();
        for route in &routes {
            let class = class_of(route);
            let url = concrete(route);
            for (actor, credential) in &actors {
                let response = request(&server, Method::GET, &url, credential)
                    .send()
                    .unwrap();
                let want = expected(route, class, actor, private);
                if response.status() != want {
                    wrong.push(format!(
                        "{visibility} {actor} GET {url}: {} (expected {want})",
                        response.status()
                    ));
                }
                assert_security_headers(&response, &format!("{actor} GET {url}"));
                if response.status() == StatusCode::SEE_OTHER && want != StatusCode::OK {
                    let location = response.headers()[LOCATION].to_str().unwrap();
                    assert!(
                        route == "/api/docs"
                            || location.starts_with("/login?next=%2F")
                            || location.starts_with("/login?next=/"),
                        "{location}"
                    );
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}

/// Sessions: a new id at every sign-in, who am I, sign-out, expiry, a role change and a
/// disabled account end them, two servers on one store share them; wrong credentials.
fn session_checks(postgres: bool) {
    let store = chengdu_store(postgres);
    let a = Server::start(&store.db, &[]);
    let b = Server::start(&store.db, &[]);

    // Wrong credentials: the same answer whether or not the user exists; audited.
    let unknown = sign_in(&a, "nobody", PASSWORD);
    let wrong = sign_in(&a, "admin", "not the password at all");
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.json::<Value>().unwrap(),
        wrong.json::<Value>().unwrap()
    );
    let failed = store.audit_json(&["--action", "session.sign_in_failed"]);
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[0]["client"], "127.0.0.1", "{failed:?}");

    // Fixation: signing in again (with the old cookie) gives a new id; the old one is over.
    let first = signed_in(&a, "planner");
    let again = session_of(
        client()
            .post(a.url("/api/session"))
            .header(COOKIE, &first.cookie)
            .json(&json!({ "username": "planner", "password": PASSWORD }))
            .send()
            .unwrap(),
    );
    assert_ne!(first.cookie, again.cookie);
    assert_ne!(first.csrf, again.csrf);
    assert_eq!(
        whoami(&a, &Credential::Cookie(first)),
        StatusCode::UNAUTHORIZED
    );
    let session = Credential::Cookie(again.clone());
    let me: Value = request(&a, Method::GET, "/api/session", &session)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(me["user"], "planner");
    assert_eq!(me["role"], "planner");
    assert_eq!(me["csrf_token"], again.csrf.as_str());

    // Two servers on one store share the session; signing out on one ends it on both.
    assert_eq!(whoami(&b, &session), StatusCode::OK);
    let out = request(&b, Method::DELETE, "/api/session", &session)
        .header("x-csrf-token", &again.csrf)
        .header(ORIGIN, &b.base)
        .send()
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(
        out.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(whoami(&b, &session), StatusCode::UNAUTHORIZED);
    soon(&a, &session, StatusCode::UNAUTHORIZED);
    let signed_out = store.audit_json(&["--action", "session.sign_out"]);
    assert_eq!(signed_out.last().unwrap()["actor"], "planner");
    assert_eq!(signed_out.last().unwrap()["client"], "127.0.0.1");

    // Idle and absolute expiry, from the store's clock.
    let idle = Credential::Cookie(signed_in(&a, "leader"));
    store.sql("UPDATE sessions SET last_seen = last_seen - 31 * 60");
    assert_eq!(whoami(&a, &idle), StatusCode::UNAUTHORIZED);
    let old = Credential::Cookie(signed_in(&a, "leader"));
    store.sql("UPDATE sessions SET created_at = created_at - 12 * 3600 - 1");
    assert_eq!(whoami(&b, &old), StatusCode::UNAUTHORIZED);

    // A role change, and a disabled account, end the user's sessions at once, on every server.
    let reporter = Credential::Cookie(signed_in(&a, "jinjiang"));
    assert_eq!(whoami(&b, &reporter), StatusCode::OK);
    store.ok(&["user", "set-role", "jinjiang", "viewer"], None);
    soon(&b, &reporter, StatusCode::UNAUTHORIZED);
    let viewer = Credential::Cookie(signed_in(&b, "jinjiang"));
    assert_eq!(whoami(&a, &viewer), StatusCode::OK);
    store.ok(&["user", "disable", "jinjiang"], None);
    soon(&a, &viewer, StatusCode::UNAUTHORIZED);
    // A disabled account cannot sign in, with the same answer as a wrong password.
    assert_eq!(
        sign_in(&a, "jinjiang", PASSWORD).status(),
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn sessions_on_sqlite() {
    session_checks(false);
}

#[test]
fn sessions_on_postgres() {
    session_checks(true);
}

#[test]
fn csrf_is_checked_for_cookies_not_for_tokens() {
    let store = chengdu_store(false);
    let server = Server::start(&store.db, &[]);
    let session = signed_in(&server, "admin");
    let cookie = Credential::Cookie(session.clone());
    let delete = || request(&server, Method::DELETE, "/api/session", &cookie);
    let refused = |builder: RequestBuilder, what: &str| {
        let response = builder.send().unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
        let page = response.url().path() == "/logout";
        let body = response.text().unwrap();
        let said = if page {
            body.contains("CSRF")
        } else {
            serde_json::from_str::<Value>(&body).unwrap()["error"]["code"] == "csrf"
        };
        assert!(said, "{what}: {body}");
    };
    refused(delete().header(ORIGIN, &server.base), "no token");
    refused(
        delete()
            .header("x-csrf-token", "0".repeat(64))
            .header(ORIGIN, &server.base),
        "a wrong token",
    );
    refused(
        delete()
            .header("x-csrf-token", &session.csrf)
            .header(ORIGIN, "http://evil.example"),
        "another origin",
    );
    refused(
        delete().header("x-csrf-token", &session.csrf),
        "no Origin nor Referer",
    );
    // The sign-out form: the token as a form field, and a same-origin Referer.
    refused(
        request(&server, Method::POST, "/logout", &cookie)
            .header(ORIGIN, &server.base)
            .header(CONTENT_TYPE, FORM)
            .body(format!("csrf_token={}", "f".repeat(64))),
        "a form with a wrong token",
    );
    assert_eq!(whoami(&server, &cookie), StatusCode::OK);
    let out = request(&server, Method::POST, "/logout", &cookie)
        .header(REFERER, server.url("/account"))
        .header(CONTENT_TYPE, FORM)
        .body(format!("csrf_token={}", session.csrf))
        .send()
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(whoami(&server, &cookie), StatusCode::UNAUTHORIZED);
    // A sign-in from another origin (login CSRF) is refused; one without Origin (a script) is not.
    let foreign = client()
        .post(server.url("/api/session"))
        .header(ORIGIN, "http://evil.example")
        .json(&json!({ "username": "admin", "password": PASSWORD }))
        .send()
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    // Bearer requests need no CSRF token: a browser never sends the header by itself.
    let etl = token(&store, "etl", "planner");
    let bearer = Credential::Bearer(etl);
    assert_eq!(whoami(&server, &bearer), StatusCode::OK);
    let no_session = request(&server, Method::DELETE, "/api/session", &bearer)
        .send()
        .unwrap();
    assert_eq!(no_session.status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn failed_sign_ins_are_throttled() {
    let store = chengdu_store(false);
    let server = Server::start(&store.db, &[]);
    // Five failures for one name; the sixth try waits, even with the right password.
    for _ in 0..5 {
        assert_eq!(
            sign_in(&server, "admin", "wrong wrong wrong").status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let held = sign_in(&server, "admin", PASSWORD);
    assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = assert_held_for_a_second_or_two(&held);
    // Other names from the same address are not held back yet.
    assert_eq!(
        sign_in(&server, "planner", PASSWORD).status(),
        StatusCode::OK
    );
    // After the delay a sign-in goes through; one more failure would double the delay.
    std::thread::sleep(std::time::Duration::from_secs(wait));
    assert_eq!(sign_in(&server, "admin", PASSWORD).status(), StatusCode::OK);
    // Twenty failures a minute from one address, whatever the names: the address waits.
    for i in 0..15 {
        let name = format!("nobody{i}");
        assert_eq!(
            sign_in(&server, &name, "wrong wrong wrong").status(),
            StatusCode::UNAUTHORIZED,
            "{name}"
        );
    }
    let held = sign_in(&server, "leader", PASSWORD);
    assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(held.headers().contains_key(RETRY_AFTER));
    // Every failure is in the audit log.
    let failed = store.audit_json(&["--action", "session.sign_in_failed"]);
    assert_eq!(failed.len(), 20, "{failed:?}");
}

#[test]
fn the_audit_log_through_the_api() {
    let store = chengdu_store(false);
    let server = Server::start(&store.db, &[]);
    let admin = Credential::Bearer(token(&store, "audit-reader", "admin"));
    let get = |path: &str| -> Value {
        let response = request(&server, Method::GET, path, &admin).send().unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().unwrap()
    };
    signed_in(&server, "leader");
    assert_eq!(
        sign_in(&server, "leader", "wrong wrong wrong").status(),
        StatusCode::UNAUTHORIZED
    );
    // The same entries as `planwatch audit`, oldest first.
    let cli = store.audit_json(&[]);
    let all = get("/api/audit?per_page=1000");
    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(&all).len(), cli.len());
    assert_eq!(all["next_after"], Value::Null);
    // Pages by id: three at a time, following next_after, give every entry once.
    let mut seen = Vec::new();
    let mut path = "/api/audit?per_page=3".to_owned();
    loop {
        let page = get(&path);
        seen.extend(ids(&page));
        match page["next_after"].as_i64() {
            Some(after) => path = format!("/api/audit?per_page=3&after={after}"),
            None => break,
        }
    }
    assert_eq!(seen, ids(&all));
    // Filters: action, actor, since.
    let failed = get("/api/audit?action=session.sign_in_failed");
    assert_eq!(failed["items"].as_array().unwrap().len(), 1);
    assert_eq!(failed["items"][0]["object"], "user:leader");
    assert_eq!(failed["items"][0]["client"], "127.0.0.1");
    let by_leader = get("/api/audit?actor=leader");
    assert_eq!(by_leader["items"][0]["action"], "session.sign_in");
    assert_eq!(ids(&get("/api/audit?since=2999-01-01")), Vec::<i64>::new());
    let bad = request(&server, Method::GET, "/api/audit?since=yesterday", &admin)
        .send()
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}
