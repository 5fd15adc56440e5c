//! Notices against the real server, on SQLite and PostgreSQL: a district reporter submits and a
//! planner returns — the plan office and the unit each find their notice (and nobody else any),
//! in the API (own only, newest first, unread), in the bell of a page and in the 通知 page
//! (mark all read) — and both mails reach a local SMTP sink (aiosmtpd) with recipient, subject
//! and Chinese text. A relay that is down does not fail the move: the mail goes out once it is
//! back. `planwatch notices sweep --date D` writes each deadline notice once, and none for a
//! figure published already.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use serde_json::{Value, json};

use crate::accounts::Accounts;
use crate::webauth::{add_user, chengdu_store, token};
use crate::{Server, free_port, repo_root};

const PASSWORD: &str = "a long passphrase 4 tests";

/// aiosmtpd's debugging server on a port of the loopback, printing every message it takes.
struct Sink {
    child: Child,
    printed: Arc<Mutex<String>>,
}

/// The Python of the test tools (scripts/setup-python); none outside CI skips the test.
fn python() -> Option<std::path::PathBuf> {
    let python = repo_root().join(".venv-ci/bin/python");
    let ready = python.exists()
        && Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
    if ready {
        return Some(python);
    }
    if std::env::var_os("CI").is_some() {
        panic!("aiosmtpd is missing under CI: run scripts/setup-python");
    }
    eprintln!("skipped: aiosmtpd not installed (scripts/setup-python)");
    None
}

impl Sink {
    fn start(python: &std::path::Path, port: u16) -> Sink {
        let mut child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Debugging",
            ])
            .env("PYTHONUNBUFFERED", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("aiosmtpd starts");
        let printed = Arc::new(Mutex::new(String::new()));
        let out = BufReader::new(child.stdout.take().unwrap());
        let sink = printed.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let mut all = sink.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        // Ready once it takes connections.
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "aiosmtpd never listened"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Sink { child, printed }
    }

    /// The messages taken so far: (headers, body) each.
    fn messages(&self) -> Vec<(String, String)> {
        let all = self.printed.lock().unwrap().clone();
        all.split("---------- MESSAGE FOLLOWS ----------\n")
            .skip(1)
            .filter_map(|m| m.split("------------ END MESSAGE ------------").next())
            .map(|m| {
                // The envelope's options come first ("mail options: ['BODY=8BITMIME']"), then a
                // blank line, then the message.
                let mut rest = m;
                while let Some((line, after)) = rest.split_once('\n')
                    && (line.is_empty() || line.contains(" options: "))
                {
                    rest = after;
                }
                let (head, body) = rest.split_once("\n\n").unwrap_or((rest, ""));
                (head.to_owned(), body.to_owned())
            })
            .collect()
    }

    /// Waits (up to `limit`) for `count` messages.
    #[track_caller]
    fn wait_for(&self, count: usize, limit: Duration) -> Vec<(String, String)> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                start.elapsed() < limit,
                "{} of {count} mails after {limit:?}: {messages:?}",
                messages.len()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A header's value (folded lines joined), RFC 2047 words (`=?utf-8?b?…?=`) decoded: the space
/// between two encoded words is dropped, any other kept.
fn header(head: &str, name: &str) -> String {
    let mut value: Option<String> = None;
    for line in head.lines() {
        match (&mut value, line.strip_prefix(&format!("{name}: "))) {
            (None, Some(start)) => value = Some(start.to_owned()),
            (Some(v), _) if line.starts_with([' ', '\t']) => v.push_str(line),
            (Some(_), _) => break,
            (None, None) => {}
        }
    }
    let value = value.unwrap_or_else(|| panic!("no {name} in {head}"));
    let decode = |word: &str| -> Option<String> {
        let inner = word.strip_suffix("?=")?;
        let (charset, rest) = inner.strip_prefix("=?")?.split_once('?')?;
        let encoded = rest
            .strip_prefix("b?")
            .or_else(|| rest.strip_prefix("B?"))?;
        assert!(charset.eq_ignore_ascii_case("utf-8"), "{word}");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        Some(String::from_utf8(bytes).unwrap())
    };
    let mut out = String::new();
    let mut last_encoded = false;
    for (i, word) in value.split_whitespace().enumerate() {
        let decoded = decode(word);
        if i > 0 && !(last_encoded && decoded.is_some()) {
            out.push(' ');
        }
        last_encoded = decoded.is_some();
        out.push_str(&decoded.unwrap_or_else(|| word.to_owned()));
    }
    out
}

