//! Reading observations from the files statistics offices and departments keep.
//!
//! [`open`] reads the header of a CSV or Excel file and returns an [`Import`], an iterator that
//! streams the file row by row and yields, for every row, either the observations it holds
//! ([`Item::Row`]) or a [`Diagnostic`] naming the file, row, column and reason. Nothing here
//! touches a database: checks that need the whole file or the store (the same key twice with
//! different values, a change from the previous period, districts above the city total) belong to
//! the store, which runs them inside the import's transaction.
//!
//! Layouts: **long** (one row per observation: indicator, region, period, value, optional unit,
//! status, source, note) and **wide** (one row per indicator or per region, one column per period).
//! Where a wide table has no region column, its rows are for the plan's own region (or the
//! `region` option); where it has no indicator column, the `indicator` option names it.

mod extent;
mod header;
pub mod projects;
mod resolve;
mod sheet;
mod table;
pub mod tasks;
pub mod tasks_text;

use std::collections::VecDeque;
use std::fmt;
use std::io::Read;

use planwatch_plan::{ObsStatus, Period, Plan};

pub use crate::extent::MAX_WHOLE_CELLS;
pub use crate::header::{HeaderError, Role};
pub use crate::resolve::{Names, Resolver};
pub use crate::table::{
    Cell, Encoding, MAX_CELL_BYTES, TableError, column_letter, detect_encoding,
};

use crate::header::{Header, read_header};
use crate::resolve::{NumberProblem, number, unit_conversion};
use crate::table::{CsvRows, RawRow, excel_rows};

/// One observation read from a file, resolved against the plan.
pub use planwatch_plan::ObservationRow as ImportRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A problem in an input file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: String,
    /// Spreadsheet row (the header is row 1); 0 for the file as a whole.
    pub row: usize,
    /// The column's name as the file writes it.
    pub column: Option<String>,
    pub severity: Severity,
    pub problem: Problem,
}

impl fmt::Display for Diagnostic {
    /// `revised.csv:3: 指标 "零售" not in the plan（指标“零售”不在规划中）`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(f, "{}", self.file)?;
        if self.row > 0 {
            write!(f, ":{}", self.row)?;
        }
        write!(f, ": {level}")?;
        if let Some(column) = &self.column {
            write!(f, "{column} ")?;
        }
        write!(f, "{}（{}）", self.problem, self.problem.zh())
    }
}

/// What is wrong. `Display` is English; [`Problem::zh`] Chinese.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("{0}")]
    Table(TableError),
    #[error("{0}")]
    Header(HeaderError),
    #[error("\"{}\" not in the plan", clip(.0))]
    UnknownIndicator(String),
    #[error("\"{}\" is not a region of the plan", clip(.0))]
    UnknownRegion(String),
    #[error("is empty")]
    Missing,
    #[error(
        "\"{}\" is not a period (write 2023, 2023Q1, 2023-06, 2023年第一季度 or 2023年6月)",
        clip(.0)
    )]
    BadPeriod(String),
    #[error("\"{}\" is not a number", clip(.0))]
    NotANumber(String),
    #[error("holds the error value {0}")]
    ErrorValue(String),
    #[error("holds the formula ={0} but no calculated value; open and save the file in Excel")]
    UncalculatedFormula(String),
    #[error(
        "unit \"{}\" cannot be converted to the indicator's unit \"{unit}\"",
        clip(written)
    )]
    UnitMismatch { written: String, unit: String },
    #[error("{value} % is given for an indicator measured in {unit}")]
    PercentForNonPercent { value: f64, unit: String },
    #[error("{value} is outside the indicator's range {min}–{max}")]
    OutOfBounds { value: f64, min: f64, max: f64 },
    #[error(
        "unknown status \"{}\" (use provisional, final, revised, estimated or forecast)",
        clip(.0)
    )]
    BadStatus(String),
    #[error(
        "the same indicator, region and period twice with different values: {first} (row {first_row}) and {second}"
    )]
    Conflict {
        first: f64,
        first_row: usize,
        second: f64,
    },
    #[error(
        "changed by {change:+.1} % from the previous period ({previous} → {value}), beyond ±{bound} %"
    )]
    LargeChange {
        previous: f64,
        value: f64,
        change: f64,
        bound: f64,
    },
    #[error("the districts add up to {sum}, above the city total {total}")]
    DistrictsAboveTotal { sum: f64, total: f64 },
    #[error("the column is not recognised and was ignored")]
    IgnoredColumn,
    #[error("holds \"{}\" but the header names no column there", clip(.0))]
    ExtraField(String),
    #[error(
        "only the sheet \"{read}\" was read; these sheets also hold data and were not read: {}",
        quoted(not_read)
    )]
    SheetsNotRead { read: String, not_read: Vec<String> },
    #[error(
        "the file is named .{extension} but holds {}; it was read as {}",
        if *workbook { "a workbook" } else { "text" },
        if *workbook { "a workbook" } else { "CSV" }
    )]
    Misnamed { extension: String, workbook: bool },
}

