//! Several `planwatch serve` processes on one store (issue 16; docs/scaling.md, "Several servers
//! on one database"), on PostgreSQL and on one SQLite file (WAL): a session opened on one server
//! works on the other, CSRF token and all (a reporter signs in on A and submits on B); a figure
//! published through A is in B's evaluation within one poll; signing out on A is refused on B
//! within one poll; failed sign-ins for one name spread over A and B meet the limit of one
//! server; two deadline sweeps at once write each notice once; two servers started together on
//! an empty database set it up once; an import into another plan of the store leaves a server's
//! ETags as they were.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, COOKIE, ETAG, IF_NONE_MATCH, ORIGIN};
use serde_json::{Value, json};

use crate::Server;
use crate::accounts::Accounts;
use crate::replica::health;
use crate::webauth::{
    PASSWORD, Session, add_user, assert_held_for_a_second_or_two, chengdu_store, client, sign_in,
    signed_in, token,
};
use crate::{repo_root, stdout};

/// 锦江区's 2024 retail sales as the reporter submits them: a figure the sample data lacks.
const FIGURE: f64 = 951.37;
const EVALUATION: &str = "/api/evaluation?indicator=retail_sales&region=510104&year=2024";
/// The Chengdu plan's id.
const CHENGDU: &str = "chengdu-services-2021-2025";

/// Who am I, with the session's cookie.
fn whoami(server: &Server, session: &Session) -> StatusCode {
    client()
        .get(server.url("/api/session"))
        .header(COOKIE, &session.cookie)
        .send()
        .unwrap()
        .status()
}

/// The latest value of 锦江区's 2024 retail sales in `server`'s evaluation.
fn evaluated(server: &Server) -> Value {
    let report: Value = client()
        .get(server.url(EVALUATION))
        .send()
        .unwrap()
        .json()
        .unwrap();
    report["results"][0]["latest_value"].clone()
}

