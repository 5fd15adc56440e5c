//! kill -9 of `planwatch serve` while a planner approves a large submission, on SQLite and
//! PostgreSQL (issue 16): the approval happened whole or not at all.
//!
//! A district reporter submits a few thousand rows over the API; two approvals without a kill
//! measure how long one takes (the second, as every later one, revises the first's keys).
//! Then the server is killed with SIGKILL at a sweep of delays after the approval request was
//! sent — fractions of the measured time, from before the server has read the request to
//! after its answer — and restarted on the same store each time. After each kill the SQLite
//! file passes `PRAGMA integrity_check`, an orphaned PostgreSQL transaction goes away, and
//! the submission is either approved — its batch holding every row's value, the batch's and
//! the approval's audit entries present — or still awaiting review with no batch, no new
//! observation and no new audit entry; `planwatch audit verify` passes either way. A
//! submission left waiting is approved by the next round, the last without a kill.
//!
//! The same for `planwatch import` of a 20 000-row file killed at a sweep of moments (there is
//! no import route in the API: an approval is its import): the batch is whole or absent.

use std::str::FromStr;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::Server;
use crate::accounts::Accounts;
use crate::submissions_api::{As, answer};
use crate::webauth::{chengdu_store, token};

/// Indicators (levels in 亿元) the submission reports for 锦江区.
const INDICATORS: [&str; 8] = [
    "retail_sales",
    "services_value_added",
    "goods_trade",
    "finance_value_added",
    "logistics_value_added",
    "services_trade",
    "cross_border_ecommerce",
    "software_it_revenue",
];

/// Months per indicator (from January 1900): 8 × 1 250 = 10 000 rows a submission.
const MONTHS: usize = 1250;

/// When the server is killed, as a fraction of the measured approval time after the request
/// was sent (0: before the server has read it); then once more after the answer came.
const SWEEP: [f64; 11] = [0.0, 0.1, 0.25, 0.4, 0.55, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25];

/// The rows of submission round `round`: every key of [`INDICATORS`] × [`MONTHS`] months from
/// January 1900, each value new (so that every row is a revision).
fn rows(round: usize) -> Vec<Value> {
    let mut rows = Vec::with_capacity(INDICATORS.len() * MONTHS);
    for indicator in INDICATORS {
        for month in 0..MONTHS {
            let period = format!("{}-{:02}", 1900 + month / 12, month % 12 + 1);
            let value = (round * 100_000 + month) as f64 + 0.5;
            rows.push(json!({
                "indicator": indicator, "region": "510104", "period": period, "value": value,
            }));
        }
    }
    rows
}

/// Direct reads of the store, as its operator would make them.
enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

struct Probe {
    runtime: tokio::runtime::Runtime,
    db: Db,
}

impl Probe {
    fn open(url: &str) -> Probe {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let db = runtime.block_on(async {
            if url.starts_with("postgres") {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await
                    .expect("the PostgreSQL store opens");
                Db::Postgres(pool)
            } else {
                let options =
                    sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite://{url}"))
                        .unwrap()
                        .busy_timeout(Duration::ZERO);
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await
                    .expect("the SQLite file opens");
                Db::Sqlite(pool)
            }
        });
        Probe { runtime, db }
    }

