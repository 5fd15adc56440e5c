//! Reading a plan file (TOML) with a line and column for every problem.
//!
//! Reading goes in three passes so that one mistake does not hide the others:
//! 1. TOML syntax, with recovery, so every syntax error is reported;
//! 2. shape: each entry of each list (`[[indicators]]`, `[[regions]]` …) is deserialised on its
//!    own, so an unknown target kind in one indicator does not stop the next from being read;
//! 3. rules across fields ([`crate::validate::check`]), whose paths are mapped back to the spans
//!    the parser recorded.
//!
//! When pass 2 dropped broken entries, "unknown reference" problems are left out of pass 3:
//! the code they name may well be defined in the broken entry.

use std::fmt;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::model::Plan;
use crate::validate::{self, Path, PathSeg, ProblemKind};

/// A problem found in a plan file, with its position (1-based line and column, counted in
/// characters as an editor shows them).
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The field at fault (`indicators[3].targets[0].value`), where known.
    pub path: Option<String>,
    pub kind: ProblemKind,
}

impl fmt::Display for Diagnostic {
    /// `plan.toml:12:9: 错误：占比目标 120 超出 0–100 % 的范围 (share target 120 is outside 0–100 %)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: 错误：{} ({})",
            self.file,
            self.line,
            self.column,
            self.kind.zh(),
            self.kind
        )?;
        if let Some(path) = &self.path {
            write!(f, " [{path}]")?;
        }
        Ok(())
    }
}

/// All problems of a plan file that could not be read as a valid plan.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} problem(s) in the plan file", .0.len())]
pub struct PlanFileError(pub Vec<Diagnostic>);

/// The lists of a plan, each read entry by entry.
const LISTS: [&str; 11] = [
    "dimensions",
    "departments",
    "regions",
    "indicators",
    "industries",
    "layout",
    "zones",
    "actions",
    "columns",
    "measures",
    "outlook",
];

/// Reads and checks a plan file. `file_name` is only used in the diagnostics.
pub fn read_plan(file_name: &str, text: &str) -> Result<Plan, PlanFileError> {
    let lines = LineIndex::new(text);
    let at = |span: std::ops::Range<usize>, path: Option<&Path>, kind: ProblemKind| {
        let (line, column) = lines.position(span.start);
        Diagnostic {
            file: file_name.to_owned(),
            line,
            column,
            path: path.map(Path::to_string),
            kind,
        }
    };

    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        let diagnostics = syntax_errors
            .into_iter()
            .map(|e| {
                let message = e.message().trim().to_owned();
                at(e.span().unwrap_or(0..0), None, ProblemKind::Syntax(message))
            })
            .collect();
        return Err(PlanFileError(diagnostics));
    }

    let mut diagnostics = Vec::new();
    let mut header = root.get_ref().clone();
    let mut lists = Vec::new();
    for name in LISTS {
        let Some(value) = header.get_mut(name) else {
            continue;
        };
        // Replace the list by an empty one so the header can be read without it.
        let taken = std::mem::replace(value.get_mut(), DeValue::Array(toml::de::DeArray::new()));
        let DeValue::Array(entries) = taken else {
            // Not a list: put it back and let the header pass report the type error.
            *value.get_mut() = taken;
            continue;
        };
        lists.push((name, entries));
    }

    let header_value = Spanned::new(root.span(), DeValue::Table(header));
    let mut plan: Option<Plan> = match deserialize(header_value) {
        Ok(plan) => Some(plan),
        Err(e) => {
            diagnostics.push(at(
                e.span().unwrap_or(0..0),
                None,
                ProblemKind::Shape(e.message().to_owned()),
            ));
            None
        }
    };

    // For each list, the file positions of the entries that were read.
    let mut kept: Vec<(&str, Vec<usize>)> = Vec::new();
    for (name, entries) in lists {
        let mut positions = Vec::new();
        macro_rules! read_list {
            ($field:ident) => {{
                let mut values = Vec::new();
                for (i, entry) in entries.into_iter().enumerate() {
                    match deserialize(entry) {
                        Ok(value) => {
                            values.push(value);
                            positions.push(i);
                        }
                        Err(e) => diagnostics.push(at(
                            e.span().unwrap_or(0..0),
                            Some(&Path(vec![PathSeg::Key(name), PathSeg::Index(i)])),
                            ProblemKind::Shape(e.message().to_owned()),
                        )),
                    }
                }
                if let Some(plan) = plan.as_mut() {
                    plan.$field = values;
                }
            }};
        }
        match name {
            "dimensions" => read_list!(dimensions),
            "departments" => read_list!(departments),
            "regions" => read_list!(regions),
            "indicators" => read_list!(indicators),
            "industries" => read_list!(industries),
            "layout" => read_list!(layout),
            "zones" => read_list!(zones),
            "actions" => read_list!(actions),
            "columns" => read_list!(columns),
            "measures" => read_list!(measures),
            "outlook" => read_list!(outlook),
            _ => unreachable!("every list in LISTS is read"),
        }
        kept.push((name, positions));
    }

    let Some(plan) = plan else {
        return Err(PlanFileError(diagnostics));
    };
    let shape_failed = !diagnostics.is_empty();
    for problem in validate::check(&plan) {
        if shape_failed && matches!(problem.kind, ProblemKind::UnknownReference { .. }) {
            continue;
        }
        let path = file_path(&problem.path, &kept);
        let span = span_of(root.get_ref(), &path).unwrap_or(root.span());
        diagnostics.push(at(span, Some(&path), problem.kind));
    }
    if diagnostics.is_empty() {
        Ok(plan)
    } else {
        diagnostics.sort_by_key(|d| (d.line, d.column));
        Err(PlanFileError(diagnostics))
    }
}

fn deserialize<T: DeserializeOwned>(value: Spanned<DeValue<'_>>) -> Result<T, toml::de::Error> {
    T::deserialize(ValueDeserializer::from(value))
}

/// Translates a path into the plan to a path into the file: the index of a list entry counts
/// the entries that were read, the file counts them all.
fn file_path(path: &Path, kept: &[(&str, Vec<usize>)]) -> Path {
    let mut segs = path.0.clone();
    if let [PathSeg::Key(list), PathSeg::Index(index), ..] = segs.as_mut_slice()
        && let Some((_, positions)) = kept.iter().find(|(name, _)| name == list)
        && let Some(position) = positions.get(*index)
    {
        *index = *position;
    }
    Path(segs)
}

/// The span of the deepest value along `path` that the file has.
fn span_of(root: &DeTable<'_>, path: &Path) -> Option<std::ops::Range<usize>> {
    let mut current: Option<&Spanned<DeValue<'_>>> = None;
    let mut best = None;
    for seg in &path.0 {
        let next = match (seg, current.map(Spanned::get_ref)) {
            (PathSeg::Key(key), None) => root.get(*key),
            (PathSeg::Key(key), Some(DeValue::Table(table))) => table.get(*key),
            (PathSeg::Index(i), Some(DeValue::Array(items))) => items.get(*i),
            _ => None,
        };
        match next {
            Some(value) => {
                best = Some(value.span());
                current = Some(value);
            }
            None => break,
        }
    }
    best
}

/// Byte offsets to 1-based lines and character columns.
struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let start = self.starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line + 1, column)
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn positions_count_characters_not_bytes() {
        let index = LineIndex::new("a = 1\nname = \"成都\" x\n");
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(6), (2, 1));
        // "name = \"成都\" " is 15 bytes but 12 characters before the x.
        let x = "a = 1\nname = \"成都\" x".find('x').unwrap();
        assert_eq!(index.position(x), (2, 13));
    }
}