/// A caller with an API token.
struct As<'s> {
    server: &'s Server,
    token: String,
}

impl As<'_> {
    fn get(&self, path: &str) -> (StatusCode, Value) {
        answer(
            Client::new()
                .get(self.server.url(path))
                .header(AUTHORIZATION, format!("Bearer {}", self.token))
                .send()
                .unwrap(),
        )
    }

    fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        answer(
            Client::new()
                .post(self.server.url(path))
                .header(AUTHORIZATION, format!("Bearer {}", self.token))
                .json(&body)
                .send()
                .unwrap(),
        )
    }
}

fn answer(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A browser's session: the cookie and the CSRF token.
fn sign_in(server: &Server, user: &str) -> (String, String) {
    let response = Client::new()
        .post(server.url("/api/session"))
        .json(&json!({ "username": user, "password": PASSWORD }))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let body: Value = response.json().unwrap();
    (cookie, body["csrf_token"].as_str().unwrap().to_owned())
}

fn page(server: &Server, cookie: &str, path: &str) -> String {
    let response = Client::new()
        .get(server.url(path))
        .header(COOKIE, cookie)
        .header("accept-language", "zh")
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().unwrap()
}

/// The bell's count in a page: `None` when it shows none.
fn bell(html: &str) -> Option<u32> {
    assert!(html.contains("id=\"notices-bell\""), "no bell in the page");
    let rest = html.split("id=\"notices-unread\">").nth(1)?;
    rest.split('<').next()?.parse().ok()
}

/// Waits until the bell of `path` shows `count` (a change reaches the page within a poll of the
/// server's watcher).
#[track_caller]
fn bell_soon(server: &Server, cookie: &str, path: &str, count: Option<u32>) {
    let start = Instant::now();
    loop {
        let shown = bell(&page(server, cookie, path));
        if shown == count {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "the bell shows {shown:?}, not {count:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The Python with aiosmtpd, and the Chengdu store whose planner has an address; `None` (the
/// test skipped) without aiosmtpd outside CI.
fn mailing_store(postgres: bool) -> Option<(std::path::PathBuf, Accounts)> {
    let python = python()?;
    let store = chengdu_store(postgres);
    store.ok(
        &["user", "set-email", "planner", "plan-office@example.org"],
        None,
    );
    Some((python, store))
}

fn cycle(postgres: bool) {
    let Some((python, store)) = mailing_store(postgres) else {
        return;
    };
    store.ok(
        &["user", "set-email", "jinjiang", "jinjiang@example.org"],
        None,
    );
    store.ok(
        &["user", "set-email", "qingyang", "qingyang@example.org"],
        None,
    );
    let users = store.ok(&["user", "list", "--format", "json"], None);
    assert!(
        users.contains("\"email\": \"jinjiang@example.org\""),
        "{users}"
    );
    let port = free_port();
    let sink = Sink::start(&python, port);
    let relay = format!("smtp://127.0.0.1:{port}");
    let server = Server::start(
        &store.db,
        &["--smtp", &relay, "--smtp-from", "planwatch@example.org"],
    );
    let who = |name: &str| As {
        server: &server,
        token: token(&store, &format!("{name}-notices"), name),
    };
    let (jinjiang, qingyang, planner, leader) = (
        who("jinjiang"),
        who("qingyang"),
        who("planner"),
        who("leader"),
    );

    let (status, created) = planner.get("/api/notices");
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created, json!({"items": [], "unread": 0}));
    let (status, created) = jinjiang.post(
        "/api/submissions",
        json!({"unit": "510104", "rows": [
            {"indicator": "retail_sales", "region": "510104", "period": "2024", "value": 951.37}
        ]}),
    );
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, body) = planner.post(
        &format!("/api/submissions/{id}/return"),
        json!({"comment": "请核实来源"}),
    );
    assert_eq!(status, StatusCode::OK, "{body}");

    // Each side its own notice, with where to act on it; nobody else any.
    let (_, office) = planner.get("/api/notices");
    assert_eq!(office["unread"], 1, "{office}");
    let submitted = &office["items"][0];
    assert_eq!(submitted["kind"], "submitted", "{office}");
    assert_eq!(submitted["submission"], id);
    assert_eq!(submitted["href"], format!("/review/{id}"));
    assert!(
        submitted["text_zh"]
            .as_str()
            .unwrap()
            .contains(&format!("锦江区提交了第 {id} 号报送")),
        "{office}"
    );
    let (_, unit) = jinjiang.get("/api/notices?unread=true");
    assert_eq!(unit["items"].as_array().unwrap().len(), 1, "{unit}");
    assert_eq!(unit["items"][0]["kind"], "returned");
    assert_eq!(unit["items"][0]["href"], "/report");
    assert!(
        unit["items"][0]["text_zh"]
            .as_str()
            .unwrap()
            .contains("请核实来源")
    );
    for other in [&qingyang, &leader] {
        let (_, theirs) = other.get("/api/notices");
        assert_eq!(theirs, json!({"items": [], "unread": 0}));
    }
    let (status, _) = planner.get("/api/notices?unread=maybe");
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Only one's own is marked read.
    let notice = submitted["id"].as_i64().unwrap();
    let mark = format!("/api/notices/{notice}/read");
    let (status, body) = jinjiang.post(&mark, json!({}));
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = planner.post("/api/notices/999999/read", json!({}));
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = planner.post(&mark, json!({}));
    assert_eq!((status, &body), (StatusCode::OK, &json!({"marked": 1})));
    let (_, office) = planner.get("/api/notices?unread=true");
    assert_eq!(office, json!({"items": [], "unread": 0}));
    let (_, office) = planner.get("/api/notices");
    assert!(office["items"][0]["read_at"].is_string(), "{office}");

    // The bell in a page, and the 通知 page's "mark all read" (a form with the CSRF token).
    let (cookie, csrf) = sign_in(&server, "jinjiang");
    bell_soon(&server, &cookie, "/", Some(1));
    let listed = page(&server, &cookie, "/notices");
    assert!(
        listed.contains("请核实来源") && listed.contains("href=\"&#x2f;report\""),
        "{listed}"
    );
    let marked = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.url("/notices/read"))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &server.base)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("csrf_token={csrf}"))
        .send()
        .unwrap();
    assert_eq!(marked.status(), StatusCode::SEE_OTHER);
    bell_soon(&server, &cookie, "/", None);
    let (_, unit) = jinjiang.get("/api/notices");
    assert_eq!(unit["unread"], 0, "{unit}");
    // Without the token the form is refused.
    let refused = Client::new()
        .post(server.url("/notices/read"))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &server.base)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("csrf_token=wrong")
        .send()
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Both mails at the sink: to whom, the subject, the Chinese text.
    let mails = sink.wait_for(2, Duration::from_secs(20));
    assert_eq!(mails.len(), 2, "{mails:?}");
    let to = |address: &str| {
        mails
            .iter()
            .find(|(head, _)| header(head, "To") == address)
            .unwrap_or_else(|| panic!("no mail to {address}: {mails:?}"))
    };
    let (head, body) = to("plan-office@example.org");
    assert_eq!(header(head, "From"), "planwatch@example.org");
    assert!(
        header(head, "Subject").contains(&format!("第 {id} 号报送待审核")),
        "{head}"
    );
    assert!(
        body.contains(&format!("锦江区提交了第 {id} 号报送")),
        "{body}"
    );
    let (head, body) = to("jinjiang@example.org");
    assert!(header(head, "Subject").contains("被退回"), "{head}");
    assert!(body.contains("被退回：请核实来源"), "{body}");
    // qingyang has an address but no notice: no mail.
    assert!(!mails.iter().any(|(head, _)| head.contains("qingyang@")));
    drop(server);
    drop(sink);
    drop(store);
}