    fn count(&self, sql: &str) -> i64 {
        self.runtime.block_on(async {
            match &self.db {
                Db::Sqlite(pool) => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                    .fetch_one(pool)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}")),
                Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                    .fetch_one(pool)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}")),
            }
        })
    }

    fn text(&self, sql: &str) -> Option<String> {
        self.runtime.block_on(async {
            match &self.db {
                Db::Sqlite(pool) => {
                    sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql))
                        .fetch_one(pool)
                        .await
                }
                Db::Postgres(pool) => {
                    sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql))
                        .fetch_one(pool)
                        .await
                }
            }
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
        })
    }

    /// The (indicator, region, period, value) rows `sql` selects, in order.
    fn keys(&self, sql: &str) -> Vec<(String, String, i32, f64)> {
        let mut found = self.runtime.block_on(async {
            match &self.db {
                Db::Sqlite(pool) => {
                    sqlx::query_as::<_, (String, String, i32, f64)>(sqlx::AssertSqlSafe(sql))
                        .fetch_all(pool)
                        .await
                }
                Db::Postgres(pool) => {
                    sqlx::query_as::<_, (String, String, i32, f64)>(sqlx::AssertSqlSafe(sql))
                        .fetch_all(pool)
                        .await
                }
            }
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
        });
        found.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
        found
    }

    /// Whether another connection holds a write transaction open now: on PostgreSQL a backend
    /// of the database with a transaction id; on SQLite the write lock (a `BEGIN IMMEDIATE`
    /// that cannot wait is refused).
    fn writer_open(&self) -> bool {
        self.runtime.block_on(async {
            match &self.db {
                Db::Postgres(pool) => {
                    sqlx::query_scalar::<_, i64>(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()
                         AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL",
                    )
                    .fetch_one(pool)
                    .await
                    .unwrap()
                        > 0
                }
                Db::Sqlite(pool) => {
                    let mut connection = pool.acquire().await.unwrap();
                    match sqlx::query("BEGIN IMMEDIATE")
                        .execute(&mut *connection)
                        .await
                    {
                        Ok(_) => {
                            sqlx::query("ROLLBACK")
                                .execute(&mut *connection)
                                .await
                                .unwrap();
                            false
                        }
                        Err(e) if e.to_string().contains("locked") => true,
                        Err(e) => panic!("BEGIN IMMEDIATE: {e}"),
                    }
                }
            }
        })
    }

    /// SQLite's `PRAGMA integrity_check` (`ok` when the file is sound); `ok` on PostgreSQL.
    fn integrity(&self) -> String {
        self.runtime.block_on(async {
            match &self.db {
                Db::Sqlite(pool) => {
                    let found: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                        .fetch_all(pool)
                        .await
                        .unwrap();
                    found.join("; ")
                }
                Db::Postgres(_) => "ok".to_owned(),
            }
        })
    }

    fn close(self) {
        self.runtime.block_on(async {
            match self.db {
                Db::Sqlite(pool) => pool.close().await,
                Db::Postgres(pool) => pool.close().await,
            }
        });
    }
}

/// What the store holds apart from the approval under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    batches: i64,
    observations: i64,
    audit: i64,
}

/// [`counts`] on a probe of its own.
fn counts_of(store: &Accounts) -> Counts {
    let probe = Probe::open(&store.db);
    let counts = counts(&probe);
    probe.close();
    counts
}

fn counts(probe: &Probe) -> Counts {
    Counts {
        batches: probe.count("SELECT COUNT(*) FROM batches"),
        observations: probe.count("SELECT COUNT(*) FROM observations"),
        audit: probe.count("SELECT COUNT(*) FROM audit_log"),
    }
}

/// How a kill left submission `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Approved, whole.
    Whole,
    /// Still awaiting review, nothing of the approval stored.
    Nothing,
}

