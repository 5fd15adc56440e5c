//! The SDMX export read back by a real SDMX reader: `tests/it/read_sdmx.py` runs sdmx1 (PyPI
//! `sdmx1`, installed with the official XSD files into `.venv-ci/` by `scripts/setup-python`) on
//! `planwatch export --format sdmx-structure` and `--format sdmx-csv`, validates the structure
//! message against the SDMX-ML 2.1 schema and every observation against the structure, and
//! prints what it read; each observation of the plain CSV export must come back with its
//! dimensions, value, unit, multiplier and status. The web application's downloads are the same
//! files. On SQLite and on PostgreSQL.
//!
//! Without `.venv-ci/bin/python` the tests are skipped with a message, except under CI (`CI`
//! set), where they fail instead, so that CI never skips them silently.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

use crate::{Server, planwatch, repo_root, stderr, stdout};

/// The virtualenv's Python with sdmx1, or `None` (after saying so) when the tests are skipped.
fn python() -> Option<PathBuf> {
    let python = repo_root().join(".venv-ci/bin/python");
    if python.exists() {
        return Some(python);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing under CI: run scripts/setup-python",
            python.display()
        );
    }
    eprintln!("skipped: sdmx1 not installed (scripts/setup-python)");
    None
}

/// Runs the reader on a structure message and an SDMX-CSV file: the observations it read, or
/// the problems it found (its standard error) when it failed.
fn read_back(python: &Path, structure: &Path, data: &Path) -> Result<Vec<Value>, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/read_sdmx.py");
    let output = Command::new(python)
        .arg(script)
        .args([structure, data])
        .output()
        .expect("python runs");
    if !output.status.success() {
        return Err(stderr(&output));
    }
    Ok(stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect())
}

/// Quarters, months, a managed area, US dollars and counts beside the sample data's years.
const EXTRA: &str = "indicator,region,period,value,unit,status
retail_sales,510104,2023Q2,412.5,亿元,estimated
retail_sales,510100,2024-06,850.25,亿元,forecast
retail_sales,tianfu,2023,1200,亿元,final
services_share_of_gdp,tianfu,2023,70.1,%,provisional
";