/// The longest text of a cell a message repeats, in characters.
const ECHOED_CHARS: usize = 60;

/// A cell's text as a message repeats it: cut after [`ECHOED_CHARS`] characters, saying how long
/// it was (a 100,000-character cell made a 200 KB message).
fn clip(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(ECHOED_CHARS) {
        None => text.into(),
        Some((end, _)) => {
            format!("{}…（{} chars 字符）", &text[..end], text.chars().count()).into()
        }
    }
}

/// Names in quotes, separated by commas.
fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Problem {
    pub fn zh(&self) -> String {
        match self {
            Problem::Table(e) => e.zh(),
            Problem::Header(e) => e.zh(),
            Problem::UnknownIndicator(t) => format!("“{}”不在规划中", clip(t)),
            Problem::UnknownRegion(t) => format!("“{}”不是规划中的地区", clip(t)),
            Problem::Missing => "为空".to_owned(),
            Problem::BadPeriod(t) => {
                format!(
                    "“{}”不是有效的时期（应写作 2023、2023Q1、2023-06、2023年第一季度 或 2023年6月）",
                    clip(t)
                )
            }
            Problem::NotANumber(t) => format!("“{}”不是数字", clip(t)),
            Problem::ErrorValue(e) => format!("单元格为错误值 {e}"),
            Problem::UncalculatedFormula(f) => {
                format!("单元格为公式 ={f} 但没有计算结果，请在 Excel 中打开并保存")
            }
            Problem::UnitMismatch { written, unit } => {
                format!("单位“{}”无法换算为指标单位“{unit}”", clip(written))
            }
            Problem::PercentForNonPercent { value, unit } => {
                format!("给出了百分数 {value} %，但指标单位为 {unit}")
            }
            Problem::OutOfBounds { value, min, max } => {
                format!("{value} 超出指标的取值范围 {min}–{max}")
            }
            Problem::BadStatus(t) => {
                format!(
                    "未知的数据状态“{}”（可用：初步、最终、修订、估计、预测）",
                    clip(t)
                )
            }
            Problem::Conflict {
                first,
                first_row,
                second,
            } => {
                format!(
                    "同一指标、地区、时期出现两次且数值不同：{first}（第 {first_row} 行）与 {second}"
                )
            }
            Problem::LargeChange {
                previous,
                value,
                change,
                bound,
            } => {
                format!("较上期变动 {change:+.1} %（{previous} → {value}），超出 ±{bound} %")
            }
            Problem::DistrictsAboveTotal { sum, total } => {
                format!("各区（市）县合计 {sum} 超过全市 {total}")
            }
            Problem::IgnoredColumn => "无法识别的列，已忽略".to_owned(),
            Problem::ExtraField(t) => format!("有内容“{}”，但表头中没有此列", clip(t)),
            Problem::SheetsNotRead { read, not_read } => {
                format!(
                    "只读取了工作表“{read}”；以下工作表也有数据，未读取：{}",
                    not_read
                        .iter()
                        .map(|n| format!("“{n}”"))
                        .collect::<Vec<_>>()
                        .join("、")
                )
            }
            Problem::Misnamed {
                extension,
                workbook,
            } => {
                if *workbook {
                    format!("文件扩展名为 .{extension}，但内容是工作簿，已按工作簿读取")
                } else {
                    format!("文件扩展名为 .{extension}，但内容是文本，已按 CSV 读取")
                }
            }
        }
    }
}

