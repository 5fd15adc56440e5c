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
        let store = Accounts::empty(dir, db);
        let output = store.run(init_args, None);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(
            stdout(&output).contains("user add admin --role admin"),
            "init tells how to create the first admin: {}",
            stdout(&output)
        );
        store
    }

    /// A store not yet initialised.
    fn empty(dir: tempfile::TempDir, db: String) -> Accounts {
        Accounts { db, _dir: dir }
    }

    /// Runs `planwatch --db DB ARGS` as [`OS_USER`], with `input` on stdin.
    fn run(&self, args: &[&str], input: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_planwatch"))
            .args(["--db", self.db.as_str()])
            .args(args)
            .env("USER", OS_USER)
            .env("PLANWATCH_HOME", repo_root())
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
            "plan.load",
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
        log[3]["details"]["after"],
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
    assert!(verified.contains("9 条 entries"), "{verified}");

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

/// The actions of the audit log, in order.
fn actions(log: &[serde_json::Value]) -> Vec<&str> {
    log.iter().map(|e| e["action"].as_str().unwrap()).collect()
}

/// The log holds the sample's load and nothing else: the plan, its three files, the district
/// targets split from them, the year's task sheet, all by `actor` acting as an administrator.
#[track_caller]
fn assert_sample_load(log: &[serde_json::Value], actor: &str) {
    assert_eq!(
        actions(log),
        [
            "plan.load",
            "observations.import",
            "observations.import",
            "observations.import",
            "targets.load",
            "tasks.import",
            "projects.import",
            "progress.import"
        ]
    );
    assert!(
        log.iter()
            .all(|e| e["actor"] == actor && e["role"] == "admin"),
        "{log:?}"
    );
}

/// SHA-256 of a file, hexadecimal.
fn sha256(path: &std::path::Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(std::fs::read(path).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A working session on the Chengdu plan: `init --sample-data`, an import, a refused import and
/// a dry run, new district targets, an assessment. Each change leaves one entry by
/// `cli:<OS user>`; what changed nothing leaves none; the chain verifies.
fn a_session_is_audited(store: &Accounts) {
    let dir = tempfile::tempdir().unwrap();
    let out = store.ok(&["init", "--sample-data"], None);
    assert!(out.contains("district targets"), "{out}");
    let log = store.audit_json(&[]);
    assert_sample_load(&log, "cli:auditor");
    let sample = &log[3]["details"];
    assert_eq!(sample["file"], "chengdu-sample.csv");
    assert_eq!(
        sample["sha256"],
        sha256(&repo_root().join("data/chengdu-sample.csv"))
    );
    assert_eq!(sample["imported_by"], "planwatch init");
    assert_eq!(log[1]["details"]["known_since"], "2020-03-31");

    // An import: one value revised, one new, one as stored.
    let file = dir.path().join("revised.csv");
    std::fs::write(
        &file,
        "indicator,region,period,value,unit,status\n\
         cross_border_ecommerce,成都市,2025,1450,亿元,final\n\
         cross_border_ecommerce,成都市,2019,700,亿元,final\n\
         cross_border_ecommerce,成都市,2024,1007.25,亿元,estimated\n",
    )
    .unwrap();
    let before = store.audit_json(&[]).len();
    // A file with an error, and a dry run: nothing changes, nothing is audited.
    let broken = dir.path().join("broken.csv");
    std::fs::write(
        &broken,
        "indicator,region,period,value,unit\nno_such_indicator,成都市,2025,1,亿元\n",
    )
    .unwrap();
    store.refused(&["import", broken.to_str().unwrap()], None);
    store.ok(&["import", file.to_str().unwrap(), "--dry-run"], None);
    assert_eq!(store.audit_json(&[]).len(), before);
    store.ok(&["import", file.to_str().unwrap()], None);
    let imported = store.audit_json(&["--action", "observations.import"]);
    let details = &imported.last().unwrap()["details"];
    assert_eq!(details["file"], file.to_str().unwrap());
    assert_eq!(details["sha256"], sha256(&file));
    let counts: Vec<&serde_json::Value> = ["rows", "new", "revised", "unchanged"]
        .iter()
        .map(|k| &details[k])
        .collect();
    assert_eq!(counts, [3, 1, 1, 1]);

    // The district targets in force, loaded again as a new set: the set before and after.
    let targets = dir.path().join("targets.csv");
    std::fs::write(&targets, store.ok(&["targets", "show"], None)).unwrap();
    store.ok(&["targets", "load", targets.to_str().unwrap()], None);
    // An assessment.
    store.ok(
        &words("assess health_services_level --year 2024 --text 居全国副省级城市前列"),
        None,
    );
    let log = store.audit_json(&[]);
    assert_eq!(
        actions(&log[before..]),
        ["observations.import", "targets.load", "assessment.add"]
    );
    let targets = &log[before + 1]["details"];
    assert_eq!(targets["before"]["set"], log[4]["details"]["after"]["set"]);
    assert_eq!(targets["after"]["set_by"], "auditor");
    assert_eq!(targets["before"]["rows"], targets["after"]["rows"]);
    assert_eq!(targets["changed"], serde_json::json!([]));
    assert_eq!(
        log[before + 2]["details"]["after"]["text"],
        "居全国副省级城市前列"
    );
    assert!(
        log.iter()
            .all(|e| e["actor"] == "cli:auditor" && e["role"] == "admin")
    );
    let verified = store.ok(&["audit", "verify"], None);
    assert!(
        verified.contains(&format!("{} 条 entries", log.len())),
        "{verified}"
    );
}

#[test]
fn a_session_is_audited_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db").to_str().unwrap().to_owned();
    a_session_is_audited(&Accounts::empty(dir, db));
}

#[test]
fn a_session_is_audited_on_postgres() {
    a_session_is_audited(&Accounts::empty(
        tempfile::tempdir().unwrap(),
        crate::fresh_postgres("session"),
    ));
}

/// The server's first start gives an empty store the Chengdu plan and the sample data as
/// `system:first-start`, audited like any other change.
#[test]
fn the_first_start_is_audited_as_the_system() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db").to_str().unwrap().to_owned();
    let server = crate::Server::start(&db, &[]);
    assert!(server.terminate().success());
    let store = Accounts::empty(dir, db);
    let log = store.audit_json(&[]);
    assert_sample_load(&log, "system:first-start");
    store.ok(&["audit", "verify"], None);
}
