//! Progress reports on tasks and key projects (issue 14) on SQLite and PostgreSQL: the whole
//! cycle on the command line — another unit refused, an evidence file over the limit refused,
//! created, returned, submitted again as version 2, four eyes, approved by another planner —
//! with its audit entries, the status of the task moving only once the report is approved; and
//! the sample data's statuses on a fixed day, every task status among them.

use std::collections::BTreeMap;
use std::process::Output;

use crate::workflow::ok;
use crate::{fresh_postgres, planwatch, repo_root, stderr, stdout};

/// `planwatch --db DB ARGS` as the OS user `user`.
fn run(db: &str, user: &str, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_planwatch"))
        .args(["--db", db])
        .args(args)
        .env("USER", user)
        .output()
        .expect("the planwatch binary runs")
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(output)).unwrap()
}

/// The status code of task `seq` in `tasks list --format json` on `date` (today when `None`).
fn task_status(db: &str, seq: &str, date: Option<&str>) -> String {
    let mut args = vec!["tasks", "list", "--year", "2024", "--format", "json"];
    if let Some(date) = date {
        args.extend(["--date", date]);
    }
    let tasks = json(&run(db, "ops", &args));
    let task = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["seq"] == seq)
        .unwrap()
        .clone();
    task["status"]["status"].as_str().unwrap().to_owned()
}

fn cycle(db: &str, dir: &std::path::Path) {
    ok(&run(db, "ops", &["init"]));
    let sheet = repo_root().join("data/chengdu-tasks-2024.csv");
    ok(&run(
        db,
        "ops",
        &["tasks", "import", sheet.to_str().unwrap(), "--year", "2024"],
    ));
    let tasks = json(&run(
        db,
        "ops",
        &["tasks", "list", "--year", "2024", "--format", "json"],
    ));
    let task = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["seq"] == "41")
        .unwrap();
    let id = task["id"].as_i64().unwrap().to_string();
    assert_eq!(task["lead"][0]["code"], "commerce");
    // Before any report, long past its deadline: overdue.
    assert_eq!(task_status(db, "41", None), "overdue");

    let submit = |user: &str, unit: &str, extra: &[&str]| {
        let mut args = vec![
            "progress",
            "submit",
            "--task",
            id.as_str(),
            "--period",
            "2024Q4",
            "--unit",
            unit,
        ];
        args.extend_from_slice(extra);
        run(db, user, &args)
    };
    // A unit that neither leads the task nor is responsible for it.
    let other = submit("alice", "510104", &["--progress", "50%"]);
    assert_eq!(other.status.code(), Some(1));
    assert!(
        stderr(&other).contains("不是“") && stderr(&other).contains("cannot report its progress"),
        "{}",
        stderr(&other)
    );
    // An evidence file over 10 MiB: refused, the report kept as a draft, then withdrawn.
    let big = dir.join("big.pdf");
    std::fs::write(&big, vec![0u8; 10 * 1024 * 1024 + 1]).unwrap();
    let refused = submit(
        "alice",
        "commerce",
        &["--progress", "50%", "--evidence", big.to_str().unwrap()],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("10 MiB"), "{}", stderr(&refused));
    std::fs::remove_file(&big).unwrap();
    let drafts = json(&run(
        db,
        "ops",
        &["progress", "list", "--status", "draft", "--format", "json"],
    ));
    let draft = drafts[0]["id"].as_i64().unwrap().to_string();
    ok(&run(db, "alice", &["progress", "withdraw", &draft]));

    // Created with a small evidence file, submitted.
    let photo = dir.join("现场照片.png");
    std::fs::write(&photo, b"\x89PNG evidence").unwrap();
    ok(&submit(
        "alice",
        "commerce",
        &[
            "--progress",
            "已完成",
            "--text",
            "已完成",
            "--evidence",
            photo.to_str().unwrap(),
        ],
    ));
    let waiting = json(&run(
        db,
        "ops",
        &[
            "progress",
            "list",
            "--status",
            "submitted",
            "--format",
            "json",
        ],
    ));
    assert_eq!(waiting.as_array().unwrap().len(), 1);
    let report = waiting[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(waiting[0]["content"]["progress"], "已完成");
    // Not approved: the status is unmoved.
    assert_eq!(task_status(db, "41", None), "overdue");

    // Returned, submitted again as version 2; the submitter cannot approve it (four eyes).
    ok(&run(
        db,
        "bob",
        &[
            "progress",
            "return",
            &report,
            "--comment",
            "请补充证明材料说明",
        ],
    ));
    let again = ok(&run(
        db,
        "alice",
        &[
            "progress",
            "send",
            &report,
            "--text",
            "已完成，证明材料见附件",
        ],
    ));
    assert!(again.contains("version 2"), "{again}");
    let own = run(db, "alice", &["progress", "approve", &report]);
    assert_eq!(own.status.code(), Some(1));
    assert!(stderr(&own).contains("双人复核"), "{}", stderr(&own));
    assert_eq!(task_status(db, "41", None), "overdue");
    ok(&run(
        db,
        "bob",
        &["progress", "approve", &report, "--comment", "同意"],
    ));
    assert_eq!(task_status(db, "41", None), "done");

    let shown = ok(&run(db, "ops", &["progress", "show", &report]));
    assert!(shown.contains("v1:") && shown.contains("v2:"), "{shown}");
    assert!(shown.contains("请补充证明材料说明"), "{shown}");
    assert!(shown.contains("现场照片.png"), "{shown}");
    let audit = ok(&run(db, "ops", &["audit", "--format", "json"]));
    for action in [
        "progress.create",
        "progress.evidence",
        "progress.withdraw",
        "progress.submit",
        "progress.return",
        "progress.edit",
        "progress.approve",
    ] {
        assert!(audit.contains(action), "{action} audited");
    }
}

