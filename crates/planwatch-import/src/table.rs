//! Tabular sources: CSV streamed from any reader (UTF-8 with or without BOM, or GB18030 as Excel
//! writes it on Chinese Windows), and Excel workbooks (xlsx, xls, xlsb, ods) read with calamine.
//!
//! Both yield [`RawRow`]s of [`Cell`]s numbered as a spreadsheet shows them: the first line of the
//! file is row 1.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, BufReader, Cursor, Read};

use calamine::{Data, Reader, Sheets, open_workbook_auto_from_rs};
use compact_str::CompactString;

use crate::extent::{MAX_WHOLE_CELLS, check_read_whole};

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
    #[error("the header has merged cells ({0}); use one header row with one name per column")]
    MergedHeader(String),
    #[error(
        "not valid {encoding}: the file was read as {encoding} (decided by its first non-ASCII text, row {decided_at}) and this row is in another encoding; save the whole file in one encoding (UTF-8)"
    )]
    NotInEncoding {
        row: usize,
        encoding: Encoding,
        decided_at: usize,
    },
    #[error(
        "a quote (\") opened in this row is never closed: the rest of the file would be read as one cell"
    )]
    UnclosedQuote { row: usize },
    #[error("column {column} holds {bytes} bytes, more than the {MAX_CELL_BYTES} a cell may hold")]
    CellTooLong {
        row: usize,
        column: String,
        bytes: usize,
    },
    #[error(
        "not a text file: it holds NUL bytes (UTF-16 without a byte-order mark, or a binary file); save it as CSV UTF-8"
    )]
    NotText,
    #[error("no rows: the file holds nothing below its header")]
    NoRows,
    #[error(
        "sheet \"{sheet}\" reaches cell {cell}: the workbook's sheets span {cells} cells from their first to their last cell with data, more than the {MAX_WHOLE_CELLS} an .ods or .xls workbook may span (these formats are read whole); delete what lies beyond the data, or save the workbook as .xlsx or CSV"
    )]
    SheetTooLarge {
        sheet: String,
        cell: String,
        cells: u64,
    },
}

impl TableError {
    pub fn zh(&self) -> String {
        match self {
            TableError::Empty => "文件为空".to_owned(),
            TableError::EmptySheet => "工作簿中没有含数据的工作表".to_owned(),
            TableError::Workbook(e) => format!("无法读取 Excel 工作簿：{e}"),
            TableError::Csv(e) => format!("CSV 格式错误：{e}"),
            TableError::MergedHeader(range) => {
                format!("表头含合并单元格（{range}）：请使用单行表头，每列一个名称")
            }
            TableError::NotInEncoding {
                encoding,
                decided_at,
                ..
            } => format!(
                "不是有效的 {encoding} 编码：文件按 {encoding} 读取（由第 {decided_at} 行首个非 ASCII 文字判定），本行为其他编码；请将整个文件另存为同一种编码（UTF-8）"
            ),
            TableError::UnclosedQuote { .. } => {
                "本行开始的引号（\"）没有闭合：文件其余部分将被读成一个单元格".to_owned()
            }
            TableError::CellTooLong { column, bytes, .. } => {
                format!("{column} 列有 {bytes} 字节，超过单元格上限 {MAX_CELL_BYTES} 字节")
            }
            TableError::NotText => {
                "不是文本文件：含 NUL 字节（无字节序标记的 UTF-16 或二进制文件）；请另存为 CSV UTF-8"
                    .to_owned()
            }
            TableError::NoRows => "没有数据行：表头以下没有内容".to_owned(),
            TableError::SheetTooLarge { sheet, cell, cells } => format!(
                "工作表“{sheet}”延伸到单元格 {cell}：各工作表从首个到最后一个有数据的单元格共 {cells} 个单元格，超过 .ods 或 .xls 工作簿的上限 {MAX_WHOLE_CELLS} 个（这两种格式须整体读入）；请删除数据以外的内容，或另存为 .xlsx 或 CSV"
            ),
        }
    }

