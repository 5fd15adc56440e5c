//! The fixture report written as a PDF and read back with real clients (poppler-utils):
//! `pdftotext` finds the title, the headings and every indicator's latest value, `pdffonts` shows
//! the CJK fonts embedded, `pdftoppm` draws a first page that is not blank and the chart on it.
//!
//! Without poppler-utils or a CJK font the tests are skipped with a message, except under CI
//! (`CI` set), where they fail instead: `scripts/setup-report-tools` installs both. The PDFs and
//! pages are left in Cargo's test scratch directory (`target/tmp`) to look at.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use planwatch_report::{Block, Lang, Report, fixture};
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

/// `report` written to `name` in the scratch directory, or `None` (after saying so) when the tests
/// are to be skipped: a poppler `tool` or the CJK fonts missing outside CI.
fn written(report: &Report, name: &str, tools: &[&str]) -> Result<Option<PathBuf>> {
    if !tools.iter().all(|tool| have(tool)) {
        return Ok(None);
    }
    let Some(bytes) = pdf(report)? else {
        return Ok(None);
    };
    scratch(name, &bytes).map(Some)
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
    let Some(path) = written(&report, "report-fixture.pdf", &["pdftotext"])? else {
        return Ok(());
    };
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
    let Some(path) = written(&fixture(), "report-fonts.pdf", &["pdffonts"])? else {
        return Ok(());
    };
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

/// The pixels of a binary PGM (P5, 8-bit) darker than `below`, and the number of pixels.
/// pdftoppm writes the header as `P5\n<width> <height>\n255\n`: four fields, one separator each.
fn pixels_darker(pgm: &[u8], below: u8) -> Result<(usize, usize)> {
    let parts: Vec<&[u8]> = pgm.splitn(5, u8::is_ascii_whitespace).collect();
    let [magic, width, height, depth, pixels] = parts[..] else {
        bail!("short PGM");
    };
    let number = |field: &[u8]| -> Result<usize> { Ok(std::str::from_utf8(field)?.parse()?) };
    ensure!(magic == b"P5" && depth == b"255", "not an 8-bit binary PGM");
    let all = number(width)? * number(height)?;
    ensure!(pixels.len() == all, "{} pixels for {all}", pixels.len());
    Ok((pixels.iter().filter(|&&p| p < below).count(), all))
}

/// Page 1 of the PDF at `path` as an 8-bit PGM at 40 dpi.
fn page_one(path: &Path) -> Result<Vec<u8>> {
    let pdf = path.to_str().context("path")?;
    run(
        "pdftoppm",
        &["-r", "40", "-gray", "-f", "1", "-l", "1", pdf],
    )
}

#[test]
fn first_page_is_drawn() -> Result<()> {
    let Some(path) = written(&fixture(), "report-page.pdf", &["pdftoppm"])? else {
        return Ok(());
    };
    let pdf = path.to_str().context("path")?;
    let pgm = page_one(&path)?;
    let (dark, all) = pixels_darker(&pgm, 128)?;
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
    let Some(path) = written(&report, "report-en.pdf", &["pdftotext", "pdffonts"])? else {
        return Ok(());
    };
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
    // A Latin face besides the CJK ones (Libertinus Serif, embedded in typst, where no Times
    // New Roman or Liberation Serif is installed).
    let latin = listing
        .lines()
        .skip(2)
        .filter(|line| !line.contains("CJK") && !line.contains("Fandol"))
        .count();
    assert!(latin > 0, "no Latin face used:\n{listing}");
    Ok(())
}

/// Pixels with any ink (not white) on page 1 of `report`, at 40 dpi: thin lines count too.
fn ink(report: &Report, name: &str) -> Result<Option<usize>> {
    let Some(path) = written(report, name, &["pdftoppm"])? else {
        return Ok(None);
    };
    Ok(Some(pixels_darker(&page_one(&path)?, 240)?.0))
}

#[test]
fn chart_is_drawn_from_the_shared_svg() -> Result<()> {
    if !have("pdftotext") {
        return Ok(());
    }
    // One section holding only the fixture's chart, against the same with its caption as text.
    let mut report = fixture();
    let chart = report.sections[1]
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::Chart(c) => Some(c.clone()),
            _ => None,
        })
        .context("the fixture has a chart")?;
    report.sections.truncate(1);
    report.sections[0].blocks = vec![Block::Chart(chart.clone())];
    let Some(with_chart) = ink(&report, "report-chart.pdf")? else {
        return Ok(());
    };
    let text = text_of(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-chart.pdf"))?;
    // The SVG's labels stay text in the PDF: the legend, the unit and the years.
    for label in chart
        .legend
        .iter()
        .map(String::as_str)
        .chain(["亿元", "2020", "2025"])
    {
        assert!(
            text.contains(&squeeze(label)),
            "chart label {label} missing from {text}"
        );
    }

    report.sections[0].blocks = vec![Block::Note {
        text: chart.caption,
    }];
    let without = ink(&report, "report-no-chart.pdf")?.context("fonts were found a moment ago")?;
    assert!(
        // The picture (about 230×130 pixels at 40 dpi) inks its grid, axes, lines and labels.
        with_chart > without + 1000,
        "the chart adds {with_chart} - {without} inked pixels only"
    );
    Ok(())
}

#[test]
fn texts_are_printed_as_written_never_as_typst_markup() -> Result<()> {
    let mut report = fixture();
    let literal = "#set text(red) *粗* _斜_ $x^2$ `代码` <标签> @引用 = 标题 \\ 50%";
    report.sections[0].blocks = vec![Block::Paragraph {
        text: literal.into(),
    }];
    report.sections[0].heading = "#pagebreak() 总体进展".into();
    let Some(path) = written(&report, "report-literal.pdf", &["pdftotext"])? else {
        return Ok(());
    };
    let text = text_of(&path)?;
    assert!(
        text.contains(&squeeze(literal)),
        "{literal} not printed as written in {text}"
    );
    assert!(
        text.contains("一、#pagebreak()总体进展"),
        "heading not printed as written in {text}"
    );
    Ok(())
}

#[test]
fn a_long_table_repeats_its_header_row_on_every_page() -> Result<()> {
    let mut report = fixture();
    let rows: Vec<Vec<String>> = (1..=80)
        .map(|n| {
            vec![
                n.to_string(),
                format!("第{n}区"),
                format!("{n}.5"),
                "80.0%".into(),
            ]
        })
        .collect();
    report.sections.truncate(1);
    report.sections[0].blocks = vec![Block::Table(planwatch_report::Table {
        caption: "表9　长表".into(),
        columns: ["排名", "区（市）县", "最新值", "完成度"]
            .map(String::from)
            .to_vec(),
        rows,
        widths: vec![1, 3, 2, 2],
    })];
    let Some(path) = written(&report, "report-long-table.pdf", &["pdftotext"])? else {
        return Ok(());
    };
    let text = text_of(&path)?;
    // Page numbers “— n —”.
    let pages = (1..10).filter(|n| text.contains(&format!("—{n}—"))).count();
    assert!(pages >= 3, "80 rows on {pages} pages");
    let headers = text.matches("排名区（市）县最新值完成度").count();
    assert_eq!(headers, pages, "header rows on {pages} pages: {text}");
    assert!(text.contains("第80区80.5"), "last row missing from {text}");
    Ok(())
}