/// What a file holds before it is read.
pub enum Input {
    /// A CSV stream (any size).
    Csv(Box<dyn Read + Send>),
    /// An Excel workbook's bytes.
    Excel(Vec<u8>),
}

impl Input {
    /// A whole file already in memory (an upload, a file read at once): a workbook or CSV as
    /// its first bytes say ([`is_excel`]), as `planwatch import` decides.
    pub fn from_bytes(bytes: Vec<u8>) -> Input {
        if is_excel(&bytes) {
            Input::Excel(bytes)
        } else {
            Input::Csv(Box::new(std::io::Cursor::new(bytes)))
        }
    }
}

/// The extensions of the workbooks calamine reads.
const EXCEL_EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xls", "xlsb", "ods"];

/// Whether a file is a workbook, from its first bytes (zip for xlsx and ods, OLE for xls), not
/// its name: a CSV named `.xlsx` is read as CSV and a workbook named `.csv` as a workbook, each
/// with a warning (see [`open`]).
pub fn is_excel(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// Choices that are not in the file.
#[derive(Debug, Clone)]
pub struct Options {
    /// Region for rows of a table without a region column (default: the plan's own region).
    pub region: Option<String>,
    /// Indicator for rows of a wide table without an indicator column.
    pub indicator: Option<String>,
    /// Status for rows without one.
    pub status: ObsStatus,
    /// Source for rows without one (e.g. the file's name).
    pub source: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            region: None,
            indicator: None,
            status: ObsStatus::Final,
            source: None,
        }
    }
}

/// What the iterator yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Row(ImportRow),
    Problem(Diagnostic),
}

/// A file being read; see the crate docs.
pub struct Import<'p> {
    file: String,
    header: Header,
    resolver: Resolver<'p>,
    rows: Box<dyn Iterator<Item = Result<RawRow, TableError>> + Send + 'p>,
    default_region: Option<usize>,
    default_indicator: Option<usize>,
    options: Options,
    pending: VecDeque<Item>,
    last_indicator: Memo<Option<usize>>,
    last_region: Memo<Option<usize>>,
    last_period: Memo<Result<Period, Problem>>,
    last_status: Memo<Result<ObsStatus, planwatch_plan::observation::BadStatus>>,
    /// A row's (period, value column) pairs and its (period, value) results: buffers used again
    /// for every row.
    values: Vec<(Period, usize)>,
    parsed: Vec<(Period, f64)>,
    /// Whether a row with content came after the header.
    any_row: bool,
}

/// The last text looked up and its answer: the rows of a file mostly repeat the indicator,
/// region, period and status of the row before, so each is looked up (or parsed) once per run
/// of rows.
struct Memo<T> {
    text: String,
    answer: Option<T>,
}

impl<T: Clone> Memo<T> {
    fn new() -> Memo<T> {
        Memo {
            text: String::new(),
            answer: None,
        }
    }

    fn get(&mut self, text: &str, look_up: impl FnOnce(&str) -> T) -> T {
        match &self.answer {
            Some(answer) if self.text == text => answer.clone(),
            _ => {
                let answer = look_up(text);
                self.text.clear();
                self.text.push_str(text);
                self.answer = Some(answer.clone());
                answer
            }
        }
    }
}