    /// The row the error is at; 0 for the file as a whole.
    pub fn row(&self) -> usize {
        match self {
            TableError::NotInEncoding { row, .. }
            | TableError::UnclosedQuote { row }
            | TableError::CellTooLong { row, .. } => *row,
            _ => 0,
        }
    }
}

/// The text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
    /// UTF-16 with its byte-order mark, as Excel saves "Unicode text".
    Utf16Le,
    Utf16Be,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Gb18030 => "GB18030",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
        })
    }
}

impl Encoding {
    fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Gb18030 => encoding_rs::GB18030,
            Encoding::Utf16Le => encoding_rs::UTF_16LE,
            Encoding::Utf16Be => encoding_rs::UTF_16BE,
        }
    }
}

/// The encoding a byte-order mark announces, and the mark's length.
fn byte_order_mark(head: &[u8]) -> Option<(Encoding, usize)> {
    if head.starts_with(b"\xEF\xBB\xBF") {
        Some((Encoding::Utf8, 3))
    } else if head.starts_with(b"\xFF\xFE") {
        Some((Encoding::Utf16Le, 2))
    } else if head.starts_with(b"\xFE\xFF") {
        Some((Encoding::Utf16Be, 2))
    } else {
        None
    }
}

/// Decides the encoding of text that is not pure ASCII, from its first non-ASCII line (a file
/// with only ASCII is the same in every encoding we read, so nothing before matters): a byte-order
/// mark, or that line being valid UTF-8, means UTF-8 (or UTF-16); anything else is taken as
/// GB18030 (a superset of GBK and GB2312). `None` while the text is all ASCII.
pub fn detect_encoding(head: &[u8]) -> Option<Encoding> {
    if let Some((encoding, _)) = byte_order_mark(head) {
        return Some(encoding);
    }
    let first = head.iter().position(|b| !b.is_ascii())?;
    let line_start = head[..first]
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |i| i + 1);
    let line_end = head[first..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(head.len(), |i| first + i);
    Some(match std::str::from_utf8(&head[line_start..line_end]) {
        Ok(_) => Encoding::Utf8,
        // Cut off in the middle of a character at the end of the sample: still UTF-8.
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Gb18030,
    })
}

/// The longest text a CSV cell may hold, in bytes of UTF-8: more is a broken file (a stray quote
/// swallowing rows), not a figure or a note.
pub const MAX_CELL_BYTES: usize = 64 * 1024;

/// Where the CSV reader stands in a field, mirroring the csv crate's own reading (a `"` opens a
/// quoted field only at the start of a field; `""` inside one is a quote).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    StartRecord,
    StartField,
    InField,
    InQuoted,
    QuoteInQuoted,
}

/// Decodes a CSV stream to UTF-8 for the csv reader (strictly: a byte sequence that is not valid
/// in the file's encoding is an error naming its row, never a U+FFFD) and counts its lines as a
/// text editor does (CRLF, LF or CR each end one), so that every record gets the line it starts
/// on whatever blank lines and line breaks inside quoted cells came before.
pub(crate) struct TextReader<R> {
    inner: R,
    /// `None` while everything read was ASCII.
    decoder: Option<(Encoding, encoding_rs::Decoder)>,
    /// The row whose text decided the encoding.
    decided_at: usize,
    delimiter: u8,
    /// Decoded bytes handed to the csv reader so far.
    offset: u64,
    /// The line the next byte is on.
    line: usize,
    pending_cr: bool,
    /// The last byte scanned (in an earlier chunk when a field continues across chunks).
    last_byte: u8,
    quoting: Quoting,
    quote_line: usize,
    /// (offset, line) of the first byte of every record handed over and not yet asked for: at
    /// most what the csv reader's buffer holds.
    starts: VecDeque<(u64, usize)>,
    /// Why reading stopped: returned by [`CsvRows`] in place of the csv reader's I/O error.
    failure: Option<TableError>,
    done: bool,
}

