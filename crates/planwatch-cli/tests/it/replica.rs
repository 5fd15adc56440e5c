//! Read replicas (`serve --read-db`), against real PostgreSQL streaming replicas: reads are
//! served by the replica (the answer says so and the replica's own statistics count them);
//! read-your-writes while the replica's replay is paused, no answer staler than the documented
//! bound; and, on a private primary + replica pair, the primary stopped (reads go on from the
//! replica, read-only, with the banner; writes are a 503 `read_only`) and started again (writes
//! work without restarting the server, whose pools reconnect).
//!
//! PostgreSQL only: a read replica is PostgreSQL streaming replication (`pg_basebackup -R`);
//! SQLite has no replicas, and `serve --read-db` refuses an SQLite `--db` (tested here too).
//!
//! The shared replica is `PLANWATCH_TEST_PG_REPLICA` (default
//! postgres://postgres@127.0.0.1:5433/postgres, made by `scripts/setup-postgres-replica`); under
//! `CI` a missing replica fails the test, elsewhere it is skipped with a message.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{COOKIE, ORIGIN, RETRY_AFTER, SET_COOKIE};
use serde_json::{Value, json};

use crate::{Server, free_port, planwatch, repo_root, stderr};

/// `serve --replica-max-lag` in these tests, and the watcher's poll (`VERSION_POLL`).
const MAX_LAG: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(200);
/// The documented staleness bound (docs/scaling.md): max-lag + one poll.
const BOUND: Duration = Duration::from_millis(2200);
/// Room for scheduling on a loaded 2-core machine, on top of the bound.
const SLACK: Duration = Duration::from_millis(500);

const PASSWORD: &str = "a long passphrase 4 tests";

/// The shared replica's URL (its `postgres` database), or `None` (skip) outside CI when no
/// replica answers.
fn shared_replica() -> Option<String> {
    let url = std::env::var("PLANWATCH_TEST_PG_REPLICA")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".into());
    let answer = psql(&url, "SELECT pg_is_in_recovery()");
    if answer.as_deref() == Some("t") {
        return Some(url);
    }
    if std::env::var_os("CI").is_some() {
        panic!("no PostgreSQL replica at {url} under CI: run scripts/setup-postgres-replica");
    }
    eprintln!("skipped: no PostgreSQL replica at {url} (scripts/setup-postgres-replica)");
    None
}

/// One value from `psql URL -c SQL`, or `None` when it cannot be had.
fn psql(url: &str, sql: &str) -> Option<String> {
    let output = Command::new("psql")
        .args([url, "-XAtqc", sql])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    format!("{}/{name}", &url[..url.rfind('/').unwrap()])
}

