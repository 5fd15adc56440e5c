//! What the readers of an office's yearly sheets (the task sheet, the key project list) share:
//! a CSV (UTF-8 or GB18030, any line ends) or a workbook with a title row (merged across) and
//! notes above the header; the header found by the names offices give its columns; section rows
//! (one text, merged across in a workbook) between the rows; 序号 unique; every problem with the
//! sheet's row and the column's name as the header writes it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

use planwatch_access::{Unit, normalize_unit_name};
use planwatch_tasks::UnitResolver;

use crate::table::{Cell, CsvRows, RawRow, TableError, excel_rows};

/// A problem of a sheet: where (file, the sheet's row — 0 for the file as a whole — and the
/// column's name as the header writes it) and what, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetProblem {
    pub file: String,
    pub row: usize,
    pub column: Option<String>,
    /// `中文 / English`.
    pub message: String,
}

impl fmt::Display for SheetProblem {
    /// `tasks.csv:7: 牵头单位 “市外星局”不是本规划的… / "市外星局" is no …`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.row > 0 {
            write!(f, ":{}", self.row)?;
        }
        write!(f, ": ")?;
        if let Some(column) = &self.column {
            write!(f, "{column} ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// The problems of a sheet so far.
pub(crate) struct Problems {
    file: String,
    pub(crate) list: Vec<SheetProblem>,
}

impl Problems {
    pub(crate) fn new(file: &str) -> Problems {
        Problems {
            file: file.to_owned(),
            list: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, row: usize, column: Option<String>, message: String) {
        self.list.push(SheetProblem {
            file: self.file.clone(),
            row,
            column,
            message,
        });
    }

    /// How many so far: a row is whole when it added none.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// The units a cell names (`市商务局、锦江区政府`), each unknown name a problem.
    pub(crate) fn units(
        &mut self,
        resolver: &UnitResolver,
        row: usize,
        column: Option<String>,
        cell: &str,
    ) -> Vec<Unit> {
        match resolver.cell(cell) {
            Ok(units) => units,
            Err(problems) => {
                for p in problems {
                    self.push(row, column.clone(), p.to_string());
                }
                Vec::new()
            }
        }
    }
}

/// A sheet's columns: the role, the names offices give it (first: the template's), whether it
/// is required; which column holds the 序号 and which other one a header must name.
pub(crate) struct Layout<C: 'static> {
    pub(crate) columns: &'static [(C, &'static [&'static str], bool)],
    pub(crate) seq: C,
    pub(crate) named: C,
    /// The problem when no row is the header (`中文 / English`).
    pub(crate) no_header: &'static str,
}

impl<C> Layout<C> {
    /// The header of the template: each column's first name.
    pub(crate) fn template_header(&self) -> Vec<&'static str> {
        self.columns.iter().map(|(_, names, _)| names[0]).collect()
    }
}

/// The sheet's columns: where each is, and its name as written.
pub(crate) struct Header<C> {
    at: HashMap<C, (usize, String)>,
}

impl<C: Copy + Eq + Hash> Header<C> {
    /// The header a row is, when it names the layout's 序号 and its other named column.
    fn read(cells: &[Cell], layout: &Layout<C>) -> Option<Header<C>> {
        let mut at = HashMap::new();
        for (i, cell) in cells.iter().enumerate() {
            let written = cell.text();
            let key = normalize_unit_name(&written);
            if let Some((column, _, _)) = layout
                .columns
                .iter()
                .find(|(_, names, _)| names.iter().any(|n| normalize_unit_name(n) == key))
            {
                at.entry(*column).or_insert((i, written.into_owned()));
            }
        }
        (at.contains_key(&layout.seq) && at.contains_key(&layout.named)).then_some(Header { at })
    }

    /// The text of `column` on `row`, empty where the sheet has no such column.
    pub(crate) fn text<'r>(&self, row: &'r RawRow, column: C) -> Cow<'r, str> {
        match self.at.get(&column).and_then(|(i, _)| row.cells.get(*i)) {
            Some(cell) => cell.text(),
            None => "".into(),
        }
    }

    /// The cell of `column` on `row`, where the sheet has one.
    pub(crate) fn cell<'r>(&self, row: &'r RawRow, column: C) -> Option<&'r Cell> {
        self.at.get(&column).and_then(|(i, _)| row.cells.get(*i))
    }

    /// The column's name as the header writes it.
    pub(crate) fn name(&self, column: C) -> Option<String> {
        self.at.get(&column).map(|(_, name)| name.clone())
    }
}

/// A line of a sheet below its header.
pub(crate) enum Line<'s, C> {
    /// A section row's text.
    Section(String),
    /// A row of the sheet's items, with the header to read it by and the problems to add to.
    Row(&'s Header<C>, RawRow, &'s mut Problems),
}

/// A sheet being read, line by line.
pub(crate) struct Sheet<C: 'static> {
    excel: bool,
    rows: Box<dyn Iterator<Item = Result<RawRow, TableError>>>,
    layout: &'static Layout<C>,
    title: Option<String>,
    header: Option<Header<C>>,
    seen: HashMap<String, usize>,
    problems: Problems,
}