impl<R: BufRead> TextReader<R> {
    /// Takes over `inner` after its byte-order mark, if any, was consumed.
    fn new(inner: R, encoding: Option<Encoding>, delimiter: u8) -> TextReader<R> {
        TextReader {
            inner,
            decoder: encoding.map(|e| (e, e.codec().new_decoder_without_bom_handling())),
            decided_at: 1,
            delimiter,
            offset: 0,
            line: 1,
            pending_cr: false,
            last_byte: b'\n',
            quoting: Quoting::StartRecord,
            quote_line: 1,
            starts: VecDeque::new(),
            failure: None,
            done: false,
        }
    }

    /// The line of the record whose csv position (the byte after the record before it) is
    /// `position`: the first record start at or after it.
    fn line_of(&mut self, position: u64) -> Option<usize> {
        while self
            .starts
            .front()
            .is_some_and(|&(offset, _)| offset < position)
        {
            self.starts.pop_front();
        }
        self.starts.front().map(|&(_, line)| line)
    }

    /// Follows the bytes handed to the csv reader: counts lines and notes where each record
    /// starts. Inside a field and inside a quoted field only quotes and line ends matter, so the
    /// scanner jumps to the next of those (memchr) instead of stepping through every byte: a
    /// line of an ordinary file costs one search.
    fn scan(&mut self, bytes: &[u8]) {
        let delimiter = self.delimiter;
        let mut i = 0;
        while i < bytes.len() {
            if self.pending_cr {
                self.pending_cr = false;
                if bytes[i] != b'\n' {
                    self.line += 1;
                }
            }
            let b = bytes[i];
            let terminator = b == b'\n' || b == b'\r';
            match self.quoting {
                Quoting::InField | Quoting::InQuoted => {
                    let Some(k) = memchr::memchr3(b'"', b'\n', b'\r', &bytes[i..]) else {
                        break;
                    };
                    i += k;
                    let b = bytes[i];
                    if b == b'"' {
                        if self.quoting == Quoting::InQuoted {
                            self.quoting = Quoting::QuoteInQuoted;
                        } else {
                            // A quote opens a quoted field only at the field's start.
                            let before = if i > 0 { bytes[i - 1] } else { self.last_byte };
                            if before == delimiter {
                                self.quote_line = self.line;
                                self.quoting = Quoting::InQuoted;
                            }
                        }
                    } else {
                        self.end_of_line(b);
                        if self.quoting == Quoting::InField {
                            self.quoting = Quoting::StartRecord;
                        }
                    }
                }
                Quoting::StartRecord if terminator => self.end_of_line(b),
                Quoting::StartRecord => {
                    self.starts.push_back((self.offset + i as u64, self.line));
                    self.quoting = Quoting::StartField;
                    continue; // the same byte starts the record's first field
                }
                Quoting::StartField | Quoting::QuoteInQuoted => {
                    self.quoting = match (self.quoting, b) {
                        (Quoting::StartField, b'"') => {
                            self.quote_line = self.line;
                            Quoting::InQuoted
                        }
                        (Quoting::QuoteInQuoted, b'"') => Quoting::InQuoted,
                        _ if terminator => {
                            self.end_of_line(b);
                            Quoting::StartRecord
                        }
                        (_, b) if b == delimiter => Quoting::StartField,
                        _ => Quoting::InField,
                    };
                }
            }
            i += 1;
        }
        if let Some(&last) = bytes.last() {
            self.last_byte = last;
        }
        self.offset += bytes.len() as u64;
    }

    /// A `\n` ends a line; a `\r` does too, unless a `\n` follows it (CRLF), which is seen with
    /// the next byte.
    fn end_of_line(&mut self, b: u8) {
        if b == b'\n' {
            self.line += 1;
        } else {
            self.pending_cr = true;
        }
    }

    fn fail(&mut self, failure: TableError) -> std::io::Error {
        self.failure = Some(failure);
        self.done = true;
        std::io::Error::new(std::io::ErrorKind::InvalidData, "unreadable CSV")
    }