#[test]
fn notices_tell_each_side_in_the_api_the_bell_and_by_mail_on_sqlite() {
    cycle(false);
}

#[test]
fn notices_tell_each_side_in_the_api_the_bell_and_by_mail_on_postgres() {
    cycle(true);
}

/// The relay is down when the unit submits: the submission goes through, and the mail goes out
/// once the relay is back (retried every second here, `--smtp-retry 1`).
#[test]
fn a_relay_that_is_down_fails_no_move_and_gets_the_mail_later() {
    let Some((python, store)) = mailing_store(false) else {
        return;
    };
    let port = free_port();
    let relay = format!("smtp://127.0.0.1:{port}");
    let server = Server::start(&store.db, &["--smtp", &relay, "--smtp-retry", "1"]);
    let jinjiang = As {
        server: &server,
        token: token(&store, "jinjiang-down", "jinjiang"),
    };
    let started = Instant::now();
    let (status, created) = jinjiang.post(
        "/api/submissions",
        json!({"unit": "510104", "rows": [
            {"indicator": "retail_sales", "region": "510104", "period": "2024", "value": 9.5}
        ]}),
    );
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Tried and failed (nothing listens), then the relay comes up.
    std::thread::sleep(Duration::from_millis(1500));
    let sink = Sink::start(&python, port);
    let mails = sink.wait_for(1, Duration::from_secs(30));
    assert_eq!(header(&mails[0].0, "To"), "plan-office@example.org");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(sink.messages().len(), 1, "sent once");
}

