//! The fixture report written as a PDF and read back with real clients (poppler-utils):
//! `pdftotext` finds the title, the headings and every indicator's latest value, `pdffonts` shows
//! the CJK fonts embedded, `pdftoppm` draws a first page that is not blank.
//!
//! Without poppler-utils or a CJK font the tests are skipped with a message, except under CI (`CI`
//! set), where they fail instead: `scripts/setup-report-tools` installs both. The PDFs and pages are
//! left in Cargo's test scratch directory (`target/tmp`) to look at.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use planwatch_report::{Lang, Report, fixture};
use planwatch_report_pdf::{PdfError, PdfOptions, write_pdf};

/// The report's PDF, or `None` (after saying so) when no CJK font is installed outside CI.
fn pdf(report: &Report) -> Result<Option<Vec<u8>>> {
    match write_pdf(report, &PdfOptions::default()) {
        Ok(pdf) => Ok(Some(pdf)),
        Err(e @ PdfError::NoCjkFont { .. }) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: {e} (scripts/setup-report-tools)");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether poppler's `tool` is on the PATH; `false` (after saying so) when tests are to be
/// skipped. Under CI a missing tool fails the test.
fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is missing under CI: run scripts/setup-report-tools"
        );
        eprintln!("skipped: {tool} not installed (scripts/setup-report-tools)");
    }
    found
}

/// Writes `bytes` to `name` in Cargo's scratch directory for tests.
fn scratch(name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn run(tool: &str, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .with_context(|| format!("running {tool}"))?;
    ensure!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out.stdout)
}

/// The PDF's text with all white space removed (pdftotext breaks lines where the layout did).
fn text_of(pdf: &Path) -> Result<String> {
    let out = run("pdftotext", &[pdf.to_str().context("path")?, "-"])?;
    Ok(String::from_utf8(out)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect())
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn pdftotext_finds_title_headings_and_every_latest_value() -> Result<()> {
    let report = fixture();
    let Some(bytes) = pdf(&report)? else {
        return Ok(());
    };
    if !have("pdftotext") {
        return Ok(());
    }
    let path = scratch("report-fixture.pdf", &bytes)?;
    let text = text_of(&path)?;

    assert!(
        text.contains(&squeeze(&report.title)),
        "title missing from {text}"
    );
    for heading in [
        "一、总体进展",
        "二、主要指标进展",
        "六、对策建议",
        "（一）发展能级",
    ] {
        assert!(text.contains(heading), "{heading} missing from {text}");
    }
    for line in &report.facts.indicators {
        let latest = line
            .latest
            .context("the fixture's indicators have values")?;
        assert!(
            text.contains(&latest.to_string()),
            "{}'s latest value {latest} missing from {text}",
            line.name
        );
    }
    // Table cells, a list item, the note and the provenance all reach the page.
    for expected in [
        "锦江区",
        "82.0%",
        "推进交子公园金融商务区建设",
        "本节为系统生成的草稿",
        "本报告数据截至2024年6月30日",
    ] {
        assert!(text.contains(expected), "{expected} missing from {text}");
    }
    Ok(())
}

#[test]
fn pdffonts_lists_the_cjk_fonts_embedded() -> Result<()> {
    let Some(bytes) = pdf(&fixture())? else {
        return Ok(());
    };
    if !have("pdffonts") {
        return Ok(());
    }
    let path = scratch("report-fonts.pdf", &bytes)?;
    let listing = String::from_utf8(run("pdffonts", &[path.to_str().context("path")?])?)?;
    // name type encoding emb sub uni object ID; the first two lines are the header.
    let cjk: Vec<(&str, &str)> = listing
        .lines()
        .skip(2)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let name = *cols.first()?;
            let emb = *cols.get(cols.len().checked_sub(5)?)?;
            (name.contains("CJK") || name.contains("Fandol")).then_some((name, emb))
        })
        .collect();
    assert!(
        cjk.len() >= 2,
        "a CJK serif and a CJK sans expected in\n{listing}"
    );
    for (name, emb) in cjk {
        assert_eq!(emb, "yes", "{name} not embedded:\n{listing}");
    }
    Ok(())
}

