//! The evaluation report as an editable Word document (issue 15).
//!
//! [`write_docx`] lays out a [`Report`] in the GB/T 9704 style official documents use — A4, the
//! standard margins, title in 小标宋 二号, 一、 headings in 黑体 and （一） headings in 楷体, body in
//! 仿宋 三号 on fixed 28-point lines, page numbers “— 1 —” — with every face a named Word style
//! (`Title`, `Heading1`, `Heading2`, `Caption`, …) so that the navigation pane and a table of
//! contents work and an office can restyle it. Tables are real tables with a header row that
//! repeats on every page; charts are the shared SVG chart rasterised to PNG.
//!
//! Deterministic: the same report gives the same bytes (dates from `report.as_of`, no clock, no
//! random ids).

mod package;
mod picture;
mod styles;

use chrono::Datelike as _;
use docx_rs::{
    AbstractNumbering, AlignmentType, Docx, Footer, IndentLevel, Level, LevelJc, LevelOverride,
    LevelSuffixType, LevelText, NumberFormat, Numbering, NumberingId, PageMargin, PageNum,
    Paragraph, Pic, Run, SpecialIndentType, Start, Table as DocxTable, TableAlignmentType,
    TableCell, TableCellMargins, TableLayoutType, TableRow, WidthType,
};
use planwatch_report::{Block, CHART_HEIGHT, CHART_WIDTH, Chart, Lang, Report, Section, Table};

use crate::package::{Patch, repack};
use crate::picture::chart_png;
use crate::styles::{
    CAPTION, FIGURE, FOOTER, HEADING1, HEADING2, LIST, NOTE, SUBTITLE, TABLE_HEADER, TABLE_TEXT,
    TITLE, TWO_CHARS, font_table_xml, styles,
};