/// A sweep on 26 March 2025 tells 锦江区's reporters of its 2024 figures due on the 31st —
/// but not of those the sample data publishes already —, once.
fn the_sweep(postgres: bool) {
    let store: Accounts = chengdu_store(postgres);
    add_user(&store, "jinjiang2", "reporter", &["510104"]);
    let first = store.ok(&["notices", "sweep", "--date", "2025-03-26"], None);
    let written = |out: &str| -> u64 {
        out.split("新写入通知 ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no count in {out}"))
    };
    assert!(written(&first) > 0, "{first}");
    let again = store.ok(&["notices", "sweep", "--date", "2025-03-26"], None);
    assert_eq!(written(&again), 0, "{again}");
    let bad = crate::planwatch(&["--db", &store.db, "notices", "sweep", "--date", "26.3.2025"]);
    assert_eq!(bad.status.code(), Some(2), "a bad date is a usage error");
    let log = store.ok(
        &["audit", "--action", "notice.sweep", "--format", "json"],
        None,
    );
    assert_eq!(log.matches("notice.sweep").count(), 1, "{log}");

    // What 锦江区's reporter was told of 2024's yearly figures (the server's own sweep, on the
    // real day, is long past them).
    let server = Server::start(&store.db, &[]);
    let reporter = token(&store, "jinjiang2-notices", "jinjiang2");
    let notices: Value = Client::new()
        .get(server.url("/api/notices"))
        .header(AUTHORIZATION, format!("Bearer {reporter}"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let mut told: Vec<(&str, &str)> = notices["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["period"] == "2024")
        .map(|n| {
            (
                n["indicator"].as_str().unwrap(),
                n["kind"].as_str().unwrap(),
            )
        })
        .collect();
    told.sort();
    // GDP and tourism revenue are owed; retail sales and services value added are published.
    assert_eq!(
        told,
        [("gdp", "due_soon"), ("tourism_revenue", "due_soon")],
        "{notices}"
    );
}

#[test]
fn the_sweep_writes_each_deadline_notice_once_on_sqlite() {
    the_sweep(false);
}

#[test]
fn the_sweep_writes_each_deadline_notice_once_on_postgres() {
    the_sweep(true);
}

/// A bad `--smtp` is a usage error that names the fault without the password.
#[test]
fn a_bad_relay_url_is_refused_without_showing_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let db = db.to_str().unwrap();
    for url in [
        "smtps://notices:s3cret@mail.example.org?tls=maybe",
        "imap://notices:s3cret@mail.example.org",
    ] {
        let refused = crate::planwatch(&["--db", db, "serve", "--smtp", url]);
        let said = crate::stderr(&refused);
        assert_eq!(refused.status.code(), Some(2), "{said}");
        assert!(
            said.contains("notices:***@mail.example.org") && !said.contains("s3cret"),
            "{said}"
        );
    }
}
