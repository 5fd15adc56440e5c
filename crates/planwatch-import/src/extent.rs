//! How far the sheets of a workbook reach, measured cheaply before calamine reads it.
//!
//! calamine reads an ods or xls workbook whole when it opens it, every sheet as a dense grid
//! from its first to its last cell with data (and an xls sheet's declared dimensions besides):
//! one cell far to the bottom right of a 1 KB file is then gigabytes. So those two formats are
//! measured first — ods by streaming `content.xml` out of the zip and adding up its repeated rows
//! and columns, xls by walking the records of its `Workbook` stream — and a workbook whose sheets
//! span more than [`MAX_WHOLE_CELLS`] is refused, naming the sheet and its farthest cell.
//! (xlsx and xlsb are streamed cell by cell and need no limit.)

use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};

use crate::table::{TableError, column_letter};

/// The most cells that the sheets of an ods or xls workbook may span together, each sheet
/// counted from its first to its last cell with data (rows × columns). calamine keeps about
/// 100 bytes per spanned cell while it reads one, so this keeps a workbook under 250 MB.
pub const MAX_WHOLE_CELLS: u64 = 2_000_000;

/// calamine's own bounds on an ods sheet (it caps repeated rows and columns there).
const MAX_ROWS: u64 = 1_048_576;
const MAX_COLUMNS: u64 = 16_384;

/// The rectangle of a sheet from its first to its last cell with data, 0-based.
#[derive(Debug, Clone, PartialEq)]
struct Extent {
    sheet: String,
    rows: (u64, u64),
    columns: (u64, u64),
}

impl Extent {
    fn new(sheet: String) -> Extent {
        Extent {
            sheet,
            rows: (u64::MAX, 0),
            columns: (u64::MAX, 0),
        }
    }

    /// Takes in the cells `rows` × `columns` (inclusive ranges).
    fn include(&mut self, rows: (u64, u64), columns: (u64, u64)) {
        self.rows = (self.rows.0.min(rows.0), self.rows.1.max(rows.1));
        self.columns = (self.columns.0.min(columns.0), self.columns.1.max(columns.1));
    }

    fn cells(&self) -> u64 {
        if self.rows.0 > self.rows.1 {
            return 0;
        }
        (self.rows.1 - self.rows.0 + 1).saturating_mul(self.columns.1 - self.columns.0 + 1)
    }

    /// The farthest cell, as a spreadsheet names it (`CV200000`).
    fn far_cell(&self) -> String {
        let column = u32::try_from(self.columns.1).unwrap_or(u32::MAX - 1);
        format!("{}{}", column_letter(column), self.rows.1.saturating_add(1))
    }
}

/// Refuses an ods or xls workbook whose sheets span more than [`MAX_WHOLE_CELLS`]; any other
/// file passes (calamine or the CSV reader judge it).
pub(crate) fn check_read_whole(bytes: &[u8]) -> Result<(), TableError> {
    let extents = if bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        xls_extents(bytes)?
    } else if bytes.starts_with(b"PK") {
        ods_extents(bytes)?
    } else {
        return Ok(());
    };
    let total = extents
        .iter()
        .fold(0u64, |sum, e| sum.saturating_add(e.cells()));
    match extents.iter().max_by_key(|e| e.cells()) {
        Some(largest) if total > MAX_WHOLE_CELLS => Err(TableError::SheetTooLarge {
            sheet: largest.sheet.clone(),
            cell: largest.far_cell(),
            cells: total,
        }),
        _ => Ok(()),
    }
}

fn unreadable(e: impl std::fmt::Display) -> TableError {
    TableError::Workbook(e.to_string())
}

/// A repeat count (`table:number-rows-repeated`), 1 when absent or unreadable (calamine then
/// fails on it itself).
fn repeats(e: &BytesStart<'_>, name: &str) -> u64 {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.value.trim().parse().ok())
        .map_or(1, |n: u64| n.max(1))
}

