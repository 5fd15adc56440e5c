//! End-to-end tests of the `planwatch` binary: each runs the real executable.

mod accounts;
mod assessment_web;
mod boards;
mod browser;
mod browser_progress;
mod browser_workflow;
mod confidentiality;
mod crash;
mod evaluate;
mod import;
mod keep;
mod limits;
mod notices;
mod openapi;
mod partition;
mod period_locks;
mod plan;
mod present;
mod progress;
mod progress_api;
mod projects;
mod promises;
mod replica;
mod report;
mod report_model;
mod reports_web;
mod score;
mod sdmx;
mod servers;
mod submissions_api;
mod submissions_write;
mod supervision;
mod tasks;
mod tasks_text;
mod units;
mod web;
mod webauth;
mod workflow;
mod workflow_pages;

use std::process::{Command, Output};

/// Runs `planwatch` with the arguments and returns its output.
pub(crate) fn planwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_planwatch"))
        .args(args)
        .output()
        .expect("the planwatch binary runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// The repository's root, where `plans/` and `schema/` live.
pub(crate) fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `planwatch serve` on a store, on a free port of the loopback; stopped when dropped.
pub(crate) struct Server {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub(crate) base: String,
}

impl Server {
    /// Starts the server on the store `db` (created with the Chengdu plan and the sample data
    /// when it has no plan) and waits until `/healthz` answers.
    pub(crate) fn start(db: &str, extra: &[&str]) -> Server {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_planwatch"))
            .args(["--db", db, "serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .env("PLANWATCH_HOME", repo_root())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("planwatch serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("planwatch serve printed its address before exiting")
                .expect("stdout is UTF-8");
            if let Some(rest) = line.strip_prefix("listening on ") {
                break rest.trim_end_matches('/').to_owned();
            }
        };
        // Keep reading stdout so that the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let server = Server { child, base };
        for _ in 0..100 {
            if reqwest::blocking::get(server.url("/healthz")).is_ok_and(|r| r.status().is_success())
            {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("{} never answered /healthz", server.base);
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Kills the server with SIGKILL, as the kernel's OOM killer or a power cut would stop
    /// it, and waits for it to be gone.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("SIGKILL is sent");
        self.child.wait().expect("the server is gone");
    }

    /// Stops the server as a service manager does (SIGTERM) and waits for it to exit.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        self.child.wait().expect("the server exits")
    }
}

/// Copies the SQLite file `db` alone (without its -wal and -shm) elsewhere and checks that the
/// copy holds the Chengdu plan and the three batches of the sample data, and that no write-ahead
/// log with content was left beside `db`.
pub(crate) fn assert_whole_in_its_file(db: &std::path::Path) {
    let wal = db.with_extension("db-wal");
    let wal_size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_size, 0, "{} holds data", wal.display());
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("copy.db");
    std::fs::copy(db, &copy).unwrap();
    let batches = planwatch(&["--db", copy.to_str().unwrap(), "data", "batches"]);
    assert!(batches.status.success(), "{}", stderr(&batches));
    let batches = stdout(&batches);
    assert!(
        batches.contains("chengdu-sample.csv") && batches.contains("chengdu-revisions.csv"),
        "{batches}"
    );
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port of the loopback nobody listens on (for now).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on the loopback")
        .port()
}

/// A fresh, empty PostgreSQL database on the server named by `PLANWATCH_TEST_PG` (default: the
/// local one); returns its URL. Its name carries the test process's id, so that databases left
/// by test processes that have ended are dropped here first (a test's servers may still use its
/// database until the process ends, and a failed test never gets to clean up): without this
/// every run of the suite left some fifty databases behind.
pub(crate) fn fresh_postgres(prefix: &str) -> String {
    let admin = std::env::var("PLANWATCH_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    drop_databases_of_ended_tests(&admin);
    let name = test_database_name(prefix);
    let status = Command::new("psql")
        .args([admin.as_str(), "-qc", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql runs");
    assert!(
        status.success(),
        "cannot create a PostgreSQL database at {admin}"
    );
    format!("{}/{name}", &admin[..admin.rfind('/').unwrap()])
}

/// `planwatch_PREFIX_PID_NANOSECONDS`: a database name of this test process, dropped by a later
/// run once the process has ended (see `fresh_postgres`).
pub(crate) fn test_database_name(prefix: &str) -> String {
    format!(
        "planwatch_{prefix}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// Drops the databases `fresh_postgres` made for test processes that are no longer running.
fn drop_databases_of_ended_tests(admin: &str) {
    let Ok(listed) = Command::new("psql")
        .args([
            admin,
            "-Atc",
            "SELECT datname FROM pg_database WHERE datname LIKE 'planwatch\\_%'",
        ])
        .output()
    else {
        return;
    };
    for name in String::from_utf8_lossy(&listed.stdout).lines() {
        let mut parts = name.rsplit('_');
        let (Some(nanos), Some(pid)) = (parts.next(), parts.next()) else {
            continue;
        };
        // Only names as made here and by the store's tests: …_PID_NANOSECONDS.
        let made_by_a_test = nanos.len() >= 15 && nanos.bytes().all(|b| b.is_ascii_digit());
        let ended = made_by_a_test
            && pid
                .parse::<u32>()
                .is_ok_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists());
        if ended {
            let _ = Command::new("psql")
                .args([
                    admin,
                    "-qc",
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ])
                .output();
        }
    }
}
