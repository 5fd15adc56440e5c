//! `planwatch user`, `token` and `audit` against real stores, SQLite and PostgreSQL: every change
//! audited as `cli:<OS user>`, passwords never shown, the audit chain verified after a row is
//! altered by hand.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::{repo_root, stderr, stdout};

/// The OS user the tests run `planwatch` as.
const OS_USER: &str = "auditor";

/// A store with a plan, managed from the command line.
pub(crate) struct Accounts {
    pub(crate) db: String,
    _dir: tempfile::TempDir,
}

impl Accounts {
    fn sqlite() -> Accounts {
        let plan = repo_root().join("plans/example-minimal.toml");
        Accounts::sqlite_with(&["init", "--plan", plan.to_str().unwrap()])
    }

    fn postgres() -> Accounts {
        let plan = repo_root().join("plans/example-minimal.toml");
        Accounts::postgres_with(&["init", "--plan", plan.to_str().unwrap()])
    }

    /// An SQLite store made by `planwatch init ARGS…` (`init_args` begins with `init`).
    pub(crate) fn sqlite_with(init_args: &[&str]) -> Accounts {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("store.db").to_str().unwrap().to_owned();
        Accounts::init(dir, db, init_args)
    }

    /// A fresh PostgreSQL store made by `planwatch init ARGS…`.
    pub(crate) fn postgres_with(init_args: &[&str]) -> Accounts {
        Accounts::init(
            tempfile::tempdir().unwrap(),
            crate::fresh_postgres("accounts"),
            init_args,
        )
    }

    fn init(dir: tempfile::TempDir, db: String, init_args: &[&str]) -> Accounts {
        let store = Accounts { db, _dir: dir };
        let output = store.run(init_args, None);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(
            stdout(&output).contains("user add admin --role admin"),
            "init tells how to create the first admin: {}",
            stdout(&output)
        );
        store
    }

    /// Runs `planwatch --db DB ARGS` as [`OS_USER`], with `input` on stdin.
    fn run(&self, args: &[&str], input: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_planwatch"))
            .args(["--db", self.db.as_str()])
            .args(args)
            .env("USER", OS_USER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the planwatch binary runs");
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(input.unwrap_or_default().as_bytes())
            .unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    }

    #[track_caller]
    pub(crate) fn ok(&self, args: &[&str], input: Option<&str>) -> String {
        let output = self.run(args, input);
        assert!(
            output.status.success(),
            "{args:?}: {}{}",
            stdout(&output),
            stderr(&output)
        );
        stdout(&output)
    }

    /// Runs a command that must be refused (exit 1) and returns its stderr.
    #[track_caller]
    fn refused(&self, args: &[&str], input: Option<&str>) -> String {
        let output = self.run(args, input);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&output)
        );
        stderr(&output)
    }

    pub(crate) fn audit_json(&self, extra: &[&str]) -> Vec<serde_json::Value> {
        let mut args = vec!["audit", "--format", "json"];
        args.extend_from_slice(extra);
        serde_json::from_str(&self.ok(&args, None)).unwrap()
    }

    /// Runs SQL on the store's database directly, as someone with access to it would.
    pub(crate) fn sql(&self, sql: &str) {
        let status = if self.db.starts_with("postgres") {
            Command::new("psql")
                .args([self.db.as_str(), "-qc", sql])
                .status()
        } else {
            Command::new("sqlite3")
                .args([self.db.as_str(), sql])
                .status()
        };
        assert!(status.unwrap().success(), "{sql}");
    }
}