/// Checks that submission `id` (of `rows` rows) is either approved whole or untouched, given
/// what the store held before its approval was asked for (`before`).
fn whole_or_nothing(store: &Accounts, id: i64, rows: i64, before: Counts) -> Outcome {
    let probe = Probe::open(&store.db);
    let status = probe.text(&format!("SELECT status FROM submissions WHERE id = {id}"));
    let after = counts(&probe);
    let approvals = probe.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'submission.approve'
         AND object = 'submission:{id}'"
    ));
    let outcome = match status.as_deref() {
        Some("approved") => {
            let batch = probe.count(&format!("SELECT batch_id FROM submissions WHERE id = {id}"));
            let of_batch = |sql: &str| probe.count(&sql.replace("$batch", &batch.to_string()));
            assert_eq!(
                of_batch("SELECT rows_read FROM batches WHERE id = $batch"),
                rows
            );
            assert_eq!(
                of_batch("SELECT revisions FROM batches WHERE id = $batch"),
                rows
            );
            assert_eq!(
                of_batch("SELECT COUNT(*) FROM observations WHERE batch_id = $batch"),
                rows
            );
            // Every row of the submission, with its value, in the batch (compared here rather
            // than joined in SQL, whose plan would depend on the statistics of the moment).
            let submitted = probe.keys(&format!(
                "SELECT r.indicator, r.region, r.period, r.value FROM submission_rows r
                   JOIN submissions s ON s.id = r.submission_id AND s.version = r.version
                  WHERE r.submission_id = {id}"
            ));
            let published = probe.keys(&format!(
                "SELECT i.code, g.code, o.period, o.value FROM observations o
                   JOIN indicators i ON i.id = o.indicator_id
                   JOIN regions g ON g.id = o.region_id
                  WHERE o.batch_id = {batch}"
            ));
            assert_eq!(submitted.len() as i64, rows);
            assert!(
                submitted == published,
                "submission {id}'s rows in batch {batch}"
            );
            assert_eq!(approvals, 1, "submission {id}'s approval audited once");
            assert_eq!(
                of_batch(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'observations.import'
                     AND object = 'batch:' || CAST($batch AS TEXT)"
                ),
                1,
                "batch {batch}'s import audited"
            );
            assert_eq!(
                after,
                Counts {
                    batches: before.batches + 1,
                    observations: before.observations + rows,
                    // The import's entry and the approval's.
                    audit: before.audit + 2,
                },
                "submission {id}"
            );
            Outcome::Whole
        }
        Some("submitted") => {
            assert_eq!(
                probe.text(&format!(
                    "SELECT CAST(batch_id AS TEXT) FROM submissions WHERE id = {id}"
                )),
                None
            );
            assert_eq!(approvals, 0, "submission {id}");
            assert_eq!(after, before, "submission {id}");
            Outcome::Nothing
        }
        other => panic!("submission {id} is {other:?} after the kill"),
    };
    probe.close();
    let verified = store.ok(&["audit", "verify"], None);
    assert!(verified.contains("the audit log is intact"), "{verified}");
    outcome
}

/// After a kill: the SQLite file is sound, and on PostgreSQL the killed server's transaction
/// is gone (rolled back when its backend noticed its client was).
fn after_kill(store: &Accounts) {
    let probe = Probe::open(&store.db);
    assert_eq!(probe.integrity(), "ok", "integrity_check after the kill");
    let start = Instant::now();
    while probe.writer_open() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the killed server's transaction is still open after 20 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    probe.close();
}

/// What one approval request came to.
struct Sent {
    /// The answer's status, or `None` when the connection failed (the server was killed).
    status: Option<StatusCode>,
    elapsed: Duration,
}

/// Sends the approval of `id` by `token`'s user to `base` from another thread.
fn approve(base: &str, token: &str, id: i64) -> std::thread::JoinHandle<Sent> {
    let url = format!("{base}/api/submissions/{id}/approve");
    let token = token.to_owned();
    std::thread::spawn(move || {
        let start = Instant::now();
        let answer = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(300))
            .build()
            .unwrap()
            .post(url)
            .bearer_auth(token)
            .json(&json!({"comment": "同意"}))
            .send();
        Sent {
            status: answer.ok().map(|a| a.status()),
            elapsed: start.elapsed(),
        }
    })
}

/// Submits round `round`'s rows as 锦江区's reporter; returns the submission's id.
fn submit(server: &Server, token: &str, round: usize) -> i64 {
    let reporter = As {
        server,
        token: token.to_owned(),
    };
    let sent = json!({"unit": "510104", "rows": rows(round)});
    let (status, body) = answer(reporter.post("/api/submissions", Some(sent)));
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "submitted");
    body["id"].as_i64().unwrap()
}

