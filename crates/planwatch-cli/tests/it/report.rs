//! `planwatch report` on the sample store: every format written by the real binary, under the
//! default file name or `-o`; the English edition; a district's report; usage and input errors
//! with their exit codes.

use std::process::Command;

use crate::{stderr, stdout};

fn run_in(dir: &std::path::Path, db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_planwatch"))
        .current_dir(dir)
        .args(["--db", db])
        .args(args)
        .output()
        .expect("the planwatch binary runs")
}

#[test]
fn the_report_command_writes_every_format_of_the_sample_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("pw.db").display());
    let run = |args: &[&str]| run_in(dir.path(), &db, args);
    let init = run(&["init", "--sample-data"]);
    assert!(init.status.success(), "{}", stderr(&init));

    // HTML under the default name: one file, nothing loaded from elsewhere.
    let html = run(&["report", "midterm", "--year", "2023", "--format", "html"]);
    assert!(html.status.success(), "{}", stderr(&html));
    let name = "chengdu-services-2021-2025-midterm-2023.html";
    assert!(stderr(&html).contains(name), "{}", stderr(&html));
    let page = std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("<html lang=\"zh-CN\">"));
    assert!(page.contains("<h2>一、"), "sections numbered 一、");
    assert!(page.contains("<svg"), "charts inline");
    assert!(page.contains("@page { size:A4;"));
    for external in ["<link", "<script", "src="] {
        assert!(!page.contains(external), "loads something: {external}");
    }

    // The same request twice: the same bytes.
    let again = run(&[
        "report",
        "midterm",
        "--year",
        "2023",
        "--format",
        "html",
        "-o",
        "again.html",
    ]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        std::fs::read(dir.path().join("again.html")).unwrap(),
        page.as_bytes()
    );

    // DOCX and PDF of the same report: real files (a zip, a PDF), the same bytes twice.
    // Without a CJK font the PDF cannot be made: it fails naming the package; the test then
    // skips the PDF with a note, except under CI.
    let no_cjk_font = |out: &std::process::Output| {
        let skip = !out.status.success()
            && stderr(out).contains("fonts-noto-cjk")
            && std::env::var_os("CI").is_none();
        if skip {
            eprintln!("skipping the PDF: no CJK font (apt-get install fonts-noto-cjk)");
        }
        skip
    };
    'formats: for (format, magic) in [("docx", &b"PK\x03\x04"[..]), ("pdf", &b"%PDF-"[..])] {
        let name = format!("chengdu-services-2021-2025-midterm-2023.{format}");
        let mut bytes = Vec::new();
        for _ in 0..2 {
            let out = run(&["report", "midterm", "--year", "2023", "--format", format]);
            if format == "pdf" && no_cjk_font(&out) {
                continue 'formats;
            }
            assert!(out.status.success(), "{format}: {}", stderr(&out));
            bytes.push(std::fs::read(dir.path().join(&name)).unwrap());
        }
        assert!(bytes[0].starts_with(magic), "{format}");
        assert!(
            bytes[0].len() > 10_000,
            "{format}: {} bytes",
            bytes[0].len()
        );
        assert_eq!(
            bytes[0], bytes[1],
            "{format}: the same report, the same bytes"
        );
    }
    // A font directory that does not exist is no harm; the PDF is still made.
    let pdf = run(&[
        "report",
        "annual",
        "--year",
        "2024",
        "--format",
        "pdf",
        "--font-dir",
        "/nonexistent",
        "-o",
        "annual.pdf",
    ]);
    assert!(
        pdf.status.success() || no_cjk_font(&pdf),
        "{}",
        stderr(&pdf)
    );

    // The model as JSON on standard output, the English edition.
    let json = run(&[
        "report", "annual", "--year", "2024", "--lang", "en", "--format", "json", "-o", "-",
    ]);
    assert!(json.status.success(), "{}", stderr(&json));
    let model: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(model["kind"], "annual");
    assert_eq!(model["lang"], "en");
    assert_eq!(model["year"], 2024);
    assert_eq!(model["plan_id"], "chengdu-services-2021-2025");

    // A district's report, named by its code.
    let district = run(&[
        "report", "annual", "--year", "2024", "--region", "510104", "--format", "html",
    ]);
    assert!(district.status.success(), "{}", stderr(&district));
    assert!(
        dir.path()
            .join("chengdu-services-2021-2025-annual-2024-510104.html")
            .exists()
    );

    // Input errors: exit 1, saying why; usage errors: exit 2.
    let region = run(&[
        "report", "annual", "--region", "nowhere", "--format", "html",
    ]);
    assert_eq!(region.status.code(), Some(1), "{}", stderr(&region));
    assert!(stderr(&region).contains("nowhere"));
    let year = run(&["report", "annual", "--year", "1999", "--format", "html"]);
    assert_eq!(year.status.code(), Some(1), "{}", stderr(&year));
    let kind = run(&["report", "quarterly", "--format", "html"]);
    assert_eq!(kind.status.code(), Some(2));
    let format = run(&["report", "annual", "--format", "odt"]);
    assert_eq!(format.status.code(), Some(2));
}