fn exported_observations_read_back(db: &str) {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--db", db];
        all.extend_from_slice(args);
        let output = Command::new(env!("CARGO_BIN_EXE_planwatch"))
            .args(&all)
            .env("PLANWATCH_HOME", repo_root())
            .output()
            .expect("the planwatch binary runs");
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        output.stdout
    };
    run(&["init", "--sample-data"]);
    let extra = dir.path().join("extra.csv");
    std::fs::write(&extra, EXTRA).unwrap();
    run(&["import", extra.to_str().unwrap()]);
    let structure = dir.path().join("structure.xml");
    let data = dir.path().join("data.csv");
    std::fs::write(&structure, run(&["export", "--format", "sdmx-structure"])).unwrap();
    std::fs::write(&data, run(&["export", "--format", "sdmx-csv"])).unwrap();
    let plain = run(&["export", "--format", "csv"]);

    let read =
        read_back(&python, &structure, &data).unwrap_or_else(|problems| panic!("{problems}"));

    // What the plain CSV says, as SDMX should say it.
    let mut expected = BTreeMap::new();
    let mut units = BTreeMap::new();
    for row in csv::Reader::from_reader(plain.as_slice()).records() {
        let row = row.unwrap();
        let (unit, multiplier) = match &row[4] {
            "亿元" => ("CNY", "8"),
            "亿美元" => ("USD", "8"),
            "%" => ("PT", "0"),
            "个" | "家" | "条" => ("NUMBER", "0"),
            other => panic!("no expected SDMX unit for {other}"),
        };
        *units.entry(unit).or_insert(0) += 1;
        let period = row[2].to_owned();
        let freq = match period.len() {
            4 => "A",
            _ if period.contains('Q') => "Q",
            _ => "M",
        };
        let status: planwatch_plan::ObsStatus = row[5].parse().unwrap();
        expected.insert(
            (row[0].to_owned(), row[1].to_owned(), period.clone()),
            serde_json::json!({
                "dimensions": {"FREQ": freq, "INDICATOR": &row[0], "REF_AREA": &row[1], "TIME_PERIOD": period},
                "value": row[3].parse::<f64>().unwrap(),
                "attributes": {"UNIT_MEASURE": unit, "UNIT_MULT": multiplier, "OBS_STATUS": status.sdmx_code()},
            }),
        );
    }
    assert!(expected.len() > 500, "the sample data is exported");
    for unit in ["CNY", "USD", "PT", "NUMBER"] {
        assert!(
            units.contains_key(unit),
            "the sample data has values in {unit}"
        );
    }
    let read: BTreeMap<_, _> = read
        .into_iter()
        .map(|o| {
            let d = &o["dimensions"];
            let key = (
                d["INDICATOR"].as_str().unwrap().to_owned(),
                d["REF_AREA"].as_str().unwrap().to_owned(),
                d["TIME_PERIOD"].as_str().unwrap().to_owned(),
            );
            (key, o)
        })
        .collect();
    assert_eq!(read.len(), expected.len(), "every observation is read once");
    for (key, want) in &expected {
        assert_eq!(read.get(key), Some(want), "{key:?}");
    }
    for key in [
        ("retail_sales", "510104", "2023-Q2"),
        ("retail_sales", "510100", "2024-06"),
        ("services_share_of_gdp", "tianfu", "2023"),
    ] {
        let key = (key.0.to_owned(), key.1.to_owned(), key.2.to_owned());
        assert!(read.contains_key(&key), "{key:?} is read back");
    }

    // The web application serves the same files.
    let server = Server::start(db, &[]);
    let get = |path: &str| {
        let response = reqwest::blocking::get(server.url(path)).unwrap();
        let status = response.status().as_u16();
        let kind = response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        (status, kind, response.bytes().unwrap().to_vec())
    };
    let (status, kind, body) = get("/api/sdmx/structure");
    assert_eq!(
        (status, kind.as_str()),
        (200, "application/vnd.sdmx.structure+xml; version=2.1")
    );
    assert_eq!(body, std::fs::read(&structure).unwrap());
    let (status, kind, body) = get("/api/export?format=sdmx-csv");
    assert_eq!(
        (status, kind.as_str()),
        (
            200,
            "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8"
        )
    );
    assert_eq!(body, std::fs::read(&data).unwrap());
    // The structure is not a format of the filtered download, which names where it is.
    let (status, _, body) = get("/api/export?format=sdmx-structure&region=510104");
    assert_eq!(status, 400);
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"]["field"], "format", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/api/sdmx/structure"),
        "{error}"
    );

    // The reader is not lenient: a region that is not in the codelist is refused.
    let text = std::fs::read_to_string(&data).unwrap();
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, text.replacen(",510104,", ",999999,", 1)).unwrap();
    let problems = read_back(&python, &structure, &broken).unwrap_err();
    assert!(
        problems.contains("REF_AREA '999999' is not in its codelist"),
        "{problems}"
    );
}

#[test]
fn sdmx_export_reads_back_with_sdmx1_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    exported_observations_read_back(db.to_str().unwrap());
}

#[test]
fn sdmx_export_reads_back_with_sdmx1_on_postgres() {
    exported_observations_read_back(&crate::fresh_postgres("sdmx"));
}

#[test]
fn sdmx_structure_refuses_filters() {
    // The structure describes the whole plan; a filter would change nothing, so it is refused.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let db = db.to_str().unwrap();
    let init = planwatch(&["--db", db, "init"]);
    assert!(init.status.success(), "{}", stderr(&init));
    let output = planwatch(&[
        "--db",
        db,
        "export",
        "--format",
        "sdmx-structure",
        "--indicator",
        "retail_sales",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let ok = planwatch(&["--db", db, "export", "--format", "sdmx-structure"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("<mes:Structure"), "{}", stdout(&ok));
}
