//! Tabular sources: CSV streamed from any reader (UTF-8 with or without BOM, or GB18030 as Excel
//! writes it on Chinese Windows), and Excel workbooks (xlsx, xls, xlsb, ods) read with calamine.
//!
//! Both yield [`RawRow`]s of [`Cell`]s numbered as a spreadsheet shows them: the first line of the
//! file is row 1.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Cursor, Read};

use calamine::{Data, DataType, Reader, Sheets, open_workbook_auto_from_rs};
use compact_str::CompactString;

/// One cell, before it is interpreted.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    /// Kept inline up to 24 bytes (most cells: codes, periods, numbers), so reading a row
    /// allocates nothing per cell.
    Text(CompactString),
    Number(f64),
    /// A number the sheet shows as a percentage (number format `0.0%`): Excel keeps 31.5 % as
    /// 0.315, and this holds what Excel keeps.
    Percent(f64),
    /// An Excel date: year, month, day.
    Date(u16, u8, u8),
    /// An Excel error value (`#DIV/0!`, `#REF!` …).
    Error(String),
    /// A formula whose result the file does not hold (never calculated by Excel).
    UncalculatedFormula(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, for names and codes.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(t) => Cow::Borrowed(t.trim()),
            Cell::Number(n) => Cow::Owned(planwatch_plan::fmt_num(*n)),
            Cell::Percent(fraction) => {
                Cow::Owned(format!("{}%", planwatch_plan::fmt_num(percent(*fraction))))
            }
            Cell::Date(y, m, d) => Cow::Owned(format!("{y}-{m:02}-{d:02}")),
            Cell::Error(e) => Cow::Borrowed(e),
            Cell::UncalculatedFormula(f) => Cow::Owned(format!("={f}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawRow {
    /// The row number a spreadsheet shows (the header is row 1).
    pub row: usize,
    pub cells: Vec<Cell>,
}

/// Why a file could not be read as a table at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    #[error("the file is empty")]
    Empty,
    #[error("the workbook has no sheet with data")]
    EmptySheet,
    #[error("not a readable Excel workbook: {0}")]
    Workbook(String),
    #[error("CSV: {0}")]
    Csv(String),
    /// A row that cannot be read (the file goes on after it).
    #[error("{reason}")]
    BadRow {
        row: usize,
        reason: String,
        reason_zh: String,
    },
    #[error("the header has merged cells ({0}); use one header row with one name per column")]
    MergedHeader(String),
}

impl TableError {
    pub fn zh(&self) -> String {
        match self {
            TableError::Empty => "文件为空".to_owned(),
            TableError::EmptySheet => "工作簿中没有含数据的工作表".to_owned(),
            TableError::Workbook(e) => format!("无法读取 Excel 工作簿：{e}"),
            TableError::Csv(e) => format!("CSV 格式错误：{e}"),
            TableError::BadRow { reason_zh, .. } => reason_zh.clone(),
            TableError::MergedHeader(range) => {
                format!("表头含合并单元格（{range}）：请使用单行表头，每列一个名称")
            }
        }
    }
}

/// The text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
}

/// Decides the encoding from the start of a file: a UTF-8 BOM or valid UTF-8 means UTF-8;
/// anything else is taken as GB18030 (a superset of GBK and GB2312).
pub fn detect_encoding(head: &[u8]) -> Encoding {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Encoding::Utf8,
        // Cut off in the middle of a character at the end of the sample: still UTF-8.
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Gb18030,
    }
}

/// A CSV file read row by row, decoded to UTF-8 on the fly: memory stays bounded whatever the size.
pub(crate) struct CsvRows {
    reader: csv::Reader<Box<dyn Read + Send>>,
    /// Read into again for every row.
    record: csv::StringRecord,
    next_row: usize,
    pub encoding: Encoding,
}

impl CsvRows {
    pub(crate) fn new(input: impl Read + Send + 'static) -> Result<CsvRows, TableError> {
        let mut buffered = BufReader::with_capacity(1 << 16, input);
        let head = buffered
            .fill_buf()
            .map_err(|e| TableError::Csv(e.to_string()))?;
        if head.is_empty() {
            return Err(TableError::Empty);
        }
        let encoding = detect_encoding(head);
        let decoded: Box<dyn Read + Send> = match encoding {
            // Read as it is, not decoded: a GB18030 byte after the part the detection saw is
            // then an error at its row (the CSV reader checks UTF-8), not a silent U+FFFD.
            Encoding::Utf8 => {
                if head.starts_with(b"\xEF\xBB\xBF") {
                    buffered.consume(3);
                }
                Box::new(buffered)
            }
            Encoding::Gb18030 => Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(encoding_rs::GB18030))
                    .build(buffered),
            ),
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(decoded);
        Ok(CsvRows {
            reader,
            record: csv::StringRecord::new(),
            next_row: 1,
            encoding,
        })
    }
}