/// The Chengdu sample's mid-term report as real clients read it: `pdftotext` of Planwatch's PDF
/// holds every indicator's latest value as the indicator table prints it, and LibreOffice opens
/// Planwatch's DOCX of the same report and converts it to a PDF whose text holds the title and
/// every indicator's name. The tools are Debian's (poppler-utils, libreoffice-writer-nogui);
/// without them the test says so and passes, except under CI, where `.ci/run` installs them.
#[test]
fn real_clients_read_the_sample_reports_every_indicator() {
    let tools = ["pdftotext", "soffice"];
    let missing: Vec<&str> = tools
        .into_iter()
        .filter(|tool| Command::new(tool).arg("--version").output().is_err())
        .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs {missing:?} (scripts/setup-report-tools)"
        );
        eprintln!("skipping: {missing:?} not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("pw.db").display());
    let run = |args: &[&str]| run_in(dir.path(), &db, args);
    let init = run(&["init", "--sample-data"]);
    assert!(init.status.success(), "{}", stderr(&init));
    let report = ["report", "midterm", "--year", "2023"];
    let json = run(&[&report[..], &["--format", "json", "-o", "-"]].concat());
    assert!(json.status.success(), "{}", stderr(&json));
    let model: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let table = model["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["blocks"].as_array().unwrap())
        .find(|b| b["type"] == "table")
        .expect("the indicator table");
    let columns: Vec<&str> = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let latest = columns.iter().position(|c| *c == "最新值").unwrap();
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        model["facts"]["indicators"].as_array().unwrap().len()
    );

    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let text_of = |pdf: &std::path::Path| {
        let out = Command::new("pdftotext")
            .arg(pdf)
            .arg("-")
            .output()
            .unwrap();
        assert!(out.status.success(), "pdftotext {}", pdf.display());
        squeeze(&String::from_utf8_lossy(&out.stdout))
    };

    let pdf = run(&[&report[..], &["--format", "pdf", "-o", "mid.pdf"]].concat());
    assert!(pdf.status.success(), "{}", stderr(&pdf));
    let text = text_of(&dir.path().join("mid.pdf"));
    for row in rows {
        // The figure without its year in brackets (a narrow cell may break the line there).
        let cell = row[latest].as_str().unwrap();
        let figure = cell.split('（').next().unwrap();
        assert!(
            text.contains(&squeeze(figure)),
            "the PDF lacks {} {cell}",
            row[0]
        );
    }

    let docx = run(&[&report[..], &["--format", "docx", "-o", "mid.docx"]].concat());
    assert!(docx.status.success(), "{}", stderr(&docx));
    let converted = dir.path().join("converted");
    let office = Command::new("soffice")
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&converted)
        .arg(dir.path().join("mid.docx"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(office.status.success(), "{}", stderr(&office));
    let text = text_of(&converted.join("mid.pdf"));
    assert!(
        text.contains(&squeeze(model["title"].as_str().unwrap())),
        "LibreOffice's PDF lacks the title"
    );
    for indicator in model["facts"]["indicators"].as_array().unwrap() {
        let name = indicator["name"].as_str().unwrap();
        assert!(
            text.contains(&squeeze(name)),
            "LibreOffice's PDF lacks {name}"
        );
    }
}