/// The extents of an OpenDocument spreadsheet's tables; none for a zip that is not one (an
/// xlsx or xlsb).
fn ods_extents(bytes: &[u8]) -> Result<Vec<Extent>, TableError> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(Vec::new());
    };
    if archive.by_name("xl/workbook.xml").is_ok() || archive.by_name("xl/workbook.bin").is_ok() {
        return Ok(Vec::new());
    }
    let Ok(content) = archive.by_name("content.xml") else {
        return Ok(Vec::new());
    };
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(content));
    let mut buf = Vec::new();
    let mut skip = Vec::new();
    let mut extents = Vec::new();
    let mut table: Option<Extent> = None;
    let (mut row, mut column, mut row_repeats) = (0u64, 0u64, 1u64);
    loop {
        let event = reader.read_event_into(&mut buf).map_err(unreadable)?;
        let (start, closed) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                match e.name().as_ref() {
                    "table:table" => extents.extend(table.take()),
                    "table:table-row" => row = row.saturating_add(row_repeats).min(MAX_ROWS),
                    _ => {}
                }
                buf.clear();
                continue;
            }
            Event::Eof => break,
            _ => {
                buf.clear();
                continue;
            }
        };
        match start.name().as_ref() {
            "table:table" => {
                let name = start
                    .try_get_attribute("table:name")
                    .ok()
                    .flatten()
                    .and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(|v| v.into_owned())
                    })
                    .unwrap_or_default();
                table = Some(Extent::new(name));
                row = 0;
            }
            "table:table-row" => {
                row_repeats = repeats(start, "table:number-rows-repeated");
                column = 0;
                if closed {
                    row = row.saturating_add(row_repeats).min(MAX_ROWS);
                }
            }
            name @ ("table:table-cell" | "table:covered-table-cell") => {
                let columns = repeats(start, "table:number-columns-repeated");
                // A cell with a value, a formula or any content holds data (what calamine
                // reads as empty may be counted too: the extent is an upper bound).
                let data = !closed
                    || start
                        .attributes()
                        .flatten()
                        .any(|a| matches!(a.key.as_ref(), "office:value-type" | "table:formula"));
                if data && let Some(table) = &mut table {
                    let last_row = row.saturating_add(row_repeats - 1).min(MAX_ROWS - 1);
                    let last_column = column.saturating_add(columns - 1).min(MAX_COLUMNS - 1);
                    table.include((row, last_row), (column, last_column));
                }
                column = column.saturating_add(columns).min(MAX_COLUMNS);
                if !closed {
                    let end = name.to_owned();
                    reader
                        .read_to_end_into(quick_xml::name::QName(&end), &mut skip)
                        .map_err(unreadable)?;
                    skip.clear();
                }
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(extents)
}

/// The extents of an xls workbook's sheets: its cells, and the dimensions each sheet declares
/// (calamine reserves room for those before reading a cell).
fn xls_extents(bytes: &[u8]) -> Result<Vec<Extent>, TableError> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(unreadable)?;
    let mut stream = Vec::new();
    file.open_stream("Workbook")
        .or_else(|_| file.open_stream("Book"))
        .map_err(unreadable)?
        .read_to_end(&mut stream)
        .map_err(unreadable)?;
    let records = |from: usize| Records {
        stream: stream.get(from..).unwrap_or_default(),
    };
    // The workbook globals, up to their EOF: where each sheet begins, and its name.
    let mut sheets = Vec::new();
    let mut biff8 = true;
    for (typ, data) in records(0) {
        match typ {
            0x0809 if data.len() >= 2 => biff8 = u16_at(data, 0) >= 0x0600,
            0x0085 if data.len() >= 8 => {
                let position = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
                sheets.push((position as usize, sheet_name(&data[6..], biff8)));
            }
            0x000A => break,
            _ => {}
        }
    }
    let mut extents = Vec::new();
    for (position, name) in sheets {
        let mut extent = Extent::new(name);
        let mut depth = 0usize;
        for (typ, data) in records(position) {
            match typ {
                // A nested substream (an embedded chart) and its end.
                0x0809 => depth += 1,
                0x000A if depth <= 1 => break,
                0x000A => depth -= 1,
                _ if depth > 1 => {}
                0x0200 => {
                    if let Some((rows, columns)) = declared_dimensions(data) {
                        extent.include(rows, columns);
                    }
                }
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 if data.len() >= 4 => {
                    let (row, column) = (u16_at(data, 0).into(), u16_at(data, 2).into());
                    extent.include((row, row), (column, column));
                }
                // MulRk: a row, its first column, the values, its last column.
                0x00BD if data.len() >= 6 => {
                    let row = u16_at(data, 0).into();
                    let last = u16_at(data, data.len() - 2).into();
                    extent.include((row, row), (u16_at(data, 2).into(), last));
                }
                _ => {}
            }
        }
        extents.push(extent);
    }
    Ok(extents)
}