fn sweep(postgres: bool) {
    let store = chengdu_store(postgres);
    let reporter = token(&store, "jinjiang-crash", "jinjiang");
    let planner = token(&store, "planner-crash", "planner");
    let rows = (INDICATORS.len() * MONTHS) as i64;
    let mut server = Server::start(&store.db, &[]);

    // Two approvals without a kill: the first stores new keys, the second revises them (as
    // every later one does) and gives the time the sweep is made of.
    let mut round = 0;
    let mut took = Duration::ZERO;
    for _ in 0..2 {
        round += 1;
        let id = submit(&server, &reporter, round);
        let before = counts_of(&store);
        let sent = approve(&server.base, &planner, id).join().unwrap();
        assert_eq!(sent.status, Some(StatusCode::OK));
        assert_eq!(whole_or_nothing(&store, id, rows, before), Outcome::Whole);
        took = sent.elapsed;
        eprintln!("approval of {rows} rows without a kill: {took:?}");
    }

    let mut waiting = None;
    let mut seen = Vec::new();
    let kills = SWEEP.iter().map(|f| Some(*f)).chain([None]);
    for fraction in kills {
        let id = match waiting {
            Some(id) => id,
            None => {
                round += 1;
                submit(&server, &reporter, round)
            }
        };
        let probe = Probe::open(&store.db);
        let before = counts(&probe);
        let request = approve(&server.base, &planner, id);
        let (sent, writing) = match fraction {
            Some(fraction) => {
                std::thread::sleep(took.mul_f64(fraction));
                let writing = probe.writer_open();
                server.kill();
                (request.join().unwrap(), writing)
            }
            // Right after the answer.
            None => {
                let sent = request.join().unwrap();
                server.kill();
                (sent, false)
            }
        };
        probe.close();
        after_kill(&store);
        server = Server::start(&store.db, &[]);
        let outcome = whole_or_nothing(&store, id, rows, before);
        eprintln!(
            "kill at {fraction:?} × {took:?}: answer {:?} after {:?}, a writer open: {writing}, \
             {outcome:?}",
            sent.status, sent.elapsed
        );
        if sent.status == Some(StatusCode::OK) {
            assert_eq!(outcome, Outcome::Whole, "answered 200, then lost");
        }
        waiting = (outcome == Outcome::Nothing).then_some(id);
        seen.push((fraction, sent.status, writing, outcome));
    }

    // The sweep reached both sides: killed before anything was stored, and after, and at
    // least once while the approval's transaction was open.
    assert_eq!(seen[0].3, Outcome::Nothing, "{seen:?}");
    assert_eq!(seen.last().unwrap().3, Outcome::Whole, "{seen:?}");
    assert!(
        seen.iter().any(|(_, _, writing, _)| *writing),
        "no kill landed during a transaction: {seen:?}"
    );

    // What a kill left waiting is approved as it should be.
    if let Some(id) = waiting {
        let before = counts_of(&store);
        let sent = approve(&server.base, &planner, id).join().unwrap();
        assert_eq!(sent.status, Some(StatusCode::OK));
        assert_eq!(whole_or_nothing(&store, id, rows, before), Outcome::Whole);
    }
    server.terminate();
}

/// Writes round `round`'s rows ([`rows`]) as a CSV in `dir`; returns its path and the
/// (indicator, region, period key, value) the import must store, in order.
fn csv(
    dir: &std::path::Path,
    round: usize,
) -> (std::path::PathBuf, Vec<(String, String, i32, f64)>) {
    let mut text = String::from("indicator,region,period,value\n");
    let mut expected = Vec::new();
    for row in rows(round) {
        let (indicator, region) = (row["indicator"].as_str().unwrap(), "510104");
        let (period, value) = (
            row["period"].as_str().unwrap(),
            row["value"].as_f64().unwrap(),
        );
        text += &format!("{indicator},{region},{period},{value}\n");
        let key = planwatch_plan::Period::from_str(period).unwrap().key();
        expected.push((indicator.to_owned(), region.to_owned(), key, value));
    }
    expected.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
    let path = dir.join(format!("round-{round}.csv"));
    std::fs::write(&path, text).unwrap();
    (path, expected)
}

