//! The evaluation report (`planwatch-report`) as a PDF, typeset by typst embedded as a library,
//! in the GB/T 9704 layout of the Word writer: A4, 仿宋 三号 body on a 28 pt line, 黑体 and 楷体
//! headings, page numbers “— 1 —”.
//!
//! The template `templates/report.typ` is compiled in; the report goes to it as a virtual
//! `data.json` together with the font families chosen for each role, and each chart as a virtual
//! SVG file drawn by `planwatch_report::chart_svg`, the picture every writer shares. CJK fonts are
//! found at run time (see [`PdfOptions`]); the same report gives the same bytes, dated from its
//! as-of date.

mod fonts;
mod world;

use std::path::PathBuf;

use planwatch_report::{Block, Report, chart_svg};
use serde::Serialize;
use typst::diag::SourceDiagnostic;
use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::Timestamp;

use crate::fonts::Roles;
use crate::world::ReportWorld;

/// How to write the PDF.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdfOptions {
    /// Directories scanned for fonts before the system's (`--font-dir`): a 仿宋 or 楷体 the
    /// office has, or CJK fonts where no Debian package is installed.
    pub font_dirs: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "未找到中文字体：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk），或用 --font-dir 指定含中文字体的目录 / \
         no CJK font found in the system font directories{}: install one (`apt-get install fonts-noto-cjk`) \
         or name a directory of CJK fonts with `--font-dir`",
        searched(font_dirs)
    )]
    NoCjkFont { font_dirs: Vec<PathBuf> },
    #[error("报告排版失败 / typesetting the report failed: {0}")]
    Typeset(String),
    #[error("PDF 导出失败 / exporting the PDF failed: {0}")]
    Export(String),
}

fn searched(font_dirs: &[PathBuf]) -> String {
    font_dirs
        .iter()
        .map(|dir| format!(", {}", dir.display()))
        .collect()
}

/// What the template reads from `data.json`.
#[derive(Serialize)]
struct TemplateData<'a> {
    report: &'a Report,
    fonts: &'a Roles,
}

/// Writes `report` as a PDF. Deterministic: the document's date is the report's as-of date, so
/// the same report and fonts give identical bytes.
pub fn write_pdf(report: &Report, options: &PdfOptions) -> Result<Vec<u8>, PdfError> {
    let fonts = fonts::fonts(&options.font_dirs)?;
    let data = serde_json::to_vec(&TemplateData {
        report,
        fonts: &fonts.roles,
    })
    .map_err(|e| PdfError::Typeset(e.to_string()))?;
    // The n-th chart block of the report, in reading order, is /chart-n.svg.
    let charts = report
        .sections
        .iter()
        .flat_map(|section| &section.blocks)
        .filter_map(|block| match block {
            Block::Chart(chart) => Some(chart_svg(chart).into_bytes()),
            _ => None,
        })
        .zip(1..)
        .map(|(svg, n)| (format!("/chart-{n}.svg"), svg));
    let date = as_of(report)?;
    let files = std::iter::once(("/data.json".to_owned(), data)).chain(charts);
    let world = ReportWorld::new(&fonts.store, files, date);
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors| PdfError::Typeset(messages(&errors)))?;
    let pdf_options = typst_pdf::PdfOptions {
        ident: Smart::Custom(format!(
            "{}/{}/{}/{}",
            report.plan_id,
            report.kind.as_str(),
            report.year,
            report.as_of
        )),
        creator: Smart::Custom(Some("Planwatch".into())),
        timestamp: Some(Timestamp::new_utc(date)),
        ..typst_pdf::PdfOptions::default()
    };
    let pdf = typst_pdf::pdf(&document, &pdf_options)
        .map_err(|errors| PdfError::Export(messages(&errors)));
    // The memoisation caches would otherwise keep every report a server has rendered.
    typst::comemo::evict(10);
    pdf
}

fn as_of(report: &Report) -> Result<Datetime, PdfError> {
    use chrono::Datelike;
    let date = report.as_of;
    u8::try_from(date.month())
        .ok()
        .zip(u8::try_from(date.day()).ok())
        .and_then(|(month, day)| Datetime::from_ymd(date.year(), month, day))
        .ok_or_else(|| PdfError::Typeset(format!("as-of date {date} out of range")))
}

fn messages(diagnostics: &[SourceDiagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_cjk_font_names_the_package_and_the_option() {
        let message = PdfError::NoCjkFont {
            font_dirs: vec![PathBuf::from("/srv/fonts")],
        }
        .to_string();
        assert!(message.starts_with("未找到中文字体"), "{message}");
        for part in ["apt-get install fonts-noto-cjk", "--font-dir", "/srv/fonts"] {
            assert!(message.contains(part), "{part} missing from {message}");
        }
    }
}