#[test]
fn progress_cycle_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    cycle(db.to_str().unwrap(), dir.path());
}

#[test]
fn progress_cycle_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    cycle(&fresh_postgres("progress"), dir.path());
}

/// `COMMAND list --year 2024 --date 2024-11-15 --format json` on the sample store: 序号 → status.
fn statuses(db: &str, command: &str) -> BTreeMap<String, String> {
    let listed = planwatch(&[
        "--db",
        db,
        command,
        "list",
        "--year",
        "2024",
        "--date",
        "2024-11-15",
        "--format",
        "json",
    ]);
    json(&listed)
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["seq"].as_str().unwrap().to_owned(),
                i["status"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `init --sample-data` loads data/chengdu-progress-2024.csv as approved reports: on
/// 2024-11-15 every task status appears, and the projects' statuses follow their reports.
#[test]
fn the_sample_progress_gives_every_status_on_a_fixed_day() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let db = db.to_str().unwrap();
    let init = planwatch(&["--db", db, "init", "--sample-data"]);
    assert!(init.status.success(), "{}", stderr(&init));
    assert!(stdout(&init).contains("approved progress reports"));

    let tasks = statuses(db, "tasks");
    for (seq, status) in [
        ("27", "done"),
        ("55", "done"),
        ("41", "on_schedule"),
        ("1", "on_schedule"),
        ("7", "on_schedule"),
        ("12", "not_started"),
        ("39", "lagging"),
        ("9", "not_reported"),
        ("15", "serious"),
        ("26", "overdue"),
    ] {
        assert_eq!(tasks[seq], status, "task {seq}");
    }
    let all: std::collections::BTreeSet<&str> = tasks.values().map(String::as_str).collect();
    assert_eq!(all.len(), 7, "every task status: {all:?}");

    let projects = statuses(db, "projects");
    for (seq, status) in [
        ("1", "on_schedule"),
        ("2", "lagging"),
        ("3", "serious"),
        ("6", "serious"),
        ("12", "done"),
        ("19", "overdue"),
        ("4", "not_reported"),
    ] {
        assert_eq!(projects[seq], status, "project {seq}");
    }

    // The filter by status, in Chinese or by code, and the status column of the CSV.
    let lagging = planwatch(&[
        "--db",
        db,
        "tasks",
        "list",
        "--status",
        "进度滞后",
        "--date",
        "2024-11-15",
        "--format",
        "csv",
    ]);
    let text = ok(&lagging);
    assert!(text.lines().next().unwrap().contains("状态 status"));
    assert!(
        text.lines().skip(1).all(|l| l.contains("进度滞后")),
        "{text}"
    );
    let by_code = planwatch(&[
        "--db",
        db,
        "projects",
        "list",
        "--status",
        "overdue",
        "--date",
        "2024-11-15",
        "--format",
        "json",
    ]);
    let overdue = json(&by_code);
    assert!(overdue.as_array().unwrap().iter().any(|p| p["seq"] == "19"));
    assert!(
        overdue
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"]["status"] == "overdue")
    );
}
