//! `planwatch init`, `import`, `export` against real stores: broken files are refused with every
//! problem named and the store left exactly as it was; exports import back without a change.

use std::path::{Path, PathBuf};

use crate::{planwatch, repo_root, stderr, stdout};

/// A store in a temporary directory, initialised with the example plan.
pub(crate) struct TestStore {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) db: String,
}

impl TestStore {
    pub(crate) fn sqlite() -> TestStore {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("store.db").to_str().unwrap().to_owned();
        TestStore::init(dir, db)
    }

    pub(crate) fn postgres() -> TestStore {
        let db = crate::fresh_postgres("cli");
        TestStore::init(tempfile::tempdir().unwrap(), db)
    }

    fn init(dir: tempfile::TempDir, db: String) -> TestStore {
        let plan = repo_root().join("plans/example-minimal.toml");
        let output = planwatch(&["--db", &db, "init", "--plan", plan.to_str().unwrap()]);
        assert!(output.status.success(), "{}", stderr(&output));
        TestStore { dir, db }
    }

    pub(crate) fn run(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["--db", self.db.as_str()];
        all.extend_from_slice(args);
        planwatch(&all)
    }

    pub(crate) fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Everything an import may change: the export of every latest value, plus the batches.
    fn state(&self) -> (String, String) {
        let export = self.run(&["export"]);
        assert!(export.status.success(), "{}", stderr(&export));
        let batches = self.run(&["data", "batches"]);
        (stdout(&export), stdout(&batches))
    }

    /// `data history` of one indicator, region and period.
    pub(crate) fn history(
        &self,
        indicator: &str,
        region: &str,
        period: &str,
    ) -> std::process::Output {
        self.run(&[
            "data",
            "history",
            "--indicator",
            indicator,
            "--region",
            region,
            "--period",
            period,
        ])
    }