impl Iterator for CsvRows {
    type Item = Result<RawRow, TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        let read = self.reader.read_record(&mut self.record);
        // The line the record starts on: blank lines, which the reader skips, still count.
        let row = match &read {
            Ok(false) => return None,
            Ok(true) => self
                .record
                .position()
                .map_or(self.next_row, |p| p.line() as usize),
            Err(_) => self.next_row,
        };
        self.next_row = row + 1;
        Some(match read {
            Ok(_) => Ok(RawRow {
                row,
                cells: self
                    .record
                    .iter()
                    .map(|field| {
                        if field.trim().is_empty() {
                            Cell::Empty
                        } else {
                            Cell::Text(field.into())
                        }
                    })
                    .collect(),
            }),
            Err(e) => Err(match e.kind() {
                csv::ErrorKind::Utf8 { .. } => TableError::BadRow {
                    row,
                    reason:
                        "not valid UTF-8: the file mixes encodings after its beginning; save it \
                             as UTF-8 or GB18030"
                            .to_owned(),
                    reason_zh:
                        "不是有效的 UTF-8 编码：文件前后编码不一致，请整体另存为 UTF-8 或 GB18030"
                            .to_owned(),
                },
                _ => TableError::Csv(format!("row {row}: {e}")),
            }),
        })
    }
}

/// The first sheet of a workbook that has data, as rows.
///
/// Cells of a merged range in the data take the value of the range (what a person sees);
/// a merged range in the header row is an error, since it hides column names.
pub(crate) fn excel_rows(bytes: Vec<u8>) -> Result<Vec<RawRow>, TableError> {
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    let uncalculated = asks_for_recalculation(&bytes);
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| TableError::Workbook(e.to_string()))?;
    for name in workbook.sheet_names() {
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| TableError::Workbook(e.to_string()))?;
        let Some((top, left)) = range.start() else {
            continue;
        };
        if range.rows().all(|r| r.iter().all(|c| c.is_empty())) {
            continue;
        }
        let formulas = workbook.worksheet_formula(&name).ok();
        // Number formats (xlsx only; other formats give none): a share typed as 31.5 % is kept
        // as 0.315 and must not be read as 0.315 %.
        let styles = workbook.worksheet_style(&name).ok();
        let merged = match &mut workbook {
            Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            _ => Vec::new(),
        };
        let (height, width) = range.get_size();
        let mut grid: Vec<Vec<Cell>> = range
            .rows()
            .enumerate()
            .map(|(i, cells)| {
                cells
                    .iter()
                    .enumerate()
                    .map(|(j, data)| {
                        let absolute = (top + i as u32, left + j as u32);
                        let formula = formulas
                            .as_ref()
                            .and_then(|f| f.get_value(absolute))
                            .filter(|f| !f.is_empty());
                        let shown_as_percent = || {
                            styles
                                .as_ref()
                                .and_then(|s| s.get(absolute))
                                .and_then(|style| style.number_format.as_ref())
                                .is_some_and(|format| is_percent_format(&format.format_code))
                        };
                        match (formula, cell(data, formula)) {
                            // The writer left the results for Excel to compute: the cached
                            // values (often 0) are not the formulas' values.
                            (Some(f), _) if uncalculated => Cell::UncalculatedFormula(f.clone()),
                            (_, Cell::Number(n)) if shown_as_percent() => Cell::Percent(n),
                            (_, other) => other,
                        }
                    })
                    .collect()
            })
            .collect();
        // The header is the first row with any content.
        let header = grid
            .iter()
            .position(|r| r.iter().any(|c| !c.is_empty()))
            .unwrap_or(0) as u32
            + top;
        for region in merged {
            let (r0, c0) = region.start;
            let (r1, c1) = region.end;
            if r0 <= header && header <= r1 && c0 != c1 {
                return Err(TableError::MergedHeader(format!(
                    "{}{}:{}{}",
                    column_letter(c0),
                    r0 + 1,
                    column_letter(c1),
                    r1 + 1
                )));
            }
            let value = grid
                .get((r0 - top) as usize)
                .and_then(|r| r.get((c0 - left) as usize))
                .cloned()
                .unwrap_or(Cell::Empty);
            for r in r0..=r1 {
                for c in c0..=c1 {
                    let (i, j) = ((r - top) as usize, (c - left) as usize);
                    if i < height && j < width {
                        grid[i][j] = value.clone();
                    }
                }
            }
        }
        return Ok(grid
            .into_iter()
            .enumerate()
            .map(|(i, cells)| RawRow {
                row: top as usize + i + 1,
                cells: pad_left(cells, left as usize),
            })
            .collect());
    }
    Err(TableError::EmptySheet)
}