    fn decode(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let src = self.inner.fill_buf()?;
        let last = src.is_empty();
        let Some((encoding, decoder)) = &mut self.decoder else {
            if last {
                return Ok(0);
            }
            let ascii = src.iter().position(|b| !b.is_ascii()).unwrap_or(src.len());
            if ascii == 0 {
                // The first non-ASCII byte: its line decides (the scanner is at that line).
                let encoding = detect_encoding(src).unwrap_or(Encoding::Utf8);
                self.decoder = Some((
                    encoding,
                    encoding.codec().new_decoder_without_bom_handling(),
                ));
                self.decided_at = self.line + usize::from(self.pending_cr);
                return self.decode(buf);
            }
            let n = ascii.min(buf.len());
            buf[..n].copy_from_slice(&src[..n]);
            self.inner.consume(n);
            self.scan(&buf[..n]);
            return Ok(n);
        };
        let encoding = *encoding;
        let (result, read, written) = decoder.decode_to_utf8_without_replacement(src, buf, last);
        self.inner.consume(read);
        self.scan(&buf[..written]);
        if let encoding_rs::DecoderResult::Malformed(..) = result {
            // The rows before are handed over; the next call reports this one.
            let failure = TableError::NotInEncoding {
                row: self.line + usize::from(self.pending_cr),
                encoding,
                decided_at: self.decided_at,
            };
            if written > 0 {
                self.failure = Some(failure);
                return Ok(written);
            }
            return Err(self.fail(failure));
        }
        Ok(written)
    }
}

impl<R: BufRead> Read for TextReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(failure) = self.failure.take() {
            return Err(self.fail(failure));
        }
        if self.done {
            return Ok(0);
        }
        loop {
            let n = self.decode(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if self.inner.fill_buf()?.is_empty() {
                break;
            }
        }
        if matches!(self.quoting, Quoting::InQuoted) {
            let row = self.quote_line;
            return Err(self.fail(TableError::UnclosedQuote { row }));
        }
        self.done = true;
        Ok(0)
    }
}

/// The delimiter of a CSV file from its first line with content: a tab where it has more tabs
/// than commas (Excel's "Unicode text" and "text (tab delimited)"), else a comma.
fn sniff_delimiter(text: &str) -> u8 {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    if line.matches('\t').count() > line.matches(',').count() {
        b'\t'
    } else {
        b','
    }
}

/// A CSV file read row by row, decoded to UTF-8 on the fly: memory stays bounded whatever the size.
pub(crate) struct CsvRows {
    reader: csv::Reader<TextReader<BufReader<Box<dyn Read + Send>>>>,
    /// Read into again for every row.
    record: csv::StringRecord,
    done: bool,
}

impl CsvRows {
    pub(crate) fn new(input: impl Read + Send + 'static) -> Result<CsvRows, TableError> {
        let input: Box<dyn Read + Send> = Box::new(input);
        let mut buffered = BufReader::with_capacity(1 << 16, input);
        let head = buffered
            .fill_buf()
            .map_err(|e| TableError::Csv(e.to_string()))?;
        if head.is_empty() {
            return Err(TableError::Empty);
        }
        let bom = byte_order_mark(head);
        // UTF-16 without its mark (or a binary file): NULs, which no text in UTF-8 or GB18030
        // holds.
        if bom.is_none() && head.contains(&0) {
            return Err(TableError::NotText);
        }
        let sample = match bom {
            Some((encoding, len)) => encoding.codec().decode_without_bom_handling(&head[len..]).0,
            None => String::from_utf8_lossy(head),
        };
        let delimiter = sniff_delimiter(&sample);
        if let Some((_, len)) = bom {
            buffered.consume(len);
        }
        let text = TextReader::new(buffered, bom.map(|(e, _)| e), delimiter);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(1 << 16)
            .from_reader(text);
        Ok(CsvRows {
            reader,
            record: csv::StringRecord::new(),
            done: false,
        })
    }
}

