//! Moving and keeping the data with the binary (issue 16): the sample store migrated SQLite →
//! PostgreSQL → SQLite exports byte for byte the same (latest and as of a past day), its audit
//! log verifies, a target with data is refused unless `--force`; a backup of each backend
//! verifies and restores into the other.

use crate::{fresh_postgres, planwatch, stderr, stdout};

fn ok(args: &[&str]) -> String {
    let output = planwatch(args);
    assert!(
        output.status.success(),
        "planwatch {args:?}: {}",
        stderr(&output)
    );
    stdout(&output)
}

fn exports(db: &str) -> (String, String) {
    (
        ok(&["--db", db, "export"]),
        ok(&["--db", db, "export", "--as-of", "2024-06-30"]),
    )
}

#[test]
fn migrate_there_and_back_backup_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (source, back) = (path("source.db"), path("back.db"));
    ok(&["--db", &source, "init", "--sample-data"]);
    let postgres = fresh_postgres("keep");

    let said = ok(&[
        "migrate",
        "--from",
        &format!("sqlite:{source}"),
        "--to",
        &postgres,
    ]);
    assert!(said.contains("verified: 36 tables"), "{said}");
    assert!(said.contains("│ observations"), "{said}");
    assert!(!said.contains("differs"), "{said}");
    ok(&[
        "migrate",
        "--from",
        &postgres,
        "--to",
        &format!("sqlite://{back}"),
    ]);
    let (latest, past) = exports(&source);
    assert!(latest.lines().count() > 500, "{latest}");
    assert!(past.lines().count() > 1, "{past}");
    assert_eq!(exports(&back), (latest.clone(), past.clone()));
    assert_eq!(exports(&postgres), (latest.clone(), past));
    for db in [&back, &postgres] {
        let verified = ok(&["--db", db, "audit", "verify"]);
        assert!(verified.contains("intact"), "{verified}");
        let log = ok(&[
            "--db",
            db,
            "audit",
            "--action",
            "store.migrate",
            "--format",
            "csv",
        ]);
        assert!(log.contains("store.migrate"), "{log}");
    }

    // A target with data: refused (exit 1, nothing changed), replaced with --force.
    let refused = planwatch(&["migrate", "--from", &source, "--to", &back]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    ok(&["migrate", "--from", &source, "--to", &back, "--force"]);
    assert_eq!(exports(&back).0, latest);

    // Backups of each backend, verified, restored into the other.
    let (sqlite_backup, pg_backup) = (path("sqlite.backup"), path("pg.backup"));
    ok(&["--db", &source, "backup", &sqlite_backup]);
    ok(&["--db", &postgres, "backup", &pg_backup]);
    for file in [&sqlite_backup, &pg_backup] {
        let verified = ok(&["backup", "--verify", file]);
        assert!(verified.contains("the backup is intact"), "{verified}");
    }
    let refused = planwatch(&["--db", &source, "backup", &sqlite_backup]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let restored = path("restored.db");
    ok(&["--db", &restored, "restore", &pg_backup]);
    assert_eq!(exports(&restored).0, latest);
    assert!(ok(&["--db", &restored, "audit", "verify"]).contains("intact"));
    let refused = planwatch(&["--db", &postgres, "restore", &sqlite_backup]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    ok(&["--db", &postgres, "restore", &sqlite_backup, "--force"]);
    assert_eq!(exports(&postgres).0, latest);
    assert!(ok(&["--db", &postgres, "audit", "verify"]).contains("intact"));
}
