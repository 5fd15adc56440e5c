//! The written DOCX as its readers see it: the package read back with `zip` and `quick-xml` (no
//! DOCX library), and LibreOffice converting it to PDF as an office's Word would open it.

use std::io::{Cursor, Read as _};
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, ensure};
use planwatch_report::{Lang, fixture};
use planwatch_report_docx::write_docx;
use quick_xml::Reader;
use quick_xml::events::Event;

/// One part of the package as text.
fn part(docx: &[u8], name: &str) -> Result<String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(docx))?;
    let mut text = String::new();
    archive
        .by_name(name)
        .with_context(|| format!("{name} in the package"))?
        .read_to_string(&mut text)?;
    Ok(text)
}

/// What `word/document.xml` holds: paragraphs outside tables as (style id, text), and tables as
/// rows of cell texts with whether the row repeats as a header.
#[derive(Debug, Default)]
struct Body {
    paragraphs: Vec<(String, String)>,
    tables: Vec<Vec<(bool, Vec<String>)>>,
}

fn attribute(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| a.value.into_owned())
}

fn read_body(xml: &str) -> Result<Body> {
    let mut reader = Reader::from_str(xml);
    let mut body = Body::default();
    let (mut in_table, mut in_text) = (false, false);
    let (mut style, mut text) = (String::new(), String::new());
    let mut row: Option<(bool, Vec<String>)> = None;
    loop {
        match reader.read_event()? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "w:tbl" => {
                in_table = true;
                body.tables.push(Vec::new());
            }
            Event::Start(e) if e.name().as_ref() == "w:tr" => row = Some((false, Vec::new())),
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "w:tblHeader" => {
                if let Some(row) = row.as_mut() {
                    row.0 = true;
                }
            }
            Event::Start(e) if e.name().as_ref() == "w:p" => {
                style.clear();
                text.clear();
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "w:pStyle" => {
                style = attribute(&e, "w:val").unwrap_or_default();
            }
            Event::Start(e) if e.name().as_ref() == "w:t" => in_text = true,
            Event::Text(t) if in_text => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                let entity: &str = r.as_ref();
                text.push_str(match entity {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    _ => "'",
                });
            }
            Event::End(e) => match e.name().as_ref() {
                "w:t" => in_text = false,
                "w:p" if in_table => {
                    if let Some((_, cells)) = row.as_mut() {
                        cells.push(text.clone());
                    }
                }
                "w:p" => body.paragraphs.push((style.clone(), text.clone())),
                "w:tr" => {
                    if let (Some(row), Some(table)) = (row.take(), body.tables.last_mut()) {
                        table.push(row);
                    }
                }
                "w:tbl" => in_table = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(body)
}

fn texts_with_style<'a>(body: &'a Body, style: &str) -> Vec<&'a str> {
    body.paragraphs
        .iter()
        .filter(|(s, _)| s == style)
        .map(|(_, t)| t.as_str())
        .collect()
}