impl Iterator for CsvRows {
    type Item = Result<RawRow, TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let read = self.reader.read_record(&mut self.record);
        let text = self.reader.get_mut();
        let failure = match read {
            Ok(false) => return None,
            Ok(true) => None,
            // Reading stops at an encoding error or an unclosed quote: what follows cannot be
            // told apart into rows.
            Err(e) => Some(
                text.failure
                    .take()
                    .unwrap_or_else(|| TableError::Csv(e.to_string())),
            ),
        };
        if let Some(failure) = failure {
            self.done = true;
            return Some(Err(failure));
        }
        let position = self.record.position().map_or(0, csv::Position::byte);
        let row = text.line_of(position).unwrap_or(text.line);
        if let Some(column) = self.record.iter().position(|f| f.len() > MAX_CELL_BYTES) {
            return Some(Err(TableError::CellTooLong {
                row,
                column: column_letter(column as u32),
                bytes: self.record[column].len(),
            }));
        }
        Some(Ok(RawRow {
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
        }))
    }
}

/// A workbook's first sheet with data, read into its non-empty cells only: memory is bounded by
/// the cells that hold data, not by the sheet's extent (a lone cell at XFD1048576 costs one cell).
pub(crate) struct Sheet {
    pub name: String,
    /// Other sheets that hold data and are not read.
    pub not_read: Vec<String>,
    pub rows: SheetRows,
}

/// A sheet's non-empty cells: (row, column, cell), 0-based, sorted by row and column.
type SparseCells = Vec<(u32, u32, Cell)>;

/// The rows of a [`Sheet`], each made whole (one cell per column) only as it is read.
pub(crate) struct SheetRows {
    cells: std::iter::Peekable<std::vec::IntoIter<(u32, u32, Cell)>>,
    /// Merged ranges in the data, with the value each shows in all its cells.
    merged: Vec<(calamine::Dimensions, Cell)>,
}

impl Iterator for SheetRows {
    type Item = Result<RawRow, TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        let &(row, _, _) = self.cells.peek()?;
        let mut cells = Vec::new();
        while let Some((_, column, cell)) = self.cells.next_if(|(r, _, _)| *r == row) {
            let column = column as usize;
            if cells.len() <= column {
                cells.resize(column + 1, Cell::Empty);
            }
            cells[column] = cell;
        }
        for (range, value) in &self.merged {
            if (range.start.0..=range.end.0).contains(&row) {
                let (first, last) = (range.start.1 as usize, range.end.1 as usize);
                if cells.len() <= last {
                    cells.resize(last + 1, Cell::Empty);
                }
                cells[first..=last].fill(value.clone());
            }
        }
        Some(Ok(RawRow {
            row: row as usize + 1,
            cells,
        }))
    }
}

