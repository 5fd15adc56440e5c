//! `planwatch submissions` and `planwatch period` on SQLite and PostgreSQL: a submission created
//! on behalf of a unit (every problem at once, rows outside the unit's scope among them),
//! returned, approved by another OS user (four eyes), a locked period refusing an import
//! without `--revise --reason`.

use std::process::{Command, Output};

use crate::{repo_root, stderr, stdout};

struct Store {
    db: String,
    dir: tempfile::TempDir,
}

impl Store {
    fn new(db: Option<String>) -> Store {
        let dir = tempfile::tempdir().unwrap();
        let db = db.unwrap_or_else(|| dir.path().join("store.db").to_str().unwrap().to_owned());
        let store = Store { db, dir };
        let plan = repo_root().join("plans/example-minimal.toml");
        let output = store.run("ops", &["init", "--plan", plan.to_str().unwrap()]);
        assert!(output.status.success(), "{}", stderr(&output));
        store
    }

    /// `planwatch --db DB ARGS` as the OS user `user`.
    fn run(&self, user: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_planwatch"))
            .args(["--db", self.db.as_str()])
            .args(args)
            .env("USER", user)
            .output()
            .expect("the planwatch binary runs")
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

pub(crate) fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

fn cycle(store: &Store) {
    // Two bad rows (a number that is not one, a region of another unit): both reported, nothing
    // stored.
    let bad = store.file(
        "east-bad.csv",
        "指标,地区,年份,数值\nretail_sales,440103,2021,500\nretail_sales,440103,2022,abc\nretail_sales,440100,2022,1200\n",
    );
    let output = store.run("ops", &["submissions", "create", "--unit", "440103", &bad]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let errors = stderr(&output);
    assert!(errors.contains("east-bad.csv:3:"), "{errors}");
    assert!(
        errors.contains("east-bad.csv:4: 440100 不是您的地区 / 440100 is not one of your regions"),
        "{errors}"
    );
    assert!(errors.contains("2 problem(s)"), "{errors}");
    let listed = ok(&store.run("ops", &["submissions", "list"]));
    assert_eq!(listed.lines().count(), 1, "{listed}");

    let good = store.file(
        "east.csv",
        "指标,地区,年份,数值\nretail_sales,440103,2021,500\nretail_sales,440103,2022,600\n",
    );
    let created = ok(&store.run("ops", &["submissions", "create", "--unit", "440103", &good]));
    assert!(
        created.contains("submission 1 (submitted, 2 rows)"),
        "{created}"
    );
    let queue = ok(&store.run("ops", &["submissions", "list", "--status", "submitted"]));
    assert!(
        queue.contains("1\tregion:440103\tsubmitted\t1\t2\tcli:ops"),
        "{queue}"
    );
    let shown = ok(&store.run("ops", &["submissions", "show", "1"]));
    assert!(shown.contains("新增 new 2"), "{shown}");
    // The example's one district is known, the city is not: nothing to conclude.
    assert!(
        shown.contains("汇总核对 roll-up checks: 相符 ok 0，不符 mismatch 0，不全 incomplete 2"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "  retail_sales 2022: 不全 incomplete，区县合计 districts 600 (1/1)，全市 city -"
        ),
        "{shown}"
    );

    // Four eyes: the OS user who created it cannot approve it.
    let own = store.run("ops", &["submissions", "approve", "1"]);
    assert_eq!(own.status.code(), Some(1));
    assert!(stderr(&own).contains("four eyes"), "{}", stderr(&own));
    let no_comment = store.run("planner", &["submissions", "return", "1"]);
    assert_eq!(no_comment.status.code(), Some(2), "{}", stderr(&no_comment));
    ok(&store.run(
        "planner",
        &["submissions", "return", "1", "--comment", "2022 年请核实"],
    ));
    let returned = ok(&store.run("ops", &["submissions", "show", "1"]));
    assert!(returned.contains("return cli:planner"), "{returned}");
    assert!(returned.contains("2022 年请核实"), "{returned}");
    let again = store.run("planner", &["submissions", "approve", "1"]);
    assert_eq!(
        again.status.code(),
        Some(1),
        "a returned submission is not approved"
    );

    let second = ok(&store.run("ops", &["submissions", "create", "--unit", "440103", &good]));
    assert!(second.contains("submission 2"), "{second}");
    let approved = ok(&store.run(
        "planner",
        &["submissions", "approve", "2", "--comment", "同意"],
    ));
    assert!(approved.contains("submission 2 approved"), "{approved}");
    let exported = ok(&store.run("ops", &["export", "--region", "440103"]));
    assert!(exported.contains("600"), "{exported}");
    let audit = ok(&store.run("ops", &["audit", "--action", "submission.approve"]));
    assert!(audit.contains("cli:planner"), "{audit}");

    // Locks: an import into 2022 is refused naming the period, then taken as a revision.
    ok(&store.run(
        "planner",
        &["period", "lock", "2022", "--indicator", "retail_sales"],
    ));
    let late = store.file(
        "late.csv",
        "指标,地区,年份,数值\nretail_sales,440103,2022,650\n",
    );
    let refused = store.run("ops", &["import", &late]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("the period 2022 is locked (indicator retail_sales)"),
        "{}",
        stderr(&refused)
    );
    let revised = store.run(
        "ops",
        &["import", &late, "--revise", "--reason", "年报更正"],
    );
    ok(&revised);
    // A submission into the locked period, or one giving a key two values, is refused at once.
    let twice = store.file(
        "twice.csv",
        "指标,地区,年份,数值\nretail_sales,440103,2022,660\nretail_sales,440103,2021,510\nretail_sales,440103,2021,520\n",
    );
    let refused = store.run(
        "ops",
        &["submissions", "create", "--unit", "440103", &twice],
    );
    assert_eq!(refused.status.code(), Some(1));
    let errors = stderr(&refused);
    assert!(errors.contains("twice.csv:2: 2022年已锁定"), "{errors}");
    assert!(errors.contains("twice.csv:4: 与第 3 行"), "{errors}");
    assert!(errors.contains("2 problem(s)"), "{errors}");
    ok(&store.run(
        "planner",
        &["period", "unlock", "2022", "--indicator", "retail_sales"],
    ));
    let locks = ok(&store.run("ops", &["audit", "--action", "period.unlock"]));
    assert!(locks.contains("cli:planner"), "{locks}");
}

#[test]
fn submissions_and_locks_on_sqlite() {
    cycle(&Store::new(None));
}

#[test]
fn submissions_and_locks_on_postgres() {
    cycle(&Store::new(Some(crate::fresh_postgres("workflow"))));
}

/// The Chengdu plan's calendar: the east district of the example has none, so the Chengdu plan
/// is loaded; 锦江区 owes its quarterly and yearly district series, and what it submitted counts.
#[test]
fn what_units_owe_under_the_chengdu_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db").to_str().unwrap().to_owned();
    let run = |user: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_planwatch"))
            .args(["--db", db.as_str()])
            .args(args)
            .env("USER", user)
            .output()
            .expect("the planwatch binary runs")
    };
    ok(&run("ops", &["init"]));
    let file = dir.path().join("jinjiang.csv");
    std::fs::write(
        &file,
        "指标,地区,时期,数值\ngdp,510104,2021Q1,300\ngdp,510104,2021,1500\n",
    )
    .unwrap();
    ok(&run(
        "ops",
        &[
            "submissions",
            "create",
            "--unit",
            "510104",
            file.to_str().unwrap(),
        ],
    ));
    let owed = ok(&run(
        "ops",
        &[
            "submissions",
            "owed",
            "--unit",
            "510104",
            "--date",
            "2021-08-01",
        ],
    ));
    let lines: Vec<&str> = owed.lines().collect();
    // GDP, services value added and retail sales quarterly (Q1 and Q2 ended), tourism revenue
    // yearly (2021 not ended): 2 × 3 − 1 submitted = 5 owed, all late on 1 August.
    assert!(
        lines[0].starts_with("region:510104: 应报 owes 5，逾期 late 5，已发布 published 0；"),
        "{owed}"
    );
    assert!(
        owed.contains("gdp 510104 2021-Q2 截止 due 2021-07-20 未报 missing 逾期 late"),
        "{owed}"
    );
    assert!(!owed.contains("gdp 510104 2021-Q1"), "{owed}");
    // Six quarterly figures due by then; the one submitted was submitted today, after its due
    // date: none on time.
    assert!(
        lines[0].ends_with("按时率 on time: 2021 0% (0/6)"),
        "{owed}"
    );
}

/// On the sample data (the statistics bureau's figures imported), 锦江区 is not asked for the
/// yearly figures published already — its retail sales and services value added of every year,
/// its GDP of 2022 —, and they count neither as late nor in the on-time rate.
#[test]
fn a_figure_published_already_is_not_owed() {
    let store = crate::webauth::chengdu_store(false);
    let owed = store.ok(
        &[
            "submissions",
            "owed",
            "--unit",
            "510104",
            "--date",
            "2026-06-01",
        ],
        None,
    );
    let first = owed.lines().next().unwrap_or_default();
    // 2021–2025: 4 yearly and 3 × 4 quarterly figures a year, all past due; 11 published.
    assert!(
        first.starts_with("region:510104: 应报 owes 69，逾期 late 69，已发布 published 11；"),
        "{owed}"
    );
    // Of 2024's 16 figures, the 2 published are left out of the rate.
    assert!(first.contains("2024 0% (0/14)"), "{owed}");
    for published in [
        "retail_sales 510104 2024 ",
        "services_value_added 510104 2024 ",
        "gdp 510104 2022 ",
    ] {
        assert!(!owed.contains(published), "{published} in {owed}");
    }
    assert!(
        owed.contains("gdp 510104 2024 截止 due 2025-03-31 未报 missing 逾期 late"),
        "{owed}"
    );
    assert!(owed.contains("retail_sales 510104 2024-Q4 "), "{owed}");
}