#[test]
fn headings_are_word_headings_in_order() -> Result<()> {
    let docx = write_docx(&fixture())?;
    let body = read_body(&part(&docx, "word/document.xml")?)?;
    assert_eq!(
        texts_with_style(&body, "Heading1"),
        [
            "一、总体进展",
            "二、主要指标进展",
            "三、区（市）县",
            "四、重点任务和重大项目",
            "五、存在问题",
            "六、对策建议"
        ]
    );
    assert_eq!(texts_with_style(&body, "Heading2"), ["（一）发展能级"]);
    assert_eq!(
        texts_with_style(&body, "Title"),
        ["《成都市“十四五”服务业发展规划》实施中期评估报告"]
    );
    assert_eq!(
        texts_with_style(&body, "Caption"),
        [
            "表1　主要指标进展情况",
            "图1　服务业增加值（亿元）",
            "表2　区（市）县服务业增加值目标完成情况"
        ]
    );

    let styles = part(&docx, "word/styles.xml")?;
    assert_eq!(
        styles.matches(r#"w:styleId="Normal""#).count(),
        1,
        "one Normal style"
    );
    assert!(styles.contains(r#"<w:style w:type="paragraph" w:default="1" w:styleId="Normal">"#));
    assert!(styles.contains(r#"<w:lang w:val="zh-CN" w:eastAsia="zh-CN""#));
    for (id, name, level) in [("Heading1", "heading 1", 0), ("Heading2", "heading 2", 1)] {
        let start = styles
            .find(&format!(r#"w:styleId="{id}""#))
            .with_context(|| format!("style {id}"))?;
        let style = &styles[start..start + styles[start..].find("</w:style>").context("end")?];
        assert!(
            style.contains(&format!(r#"<w:name w:val="{name}""#)),
            "{style}"
        );
        assert!(
            style.contains(&format!(r#"<w:outlineLvl w:val="{level}""#)),
            "{style}"
        );
    }
    Ok(())
}

#[test]
fn indicator_table_is_a_real_table_with_a_repeating_header() -> Result<()> {
    let docx = write_docx(&fixture())?;
    let body = read_body(&part(&docx, "word/document.xml")?)?;
    assert_eq!(body.tables.len(), 2);
    let indicators = &body.tables[0];
    assert_eq!(indicators.len(), 2, "header and one indicator");
    let (header, columns) = &indicators[0];
    assert!(*header, "the first row repeats on every page");
    assert_eq!(columns[0], "指标");
    assert_eq!(columns[7], "趋势判断");
    let (header, cells) = &indicators[1];
    assert!(!*header);
    assert_eq!(
        cells,
        &[
            "服务业增加值（亿元）",
            "预期性",
            "11729.1",
            "18887",
            "14756.6（2023年）",
            "78.1%",
            "滞后",
            "完成有难度"
        ]
    );
    assert_eq!(body.tables[1][2].1[1], "青羊区");
    Ok(())
}

#[test]
fn page_is_gb_9704_a4_with_dashed_page_numbers() -> Result<()> {
    let docx = write_docx(&fixture())?;
    let document = part(&docx, "word/document.xml")?;
    assert!(
        document.contains(r#"<w:pgSz w:w="11906" w:h="16838""#),
        "A4"
    );
    for margin in [
        r#"w:top="2098""#,
        r#"w:bottom="1984""#,
        r#"w:left="1587""#,
        r#"w:right="1474""#,
    ] {
        assert!(document.contains(margin), "{margin}");
    }
    // Odd pages' numbers at the right, even pages' at the left.
    let settings = part(&docx, "word/settings.xml")?;
    assert!(settings.contains("<w:evenAndOddHeaders />"), "{settings}");
    for (footer, kind, side) in [
        ("word/footer1.xml", "default", "right"),
        ("word/footer2.xml", "even", "left"),
    ] {
        let xml = part(&docx, footer)?;
        assert!(xml.contains("— ") && xml.contains(" —"), "{xml}");
        assert!(xml.contains("PAGE"), "{xml}");
        assert!(
            xml.contains(&format!(r#"<w:jc w:val="{side}" />"#)),
            "{xml}"
        );
        assert!(document.contains(&format!(r#"<w:footerReference w:type="{kind}""#)));
    }
    let core = part(&docx, "docProps/core.xml")?;
    assert!(
        core.contains(">2024-06-30T00:00:00Z</dcterms:created>"),
        "{core}"
    );
    let fonts = part(&docx, "word/fontTable.xml")?;
    assert!(fonts.contains(r#"<w:altName w:val="FZXiaoBiaoSong-B05S"/>"#));
    let mut archive = zip::ZipArchive::new(Cursor::new(docx.as_slice()))?;
    let media: Vec<String> = archive
        .file_names()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|n| n.starts_with("word/media/"))
        .map(String::from)
        .collect();
    assert_eq!(media.len(), 1, "{media:?}");
    let mut png = Vec::new();
    archive.by_name(&media[0])?.read_to_end(&mut png)?;
    assert_eq!(&png[..4], b"\x89PNG");
    Ok(())
}

#[test]
fn english_edition_numbers_headings_the_english_way() -> Result<()> {
    let mut report = fixture();
    report.lang = Lang::En;
    let docx = write_docx(&report)?;
    let body = read_body(&part(&docx, "word/document.xml")?)?;
    let headings = texts_with_style(&body, "Heading1");
    assert_eq!(headings[0], "1. 总体进展");
    assert_eq!(texts_with_style(&body, "Heading2"), ["2.1 发展能级"]);
    let styles = part(&docx, "word/styles.xml")?;
    assert!(styles.contains(r#"w:ascii="Times New Roman""#));
    Ok(())
}

/// Whether LibreOffice and poppler are installed; `false` (after saying so) when the test is to
/// be skipped. Under CI a missing tool fails the test.
fn tools_available() -> bool {
    let on_path = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
    };
    let missing: Vec<&str> = ["soffice", "pdftotext", "pdftoppm", "pdffonts"]
        .into_iter()
        .filter(|tool| !on_path(tool))
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{missing:?} missing under CI: apt-get install libreoffice-writer-nogui poppler-utils"
        );
    }
    eprintln!("skipped: {missing:?} not installed (libreoffice-writer-nogui, poppler-utils)");
    false
}

fn run(command: &mut Command) -> Result<String> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    ensure!(
        output.status.success(),
        "{command:?}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Share of a binary PGM's (P5, 8-bit) pixels darker than almost-white.
fn ink_share(pgm: &[u8]) -> Result<f64> {
    // Header: P5, width, height, maxval, each after whitespace; then one byte a pixel.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm.get(at).context("short header")?.is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm.get(at).context("short header")?.is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&pgm[start..at])?.to_owned());
    }
    ensure!(
        fields[0] == "P5" && fields[3] == "255",
        "not an 8-bit PGM: {fields:?}"
    );
    let (width, height): (usize, usize) = (fields[1].parse()?, fields[2].parse()?);
    let raster = &pgm[at + 1..];
    ensure!(
        raster.len() == width * height,
        "raster of {} bytes",
        raster.len()
    );
    let ink = raster.iter().filter(|&&v| v < 250).count();
    Ok(ink as f64 / raster.len() as f64)
}

#[test]
fn libreoffice_opens_and_converts_it() -> Result<()> {
    if !tools_available() {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let docx = dir.path().join("report.docx");
    std::fs::write(&docx, write_docx(&fixture())?)?;
    // A profile of its own, so that a LibreOffice already running elsewhere doesn't take the job.
    let profile = format!(
        "-env:UserInstallation=file://{}",
        dir.path().join("profile").display()
    );
    // The system's fonts plus the crate's aliases: the GB faces fall back to Noto Serif/Sans CJK.
    let fonts_conf = dir.path().join("fonts.conf");
    let aliases =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fontconfig/65-planwatch-gb-faces.conf");
    std::fs::write(
        &fonts_conf,
        format!(
            r#"<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd"><fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf</include><include>{}</include></fontconfig>"#,
            aliases.display()
        ),
    )?;
    let convert = |format: &str| {
        run(Command::new("soffice")
            .env("FONTCONFIG_FILE", &fonts_conf)
            .arg(&profile)
            .args(["--headless", "--convert-to", format, "--outdir"])
            .arg(dir.path())
            .arg(&docx))
    };

    // LibreOffice takes the headings for headings (outline levels: what the navigator and a
    // table of contents list) and the header rows for repeating ones (<thead>).
    convert("html")?;
    let html = std::fs::read_to_string(dir.path().join("report.html"))?;
    assert_eq!(html.matches("<h1").count(), 6, "{html}");
    assert_eq!(html.matches("<h2").count(), 1, "{html}");
    assert_eq!(html.matches("<thead").count(), 2, "{html}");

    convert("pdf")?;
    let pdf = dir.path().join("report.pdf");
    ensure!(pdf.is_file(), "LibreOffice wrote no PDF");

    let text = run(Command::new("pdftotext").arg(&pdf).arg("-"))?;
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for expected in [
        "《成都市“十四五”服务业发展规划》实施中期评估报告",
        "一、总体进展",
        "（一）发展能级",
        // Cells of both tables (a cell that wraps in its narrow column would not read as one).
        "11729.1",
        "完成有难度",
        "青羊区",
        "—1—",
    ] {
        assert!(
            flat.contains(expected),
            "{expected} not in the PDF's text:\n{text}"
        );
    }

    // Without the office faces, the aliases give 仿宋/小标宋/楷体 the serif and 黑体 the sans CJK face.
    let fonts = run(Command::new("pdffonts").arg(&pdf))?;
    assert!(
        fonts.contains("NotoSerifCJK") && fonts.contains("NotoSansCJK"),
        "{fonts}"
    );

    run(Command::new("pdftoppm")
        .args(["-gray", "-r", "30", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(dir.path().join("page1")))?;
    let share = ink_share(&std::fs::read(dir.path().join("page1.pgm"))?)?;
    assert!(
        share > 0.01,
        "page 1 is blank: {share:.4} of its pixels inked"
    );
    assert!(share < 0.5, "page 1 is mostly ink: {share:.4}");
    Ok(())
}

#[test]
fn ink_share_reads_pgm() -> Result<()> {
    let mut pgm = b"P5\n4 1\n255\n".to_vec();
    pgm.extend([255, 0, 249, 250]);
    assert_eq!(ink_share(&pgm)?, 0.5);
    assert!(ink_share(b"P6\n1 1\n255\nabc").is_err());
    Ok(())
}