/// The cells of one sheet that hold something, sorted by row and column.
fn sheet_cells(
    workbook: &mut Sheets<Cursor<Vec<u8>>>,
    name: &str,
    uncalculated: bool,
) -> Result<SparseCells, TableError> {
    let workbook_error = |e: &dyn std::fmt::Display| TableError::Workbook(e.to_string());
    let resolve = |data: &Data, formula: Option<&String>, percent: bool| {
        let formula = formula.filter(|f| !f.is_empty());
        match (formula, cell(data, formula)) {
            // The writer left the results for Excel to compute: the cached values (often 0)
            // are not the formulas' values.
            (Some(f), _) if uncalculated => Cell::UncalculatedFormula(f.clone()),
            (_, Cell::Number(n)) if percent => Cell::Percent(n),
            (_, other) => other,
        }
    };
    let mut cells = Vec::new();
    if let Sheets::Xlsx(xlsx) = workbook {
        // Streamed, cell by cell: calamine's ranges are as large as the sheet's bounding box.
        // Number formats first: a share typed as 31.5 % is kept as 0.315 and must not be read
        // as 0.315 %.
        let mut percent = std::collections::HashSet::new();
        {
            let mut reader = xlsx
                .worksheet_cells_reader(name)
                .map_err(|e| workbook_error(&e))?;
            while let Some((row, column, style)) =
                reader.next_style_id().map_err(|e| workbook_error(&e))?
            {
                let format = reader.styles()[style].number_format.as_ref();
                if format.is_some_and(|f| is_percent_format(&f.format_code)) {
                    percent.insert((row, column));
                }
            }
        }
        let mut reader = xlsx
            .worksheet_cells_reader(name)
            .map_err(|e| workbook_error(&e))?;
        while let Some(c) = reader
            .next_cell_with_formula()
            .map_err(|e| workbook_error(&e))?
        {
            let data = Data::from(c.value);
            let cell = resolve(&data, c.formula.as_ref(), percent.contains(&c.pos));
            if !cell.is_empty() {
                cells.push((c.pos.0, c.pos.1, cell));
            }
        }
    } else if let Sheets::Xlsb(xlsb) = workbook {
        // Streamed as xlsx is: formulas first (only cells that have one), then the values.
        let mut formulas = std::collections::HashMap::new();
        {
            let mut reader = xlsb
                .worksheet_cells_reader(name)
                .map_err(|e| workbook_error(&e))?;
            while let Some(c) = reader.next_formula().map_err(|e| workbook_error(&e))? {
                if !c.get_value().is_empty() {
                    formulas.insert(c.get_position(), c.get_value().clone());
                }
            }
        }
        let mut reader = xlsb
            .worksheet_cells_reader(name)
            .map_err(|e| workbook_error(&e))?;
        while let Some(c) = reader.next_cell().map_err(|e| workbook_error(&e))? {
            let (row, column) = c.get_position();
            let data = Data::from(c.get_value().clone());
            let cell = resolve(&data, formulas.get(&(row, column)), false);
            if !cell.is_empty() {
                cells.push((row, column, cell));
            }
        }
    } else {
        // xls and ods are read whole by calamine, once `check_read_whole` found them small
        // enough.
        let range = workbook
            .worksheet_range(name)
            .map_err(|e| workbook_error(&e))?;
        let formulas = workbook.worksheet_formula(name).ok();
        let (top, left) = range.start().unwrap_or((0, 0));
        for (i, j, data) in range.used_cells() {
            let absolute = (top + i as u32, left + j as u32);
            let formula = formulas.as_ref().and_then(|f| f.get_value(absolute));
            let cell = resolve(data, formula, false);
            if !cell.is_empty() {
                cells.push((absolute.0, absolute.1, cell));
            }
        }
    }
    cells.sort_unstable_by_key(|&(row, column, _)| (row, column));
    Ok(cells)
}