fn u16_at(data: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([data[at], data[at + 1]])
}

/// The rows and columns a DIMENSIONS record declares, as calamine reads them (rows and
/// columns past the last are exclusive); a range that ends before it starts makes calamine
/// reserve the whole 32-bit row space, and counts so.
fn declared_dimensions(data: &[u8]) -> Option<((u64, u64), (u64, u64))> {
    let (first_row, end_row, mut first_column, end_column) = match data.len() {
        10 => (
            u64::from(u16_at(data, 0)),
            u64::from(u16_at(data, 2)),
            u64::from(u16_at(data, 4)),
            u64::from(u16_at(data, 6)),
        ),
        14 | 16 => (
            u64::from(u32::from_le_bytes([data[0], data[1], data[2], data[3]])),
            u64::from(u32::from_le_bytes([data[4], data[5], data[6], data[7]])),
            u64::from(u16_at(data, 8)),
            u64::from(u16_at(data, 10)),
        ),
        _ => return None,
    };
    if first_column > 0xFF || end_column < first_column {
        first_column = 0;
    }
    if end_row == 0 || end_column == 0 {
        return None;
    }
    let last_row = if end_row - 1 < first_row {
        u64::from(u32::MAX)
    } else {
        end_row - 1
    };
    Some((
        (first_row, last_row),
        (first_column, (end_column - 1).max(first_column)),
    ))
}

/// A BoundSheet8 name: a length, then (BIFF8) a flag for two-byte characters, then the text.
fn sheet_name(data: &[u8], biff8: bool) -> String {
    let Some((&length, rest)) = data.split_first() else {
        return String::new();
    };
    let length = usize::from(length);
    match rest.split_first() {
        Some((&flags, text)) if biff8 && flags & 1 == 1 => {
            let units: Vec<u16> = text
                .chunks_exact(2)
                .take(length)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        Some((_, text)) if biff8 => text.iter().take(length).map(|&b| char::from(b)).collect(),
        // BIFF5 and earlier: bytes in the workbook's code page (GBK on Chinese Windows).
        _ => {
            let text = &rest[..length.min(rest.len())];
            encoding_rs::GB18030.decode(text).0.into_owned()
        }
    }
}

/// The records of a BIFF stream: type and data (CONTINUE records come as records of their own).
struct Records<'a> {
    stream: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.stream.len() < 4 {
            return None;
        }
        let typ = u16_at(self.stream, 0);
        let length = usize::from(u16_at(self.stream, 2));
        let data = self.stream.get(4..4 + length)?;
        self.stream = &self.stream[4 + length..];
        Some((typ, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_dimensions_read_as_calamine_does() {
        let mut biff8 = Vec::new();
        for v in [0u32, 200_000] {
            biff8.extend_from_slice(&v.to_le_bytes());
        }
        biff8.extend_from_slice(&[0, 0, 100, 0, 0, 0]);
        assert_eq!(declared_dimensions(&biff8), Some(((0, 199_999), (0, 99))));
        // Ending before it starts: calamine's subtraction wraps around.
        let mut backwards = Vec::new();
        for v in [10u32, 5] {
            backwards.extend_from_slice(&v.to_le_bytes());
        }
        backwards.extend_from_slice(&[0, 0, 1, 0, 0, 0]);
        assert_eq!(
            declared_dimensions(&backwards).map(|d| d.0.1),
            Some(u64::from(u32::MAX))
        );
    }

    #[test]
    fn the_far_cell_is_named_as_a_spreadsheet_does() {
        let mut extent = Extent::new("Sheet1".into());
        extent.include((0, 0), (0, 0));
        extent.include((199_999, 199_999), (99, 99));
        assert_eq!(extent.far_cell(), "CV200000");
        assert_eq!(extent.cells(), 20_000_000);
    }
}