/// Opens a file: reads its header and prepares to stream its rows. An error here concerns the
/// file as a whole (unreadable, empty, no usable header, an unknown default region).
pub fn open<'p>(
    file: &str,
    input: Input,
    plan: &'p Plan,
    options: Options,
) -> Result<Import<'p>, Diagnostic> {
    let fail = |row: usize, column: Option<String>, problem: Problem| Diagnostic {
        file: file.to_owned(),
        row,
        column,
        severity: Severity::Error,
        problem,
    };
    // Warnings about the file as a whole, reported before its rows.
    let mut notes = Vec::new();
    let extension = file
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let named_excel = EXCEL_EXTENSIONS.contains(&extension.as_str());
    if named_excel != matches!(input, Input::Excel(_)) {
        notes.push(Problem::Misnamed {
            extension,
            workbook: !named_excel,
        });
    }
    let mut rows: Box<dyn Iterator<Item = Result<RawRow, TableError>> + Send> = match input {
        Input::Csv(reader) => {
            Box::new(CsvRows::new(reader).map_err(|e| fail(0, None, Problem::Table(e)))?)
        }
        Input::Excel(bytes) => {
            let sheet = excel_rows(bytes, false).map_err(|e| fail(0, None, Problem::Table(e)))?;
            if !sheet.not_read.is_empty() {
                notes.push(Problem::SheetsNotRead {
                    read: sheet.name,
                    not_read: sheet.not_read,
                });
            }
            Box::new(sheet.rows)
        }
    };
    // The header is the first row with any content.
    let header_row = loop {
        match rows.next() {
            None => return Err(fail(0, None, Problem::Table(TableError::Empty))),
            Some(Err(e)) => return Err(fail(e.row(), None, Problem::Table(e))),
            Some(Ok(row)) if row.cells.iter().all(Cell::is_empty) => continue,
            Some(Ok(row)) => break row,
        }
    };
    let header = read_header(&header_row.cells)
        .map_err(|e| fail(header_row.row, None, Problem::Header(e)))?;
    let resolver = Resolver::new(plan);
    let default_region = match (&header.region, &options.region) {
        (Some(_), _) => None,
        (None, Some(region)) => Some(resolver.region(region).ok_or_else(|| {
            fail(
                0,
                Some("--region".into()),
                Problem::UnknownRegion(region.clone()),
            )
        })?),
        (None, None) => resolver.region(&plan.region),
    };
    let default_indicator = match (&header.indicator, &options.indicator) {
        (Some(_), _) => None,
        (None, Some(indicator)) => Some(resolver.indicator(indicator).ok_or_else(|| {
            fail(
                0,
                Some("--indicator".into()),
                Problem::UnknownIndicator(indicator.clone()),
            )
        })?),
        (None, None) => {
            return Err(fail(
                header_row.row,
                None,
                Problem::Header(HeaderError::NoIndicator),
            ));
        }
    };
    let mut pending: VecDeque<Item> = notes
        .into_iter()
        .map(|problem| {
            Item::Problem(Diagnostic {
                file: file.to_owned(),
                row: 0,
                column: None,
                severity: Severity::Warning,
                problem,
            })
        })
        .collect();
    for &column in &header.ignored {
        pending.push_back(Item::Problem(Diagnostic {
            file: file.to_owned(),
            row: header_row.row,
            column: Some(header.name(column).to_owned()),
            severity: Severity::Warning,
            problem: Problem::IgnoredColumn,
        }));
    }
    Ok(Import {
        file: file.to_owned(),
        header,
        resolver,
        rows,
        default_region,
        default_indicator,
        options,
        pending,
        last_indicator: Memo::new(),
        last_region: Memo::new(),
        last_period: Memo::new(),
        last_status: Memo::new(),
        values: Vec::new(),
        parsed: Vec::new(),
        any_row: false,
    })
}