/// The percentage a [`Cell::Percent`] shows: its fraction × 100, to 15 significant digits (what
/// Excel shows), so that 0.315 reads as 31.5 and not 31.499999999999996.
pub(crate) fn percent(fraction: f64) -> f64 {
    format!("{:.14e}", fraction * 100.0)
        .parse()
        .unwrap_or(fraction * 100.0)
}

/// Whether an Excel number format shows its number as a percentage: a `%` outside quoted text,
/// escapes (`\%`) and bracketed parts (colours, conditions).
fn is_percent_format(code: &str) -> bool {
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                }
            }
            '[' => {
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
            }
            '\\' => {
                chars.next();
            }
            '%' => return true,
            _ => {}
        }
    }
    false
}

/// Whether an xlsx workbook asks to be recalculated when opened (`fullCalcOnLoad`): programs
/// that write formulas without computing them set it, and their cached results are meaningless.
fn asks_for_recalculation(bytes: &[u8]) -> bool {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return false;
    };
    let Ok(mut workbook) = archive.by_name("xl/workbook.xml") else {
        return false;
    };
    let mut xml = String::new();
    workbook.read_to_string(&mut xml).is_ok() && xml.contains("fullCalcOnLoad=\"1\"")
}

/// Restores the empty columns left of the range so that column letters stay right.
fn pad_left(cells: Vec<Cell>, left: usize) -> Vec<Cell> {
    if left == 0 {
        return cells;
    }
    let mut padded = vec![Cell::Empty; left];
    padded.extend(cells);
    padded
}

fn cell(data: &Data, formula: Option<&String>) -> Cell {
    match data {
        Data::Empty => match formula {
            Some(f) => Cell::UncalculatedFormula(f.clone()),
            None => Cell::Empty,
        },
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) => Cell::Text(s.as_str().into()),
        Data::Float(f) => Cell::Number(*f),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Text(if *b { "true" } else { "false" }.into()),
        Data::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                Cell::Date(y, m, d)
            } else {
                Cell::Number(dt.as_f64())
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.as_str().into()),
        Data::Error(e) => Cell::Error(format!("{e}")),
    }
}

/// `A`, `B`, … `Z`, `AA` for a 0-based column index.
pub fn column_letter(index: u32) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_detected() {
        assert_eq!(detect_encoding(b"\xEF\xBB\xBFindicator"), Encoding::Utf8);
        assert_eq!(detect_encoding("指标,地区".as_bytes()), Encoding::Utf8);
        let (gbk, _, _) = encoding_rs::GB18030.encode("指标,地区");
        assert_eq!(detect_encoding(&gbk), Encoding::Gb18030);
        // A UTF-8 sample cut inside a character is still UTF-8.
        let text = "指标".as_bytes();
        assert_eq!(detect_encoding(&text[..4]), Encoding::Utf8);
    }

    #[test]
    fn gb18030_csv_is_decoded() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("指标,地区\n服务业增加值,成都市\n");
        let rows: Vec<RawRow> = CsvRows::new(Cursor::new(bytes.into_owned()))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            rows[1].cells,
            vec![
                Cell::Text("服务业增加值".into()),
                Cell::Text("成都市".into())
            ]
        );
        assert_eq!(rows[1].row, 2);
    }

    #[test]
    fn utf8_bom_is_dropped() {
        let rows: Vec<RawRow> = CsvRows::new(Cursor::new(b"\xEF\xBB\xBFa,b\n".to_vec()))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows[0].cells[0], Cell::Text("a".into()));
    }

    #[test]
    fn percent_formats() {
        use super::{is_percent_format, percent};
        for code in ["0%", "0.00%", "[Red]0.0%", "#,##0.0%;[Red]-#,##0.0%"] {
            assert!(is_percent_format(code), "{code}");
        }
        for code in [
            "General",
            "0.00",
            "0.0\"%\"",
            "0\\%",
            "[$%-409]0.0",
            "yyyy-mm-dd",
        ] {
            assert!(!is_percent_format(code), "{code}");
        }
        assert_eq!(percent(0.315), 31.5);
        assert_eq!(percent(0.522), 52.2);
        assert_eq!(percent(1.0 / 3.0), 33.3333333333333);
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
    }
}