impl<C: Copy + Eq + Hash> Sheet<C> {
    /// The sheet `bytes` (a workbook or CSV, as its first bytes say) named `file`.
    pub(crate) fn open(
        file: &str,
        bytes: Vec<u8>,
        layout: &'static Layout<C>,
    ) -> Result<Sheet<C>, Vec<SheetProblem>> {
        let excel = crate::is_excel(&bytes);
        let rows: Box<dyn Iterator<Item = Result<RawRow, TableError>>> = if excel {
            Box::new(excel_rows(bytes, true).map_err(|e| whole(file, e))?.rows)
        } else {
            Box::new(CsvRows::new(std::io::Cursor::new(bytes)).map_err(|e| whole(file, e))?)
        };
        Ok(Sheet {
            excel,
            rows,
            layout,
            title: None,
            header: None,
            seen: HashMap::new(),
            problems: Problems::new(file),
        })
    }

    /// Whether it is a workbook (where merged cells repeat; CSV leaves them empty).
    pub(crate) fn excel(&self) -> bool {
        self.excel
    }

    /// The next section or item row below the header; a repeated 序号 is noted.
    pub(crate) fn next_line(&mut self) -> Result<Option<Line<'_, C>>, Vec<SheetProblem>> {
        let row = loop {
            let Some(row) = self.rows.next() else {
                return Ok(None);
            };
            let row = row.map_err(|e| whole(&self.problems.file, e))?;
            let filled: Vec<&Cell> = row.cells.iter().filter(|c| !c.is_empty()).collect();
            let Some(first) = filled.first() else {
                continue;
            };
            let Some(header) = &self.header else {
                self.header = Header::read(&row.cells, self.layout);
                if self.header.is_none() && self.title.is_none() {
                    self.title = Some(first.text().into_owned());
                }
                continue;
            };
            // A section row: one text (merged across, a workbook repeats it) that is no 序号.
            let seq = header.text(&row, self.layout.seq);
            let one_text = filled.iter().all(|c| c.text() == first.text());
            if one_text && (seq.is_empty() || seq == first.text()) && !is_number(&first.text()) {
                return Ok(Some(Line::Section(first.text().into_owned())));
            }
            if !seq.is_empty()
                && let Some(first_row) = self.seen.insert(seq.clone().into_owned(), row.row)
            {
                let message = format!(
                    "序号“{seq}”与第 {first_row} 行重复 / the 序号 \"{seq}\" repeats row {first_row}"
                );
                self.problems
                    .push(row.row, header.name(self.layout.seq), message);
            }
            break row;
        };
        Ok(self
            .header
            .as_ref()
            .map(|header| Line::Row(header, row, &mut self.problems)))
    }

    /// The title row, or every problem: no header, the required columns it lacks (alone: every
    /// row would only repeat them), or what the rows had.
    pub(crate) fn finish(mut self) -> Result<Option<String>, Vec<SheetProblem>> {
        let Some(header) = &self.header else {
            self.problems
                .push(0, None, self.layout.no_header.to_owned());
            return Err(self.problems.list);
        };
        let missing: Vec<SheetProblem> = self
            .layout
            .columns
            .iter()
            .filter(|(column, _, required)| *required && !header.at.contains_key(column))
            .map(|(_, names, _)| SheetProblem {
                file: self.problems.file.clone(),
                row: 0,
                column: None,
                message: format!(
                    "表头缺少“{}”列 / the header has no column \"{}\"",
                    names.join("”或“"),
                    names[0]
                ),
            })
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        if self.problems.list.is_empty() {
            Ok(self.title)
        } else {
            Err(self.problems.list)
        }
    }
}

/// A problem of the file as a whole.
fn whole(file: &str, e: TableError) -> Vec<SheetProblem> {
    vec![SheetProblem {
        file: file.to_owned(),
        row: e.row(),
        column: None,
        message: format!("{} / {e}", e.zh()),
    }]
}

/// Whether a cell is a 序号: digits, perhaps with a dot.
pub(crate) fn is_number(text: &str) -> bool {
    let text = text.trim_end_matches(['.', '、']);
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// What the readers' tests share.
#[cfg(test)]
pub(crate) mod testing {
    use super::SheetProblem;

    /// `text` in GB18030, as Excel saves a CSV on a Chinese Windows.
    pub(crate) fn gbk(text: &str) -> Vec<u8> {
        let (gbk, _, unmappable) = encoding_rs::GB18030.encode(text);
        assert!(!unmappable);
        gbk.into_owned()
    }

    /// How many of `problems` stand at `row` in `column`.
    pub(crate) fn count_at(problems: &[SheetProblem], row: usize, column: &str) -> usize {
        problems
            .iter()
            .filter(|p| p.row == row && p.column.as_deref() == Some(column))
            .count()
    }
}