impl Import<'_> {
    /// Whether the table is wide (one column per period).
    pub fn is_wide(&self) -> bool {
        self.header.is_wide()
    }

    fn problem(&mut self, row: usize, column: Option<usize>, severity: Severity, problem: Problem) {
        let column = column.map(|c| self.header.name(c).to_owned());
        self.pending.push_back(Item::Problem(Diagnostic {
            file: self.file.clone(),
            row,
            column,
            severity,
            problem,
        }));
    }

    fn error(&mut self, row: usize, column: Option<usize>, problem: Problem) {
        self.problem(row, column, Severity::Error, problem);
    }

    /// Reads one row into `pending`: its observations, or its problems (all of them).
    fn read_row(&mut self, raw: RawRow) {
        let cell = |c: Option<usize>| c.and_then(|c| raw.cells.get(c)).unwrap_or(&Cell::Empty);
        let row = raw.row;
        let before = self.pending.len();
        // Fields beyond the header's last column would be lost.
        for (i, extra) in raw.cells.iter().enumerate().skip(self.header.names.len()) {
            if !extra.is_empty() {
                self.pending.push_back(Item::Problem(Diagnostic {
                    file: self.file.clone(),
                    row,
                    column: Some(column_letter(i as u32)),
                    severity: Severity::Error,
                    problem: Problem::ExtraField(extra.text().into_owned()),
                }));
            }
        }
        let named = &raw.cells[..raw.cells.len().min(self.header.names.len())];
        if named.iter().all(Cell::is_empty) {
            return;
        }

        let indicator = match self.header.indicator {
            Some((column, _)) => {
                let text = cell(Some(column)).text();
                if text.is_empty() {
                    self.error(row, Some(column), Problem::Missing);
                    None
                } else if let Some(i) = self
                    .last_indicator
                    .get(&text, |t| self.resolver.indicator(t))
                {
                    Some(i)
                } else {
                    self.error(
                        row,
                        Some(column),
                        Problem::UnknownIndicator(text.into_owned()),
                    );
                    None
                }
            }
            None => self.default_indicator,
        };
        let region = match self.header.region {
            Some(column) => {
                let text = cell(Some(column)).text();
                if text.is_empty() {
                    self.error(row, Some(column), Problem::Missing);
                    None
                } else if let Some(i) = self.last_region.get(&text, |t| self.resolver.region(t)) {
                    Some(i)
                } else {
                    self.error(row, Some(column), Problem::UnknownRegion(text.into_owned()));
                    None
                }
            }
            None => self.default_region,
        };
        let status = match cell(self.header.status) {
            c if c.is_empty() => Some(self.options.status),
            c => match self.last_status.get(&c.text(), |t| t.parse::<ObsStatus>()) {
                Ok(status) => Some(status),
                Err(e) => {
                    self.error(row, self.header.status, Problem::BadStatus(e.0));
                    None
                }
            },
        };
        let unit_cell = cell(self.header.unit).text();
        let factor = match indicator {
            Some(i) if !unit_cell.is_empty() => {
                let indicator = &self.resolver.plan.indicators[i];
                match unit_conversion(indicator, &unit_cell) {
                    Some(conversion) => Some(conversion),
                    None => {
                        let unit = indicator.unit.clone();
                        self.error(
                            row,
                            self.header.unit,
                            Problem::UnitMismatch {
                                written: unit_cell.into_owned(),
                                unit,
                            },
                        );
                        None
                    }
                }
            }
            _ => Some(planwatch_plan::unit::Conversion::IDENTITY),
        };
        let text_or = |c: &Cell, default: &Option<String>| {
            let t = c.text();
            if t.is_empty() {
                default.clone()
            } else {
                Some(t.into_owned())
            }
        };
        let source = text_or(cell(self.header.source), &self.options.source);
        let note = text_or(cell(self.header.note), &None);

        // The (period, value column) pairs of the row; buffers kept from row to row.
        let mut values = std::mem::take(&mut self.values);
        values.clear();
        if let Some(value_column) = self.header.value {
            let period_column = self.header.period;
            let period = match cell(period_column) {
                Cell::Text(text) => self.last_period.get(text.trim(), |t| {
                    t.parse::<Period>().map_err(|e| Problem::BadPeriod(e.0))
                }),
                other => period_of(other),
            };
            match period {
                Ok(period) => values.push((period, value_column)),
                Err(problem) => self.error(row, period_column, problem),
            }
            if cell(Some(value_column)).is_empty() {
                self.error(row, Some(value_column), Problem::Missing);
                values.clear();
            }
        } else {
            values.extend(
                self.header
                    .period_columns
                    .iter()
                    .map(|&(column, period)| (period, column)),
            );
        }

        let mut rows = std::mem::take(&mut self.parsed);
        rows.clear();
        for &(period, column) in &values {
            let column = Some(column);
            let parsed = match number(cell(column)) {
                Ok(Some(parsed)) => parsed,
                Ok(None) => continue,
                Err(problem) => {
                    let problem = match problem {
                        NumberProblem::NotANumber(t) => Problem::NotANumber(t),
                        NumberProblem::ErrorValue(e) => Problem::ErrorValue(e),
                        NumberProblem::UncalculatedFormula(f) => Problem::UncalculatedFormula(f),
                    };
                    self.error(row, column, problem);
                    continue;
                }
            };
            let (Some(i), Some(factor)) = (indicator, factor) else {
                continue;
            };
            let indicator = &self.resolver.plan.indicators[i];
            let (raw_value, percent) = parsed;
            if percent && !indicator.is_percentage() {
                let unit = indicator.unit.clone();
                self.error(
                    row,
                    column,
                    Problem::PercentForNonPercent {
                        value: raw_value,
                        unit,
                    },
                );
                continue;
            }
            let value = factor.apply(raw_value);
            if let Some([min, max]) = indicator.bounds
                && !(min..=max).contains(&value)
            {
                self.error(row, column, Problem::OutOfBounds { value, min, max });
                continue;
            }
            rows.push((period, value));
        }
        self.values = values;
        if self.pending.len() > before
            && self.pending.iter().skip(before).any(|item| {
                matches!(
                    item,
                    Item::Problem(Diagnostic {
                        severity: Severity::Error,
                        ..
                    })
                )
            })
        {
            return;
        }
        let (Some(indicator), Some(region), Some(status)) = (indicator, region, status) else {
            self.parsed = rows;
            return;
        };
        let count = rows.len();
        let (mut source, mut note) = (source, note);
        for (k, &(period, value)) in rows.iter().enumerate() {
            // The last row takes the row's texts, the others copies.
            let (source, note) = if k + 1 == count {
                (source.take(), note.take())
            } else {
                (source.clone(), note.clone())
            };
            self.pending.push_back(Item::Row(ImportRow {
                row,
                indicator,
                region,
                period,
                value,
                status,
                source,
                note,
            }));
        }
        self.parsed = rows;
    }
}

/// The period in a cell: text, a number (2023), or an Excel date (its month).
fn period_of(cell: &Cell) -> Result<Period, Problem> {
    match cell {
        Cell::Empty => Err(Problem::Missing),
        Cell::Date(y, m, _) => Ok(Period::Month(*y, *m)),
        other => other
            .text()
            .parse::<Period>()
            .map_err(|e| Problem::BadPeriod(e.0)),
    }
}

impl Iterator for Import<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            match self.rows.next() {
                None if self.any_row => return None,
                // An empty file and a header alone are the same: no rows.
                None => {
                    self.any_row = true;
                    self.error(0, None, Problem::Table(TableError::NoRows));
                }
                Some(Ok(raw)) if raw.cells.iter().all(Cell::is_empty) => continue,
                Some(Ok(raw)) => {
                    self.any_row = true;
                    self.read_row(raw);
                }
                Some(Err(e)) => {
                    self.any_row = true;
                    self.error(e.row(), None, Problem::Table(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