    pub(crate) fn import(&self, path: &Path, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["import", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

const GOOD: &str = "指标,地区,年份,数值,单位\n社会消费品零售总额,示例市,2021,1100,亿元\nretail_sales,东区,2021,500,亿元\n2,440100,2021,31.5,%\n";

/// Imports a broken file into a store holding GOOD and checks the exit code, the messages and
/// that nothing changed.
#[track_caller]
fn refused(name: &str, bytes: &[u8], expected: &[&str]) {
    let store = TestStore::sqlite();
    let good = store.file("good.csv", GOOD.as_bytes());
    assert!(store.import(&good, &[]).status.success());
    let before = store.state();
    let path = store.file(name, bytes);
    let output = store.import(&path, &[]);
    assert_eq!(output.status.code(), Some(1), "{name}: {}", stderr(&output));
    let messages = stderr(&output).replace(&format!("{}", path.display()), name);
    for line in expected {
        assert!(
            messages.contains(line),
            "{name}: expected\n  {line}\nin\n{messages}"
        );
    }
    assert!(messages.contains("nothing was stored"), "{messages}");
    assert_eq!(store.state(), before, "{name}: the store changed");
}

#[test]
fn ten_percent_bad_rows_store_nothing_and_name_each_row() {
    let mut text = String::from("指标,地区,年份,数值\n");
    let mut expected = Vec::new();
    for i in 0..50 {
        let row = i + 2;
        if i % 10 == 3 {
            text.push_str(&format!("retail_sales,东区,{},{}x\n", 1990 + i, i));
            expected.push(format!("ten.csv:{row}: 数值 \"{i}x\" is not a number"));
        } else {
            text.push_str(&format!("retail_sales,东区,{},{}\n", 1990 + i, 100 + i));
        }
    }
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    refused("ten.csv", text.as_bytes(), &expected);
    assert_eq!(expected.len(), 5);

    // --max-errors shows the first problems and counts the rest.
    let store = TestStore::sqlite();
    let path = store.file("ten.csv", text.as_bytes());
    let output = store.import(&path, &["--max-errors", "2"]);
    let err = stderr(&output);
    assert_eq!(err.matches("is not a number").count(), 2, "{err}");
    assert!(err.contains("另有 3 个问题未显示"), "{err}");
}

#[test]
fn a_truncated_csv() {
    refused(
        "truncated.csv",
        "指标,地区,年份,数值\nretail_sales,东区,2022,600\nretail_sales,东区,20".as_bytes(),
        &[
            "truncated.csv:3: 数值 is empty",
            "truncated.csv:3: 年份 \"20\" is not a period",
        ],
    );
}

#[test]
fn gbk_is_read_and_its_errors_reported() {
    let (bytes, _, _) =
        encoding_rs::GB18030.encode("指标,地区,年份,数值\n社会消费品零售总额,西区,2022,600\n");
    refused(
        "gbk.csv",
        &bytes,
        &["gbk.csv:2: 地区 \"西区\" is not a region of the plan"],
    );
}

#[test]
fn a_file_in_an_encoding_we_do_not_read() {
    // UTF-16 without its byte-order mark: the encoding is named as the problem.
    let utf16: Vec<u8> = "指标,地区,年份,数值\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    refused(
        "utf16.csv",
        &utf16,
        &["utf16.csv: not a text file: it holds NUL bytes (UTF-16 without a byte-order mark"],
    );
}

/// A CSV saved by Excel on Windows (CRLF) with blank lines and a cell over two lines: the row a
/// problem names and the row stored as provenance (shown by `data history`) are the lines a text
/// editor shows.
fn rows_of_a_crlf_file(store: &TestStore) {
    let text = "指标,地区,年份,数值,备注\r\n\r\nretail_sales,东区,2021,500,\"two\r\nlines\"\r\n\r\nretail_sales,东区,2022,600,\r\n";
    let path = store.file("crlf.csv", text.as_bytes());
    let output = store.import(&path, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let history = |period: &str| {
        let output = store.history("retail_sales", "东区", period);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    assert!(
        history("2021").contains("crlf.csv:3"),
        "{}",
        history("2021")
    );
    assert!(
        history("2022").contains("crlf.csv:6"),
        "{}",
        history("2022")
    );
    let bad = store.file(
        "bad.csv",
        "指标,地区,年份,数值\r\n\r\nretail_sales,东区,2021,500\r\n\r\n零售,东区,2021,1\r\n"
            .as_bytes(),
    );
    let output = store.import(&bad, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!(
            "{}:5: 指标 \"零售\" not in the plan",
            bad.display()
        )),
        "{}",
        stderr(&output)
    );
}

#[test]
fn rows_of_a_crlf_file_on_both_backends() {
    for store in [TestStore::sqlite(), TestStore::postgres()] {
        rows_of_a_crlf_file(&store);
    }
}

#[test]
fn an_empty_file_and_an_empty_sheet() {
    refused("empty.csv", b"", &["empty.csv: the file is empty"]);
    refused(
        "header.csv",
        "指标,地区,年份,数值\n".as_bytes(),
        &["header.csv: no rows: the file holds nothing below its header"],
    );
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.add_worksheet();
    refused(
        "empty.xlsx",
        &workbook.save_to_buffer().unwrap(),
        &["empty.xlsx: the workbook has no sheet with data"],
    );
}

#[test]
fn excel_with_merged_header_formulas_and_a_truncated_workbook() {
    use rust_xlsxwriter::{Format, Formula, Workbook};
    let mut merged = Workbook::new();
    let sheet = merged.add_worksheet();
    sheet
        .merge_range(0, 0, 0, 1, "指标", &Format::new())
        .unwrap();
    sheet.write_row(0, 2, ["2022"]).unwrap();
    sheet.write_row(1, 0, ["retail_sales", "", "1"]).unwrap();
    refused(
        "merged.xlsx",
        &merged.save_to_buffer().unwrap(),
        &["merged.xlsx: the header has merged cells (A1:B1)"],
    );

    let mut formulas = Workbook::new();
    let sheet = formulas.add_worksheet();
    sheet
        .write_row(0, 0, ["指标", "地区", "年份", "数值"])
        .unwrap();
    sheet
        .write_row(1, 0, ["retail_sales", "东区", "2022"])
        .unwrap();
    sheet
        .write_formula(1, 3, Formula::new("=A9*2").set_result(""))
        .unwrap();
    refused(
        "formulas.xlsx",
        &formulas.save_to_buffer().unwrap(),
        &["formulas.xlsx:2: 数值 holds the formula =A9*2 but no calculated value"],
    );

    let whole = merged.save_to_buffer().unwrap();
    refused(
        "cut.xlsx",
        &whole[..whole.len() / 2],
        &["cut.xlsx: not a readable Excel workbook"],
    );
}

#[test]
fn conflicting_values_and_strict_warnings() {
    refused(
        "conflict.csv",
        "指标,地区,年份,数值\nretail_sales,东区,2022,600\nretail_sales,东区,2022,650\n".as_bytes(),
        &[
            "conflict.csv:3: 数值 the same indicator, region and period twice with different values: 600 (row 2) and 650",
        ],
    );
    let store = TestStore::sqlite();
    let good = store.file("good.csv", GOOD.as_bytes());
    assert!(store.import(&good, &[]).status.success());
    let before = store.state();
    let jump = store.file(
        "jump.csv",
        "指标,地区,年份,数值\nretail_sales,东区,2022,5000\n".as_bytes(),
    );
    let output = store.import(&jump, &["--strict"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .contains("jump.csv:2: warning: 社会消费品零售总额 2022 changed by +900.0 %"),
        "{}",
        stderr(&output)
    );
    assert_eq!(store.state(), before);
    // Without --strict it is stored, flagged.
    let output = store.import(&jump, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let history = store.history("retail_sales", "440103", "2022");
    assert!(
        stdout(&history).contains("变动大 large change"),
        "{}",
        stdout(&history)
    );
}

/// The batch keeps the file's SHA-256 (worked out while the file is read), and importing the
/// same bytes again says which batch had them.
#[test]
fn batches_keep_the_file_checksum() {
    use sha2::{Digest, Sha256};
    let store = TestStore::sqlite();
    let good = store.file("good.csv", GOOD.as_bytes());
    assert!(store.import(&good, &[]).status.success());
    let digest: String = Sha256::digest(GOOD.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let batches = stdout(&store.run(&["data", "batches"]));
    assert!(batches.contains(&digest[..16]), "{digest}\n{batches}");
    let again = store.file("again.csv", GOOD.as_bytes());
    let output = store.import(&again, &[]);
    assert!(
        stdout(&output).contains("同一文件曾于批次 1 导入"),
        "{}",
        stdout(&output)
    );
}

fn round_trip(store: &TestStore) {
    let good = store.file("good.csv", GOOD.as_bytes());
    let output = store.import(&good, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let revised = store.file(
        "revised.csv",
        "指标,地区,年份,数值,状态\nretail_sales,东区,2021,520,修订\n".as_bytes(),
    );
    assert!(store.import(&revised, &[]).status.success());

    let export = store.run(&["export"]);
    let exported = store.file("export.csv", &export.stdout);
    let before = store.state();
    let output = store.import(&exported, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("0 个新修订 new revisions"),
        "{}",
        stdout(&output)
    );
    assert_eq!(
        store.state(),
        before,
        "re-importing the export changed the store"
    );
    // Two exports of the same store are byte-identical, in every format.
    for format in ["csv", "xlsx", "sdmx-csv"] {
        let a = store.run(&["export", "--format", format]);
        let b = store.run(&["export", "--format", format]);
        assert!(a.status.success() && !a.stdout.is_empty(), "{format}");
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
    // As of the first import, 东区 2021 was still 500.
    let history = store.history("retail_sales", "东区", "2021");
    assert!(history.status.success());
    let history = stdout(&history);
    assert!(
        history.contains("500") && history.contains("520") && history.contains("修订数"),
        "{history}"
    );
}

#[test]
fn export_imports_back_without_change_on_sqlite() {
    round_trip(&TestStore::sqlite());
}

#[test]
fn export_imports_back_without_change_on_postgres() {
    round_trip(&TestStore::postgres());
}

#[test]
fn a_dry_run_stores_nothing() {
    let store = TestStore::sqlite();
    let before = store.state();
    let good = store.file("good.csv", GOOD.as_bytes());
    let output = store.import(&good, &["--dry-run"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("dry run"));
    assert_eq!(store.state(), before);
}

#[test]
fn the_template_round_trips() {
    let store = TestStore::sqlite();
    let good = store.file("good.csv", GOOD.as_bytes());
    assert!(store.import(&good, &[]).status.success());
    let template = store.dir.path().join("t.xlsx");
    let output = store.run(&[
        "template",
        "--region",
        "440100",
        "--year",
        "2022",
        "-o",
        template.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    // Filled in by nobody, it imports back without a change (last year's values are the store's).
    let output = store.import(&template, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("0 个新修订 new revisions"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn init_loads_the_sample_data_with_its_revisions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sample.db");
    let db = db.to_str().unwrap();
    let output = planwatch(&["--db", db, "init", "--sample-data"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("error"), "{}", stderr(&output));
    let history = planwatch(&[
        "--db",
        db,
        "data",
        "history",
        "--indicator",
        "2",
        "--region",
        "成都市",
        "--period",
        "2019",
    ]);
    let history = stdout(&history);
    assert!(
        history.contains("7478.4") && history.contains("8313.4016"),
        "{history}"
    );
    let then = planwatch(&[
        "--db",
        db,
        "export",
        "--indicator",
        "retail_sales",
        "--region",
        "510100",
        "--from",
        "2019",
        "--to",
        "2019",
        "--as-of",
        "2020-12-31",
    ]);
    assert!(
        stdout(&then).contains("retail_sales,510100,2019,7478.4,亿元,provisional"),
        "{}",
        stdout(&then)
    );
    let now = planwatch(&[
        "--db",
        db,
        "export",
        "--indicator",
        "retail_sales",
        "--region",
        "510100",
        "--from",
        "2019",
        "--to",
        "2019",
    ]);
    assert!(
        stdout(&now).contains("retail_sales,510100,2019,8313.4016,亿元,revised"),
        "{}",
        stdout(&now)
    );
}

/// The sample data's batches are named by their files, not by where the files were found on the
/// machine that built or runs the binary (issue 11, item 4); a user's file keeps the name typed.
#[test]
fn built_in_files_are_recorded_by_their_own_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sample.db");
    let db = db.to_str().unwrap();
    let output = planwatch(&["--db", db, "init", "--sample-data"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let batches = stdout(&planwatch(&["--db", db, "data", "batches"]));
    for file in [
        "chengdu-first-releases.csv",
        "chengdu-revisions.csv",
        "chengdu-sample.csv",
    ] {
        assert!(batches.contains(&format!(" {file} ")), "{batches}");
    }
    assert!(!batches.contains('/'), "a directory leaked: {batches}");
    let export = stdout(&planwatch(&["--db", db, "export", "--format", "sdmx-csv"]));
    assert!(!export.contains("data/"), "{export}");

    let store = TestStore::sqlite();
    let good = store.file("good.csv", GOOD.as_bytes());
    assert!(store.import(&good, &[]).status.success());
    let batches = stdout(&store.run(&["data", "batches"]));
    assert!(batches.contains(good.to_str().unwrap()), "{batches}");
}

/// After a command, an SQLite store is whole in its file: the write-ahead log was checkpointed
/// into it, so a copy of the file alone is the store (issue 11, item 11).
#[test]
fn a_copy_of_the_sqlite_file_alone_is_the_whole_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("planwatch.db");
    let output = planwatch(&["--db", db.to_str().unwrap(), "init", "--sample-data"]);
    assert!(output.status.success(), "{}", stderr(&output));
    crate::assert_whole_in_its_file(&db);
}

/// An older release imported after a newer one does not become the latest: `export` shows the
/// value known last, `--as-of` the one known then, and `data history` lists revisions in the
/// order they became known and marks the one in force (issue 11, item 2).
fn the_value_known_last_is_the_latest(store: &TestStore) {
    for (file, value, known_since) in [
        ("release-2021.csv", "8313.4", "2021-02-01"),
        ("release-2020.csv", "7478.4", "2020-01-20"),
    ] {
        let path = store.file(
            file,
            format!("指标,地区,年份,数值\nretail_sales,示例市,2019,{value}\n").as_bytes(),
        );
        let output = store.import(&path, &["--known-since", known_since]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let export = |extra: &[&str]| {
        let mut args = vec!["export", "--from", "2019", "--to", "2019"];
        args.extend_from_slice(extra);
        stdout(&store.run(&args))
    };
    let latest = export(&[]);
    assert!(
        latest.contains(",2019,8313.4,") && !latest.contains("7478.4"),
        "{latest}"
    );
    let then = export(&["--as-of", "2020-12-31"]);
    assert!(then.contains(",2019,7478.4,"), "{then}");
    let history = stdout(&store.run(&[
        "data",
        "history",
        "--indicator",
        "retail_sales",
        "--region",
        "440100",
        "--period",
        "2019",
    ]));
    let older = history.find("7478.4").expect("the 2020 release is listed");
    let newer = history.find("8313.4").expect("the 2021 release is listed");
    assert!(older < newer, "{history}");
    let marked: Vec<&str> = history.lines().filter(|l| l.contains("✓")).collect();
    assert!(
        marked.len() == 1 && marked[0].contains("8313.4"),
        "the 2021 release alone is in force: {history}"
    );
}

#[test]
fn the_value_known_last_is_the_latest_on_sqlite() {
    the_value_known_last_is_the_latest(&TestStore::sqlite());
}

#[test]
fn the_value_known_last_is_the_latest_on_postgres() {
    the_value_known_last_is_the_latest(&TestStore::postgres());
}

/// One value from `psql DB -Atc SQL`.
pub(crate) fn psql_value(db: &str, sql: &str) -> String {
    let output = std::process::Command::new("psql")
        .args([db, "-Atc", sql])
        .output()
        .expect("psql runs");
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).trim().to_owned()
}

/// Waits up to `seconds` for `done`; returns whether it came.
pub(crate) fn within(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    done()
}

/// An import on PostgreSQL whose client is killed stops on the server within seconds, even in a
/// statement that is waiting: before, the server went on (here: waited for a lock for as long as
/// it was held), holding the plan's import lock, and the next import waited behind it (issue 11,
/// item 12).
#[test]
fn a_killed_import_stops_on_the_postgres_server() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let store = TestStore::postgres();
    let good = store.file("good.csv", GOOD.as_bytes());
    // Another session holds a lock that the import's writes wait for.
    let mut holder = Command::new("psql")
        .args([store.db.as_str(), "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("psql runs");
    let mut holder_input = holder.stdin.take().unwrap();
    holder_input
        .write_all(b"BEGIN;\nLOCK TABLE observations IN SHARE MODE;\n")
        .unwrap();
    holder_input.flush().unwrap();
    let waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                   AND wait_event_type = 'Lock'";
    assert!(within(20, || psql_value(
        &store.db,
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
         WHERE c.relname = 'observations' AND l.mode = 'ShareLock' AND l.granted"
    ) == "1"));
    let mut import = Command::new(env!("CARGO_BIN_EXE_planwatch"))
        .args(["--db", store.db.as_str(), "import", good.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("planwatch runs");
    assert!(
        within(20, || psql_value(&store.db, waiting) == "1"),
        "the import never waited for the lock"
    );
    import.kill().unwrap();
    import.wait().unwrap();
    let stopped = within(5, || psql_value(&store.db, waiting) == "0");
    holder_input.write_all(b"COMMIT;\n").unwrap();
    drop(holder_input);
    holder.wait().unwrap();
    assert!(
        stopped,
        "the killed import's statement still ran on the server 5 s later"
    );
    // The next import goes through at once, and the killed one left nothing.
    let output = store.import(&good, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let batches = stdout(&store.run(&["data", "batches"]));
    assert_eq!(batches.matches("good.csv").count(), 1, "{batches}");
}

/// What a file is comes from its content both ways (a CSV named `.xlsx` was refused as a broken
/// workbook while a workbook named `.csv` was read), and the message says so.
#[test]
fn files_are_read_by_content_not_name() {
    let store = TestStore::sqlite();
    let csv = store.file("text.xlsx", GOOD.as_bytes());
    let output = store.import(&csv, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("warning: the file is named .xlsx but holds text; it was read as CSV"),
        "{}",
        stderr(&output)
    );
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet
        .write_row(0, 0, ["指标", "地区", "年份", "数值"])
        .unwrap();
    sheet
        .write_row(1, 0, ["retail_sales", "东区", "2022", "600"])
        .unwrap();
    let book = store.file("book.csv", &workbook.save_to_buffer().unwrap());
    let output = store.import(&book, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("warning: the file is named .csv but holds a workbook"),
        "{}",
        stderr(&output)
    );
}