/// Waits until the replica's store has the primary's audit position (the database made on the
/// primary appears on the replica by replication).
#[track_caller]
fn wait_for_replica(primary: &str, replica: &str) {
    let sql = "SELECT seq FROM audit_head WHERE id = 1";
    let want = psql(primary, sql).expect("the primary answers");
    let start = Instant::now();
    while psql(replica, sql).as_deref() != Some(want.as_str()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the replica did not reach the primary's position {want} in 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `planwatch --db DB ARGS…` with `input` on stdin; asserts success.
#[track_caller]
fn run(db: &str, args: &[&str], input: &str) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_planwatch"))
        .args(["--db", db])
        .args(args)
        .env("PLANWATCH_HOME", repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
}

/// The Chengdu plan with its sample data and a planner, at `db`.
fn chengdu_with_planner(db: &str) {
    run(db, &["init", "--sample-data"], "");
    run(
        db,
        &[
            "user",
            "add",
            "planner",
            "--role",
            "planner",
            "--password-stdin",
        ],
        PASSWORD,
    );
    run(
        db,
        &[
            "user",
            "add",
            "analyst",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        PASSWORD,
    );
}

/// A client that gives up after 30 s (a database that went away must not hang a test).
fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The server's `/healthz` answer (its mode and both databases' states).
pub(crate) fn health(server: &Server) -> Value {
    client()
        .get(server.url("/healthz"))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

/// A browser: its cookies (the session's and the read-your-writes position) and CSRF token.
struct Browser {
    cookies: Vec<(String, String)>,
    csrf: String,
}

impl Browser {
    fn sign_in(server: &Server, user: &str) -> Browser {
        let mut browser = Browser {
            cookies: Vec::new(),
            csrf: String::new(),
        };
        let response = client()
            .post(server.url("/api/session"))
            .json(&json!({"username": user, "password": PASSWORD}))
            .send()
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        browser.keep(&response);
        let body: Value = response.json().unwrap();
        browser.csrf = body["csrf_token"].as_str().unwrap().to_owned();
        browser
    }

    /// Takes in the answer's cookies.
    fn keep(&mut self, response: &Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn get(&mut self, server: &Server, path: &str) -> Response {
        let response = client()
            .get(server.url(path))
            .header(COOKIE, self.header())
            .send()
            .unwrap();
        self.keep(&response);
        response
    }

    fn post(&mut self, server: &Server, path: &str, body: &Value) -> Response {
        let response = client()
            .post(server.url(path))
            .header(COOKIE, self.header())
            .header(ORIGIN, &server.base)
            .header("x-csrf-token", &self.csrf)
            .header("accept-language", "en")
            .json(body)
            .send()
            .unwrap();
        self.keep(&response);
        response
    }
}

fn read_from(response: &Response) -> &str {
    response
        .headers()
        .get("planwatch-read-from")
        .expect("every answer says where it read")
        .to_str()
        .unwrap()
}

/// Whether `/api/period-locks`' answer lists a lock of 2024.
fn locked_2024(body: &Value) -> bool {
    body.as_array()
        .is_some_and(|locks| locks.iter().any(|l| l["year"] == 2024))
}

/// Table reads of `period_locks` counted by the database at `url` itself.
fn period_lock_reads(url: &str) -> i64 {
    psql(
        url,
        "SELECT COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0) FROM pg_stat_user_tables
         WHERE relname = 'period_locks'",
    )
    .and_then(|v| v.parse().ok())
    .expect("the statistics answer")
}

/// Asks until `check` holds, for at most `within`.
#[track_caller]
fn eventually(within: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Resumes the replica's replay when dropped (a failed test must not leave it paused).
struct Resume(String);

impl Drop for Resume {
    fn drop(&mut self) {
        psql(&self.0, "SELECT pg_wal_replay_resume()");
    }
}

/// Reads from the shared replica, and read-your-writes while its replay is paused.
#[test]
fn reads_go_to_the_replica_and_a_writer_reads_its_writes() {
    let Some(replica_admin) = shared_replica() else {
        return;
    };
    let primary = crate::fresh_postgres("replica");
    let name = primary.rsplit('/').next().unwrap().to_owned();
    let replica = with_database(&replica_admin, &name);
    chengdu_with_planner(&primary);
    wait_for_replica(&primary, &replica);
    let max_lag = MAX_LAG.as_secs_f64().to_string();
    let server = Server::start(
        &primary,
        &["--read-db", &replica, "--replica-max-lag", &max_lag],
    );
    let answer = health(&server);
    assert_eq!(answer["read_only"], false, "{answer}");
    assert_eq!(answer["replica"]["up"], true, "{answer}");

    // Reads are served by the replica: the answer says so, and the replica's own statistics
    // count the reads of the table (the primary's do not move).
    let mut analyst = Browser::sign_in(&server, "analyst");
    let mut planner = Browser::sign_in(&server, "planner");
    let response = client().get(server.url("/")).send().unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    eventually(
        Duration::from_secs(10),
        "GETs read from the replica",
        || {
            let response = analyst.get(&server, "/api/plan/indicators");
            let status = response.status();
            let from = read_from(&response).to_owned();
            status == StatusCode::OK && from == "replica"
        },
    );
    // The planner's sign-in set its position: once the replica has it, its reads go there.
    eventually(
        Duration::from_secs(10),
        "the planner reads the replica",
        || read_from(&planner.get(&server, "/api/period-locks")) == "replica",
    );
    // The statistics of a database are flushed within a second or so of a statement.
    std::thread::sleep(Duration::from_secs(2));
    let (on_replica, on_primary) = (period_lock_reads(&replica), period_lock_reads(&primary));
    let mut served = 0;
    for _ in 0..20 {
        let response = planner.get(&server, "/api/period-locks");
        assert_eq!(response.status(), StatusCode::OK);
        if read_from(&response) == "replica" {
            served += 1;
        }
    }
    assert!(served >= 15, "only {served} of 20 reads from the replica");
    eventually(
        Duration::from_secs(20),
        "the replica's statistics count the reads",
        || period_lock_reads(&replica) >= on_replica + served,
    );
    assert!(
        period_lock_reads(&primary) < on_primary + served,
        "the primary read the table as often as the replica"
    );

    // The replica's replay paused: the planner's write is on the primary only.
    let _resume = Resume(replica_admin.clone());
    assert_eq!(
        psql(&replica_admin, "SELECT pg_wal_replay_pause()").as_deref(),
        Some("")
    );
    let response = planner.post(&server, "/api/period-locks", &json!({"year": 2024}));
    let written = Instant::now();
    assert_eq!(response.status(), StatusCode::CREATED);
    let position: i64 = planner
        .cookie("pw_pos")
        .expect("a write sets the read-your-writes cookie")
        .parse()
        .unwrap();
    assert_eq!(
        response.headers()["planwatch-position"].to_str().unwrap(),
        position.to_string()
    );
    // The writer reads its write, from the primary, at once.
    let response = planner.get(&server, "/api/period-locks");
    assert_eq!(read_from(&response), "primary");
    assert!(locked_2024(&response.json().unwrap()));
    // So does an API client that asks for the position.
    let response = client()
        .get(server.url("/api/period-locks"))
        .header(COOKIE, {
            let session = planner.cookie("planwatch_session").unwrap();
            format!("planwatch_session={session}")
        })
        .header("planwatch-min-position", position.to_string())
        .send()
        .unwrap();
    assert_eq!(read_from(&response), "primary");
    assert!(locked_2024(&response.json().unwrap()));

    // Another reader (the planner's session without the position, as another browser): stale
    // or fresh within the bound, never stale beyond it; fresh from the primary once the lag is
    // over the bound and a poll has seen it.
    let session = format!(
        "planwatch_session={}",
        planner.cookie("planwatch_session").unwrap()
    );
    let other = || {
        let asked = Instant::now();
        let response = client()
            .get(server.url("/api/period-locks"))
            .header(COOKIE, &session)
            .send()
            .unwrap();
        let from = read_from(&response).to_owned();
        (asked, from, locked_2024(&response.json().unwrap()))
    };
    let mut stale_seen = 0;
    loop {
        let (asked, from, fresh) = other();
        let since = asked.duration_since(written);
        if !fresh {
            stale_seen += 1;
            assert_eq!(from, "replica");
            assert!(
                since <= BOUND + SLACK,
                "a stale answer {since:?} after the write (bound {BOUND:?})"
            );
        }
        if since > BOUND + POLL + SLACK {
            assert!(fresh, "stale {since:?} after the write");
            assert_eq!(from, "primary");
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(stale_seen > 0, "the paused replica never served");
    let answer = health(&server);
    assert!(
        answer["replica"]["lag_seconds"].as_f64().unwrap() > MAX_LAG.as_secs_f64(),
        "{answer}"
    );

    // Replay resumed: the replica catches up and serves again, the lock with it.
    drop(_resume);
    eventually(Duration::from_secs(20), "reads back on the replica", || {
        let (_, from, fresh) = other();
        from == "replica" && fresh
    });
    let response = planner.get(&server, "/api/period-locks");
    assert_eq!(read_from(&response), "replica");
}

/// `--read-db` needs PostgreSQL on both sides.
#[test]
fn a_replica_needs_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let output = planwatch(&[
        "--db",
        db.to_str().unwrap(),
        "serve",
        "--read-db",
        "postgres://postgres@127.0.0.1:5433/postgres",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--read-db needs a PostgreSQL --db"));
}

/// The PostgreSQL programs (Debian's layout, else the PATH's).
fn pg_bin(program: &str) -> String {
    let mut found: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(program))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found
        .pop()
        .map_or(program.to_owned(), |p| p.to_string_lossy().into_owned())
}

/// A command run as the `postgres` user when the tests run as root (the server refuses root).
fn as_postgres(program: &str) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--", program]);
        command
    } else {
        Command::new(program)
    }
}

/// A private primary and its streaming replica, on free ports, stopped and removed when
/// dropped — even when the test fails.
struct Pair {
    primary_dir: std::path::PathBuf,
    replica_dir: std::path::PathBuf,
    primary_port: u16,
    replica_port: u16,
}

impl Pair {
    fn new() -> Pair {
        let base = std::env::temp_dir().join(format!(
            "planwatch-pair-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let pair = Pair {
            primary_dir: base.join("primary"),
            replica_dir: base.join("replica"),
            primary_port: free_port(),
            replica_port: free_port(),
        };
        std::fs::create_dir_all(&pair.primary_dir).unwrap();
        let owned = |path: &std::path::Path| {
            // The server runs as postgres: it must own its directories.
            let _ = Command::new("chown")
                .args(["-R", "postgres:postgres", path.to_str().unwrap()])
                .status();
        };
        owned(&base);
        let status = as_postgres(&pg_bin("initdb"))
            .args(["-D", pair.primary_dir.to_str().unwrap()])
            .args(["-U", "postgres", "--auth=trust", "--no-sync"])
            .stdout(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed");
        pair.start_primary();
        let status = Command::new(repo_root().join("scripts/setup-postgres-replica"))
            .args(["--primary-port", &pair.primary_port.to_string()])
            .args(["--port", &pair.replica_port.to_string()])
            .args(["--dir", pair.replica_dir.to_str().unwrap()])
            .status()
            .expect("scripts/setup-postgres-replica runs");
        assert!(status.success(), "scripts/setup-postgres-replica failed");
        pair
    }

    fn url(port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    }

    fn start_primary(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.primary_port,
            self.primary_dir.display()
        );
        let log = self.primary_dir.join("server.log");
        let status = as_postgres(&pg_bin("pg_ctl"))
            .args(["-D", self.primary_dir.to_str().unwrap()])
            .args(["-o", &options, "-l", log.to_str().unwrap(), "-w", "start"])
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl runs");
        assert!(status.success(), "the private primary did not start");
    }

    fn stop(dir: &std::path::Path, mode: &str) -> bool {
        as_postgres(&pg_bin("pg_ctl"))
            .args(["-D", dir.to_str().unwrap(), "-m", mode, "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        Pair::stop(&self.replica_dir, "immediate");
        Pair::stop(&self.primary_dir, "immediate");
        if let Some(base) = self.primary_dir.parent() {
            let _ = std::fs::remove_dir_all(base);
        }
    }
}

/// The primary stopped: reads go on from the replica, read-only; writes are refused with a
/// 503 `read_only`; the primary started again: writes work without restarting the server.
#[test]
fn the_primary_stopped_and_started_again() {
    let tools = ["initdb", "pg_ctl", "pg_basebackup"]
        .iter()
        .all(|p| std::path::Path::new(&pg_bin(p)).exists());
    if !tools {
        if std::env::var_os("CI").is_some() {
            panic!("PostgreSQL's initdb, pg_ctl and pg_basebackup are missing under CI");
        }
        eprintln!("skipped: PostgreSQL's server programs are not installed");
        return;
    }
    let pair = Pair::new();
    let primary = Pair::url(pair.primary_port);
    let replica = Pair::url(pair.replica_port);
    chengdu_with_planner(&primary);
    wait_for_replica(&primary, &replica);
    let with_replica = Server::start(&primary, &["--read-db", &replica]);
    // And one without a replica: its writes fail cleanly too, and it recovers as well.
    let alone = Server::start(&primary, &[]);
    let mut planner = Browser::sign_in(&with_replica, "planner");
    let mut planner_alone = Browser::sign_in(&alone, "planner");
    eventually(
        Duration::from_secs(10),
        "pages read from the replica",
        || read_from(&client().get(with_replica.url("/")).send().unwrap()) == "replica",
    );

    assert!(
        Pair::stop(&pair.primary_dir, "fast"),
        "pg_ctl stop of the private primary"
    );
    let read_only = |server: &Server| health(server)["read_only"] == true;
    eventually(Duration::from_secs(10), "read-only mode", || {
        read_only(&with_replica) && read_only(&alone)
    });

    // Reads: 200 from the replica, with the banner on pages and the header on API answers —
    // for the public and for the signed-in planner alike.
    let page = client().get(with_replica.url("/")).send().unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(read_from(&page), "replica");
    assert_eq!(page.headers()["planwatch-read-only"], "1");
    let html = page.text().unwrap();
    assert!(
        html.contains("read-only-banner") && html.contains("系统暂为只读"),
        "no banner"
    );
    let api = client()
        .get(with_replica.url("/api/plan/indicators"))
        .send()
        .unwrap();
    assert_eq!(api.status(), StatusCode::OK);
    assert_eq!(api.headers()["planwatch-read-only"], "1");
    assert_eq!(read_from(&api), "replica");
    let locks = planner.get(&with_replica, "/api/period-locks");
    assert_eq!(locks.status(), StatusCode::OK);
    assert_eq!(read_from(&locks), "replica");
    let page = planner.get(&with_replica, "/review");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().unwrap().contains("read-only-banner"));

    // Writes: 503 with the JSON error `read_only` and Retry-After, on both servers.
    for (server, browser) in [(&with_replica, &mut planner), (&alone, &mut planner_alone)] {
        let response = browser.post(server, "/api/period-locks", &json!({"year": 2023}));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(RETRY_AFTER));
        let body: Value = response.json().unwrap();
        assert_eq!(body["error"]["code"], "read_only", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("read-only: the primary database is unavailable"),
            "{body}"
        );
    }

    // The primary back: writes work again on both servers, without a restart.
    pair.start_primary();
    for (server, browser) in [(&with_replica, &mut planner), (&alone, &mut planner_alone)] {
        let mut last = StatusCode::OK;
        eventually(Duration::from_secs(30), "a write after the restart", || {
            let response = browser.post(server, "/api/period-locks", &json!({"year": 2023}));
            last = response.status();
            last.is_success()
        });
        assert!(last.is_success());
        assert!(!read_only(server));
    }
    let response = planner.get(&with_replica, "/api/period-locks");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .json::<Value>()
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["year"] == 2023)
    );
    let page = client().get(with_replica.url("/")).send().unwrap();
    assert!(page.headers().get("planwatch-read-only").is_none());
    assert!(!page.text().unwrap().contains("read-only-banner"));
    drop(with_replica);
    drop(alone);
    drop(pair);
}

/// A "replica" without the binary's migrations is refused at start, saying why (PostgreSQL
/// databases of the primary's server stand in for replicas here: the check is the same).
#[test]
fn a_replica_of_another_schema_is_refused() {
    let primary = crate::fresh_postgres("replica_schema");
    let empty = crate::fresh_postgres("replica_empty");
    let behind = crate::fresh_postgres("replica_behind");
    run(&behind, &["user", "list"], "");
    psql(
        &behind,
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .expect("the migration row is removed");
    for (replica, says) in [
        (&empty, "it has no planwatch store"),
        (&behind, "migrations applied there"),
    ] {
        let output = planwatch(&[
            "--db",
            &primary,
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--read-db",
            replica,
        ]);
        assert!(!output.status.success());
        let text = stderr(&output);
        assert!(
            text.contains("the read replica's schema differs") && text.contains(says),
            "{text}"
        );
    }
}