/// Why a report could not be written as DOCX.
#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("图表无法解析 (chart SVG could not be parsed): {0}")]
    ChartSvg(#[from] resvg::usvg::Error),
    #[error("图表尺寸无效 (chart size is not a valid picture size)")]
    PictureSize,
    #[error("图表无法编码为 PNG (chart could not be encoded as PNG): {0}")]
    Png(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("文档打包失败 (the document could not be packed): {0}")]
    Pack(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("文档重新打包失败 (the document could not be re-packed): {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("docx-rs 的输出与预期不同 (docx-rs's output changed): {part} lacks {from}")]
    Unpatched { part: String, from: &'static str },
    #[error("文档部件不是 UTF-8 (a document part is not UTF-8): {0}")]
    NotUtf8(String),
    #[error("读写失败 (I/O): {0}")]
    Io(#[from] std::io::Error),
}

// A4 and the GB/T 9704 margins, in twentieths of a point (1 mm = 56.7).
const A4_WIDTH: u32 = 11_906;
const A4_HEIGHT: u32 = 16_838;
const MARGIN_TOP: i32 = 2_098; // 37 mm
const MARGIN_BOTTOM: i32 = 1_984; // 35 mm
const MARGIN_LEFT: i32 = 1_587; // 28 mm
const MARGIN_RIGHT: i32 = 1_474; // 26 mm
/// The page number sits 7 mm under the text block: its line starts 28 mm above the paper's edge.
const FOOTER_DISTANCE: i32 = 1_304; // 23 mm, plus the number's own line
/// The text block's width, which tables fill and charts are scaled to.
const TEXT_WIDTH: u32 = A4_WIDTH - (MARGIN_LEFT + MARGIN_RIGHT) as u32;
/// A table cell's left and right padding: 1 mm.
const CELL_PADDING: usize = 57;
/// EMU (English metric units) per twentieth of a point.
const EMU_PER_TWIP: u32 = 635;

/// Numbering definitions: ordered lists (1. 2. …) and dashed lists. docx-rs writes a default
/// definition and instance with id 1 of its own: ours come after it.
const ORDERED: usize = 2;
const DASHED: usize = 3;
const FIRST_LIST: usize = 2;

/// The report as a DOCX package.
pub fn write_docx(report: &Report) -> Result<Vec<u8>, DocxError> {
    let date = report.as_of.format("%Y-%m-%dT00:00:00Z").to_string();
    let mut docx = Docx::new()
        .page_size(A4_WIDTH, A4_HEIGHT)
        .page_margin(
            PageMargin::new()
                .top(MARGIN_TOP)
                .bottom(MARGIN_BOTTOM)
                .left(MARGIN_LEFT)
                .right(MARGIN_RIGHT)
                .header(851)
                .footer(FOOTER_DISTANCE)
                .gutter(0),
        )
        .footer(page_number_footer(Side::Odd))
        .even_footer(page_number_footer(Side::Even))
        .add_abstract_numbering(list_definition(ORDERED, "decimal", "%1."))
        .add_abstract_numbering(list_definition(DASHED, "bullet", "—"))
        .created_at(&date)
        .updated_at(&date);
    for style in styles(report.lang) {
        docx = docx.add_style(style);
    }

    docx = docx
        .add_paragraph(styled(TITLE, &report.title))
        .add_paragraph(styled(SUBTITLE, &report.subtitle))
        .add_paragraph(styled(SUBTITLE, &report.issuer))
        .add_paragraph(styled(NOTE, &report.provenance));

    let mut writer = Writer {
        lang: report.lang,
        docx,
        lists: 0,
        pictures: 0,
    };
    for section in &report.sections {
        writer.section(section)?;
    }

    let mut packed = Vec::new();
    writer
        .docx
        .build()
        .pack(std::io::Cursor::new(&mut packed))
        .map_err(|source| DocxError::Pack(Box::new(source)))?;
    // Zip stamps cannot go before 1980; such a date keeps zip's own fixed 1980-01-01.
    let stamp = u16::try_from(report.as_of.year())
        .ok()
        .and_then(|year| {
            // Month and day are at most 31: they fit.
            let (month, day) = (report.as_of.month() as u8, report.as_of.day() as u8);
            zip::DateTime::from_date_and_time(year, month, day, 0, 0, 0).ok()
        })
        .unwrap_or_default();
    repack(
        &packed,
        stamp,
        &[("word/fontTable.xml", font_table_xml())],
        &patches(report),
    )
}

/// What docx-rs's output needs besides the font table.
fn patches(report: &Report) -> Vec<Patch> {
    let (lang, east_asia) = match report.lang {
        Lang::Zh => ("zh-CN", "zh-CN"),
        Lang::En => ("en-US", "zh-CN"),
    };
    let mut patches = vec![
        // docx-rs writes an empty Normal style of its own before ours: Word would take it.
        Patch {
            part: "word/styles.xml",
            from: r#"<w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal" /><w:rPr /><w:pPr><w:rPr /></w:pPr><w:qFormat /></w:style>"#,
            to: String::new(),
        },
        // Paragraphs without a style are Normal ones: docx-rs cannot mark a style the default.
        Patch {
            part: "word/styles.xml",
            from: r#"<w:style w:type="paragraph" w:styleId="Normal">"#,
            to: r#"<w:style w:type="paragraph" w:default="1" w:styleId="Normal">"#.into(),
        },
        // The text's language, so that spelling, line breaking and the CJK glyph variant follow it.
        Patch {
            part: "word/styles.xml",
            from: "<w:rPrDefault><w:rPr /></w:rPrDefault>",
            to: format!(
                r#"<w:rPrDefault><w:rPr><w:lang w:val="{lang}" w:eastAsia="{east_asia}" w:bidi="ar-SA" /></w:rPr></w:rPrDefault>"#
            ),
        },
    ];
    let has_table = report
        .sections
        .iter()
        .flat_map(|s| &s.blocks)
        .any(|b| matches!(b, Block::Table(_)));
    if has_table {
        // Only header rows can't split (see `Writer::table`): they also repeat on every page.
        patches.push(Patch {
            part: "word/document.xml",
            from: "<w:trPr><w:cantSplit /></w:trPr>",
            to: "<w:trPr><w:cantSplit /><w:tblHeader /></w:trPr>".into(),
        });
    }
    patches
}

/// Lays out sections into the document, numbering lists and pictures as it goes.
struct Writer {
    lang: Lang,
    docx: Docx,
    /// Lists so far: each gets its own numbering instance, so that every ordered list starts at 1.
    lists: usize,
    /// Pictures so far: their relationship ids.
    pictures: usize,
}

impl Writer {
    fn section(&mut self, section: &Section) -> Result<(), DocxError> {
        let heading = match self.lang {
            Lang::Zh => format!("{}、{}", chinese_numeral(section.number), section.heading),
            Lang::En => format!("{}. {}", section.number, section.heading),
        };
        self.push(styled(HEADING1, &heading).keep_next(true));
        for block in &section.blocks {
            self.block(section.number, block)?;
        }
        Ok(())
    }

    fn block(&mut self, section: u8, block: &Block) -> Result<(), DocxError> {
        match block {
            Block::Subheading { number, text } => {
                let heading = match self.lang {
                    Lang::Zh => format!("（{}）{}", chinese_numeral(*number), text),
                    Lang::En => format!("{section}.{number} {text}"),
                };
                self.push(styled(HEADING2, &heading).keep_next(true));
            }
            Block::Paragraph { text } => {
                self.push(Paragraph::new().add_run(Run::new().add_text(text)))
            }
            Block::List { ordered, items } => self.list(*ordered, items),
            Block::Table(table) => self.table(table),
            Block::Chart(chart) => self.chart(chart)?,
            Block::Note { text } => self.push(styled(NOTE, text)),
        }
        Ok(())
    }

    fn push(&mut self, paragraph: Paragraph) {
        let docx = std::mem::take(&mut self.docx);
        self.docx = docx.add_paragraph(paragraph);
    }

    fn list(&mut self, ordered: bool, items: &[String]) {
        let id = FIRST_LIST + self.lists;
        self.lists += 1;
        let definition = if ordered { ORDERED } else { DASHED };
        let docx = std::mem::take(&mut self.docx);
        self.docx = docx.add_numbering(
            Numbering::new(id, definition).add_override(LevelOverride::new(0).start(1)),
        );
        for item in items {
            self.push(styled(LIST, item).numbering(NumberingId::new(id), IndentLevel::new(0)));
        }
    }

    fn table(&mut self, table: &Table) {
        self.push(styled(CAPTION, &table.caption).keep_next(true));
        let grid = column_widths(&table.widths, table.columns.len());
        let row = |cells: &[String], style: &str| {
            TableRow::new(
                cells
                    .iter()
                    .zip(&grid)
                    .map(|(cell, width)| {
                        TableCell::new()
                            .width(*width, WidthType::Dxa)
                            .add_paragraph(styled(style, cell))
                    })
                    .collect(),
            )
        };
        // Only the header row can't split: the package step turns that mark into "repeat as header row".
        let mut rows = vec![row(&table.columns, TABLE_HEADER).cant_split()];
        rows.extend(table.rows.iter().map(|cells| row(cells, TABLE_TEXT)));
        let docx = std::mem::take(&mut self.docx);
        self.docx = docx.add_table(
            DocxTable::new(rows)
                .set_grid(grid.clone())
                .width(grid.iter().sum(), WidthType::Dxa)
                .align(TableAlignmentType::Center)
                .margins(TableCellMargins::new().margin(0, CELL_PADDING, 0, CELL_PADDING))
                .layout(TableLayoutType::Fixed),
        );
    }

    fn chart(&mut self, chart: &Chart) -> Result<(), DocxError> {
        let png = chart_png(chart)?;
        self.pictures += 1;
        // As wide as the text block, keeping the chart's proportions.
        let width = TEXT_WIDTH * EMU_PER_TWIP;
        let height = width / CHART_WIDTH * CHART_HEIGHT;
        let pic = Pic::new_with_dimensions(
            png,
            CHART_WIDTH * picture::SCALE,
            CHART_HEIGHT * picture::SCALE,
        )
        .id(format!("rIdImage{}", self.pictures))
        .size(width, height);
        // A figure's caption goes under it (a table's above it).
        self.push(
            Paragraph::new()
                .style(FIGURE)
                .keep_next(true)
                .add_run(Run::new().add_image(pic)),
        );
        self.push(styled(CAPTION, &chart.caption));
        Ok(())
    }
}

fn styled(style: &str, text: &str) -> Paragraph {
    Paragraph::new()
        .style(style)
        .add_run(Run::new().add_text(text))
}

/// Where a page number goes (GB/T 9704 7.5): odd pages at the right, even pages at the left,
/// one character in from the edge of the text block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Odd,
    Even,
}

/// “— 1 —”: the page number between em dashes, 7 mm under the text block.
fn page_number_footer(side: Side) -> Footer {
    const ONE_CHAR: i32 = 280; // 四号, 14 pt
    let paragraph = Paragraph::new().style(FOOTER);
    let paragraph = match side {
        Side::Odd => {
            paragraph
                .align(AlignmentType::Right)
                .indent(Some(0), None, Some(ONE_CHAR), None)
        }
        Side::Even => {
            paragraph
                .align(AlignmentType::Left)
                .indent(Some(ONE_CHAR), None, Some(0), None)
        }
    };
    Footer::new().add_paragraph(
        paragraph
            .add_run(Run::new().add_text("— "))
            .add_page_num(PageNum::new())
            .add_run(Run::new().add_text(" —")),
    )
}

/// A one-level list laid out like a paragraph: the number or dash where the first line's indent
/// would start, the text after a space, further lines at the margin.
fn list_definition(id: usize, format: &str, text: &str) -> AbstractNumbering {
    AbstractNumbering::new(id).add_level(
        Level::new(
            0,
            Start::new(1),
            NumberFormat::new(format),
            LevelText::new(text),
            LevelJc::new("left"),
        )
        .indent(
            Some(0),
            Some(SpecialIndentType::FirstLine(TWO_CHARS)),
            None,
            None,
        )
        .suffix(LevelSuffixType::Space),
    )
}

/// Column widths in twentieths of a point: the relative widths spread over the text block
/// (equal columns when the widths don't match the columns).
fn column_widths(relative: &[u16], columns: usize) -> Vec<usize> {
    let relative: Vec<u32> = if relative.len() == columns && relative.iter().any(|&w| w > 0) {
        relative.iter().map(|&w| u32::from(w)).collect()
    } else {
        vec![1; columns]
    };
    let total: u32 = relative.iter().sum();
    relative
        .iter()
        .map(|&w| (TEXT_WIDTH * w / total) as usize)
        .collect()
}

/// 1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 23 → 二十三 (sections and subsections stay below 100).
fn chinese_numeral(n: u8) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let (tens, ones) = (usize::from(n / 10), usize::from(n % 10));
    let mut out = String::new();
    match tens {
        0 => {}
        1 => out.push('十'),
        _ => {
            out.push_str(DIGITS[tens % 10]);
            out.push('十');
        }
    }
    if ones > 0 || tens == 0 {
        out.push_str(DIGITS[ones]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use planwatch_report::fixture;

    #[test]
    fn chinese_numerals() {
        let cases = [
            (1, "一"),
            (6, "六"),
            (10, "十"),
            (12, "十二"),
            (20, "二十"),
            (23, "二十三"),
        ];
        for (n, expected) in cases {
            assert_eq!(chinese_numeral(n), expected, "{n}");
        }
    }

    #[test]
    fn column_widths_fill_the_text_block() {
        let widths = column_widths(&[5, 2, 2, 2, 3, 2, 2, 3], 8);
        assert_eq!(widths.len(), 8);
        assert_eq!(widths[0], TEXT_WIDTH as usize * 5 / 21);
        assert!(TEXT_WIDTH as usize - widths.iter().sum::<usize>() < 8);
        assert_eq!(column_widths(&[1, 2], 3), vec![TEXT_WIDTH as usize / 3; 3]);
    }

    #[test]
    fn same_report_same_bytes() {
        let report = fixture();
        let first = write_docx(&report).expect("writes");
        let second = write_docx(&report).expect("writes");
        assert!(first.len() > 10_000, "{} bytes", first.len());
        assert!(first == second, "two writes of the same report differ");
    }
}