/// Checks that an import of `expected` either stored its batch whole (every row a revision,
/// its audit entry) or nothing at all, given what the store held before (`before`).
fn import_whole_or_nothing(
    store: &Accounts,
    expected: &[(String, String, i32, f64)],
    before: Counts,
) -> Outcome {
    let probe = Probe::open(&store.db);
    let after = counts(&probe);
    let rows = expected.len() as i64;
    let outcome = if after == before {
        Outcome::Nothing
    } else {
        let batch = probe.count("SELECT MAX(id) FROM batches");
        assert_eq!(
            probe.count(&format!("SELECT rows_read FROM batches WHERE id = {batch}")),
            rows
        );
        let published = probe.keys(&format!(
            "SELECT i.code, g.code, o.period, o.value FROM observations o
               JOIN indicators i ON i.id = o.indicator_id
               JOIN regions g ON g.id = o.region_id
              WHERE o.batch_id = {batch}"
        ));
        assert!(published == expected, "batch {batch} is not the file");
        assert_eq!(
            probe.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'observations.import'
                 AND object = 'batch:{batch}'"
            )),
            1
        );
        assert_eq!(
            after,
            Counts {
                batches: before.batches + 1,
                observations: before.observations + rows,
                audit: before.audit + 1,
            }
        );
        Outcome::Whole
    };
    probe.close();
    let verified = store.ok(&["audit", "verify"], None);
    assert!(verified.contains("the audit log is intact"), "{verified}");
    outcome
}

/// `planwatch import` of a 20 000-row file killed with SIGKILL at a sweep of moments: the
/// batch is whole or absent.
fn import_sweep(postgres: bool) {
    let store = chengdu_store(postgres);
    let dir = tempfile::tempdir().unwrap();
    let import = |path: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_planwatch"))
            .args(["--db", store.db.as_str(), "import"])
            .arg(path)
            .env("USER", "importer")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("planwatch import starts")
    };
    // Two imports without a kill: new keys, then revisions of them, which gives the time.
    let mut took = Duration::ZERO;
    let mut round = 0;
    for _ in 0..2 {
        round += 1;
        let (path, expected) = csv(dir.path(), round);
        let before = counts_of(&store);
        let start = Instant::now();
        let status = import(&path).wait().unwrap();
        took = start.elapsed();
        assert!(status.success());
        let outcome = import_whole_or_nothing(&store, &expected, before);
        assert_eq!(outcome, Outcome::Whole);
        eprintln!("import of {} rows without a kill: {took:?}", expected.len());
    }
    let mut seen = Vec::new();
    for fraction in [0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0] {
        round += 1;
        let (path, expected) = csv(dir.path(), round);
        let probe = Probe::open(&store.db);
        let before = counts(&probe);
        let mut child = import(&path);
        std::thread::sleep(took.mul_f64(fraction));
        let writing = probe.writer_open();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        probe.close();
        after_kill(&store);
        let outcome = import_whole_or_nothing(&store, &expected, before);
        eprintln!(
            "import killed at {fraction} × {took:?}: {status}, a writer open: {writing}, \
             {outcome:?}"
        );
        seen.push((fraction, writing, outcome));
    }
    assert_eq!(seen[0].2, Outcome::Nothing, "{seen:?}");
    assert!(
        seen.iter().any(|(_, writing, _)| *writing),
        "no kill landed during a transaction: {seen:?}"
    );
    // And the next import, not killed, is stored whole.
    let (path, expected) = csv(dir.path(), round + 1);
    let before = counts_of(&store);
    assert!(import(&path).wait().unwrap().success());
    let outcome = import_whole_or_nothing(&store, &expected, before);
    assert_eq!(outcome, Outcome::Whole);
}

#[test]
fn a_killed_import_is_whole_or_nothing_on_sqlite() {
    import_sweep(false);
}

#[test]
fn a_killed_import_is_whole_or_nothing_on_postgres() {
    import_sweep(true);
}

#[test]
fn a_killed_approval_is_whole_or_nothing_on_sqlite() {
    sweep(false);
}

#[test]
fn a_killed_approval_is_whole_or_nothing_on_postgres() {
    sweep(true);
}