/// The first sheet of a workbook that has data, and the names of the other sheets with data.
///
/// Cells of a merged range in the data take the value of the range (what a person sees) in the
/// rows that hold data; a merged range in the header row is an error, since it hides column names
/// — unless `titled`: sheets with a title row above the header (a task sheet's title merged
/// across), where merged ranges are read anywhere.
pub(crate) fn excel_rows(bytes: Vec<u8>, titled: bool) -> Result<Sheet, TableError> {
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    // calamine reads ods and xls whole as it opens them: measure them first.
    check_read_whole(&bytes)?;
    let uncalculated = asks_for_recalculation(&bytes);
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| TableError::Workbook(e.to_string()))?;
    let mut found: Option<(String, SparseCells)> = None;
    let mut not_read = Vec::new();
    for name in workbook.sheet_names() {
        let cells = sheet_cells(&mut workbook, &name, uncalculated)?;
        if cells.is_empty() {
            continue;
        }
        if found.is_some() {
            not_read.push(name);
        } else {
            found = Some((name, cells));
        }
    }
    let Some((name, cells)) = found else {
        return Err(TableError::EmptySheet);
    };
    let merged = match &mut workbook {
        Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
        Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
        _ => Vec::new(),
    };
    // The header is the first row with any content.
    let header = cells[0].0;
    let mut merged_values = Vec::new();
    for region in merged {
        let (r0, c0) = region.start;
        let (r1, c1) = region.end;
        if !titled && r0 <= header && header <= r1 && c0 != c1 {
            return Err(TableError::MergedHeader(format!(
                "{}{}:{}{}",
                column_letter(c0),
                r0 + 1,
                column_letter(c1),
                r1 + 1
            )));
        }
        let value = cells
            .binary_search_by_key(&(r0, c0), |&(r, c, _)| (r, c))
            .map_or(Cell::Empty, |i| cells[i].2.clone());
        merged_values.push((region, value));
    }
    Ok(Sheet {
        name,
        not_read,
        rows: SheetRows {
            cells: cells.into_iter().peekable(),
            merged: merged_values,
        },
    })
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
    use proptest::prelude::*;

    /// The scanner as a plain byte-by-byte state machine: what `TextReader::scan`, which jumps
    /// over the bytes that cannot change its state, must agree with. Returns the (offset, line)
    /// of every record start, the line after the text, and where the quoting ends.
    fn scan_byte_by_byte(text: &[u8], delimiter: u8) -> (Vec<(u64, usize)>, usize, Quoting) {
        let (mut starts, mut line, mut pending_cr) = (Vec::new(), 1, false);
        let mut quoting = Quoting::StartRecord;
        for (i, &b) in text.iter().enumerate() {
            if std::mem::take(&mut pending_cr) && b != b'\n' {
                line += 1;
            }
            let terminator = b == b'\n' || b == b'\r';
            if quoting == Quoting::StartRecord && !terminator {
                starts.push((i as u64, line));
                quoting = Quoting::StartField;
            }
            quoting = match (quoting, b) {
                (Quoting::InQuoted, b'"') => Quoting::QuoteInQuoted,
                (Quoting::InQuoted, _) => Quoting::InQuoted,
                (Quoting::StartField, b'"') | (Quoting::QuoteInQuoted, b'"') => Quoting::InQuoted,
                (_, _) if terminator => Quoting::StartRecord,
                (_, b) if b == delimiter => Quoting::StartField,
                _ => Quoting::InField,
            };
            match b {
                b'\n' => line += 1,
                b'\r' => pending_cr = true,
                _ => {}
            }
        }
        (starts, line + usize::from(pending_cr), quoting)
    }

    proptest! {
        /// Record starts and line numbers are the same whatever the text and however it is cut
        /// into the chunks the csv reader asks for.
        #[test]
        fn scanning_by_jumps_agrees_with_byte_by_byte(
            text in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b',', b'"', b'\n', b'\r', b' ']), 0..300),
            cuts in proptest::collection::vec(1usize..40, 1..20),
        ) {
            let mut reader = TextReader::new(&b""[..], None, b',');
            let mut rest = &text[..];
            for cut in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (chunk, after) = rest.split_at((*cut).min(rest.len()));
                reader.scan(chunk);
                rest = after;
            }
            let (starts, line, quoting) = scan_byte_by_byte(&text, b',');
            prop_assert_eq!(reader.starts.iter().copied().collect::<Vec<_>>(), starts);
            prop_assert_eq!(reader.line + usize::from(reader.pending_cr), line);
            let open = |q: Quoting| q == Quoting::InQuoted;
            prop_assert_eq!(open(reader.quoting), open(quoting));
        }
    }

    #[test]
    fn encodings_are_detected() {
        assert_eq!(
            detect_encoding(b"\xEF\xBB\xBFindicator"),
            Some(Encoding::Utf8)
        );
        assert_eq!(detect_encoding(b"\xFF\xFEa\x00"), Some(Encoding::Utf16Le));
        assert_eq!(detect_encoding(b"indicator"), None);
        assert_eq!(
            detect_encoding("指标,地区".as_bytes()),
            Some(Encoding::Utf8)
        );
        let (gbk, _, _) = encoding_rs::GB18030.encode("指标,地区");
        assert_eq!(detect_encoding(&gbk), Some(Encoding::Gb18030));
        // A UTF-8 sample cut inside a character is still UTF-8.
        let text = "指标".as_bytes();
        assert_eq!(detect_encoding(&text[..4]), Some(Encoding::Utf8));
        // The first line with non-ASCII text decides, not a later one.
        let mut mixed = "a\n成都市\n".as_bytes().to_vec();
        mixed.extend_from_slice(&gbk);
        assert_eq!(detect_encoding(&mixed), Some(Encoding::Utf8));
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
