//! The OpenAPI description against the real server: schemathesis (pinned in
//! scripts/python-requirements.txt, installed into .venv-ci/ by scripts/setup-python) sends
//! requests the document admits, and requests it does not, and runs every check on the
//! answers (`--checks all`): what the document admits is answered, what it does not is
//! refused, and the answers are as described. A bounded number of examples with a fixed seed,
//! on SQLite and on PostgreSQL.
//!
//! Without the tool the test is skipped with a notice, except under CI (`CI` set), where it
//! fails instead.

use std::path::PathBuf;
use std::process::Command;

use crate::accounts::Accounts;
use crate::{Server, repo_root};

/// Examples per operation: enough to cover each parameter's boundaries, quick on 2 cores.
const EXAMPLES: &str = "40";

fn schemathesis() -> Option<PathBuf> {
    let tool = repo_root().join(".venv-ci/bin/schemathesis");
    if tool.exists() {
        return Some(tool);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing under CI: run scripts/setup-python",
            tool.display()
        );
    }
    eprintln!("skipped: schemathesis not installed (scripts/setup-python)");
    None
}

/// Runs schemathesis as an administrator (an API token), so that the operations for signed-in
/// callers (`GET /api/session`, `/api/audit`) are answered rather than refused; signing out
/// (`DELETE /api/session`) is left to the session tests, since a token has no session to end.
fn schemathesis_checks(store: &Accounts) {
    let Some(tool) = schemathesis() else {
        return;
    };
    store.ok(
        &[
            "user",
            "add",
            "admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("a long passphrase 4 schemathesis"),
    );
    let created = store.ok(
        &["token", "create", "schemathesis", "--user", "admin"],
        None,
    );
    let token = created
        .split_whitespace()
        .find(|w| w.starts_with("pwt_"))
        .expect("a token");
    let server = Server::start(&store.db, &[]);
    // Its example database and reports go to a directory of its own.
    let work = tempfile::tempdir().unwrap();
    // A submission's rows are checked against the plan (bounds, the unit's scope, the same key
    // twice), which a schema cannot say: rows the document admits may be refused with 422 (the
    // other answers are schemathesis's defaults), and most generated rows are (a warning). The
    // submission ids it makes up are mostly of none (404: another warning), and so are the
    // notice ids. A progress report's content is checked against its task or project (which
    // the ids it makes up are mostly not): 422 or 404 as well; so are the 督办单 ids (the
    // matrix's store holds no supervision records). The assessment's bonus, deduction and
    // freeze are refused by its rules (over the cap, a blank reason: 400; a frozen year: 409)
    // where the schema cannot say.
    std::fs::write(
        work.path().join("schemathesis.toml"),
        "[[operations]]\ninclude-name = \"POST /api/submissions\"\nwarnings = false\n\
         checks.positive_data_acceptance.expected-statuses = \
         [\"2xx\", \"3xx\", 401, 403, 404, 409, 422, 429, \"5xx\"]\n\
         [[operations]]\ninclude-path-regex = \"^/api/submissions/\"\nwarnings = false\n\
         [[operations]]\ninclude-path-regex = \"^/api/progress\"\nwarnings = false\n\
         checks.positive_data_acceptance.expected-statuses = \
         [\"2xx\", \"3xx\", 401, 403, 404, 409, 422, 429, \"5xx\"]\n\
         [[operations]]\ninclude-path-regex = \"^/api/notices/.+/read$\"\nwarnings = false\n\
         [[operations]]\ninclude-path-regex = \"^/api/supervision/orders/\"\nwarnings = false\n\
         [[operations]]\ninclude-path-regex = \"^/api/scores/(adjustments|freeze)$\"\nwarnings = false\n\
         checks.positive_data_acceptance.expected-statuses = [\"2xx\", 400, 401, 403, 409]\n",
    )
    .unwrap();
    let output = Command::new(tool)
        .current_dir(work.path())
        .args([
            "run",
            &server.url("/api/openapi.json"),
            "--checks",
            "all",
            "--max-examples",
            EXAMPLES,
            "--seed",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--exclude-method",
            "DELETE",
            // schemathesis gives up on an answer after 10 s, and `--checks all` fails one
            // slower than 10 s; a report rendered as PDF by a debug build on a loaded 2-core
            // machine can take longer. What is checked here is that the server and its
            // description agree; the reports' speed is bench/report.sh's.
            "--request-timeout",
            "60",
            "--max-response-time",
            "60",
        ])
        .output()
        .expect("schemathesis runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found the API and its description out of step:\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("No issues found"), "{text}");
}

#[test]
fn the_openapi_document_and_the_server_agree_on_sqlite() {
    schemathesis_checks(&Accounts::sqlite_with(&["init", "--sample-data"]));
}

#[test]
fn the_openapi_document_and_the_server_agree_on_postgres() {
    schemathesis_checks(&Accounts::postgres_with(&["init", "--sample-data"]));
}