/// The arguments of a command line without quoted spaces.
fn words(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

fn accounts_tokens_and_audit(store: &Accounts) {
    // A generated password, printed once on stdout and nowhere else.
    let output = store.run(&["user", "add", "admin", "--role", "admin"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let generated = stdout(&output).trim().to_owned();
    assert_eq!(generated.len(), 29, "{generated}");
    assert!(!stderr(&output).contains(&generated));

    // Passwords on stdin: checked, never echoed, never audited.
    let weak = "password1234";
    let error = store.refused(
        &words("user add east --role reporter --unit 440103 --password-stdin"),
        Some(&format!("{weak}\n")),
    );
    assert!(
        error.contains("common password") && !error.contains(weak),
        "{error}"
    );
    let strong = "lantern-Orchid-47-river";
    let output = store.run(
        &words("user add east --role reporter --unit 440103 --unit statistics --display-name 东区统计员 --password-stdin"),
        Some(&format!("{strong}\n")),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stdout(&output).contains(strong) && !stderr(&output).contains(strong));
    store.refused(&["user", "add", "east", "--role", "viewer"], None);

    // Units are codes of the plan: names are refused with the code to use.
    let error = store.refused(
        &["user", "add", "x", "--role", "reporter", "--unit", "东区"],
        None,
    );
    assert!(error.contains("use its code 440103"), "{error}");
    let error = store.refused(&words("user add x --role reporter --unit 市统计局"), None);
    assert!(error.contains("use its code statistics"), "{error}");
    let error = store.refused(&["user", "add", "x", "--role", "reporter"], None);
    assert!(error.contains("at least one unit"), "{error}");
    let error = store.refused(
        &["user", "add", "x", "--role", "viewer", "--unit", "440103"],
        None,
    );
    assert!(error.contains("only reporters have units"), "{error}");

    let users: serde_json::Value =
        serde_json::from_str(&store.ok(&["user", "list", "--format", "json"], None)).unwrap();
    assert_eq!(users[1]["name"], "east");
    assert_eq!(users[1]["display_name"], "东区统计员");
    assert_eq!(
        users[1]["units"],
        serde_json::json!([
            { "kind": "department", "code": "statistics" },
            { "kind": "region", "code": "440103" }
        ])
    );

    store.ok(
        &["user", "set-role", "east", "reporter", "--unit", "newtown"],
        None,
    );
    store.ok(&["user", "disable", "east"], None);
    store.ok(&["user", "enable", "east"], None);
    store.ok(
        &["user", "passwd", "east", "--password-stdin"],
        Some("another-Long-pass-88\n"),
    );
    store.refused(&["user", "disable", "nobody"], None);

    // Tokens: the secret printed once, then never again.
    let token = store.ok(&words("token create etl --user east --expires 30"), None);
    let token = token.trim();
    assert!(planwatch_access::looks_like_token(token), "{token}");
    let list = store.ok(&["token", "list"], None);
    assert!(list.contains("etl") && !list.contains(token), "{list}");
    store.refused(&["token", "create", "etl", "--user", "east"], None);
    store.ok(&["token", "revoke", "etl"], None);
    store.refused(&["token", "revoke", "etl"], None);

    // Every change, by cli:<OS user>, and nothing secret in it.
    let log = store.audit_json(&[]);
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "user.add",
            "user.add",
            "user.set_role",
            "user.disable",
            "user.enable",
            "user.passwd",
            "token.create",
            "token.revoke"
        ]
    );
    assert!(
        log.iter()
            .all(|e| e["actor"] == "cli:auditor" && e["role"] == "admin")
    );
    assert_eq!(
        log[2]["details"]["after"],
        serde_json::json!({ "role": "reporter", "units": [{ "kind": "region", "code": "newtown" }] })
    );
    let text = serde_json::to_string(&log).unwrap();
    for secret in [generated.as_str(), strong, token, "argon2"] {
        assert!(!text.contains(secret), "{secret} in the audit log");
    }
    assert_eq!(store.audit_json(&["--action", "user.add"]).len(), 2);
    assert_eq!(store.audit_json(&["--actor", "someone"]).len(), 0);
    assert_eq!(store.audit_json(&["--since", "2999-01-01"]).len(), 0);
    let csv = store.ok(
        &["audit", "--format", "csv", "--action", "token.create"],
        None,
    );
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.starts_with("id,at,actor,role,action,object,details,client"));
    let verified = store.ok(&["audit", "verify"], None);
    assert!(verified.contains("8 条 entries"), "{verified}");

    // An entry altered by hand is named.
    if store.db.starts_with("postgres") {
        store.sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change");
    } else {
        store.sql("DROP TRIGGER audit_log_no_update");
    }
    store.sql("UPDATE audit_log SET actor = 'cli:nobody' WHERE id = 4");
    let error = store.refused(&["audit", "verify"], None);
    assert!(error.contains("audit entry 4 was altered"), "{error}");
}

#[test]
fn accounts_tokens_and_audit_on_sqlite() {
    accounts_tokens_and_audit(&Accounts::sqlite());
}

#[test]
fn accounts_tokens_and_audit_on_postgres() {
    accounts_tokens_and_audit(&Accounts::postgres());
}