/// Waits until `check` holds, at most a second (the version poll is 200 ms); panics with `what`.
#[track_caller]
fn within_a_second(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{what}: not after a second"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn two_servers(postgres: bool) {
    let store = chengdu_store(postgres);
    let a = Server::start(&store.db, &[]);
    let b = Server::start(&store.db, &[]);

    // Signed in on A; the cookie and its CSRF token work on B: a submission made there.
    let reporter = signed_in(&a, "jinjiang");
    assert_eq!(whoami(&b, &reporter), StatusCode::OK);
    let created = client()
        .post(b.url("/api/submissions"))
        .header(COOKIE, &reporter.cookie)
        .header("x-csrf-token", &reporter.csrf)
        .header(ORIGIN, &b.base)
        .json(&json!({"unit": "510104", "rows": [
            {"indicator": "retail_sales", "region": "510104", "period": "2024", "value": FIGURE}
        ]}))
        .send()
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().unwrap()["id"].as_i64().unwrap();
    // B without the token refuses, as A would.
    let forged = client()
        .post(b.url(&format!("/api/submissions/{id}/withdraw")))
        .header(COOKIE, &reporter.cookie)
        .header(ORIGIN, &b.base)
        .send()
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // B's evaluation, cached; the approval through A's API publishes the figure, and B's
    // answer changes within one poll of its version watcher.
    let before = evaluated(&b);
    assert_ne!(before, json!(FIGURE), "already published?");
    assert_eq!(evaluated(&b), before, "cached");
    let planner = token(&store, "office", "planner");
    let approved = client()
        .post(a.url(&format!("/api/submissions/{id}/approve")))
        .header(AUTHORIZATION, format!("Bearer {planner}"))
        .send()
        .unwrap();
    assert_eq!(approved.status(), StatusCode::OK);
    within_a_second("B's evaluation after the approval on A", || {
        evaluated(&b) == json!(FIGURE)
    });

    // Signed out on A: B refuses the cookie within one poll (its caller cache follows the
    // audit log).
    let out = client()
        .delete(a.url("/api/session"))
        .header(COOKIE, &reporter.cookie)
        .header("x-csrf-token", &reporter.csrf)
        .header(ORIGIN, &a.base)
        .send()
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    within_a_second("the cookie on B after signing out on A", || {
        whoami(&b, &reporter) == StatusCode::UNAUTHORIZED
    });

    // Failed sign-ins for one name, spread over A and B, add up: after five (three on A, two
    // on B) the next try waits on either server, even with the right password.
    for server in [&a, &b, &a, &b, &a] {
        let failed = sign_in(server, "leader", "wrong wrong wrong");
        assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    }
    for server in [&b, &a] {
        let held = sign_in(server, "leader", PASSWORD);
        assert_eq!(
            held.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            server.base
        );
        assert_held_for_a_second_or_two(&held);
    }
    // Each failure audited once, by the server that saw it.
    let failed = store.audit_json(&["--action", "session.sign_in_failed"]);
    assert_eq!(failed.len(), 5, "{failed:?}");
    assert!(
        failed.iter().all(|f| f["object"] == "user:leader"),
        "{failed:?}"
    );
    // Other names are not held back; after the delay the right password goes through on B,
    // and the count starts again.
    assert_eq!(sign_in(&a, "planner", PASSWORD).status(), StatusCode::OK);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(sign_in(&b, "leader", PASSWORD).status(), StatusCode::OK);
    assert_eq!(
        sign_in(&a, "leader", "wrong wrong wrong").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(sign_in(&a, "leader", PASSWORD).status(), StatusCode::OK);
}

#[test]
fn two_servers_on_one_postgres_database() {
    two_servers(true);
}

#[test]
fn two_servers_on_one_sqlite_file() {
    two_servers(false);
}

/// The primary's audit position in `server`'s `/healthz` (read by its watcher with the version).
fn position(server: &Server) -> i64 {
    health(server)["primary"]["position"].as_i64().unwrap()
}

/// Runs `planwatch import` of `csv` into the plan `plan_id`, then waits until `server`'s
/// watcher has read the store after it (its audit position moved: the version is read with it).
fn import_into(store: &Accounts, server: &Server, plan_id: &str, csv: &str) {
    let before = position(server);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("figures.csv");
    std::fs::write(&file, csv).unwrap();
    store.ok(
        &["--plan-id", plan_id, "import", file.to_str().unwrap()],
        None,
    );
    within_a_second("the watcher reads the import", || position(server) > before);
}

/// A GET of the evaluation revalidating `etag`: its status and ETag.
fn revalidated(server: &Server, etag: &str) -> (StatusCode, String) {
    let response = client()
        .get(server.url(EVALUATION))
        .header(IF_NONE_MATCH, etag)
        .send()
        .unwrap();
    let tag = response.headers()[ETAG].to_str().unwrap().to_owned();
    (response.status(), tag)
}

/// Two plans in one store: an import into plan B leaves the ETags of the server of plan A
/// as they were (its clients' copies stay good: 304), an import into A changes them.
fn a_version_per_plan(postgres: bool) {
    let store = chengdu_store(postgres);
    let example = repo_root().join("plans/example-minimal.toml");
    store.ok(&["init", "--plan", example.to_str().unwrap()], None);
    let a = Server::start(&store.db, &["--plan-id", CHENGDU]);
    let first = client().get(a.url(EVALUATION)).send().unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()[ETAG].to_str().unwrap().to_owned();
    // The tag names the plan: another plan's server at the same version never shares it.
    assert!(etag.starts_with(&format!("\"{CHENGDU}:v")), "{etag}");

    import_into(
        &store,
        &a,
        "example-trade-2021-2025",
        "indicator,region,period,value,unit\nretail_sales,440103,2022,100,亿元\n",
    );
    assert_eq!(
        revalidated(&a, &etag),
        (StatusCode::NOT_MODIFIED, etag.clone()),
        "an import into another plan leaves A's answers current"
    );

    import_into(
        &store,
        &a,
        CHENGDU,
        &format!("indicator,region,period,value,unit\nretail_sales,510104,2024,{FIGURE},亿元\n"),
    );
    let (status, changed) = revalidated(&a, &etag);
    assert_eq!(
        status,
        StatusCode::OK,
        "an import into A is a change of A's"
    );
    assert_ne!(changed, etag);
    assert_eq!(evaluated(&a), json!(FIGURE));
}

#[test]
fn an_import_into_another_plan_leaves_the_etags_on_postgres() {
    a_version_per_plan(true);
}

#[test]
fn an_import_into_another_plan_leaves_the_etags_on_sqlite() {
    a_version_per_plan(false);
}

/// `planwatch notices sweep --date D` on the store, started (not waited for).
fn sweep(store: &Accounts, date: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_planwatch"))
        .args([
            "--db",
            store.db.as_str(),
            "notices",
            "sweep",
            "--date",
            date,
        ])
        .env("USER", "auditor")
        .env("PLANWATCH_HOME", repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("planwatch runs")
}

/// The two counts a sweep prints: the notices owed, and those it wrote.
fn counts(out: &str) -> (u64, u64) {
    let after = |label: &str| -> u64 {
        out.split(label)
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {label} in {out}"))
    };
    (after("应发到期提醒 "), after("新写入通知 "))
}

/// A copy of the store `store` (which no process is using), as a `--db` value, in `dir`.
fn copy_of(store: &Accounts, dir: &std::path::Path) -> String {
    if store.db.starts_with("postgres") {
        let (server, source) = store.db.rsplit_once('/').unwrap();
        let name = crate::test_database_name("copy");
        let status = Command::new("psql")
            .args([
                store.db.as_str(),
                "-qc",
                &format!("CREATE DATABASE {name} TEMPLATE {source}"),
            ])
            .status()
            .expect("psql runs");
        assert!(status.success());
        format!("{server}/{name}")
    } else {
        let copy = dir.join("copy.db");
        for suffix in ["", "-wal"] {
            let from = format!("{}{suffix}", store.db);
            if std::path::Path::new(&from).exists() {
                std::fs::copy(&from, format!("{}{suffix}", copy.display())).unwrap();
            }
        }
        copy.to_str().unwrap().to_owned()
    }
}

/// Two servers' hourly sweeps running at once (here two `notices sweep`, the same code): each
/// deadline notice is written once between them — as many as one sweep writes on a copy.
fn sweeps_at_once(postgres: bool) {
    let store = chengdu_store(postgres);
    for i in 2..6 {
        add_user(&store, &format!("jinjiang{i}"), "reporter", &["510104"]);
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = copy_of(&store, dir.path());
    let alone = crate::planwatch(&["--db", &copy, "notices", "sweep", "--date", "2025-03-26"]);
    assert!(alone.status.success(), "{}", crate::stderr(&alone));
    let (owed, expected) = counts(&stdout(&alone));
    assert!(expected > 5, "{expected}");

    let (first, second) = (sweep(&store, "2025-03-26"), sweep(&store, "2025-03-26"));
    let outs = [first, second].map(|child| {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
        counts(&stdout(&output))
    });
    assert_eq!((outs[0].0, outs[1].0), (owed, owed), "{outs:?}");
    assert_eq!(
        outs[0].1 + outs[1].1,
        expected,
        "written once between them: {outs:?}"
    );
    let again = store.ok(&["notices", "sweep", "--date", "2025-03-26"], None);
    assert_eq!(counts(&again), (owed, 0), "{again}");
}

#[test]
fn two_sweeps_at_once_write_each_notice_once_on_postgres() {
    sweeps_at_once(true);
}

#[test]
fn two_sweeps_at_once_write_each_notice_once_on_sqlite() {
    sweeps_at_once(false);
}

/// Two servers started together on an empty PostgreSQL database: one loads the Chengdu plan and
/// its sample data, the other waits for it and finds them there — each batch once.
#[test]
fn two_servers_started_together_on_an_empty_database_set_it_up_once() {
    let db = crate::fresh_postgres("servers");
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| Server::start(&db, &[]));
        let b = scope.spawn(|| Server::start(&db, &[]));
        (a.join().unwrap(), b.join().unwrap())
    });
    for server in [&a, &b] {
        let plan: Value = client()
            .get(server.url("/api/plan"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert!(plan.to_string().contains("成都"), "{}", server.base);
    }
    let batches = crate::planwatch(&["--db", &db, "data", "batches"]);
    assert!(batches.status.success(), "{}", crate::stderr(&batches));
    let batches = stdout(&batches);
    for file in ["chengdu-sample.csv", "chengdu-revisions.csv"] {
        assert_eq!(batches.matches(file).count(), 1, "{batches}");
    }
    // One first start: the plan and the district targets loaded once (the imports of the sample
    // data would find their batches there and add none).
    let log = crate::planwatch(&["--db", &db, "audit", "--format", "json"]);
    assert!(log.status.success(), "{}", crate::stderr(&log));
    let log: Vec<Value> = serde_json::from_str(&stdout(&log)).unwrap();
    let by_first_start: Vec<&str> = log
        .iter()
        .filter(|e| e["actor"] == "system:first-start")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["plan.load", "targets.load"] {
        assert_eq!(
            by_first_start.iter().filter(|a| **a == action).count(),
            1,
            "{action}: {by_first_start:?}"
        );
    }
}