/// The dark pixels of a binary PGM (P5, 8-bit), and the number of pixels.
fn dark_pixels(pgm: &[u8]) -> Result<(usize, usize)> {
    // Header: "P5", width, height, maxval, separated by white space, then one byte a pixel.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm.get(at).context("short PGM")?.is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm.get(at).context("short PGM")?.is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&pgm[start..at])?);
    }
    if fields[0] != "P5" || fields[3] != "255" {
        bail!("not an 8-bit binary PGM: {fields:?}");
    }
    let (width, height): (usize, usize) = (fields[1].parse()?, fields[2].parse()?);
    let pixels = &pgm[at + 1..];
    ensure!(
        pixels.len() == width * height,
        "{} pixels for {width}×{height}",
        pixels.len()
    );
    Ok((pixels.iter().filter(|&&p| p < 128).count(), pixels.len()))
}

#[test]
fn first_page_is_drawn() -> Result<()> {
    let Some(bytes) = pdf(&fixture())? else {
        return Ok(());
    };
    if !have("pdftoppm") {
        return Ok(());
    }
    let path = scratch("report-page.pdf", &bytes)?;
    let pdf = path.to_str().context("path")?;
    let pgm = run(
        "pdftoppm",
        &["-r", "40", "-gray", "-f", "1", "-l", "1", pdf],
    )?;
    let (dark, all) = dark_pixels(&pgm)?;
    // A4 at 40 dpi is 331×468; a page of text inks a few percent of it.
    assert_eq!(all, 331 * 468);
    assert!(
        dark > all / 100,
        "page 1 nearly blank: {dark} dark pixels of {all}"
    );
    assert!(
        dark < all / 4,
        "page 1 mostly dark: {dark} dark pixels of {all}"
    );
    // A picture to look at: target/tmp/report-page-1.png.
    let stem = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-page");
    run(
        "pdftoppm",
        &[
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            "2",
            pdf,
            stem.to_str().context("path")?,
        ],
    )?;
    Ok(())
}

#[test]
fn same_report_same_bytes_dated_from_as_of() -> Result<()> {
    let report = fixture();
    let Some(first) = pdf(&report)? else {
        return Ok(());
    };
    let second = write_pdf(&report, &PdfOptions::default())?;
    assert!(first == second, "two writes of one report differ");
    let raw = String::from_utf8_lossy(&first);
    assert!(
        raw.contains("D:20240630"),
        "creation date is not the as-of date"
    );

    let mut later = report.clone();
    later.as_of = chrono::NaiveDate::from_ymd_opt(2024, 9, 30).context("date")?;
    let third = write_pdf(&later, &PdfOptions::default())?;
    assert!(String::from_utf8_lossy(&third).contains("D:20240930"));
    Ok(())
}

#[test]
fn english_edition_puts_latin_fonts_first() -> Result<()> {
    let mut report = fixture();
    report.lang = Lang::En;
    report.title = "Mid-term evaluation of the 14th Five-Year Plan for services in Chengdu".into();
    report.sections[0].heading = "Overall progress".into();
    let Some(bytes) = pdf(&report)? else {
        return Ok(());
    };
    if !have("pdftotext") || !have("pdffonts") {
        return Ok(());
    }
    let path = scratch("report-en.pdf", &bytes)?;
    let text = text_of(&path)?;
    assert!(
        text.contains("1.Overallprogress"),
        "English section number missing from {text}"
    );
    assert!(
        text.contains("2.1发展能级"),
        "English subsection number missing from {text}"
    );
    let listing = String::from_utf8(run("pdffonts", &[path.to_str().context("path")?])?)?;
    assert!(
        listing.contains("LibertinusSerif"),
        "Latin serif not used:\n{listing}"
    );
    Ok(())
}
