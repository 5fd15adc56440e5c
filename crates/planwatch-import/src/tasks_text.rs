//! Reading the text form of a year's task decomposition, as cities publish it — Chengdu's
//! 《政府工作报告》目标任务责任分解方案: plain text (UTF-8 or GB18030, as the CSV reader decides)
//! or a Word document (DOCX, its paragraphs in order). Headings (`一、…`, `（一）…`) give the
//! section; numbered items (`1.`, `6．`, `12、`, or `（三）` when it closes with a units bracket)
//! are the tasks, each running until the next item or heading (wrapped over lines or
//! paragraphs) and ending in a bracket
//! `（牵头领导：…；牵头单位：…；责任单位：…；配合单位：…；数据提供单位：…）`. Every problem is
//! reported at once, with the line (text) or paragraph (DOCX) and the part at fault; nothing is
//! returned when there is one. Rules: `docs/tasks.md`, section “分解方案（文本）”.

use std::io::{Cursor, Read};

use planwatch_access::normalize_unit_name;
use planwatch_plan::{Plan, SourceRef};
use planwatch_tasks::{Expected, Quantity, Span, Task, UnitResolver, clause, parse_deadline};
use quick_xml::events::Event;

use crate::sheet::{Problems, SheetProblem};
use crate::table::{Encoding, detect_encoding};
use crate::tasks::{SheetTask, TaskSheet, read_tasks};

/// The form of a task file, as its content says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskForm {
    /// A 年度任务分解表: CSV or a workbook.
    Sheet,
    /// A 分解方案 in plain text.
    Text,
    /// A 分解方案 as a Word document.
    Docx,
}

/// The form of `bytes`: a zip holding `word/document.xml` is a DOCX; text with a line naming a
/// 牵头单位 in a bracket (`牵头单位：`) and no 序号 header is the text form; anything else is a sheet.
pub fn task_form(bytes: &[u8]) -> TaskForm {
    if bytes.starts_with(b"PK\x03\x04") {
        let docx = zip::ZipArchive::new(Cursor::new(bytes))
            .is_ok_and(|mut zip| zip.by_name("word/document.xml").is_ok());
        return if docx {
            TaskForm::Docx
        } else {
            TaskForm::Sheet
        };
    }
    if crate::is_excel(bytes) {
        return TaskForm::Sheet;
    }
    let Ok(text) = decode(bytes) else {
        return TaskForm::Sheet;
    };
    let mut bracket = false;
    for line in text.lines() {
        let line = line.trim_start_matches(['\u{feff}', ' ', '\u{3000}', '"']);
        if line.starts_with("序号") {
            return TaskForm::Sheet;
        }
        bracket |= line.contains("牵头单位：") || line.contains("牵头单位:");
    }
    if bracket {
        TaskForm::Text
    } else {
        TaskForm::Sheet
    }
}

/// Reads the task file `bytes` named `file` in whichever form it is ([`task_form`]): the sheet
/// by [`read_tasks`], the text and DOCX forms by [`read_task_text`].
pub fn read_task_file(
    file: &str,
    bytes: Vec<u8>,
    plan: &Plan,
    year: u16,
) -> Result<TaskSheet, Vec<SheetProblem>> {
    match task_form(&bytes) {
        TaskForm::Sheet => read_tasks(file, bytes, plan, year),
        TaskForm::Text | TaskForm::Docx => read_task_text(file, &bytes, plan, year),
    }
}

/// Reads the 分解方案 `bytes` (plain text or DOCX) named `file`, for `year`, against `plan`:
/// every task (its `row` the line or paragraph its item starts on), or every problem.
pub fn read_task_text(
    file: &str,
    bytes: &[u8],
    plan: &Plan,
    year: u16,
) -> Result<TaskSheet, Vec<SheetProblem>> {
    let whole = |message: String| {
        vec![SheetProblem {
            file: file.to_owned(),
            row: 0,
            column: None,
            message,
        }]
    };
    let lines: Vec<String> = if task_form(bytes) == TaskForm::Docx {
        docx_paragraphs(bytes).map_err(whole)?
    } else {
        decode(bytes)
            .map_err(whole)?
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let reader = Reader {
        plan,
        year,
        units: UnitResolver::new(plan),
        default_clause: default_clause(plan),
    };
    reader.read(file, &lines)
}

/// `bytes` as text: UTF-8 (with or without its mark), UTF-16 with its mark, else GB18030, as
/// the CSV reader decides ([`detect_encoding`]); bytes not valid in that encoding are refused.
fn decode(bytes: &[u8]) -> Result<String, String> {
    let encoding = detect_encoding(bytes).unwrap_or(Encoding::Utf8);
    let codec = match encoding {
        Encoding::Utf8 => encoding_rs::UTF_8,
        Encoding::Gb18030 => encoding_rs::GB18030,
        Encoding::Utf16Le => encoding_rs::UTF_16LE,
        Encoding::Utf16Be => encoding_rs::UTF_16BE,
    };
    let (text, _, malformed) = codec.decode(bytes);
    if malformed {
        return Err(format!(
            "文件不是有效的 {encoding} 文本；请另存为 UTF-8 / the file is not valid {encoding} text; save it as UTF-8"
        ));
    }
    Ok(text.trim_start_matches('\u{feff}').to_owned())
}

/// The paragraphs of a DOCX's `word/document.xml`, in order, empty ones included (so that a
/// problem's paragraph number counts as Word's navigation does); a break (`w:br`) or tab inside a
/// paragraph reads as a space.
fn docx_paragraphs(bytes: &[u8]) -> Result<Vec<String>, String> {
    let unreadable = |e: &dyn std::fmt::Display| {
        format!("无法读取 Word 文档：{e} / cannot read the Word document: {e}")
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .map_err(|e| unreadable(&e))?
        .read_to_string(&mut xml)
        .map_err(|e| unreadable(&e))?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut paragraphs = Vec::new();
    let mut paragraph: Option<String> = None;
    let mut in_text = false;
    loop {
        match reader.read_event().map_err(|e| unreadable(&e))? {
            Event::Start(e) if e.name().as_ref() == "w:p" => paragraph = Some(String::new()),
            Event::Empty(e) if e.name().as_ref() == "w:p" => paragraphs.push(String::new()),
            Event::End(e) if e.name().as_ref() == "w:p" => {
                paragraphs.extend(paragraph.take());
            }
            Event::Start(e) if e.name().as_ref() == "w:t" => in_text = true,
            Event::End(e) if e.name().as_ref() == "w:t" => in_text = false,
            Event::Empty(e) if matches!(e.name().as_ref(), "w:br" | "w:tab") => {
                if let Some(p) = &mut paragraph {
                    p.push(' ');
                }
            }
            Event::Text(t) if in_text => {
                if let Some(p) = &mut paragraph {
                    p.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) if in_text => {
                let c = match r.resolve_char_ref().map_err(|e| unreadable(&e))? {
                    Some(c) => Some(c),
                    None => match r.as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let (Some(p), Some(c)) = (&mut paragraph, c) {
                    p.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(paragraphs)
}

/// The clause of items under no heading naming an action of the plan and without a
/// `规划条款：` part: the plan's measure on dividing the targets among departments year by year
/// (保障措施 “加强部门协同联动”, whose text names 分解), else its first measure; `None` for a plan
/// without measures (each such item is then a problem).
pub fn default_clause(plan: &Plan) -> Option<SourceRef> {
    plan.measures
        .iter()
        .find(|m| m.text.zh.contains("分解") || m.title.zh.contains("分解"))
        .or_else(|| plan.measures.first())
        .map(|m| m.source_ref.clone())
}

/// The parts a units bracket may hold, as written after them with `：`.
const PARTS: [&str; 7] = [
    "牵头领导",
    "牵头单位",
    "责任单位",
    "配合单位",
    "数据提供单位",
    "完成时限",
    "规划条款",
];

/// Chinese numerals as headings number them.
const NUMERALS: &str = "一二三四五六七八九十百零〇";

/// How a line starts.
#[derive(Debug, Clone, PartialEq)]
enum Start {
    /// `一、`: a heading (level 1).
    Chapter(String),
    /// `（一）`: a heading (level 2), or an item when its text closes with a units bracket.
    Bracketed(String),
    /// `6.`, `6．`, `6、`: an item.
    Number(String),
}

/// The number a line starts with and the text after it.
fn line_start(line: &str) -> Option<(Start, &str)> {
    let digits = line
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(line.len());
    if digits > 0 {
        let rest = &line[digits..];
        let after = rest.strip_prefix(['.', '．', '、'])?;
        // `3.5%` is a number in the text, not an item.
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        return Some((Start::Number(line[..digits].to_owned()), after));
    }
    let numeral = line
        .find(|c: char| !NUMERALS.contains(c))
        .unwrap_or(line.len());
    if numeral > 0 {
        let after = line[numeral..].strip_prefix('、')?;
        return Some((Start::Chapter(line[..numeral].to_owned()), after));
    }
    let inner = line.strip_prefix(['（', '('])?;
    let numeral = inner.find(|c: char| !NUMERALS.contains(c))?;
    if numeral == 0 {
        return None;
    }
    let after = inner[numeral..].strip_prefix(['）', ')'])?;
    Some((
        Start::Bracketed(format!("（{}）", &inner[..numeral])),
        after,
    ))
}

/// A numbered block of lines: an item or a heading.
struct Block {
    start: Start,
    /// The whole line of its number (a heading's text).
    first: String,
    /// Its text after the number, the lines joined.
    text: String,
    /// Where each line's text begins in `text`, with the line's number.
    lines: Vec<(usize, usize)>,
}

impl Block {
    /// The line holding byte `at` of `text`.
    fn line_at(&self, at: usize) -> usize {
        self.lines
            .iter()
            .rev()
            .find(|(offset, _)| *offset <= at)
            .map_or(self.lines[0].1, |(_, line)| *line)
    }

    fn line(&self) -> usize {
        self.lines[0].1
    }
}

struct Reader<'a> {
    plan: &'a Plan,
    year: u16,
    units: UnitResolver,
    default_clause: Option<SourceRef>,
}

impl Reader<'_> {
    fn read(&self, file: &str, lines: &[String]) -> Result<TaskSheet, Vec<SheetProblem>> {
        let mut title = None;
        let mut blocks: Vec<Block> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
            if line.is_empty() {
                continue;
            }
            if let Some((start, rest)) = line_start(line) {
                let rest = rest.trim_start();
                blocks.push(Block {
                    start,
                    first: line.to_owned(),
                    text: rest.to_owned(),
                    lines: vec![(0, i + 1)],
                });
            } else if let Some(block) = blocks.last_mut() {
                block.lines.push((block.text.len(), i + 1));
                block.text.push_str(line);
            } else if title.is_none() {
                title = Some(line.to_owned());
            }
        }
        let mut problems = Problems::new(file);
        let mut chapter = String::new();
        let mut part = String::new();
        let mut seen: Vec<(String, usize)> = Vec::new();
        let mut tasks = Vec::new();
        for block in &blocks {
            let bracket = units_bracket(&block.text);
            let key = match (&block.start, &bracket) {
                (Start::Chapter(_), None) => {
                    chapter.clone_from(&block.first);
                    part.clear();
                    continue;
                }
                (Start::Bracketed(_), None) => {
                    part.clone_from(&block.first);
                    continue;
                }
                (Start::Chapter(n) | Start::Bracketed(n) | Start::Number(n), _) => n.clone(),
            };
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                problems.push(
                    block.line(),
                    Some("序号".to_owned()),
                    format!(
                        "序号“{key}”与第 {first} 行重复 / the number \"{key}\" repeats line {first}"
                    ),
                );
            } else {
                seen.push((key.clone(), block.line()));
            }
            let headings = [part.as_str(), chapter.as_str()];
            if let Some(task) = self.task(&mut problems, block, key, bracket, &headings) {
                tasks.push(task);
            }
        }
        if blocks.iter().all(|b| units_bracket(&b.text).is_none()) && problems.len() == 0 {
            problems.push(
                0,
                None,
                "找不到任何带“（牵头单位：…）”的编号事项 / no numbered item with a (牵头单位：…) bracket"
                    .to_owned(),
            );
        }
        if problems.len() == 0 {
            Ok(TaskSheet { title, tasks })
        } else {
            Err(problems.list)
        }
    }

    /// The task of an item block, its problems noted; `None` when it cannot be made.
    fn task(
        &self,
        problems: &mut Problems,
        block: &Block,
        key: String,
        bracket: Option<usize>,
        headings: &[&str; 2],
    ) -> Option<SheetTask> {
        let before = problems.len();
        let at = block.line();
        let (body, parts) = match bracket {
            Some(open) => (&block.text[..open], parts(&block.text[open..])),
            None => (block.text.as_str(), Vec::new()),
        };
        let bracket_line = bracket.map_or(at, |open| block.line_at(open));
        let part = |name: &str| {
            parts
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, value)| value.as_str())
        };
        let body = body
            .trim()
            .trim_end_matches(['。', '；', ';', '，', ',', ' ']);
        if body.is_empty() {
            problems.push(
                at,
                Some("任务".to_owned()),
                "任务须有内容 / a task needs a text".to_owned(),
            );
        }
        let column = |name: &str| Some(name.to_owned());
        let lead = part("牵头单位").unwrap_or("");
        if lead.is_empty() {
            problems.push(
                bracket_line,
                column("牵头单位"),
                "事项末尾须有“（牵头单位：…）”/ an item needs a lead unit in its closing bracket (牵头单位：…)".to_owned(),
            );
        }
        let mut units = |name: &str| {
            problems.units(
                &self.units,
                bracket_line,
                column(name),
                part(name).unwrap_or(""),
            )
        };
        let lead = units("牵头单位");
        let responsible = units("责任单位");
        let supporting = units("配合单位");
        let providers = units("数据提供单位");
        let deadline = match part("完成时限") {
            Some(written) => match parse_deadline(written, self.year) {
                Ok(deadline) => Some(deadline),
                Err(bad) => {
                    problems.push(bracket_line, column("完成时限"), bad.to_string());
                    None
                }
            },
            None => parse_deadline("年底前", self.year).ok(),
        };
        let reference = match part("规划条款") {
            Some(written) => {
                let reference = SourceRef(written.to_owned());
                match clause(self.plan, &reference) {
                    Ok(_) => Some(reference),
                    Err(unknown) => {
                        problems.push(bracket_line, column("规划条款"), unknown.to_string());
                        None
                    }
                }
            }
            None => {
                let action = headings.iter().find_map(|h| heading_action(self.plan, h));
                let reference = action.or_else(|| self.default_clause.clone());
                if reference.is_none() {
                    problems.push(
                        at,
                        column("规划条款"),
                        "事项未写“规划条款：”，其标题也不是本规划的行动，且本规划没有保障措施可归入 / the item names no 规划条款, stands under no heading naming an action of the plan, and the plan has no measure to file it under".to_owned(),
                    );
                }
                reference
            }
        };
        let indicators = indicators_named(self.plan, body);
        let (Some(clause), Some(deadline)) = (reference, deadline) else {
            return None;
        };
        let task = Task {
            key,
            span: Span::Year(self.year),
            title: body.to_owned(),
            clause,
            lead,
            responsible,
            supporting,
            deadline,
            nodes: Vec::new(),
            expected: Expected {
                quantity: Quantity::parse(body),
                text: body.to_owned(),
            },
            indicators,
        };
        for problem in task.check(self.plan) {
            use planwatch_tasks::model::TaskProblem;
            if !matches!(problem, TaskProblem::NoLead | TaskProblem::NoTitle) {
                problems.push(at, None, problem.to_string());
            }
        }
        let section = headings
            .iter()
            .find(|h| !h.is_empty())
            .map_or_else(String::new, |h| (*h).to_owned());
        (problems.len() == before).then_some(SheetTask {
            task,
            section,
            row: at,
            providers,
        })
    }
}

/// Where the item's closing units bracket opens in `text`: the last bracket, closing the text
/// (perhaps before a final `。`), that names one of the [`PARTS`].
fn units_bracket(text: &str) -> Option<usize> {
    let text = text.trim_end().trim_end_matches(['。', '；', ';']);
    if !text.ends_with(['）', ')']) {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in text.char_indices().rev() {
        match c {
            '）' | ')' => depth += 1,
            '（' | '(' => {
                depth -= 1;
                if depth == 0 {
                    let inside = &text[i..];
                    return PARTS
                        .iter()
                        .any(|p| {
                            inside.contains(&format!("{p}：")) || inside.contains(&format!("{p}:"))
                        })
                        .then_some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The parts of a units bracket (`（牵头单位：市商务局；责任单位：…）`), by name, each value
/// trimmed of the separators around it (`；`, `;`, `，`, `,`, `。`).
fn parts(bracket: &str) -> Vec<(&'static str, String)> {
    let inner = bracket
        .trim_end()
        .trim_end_matches(['。', '；', ';'])
        .trim_start_matches(['（', '('])
        .trim_end_matches(['）', ')']);
    let mut found: Vec<(usize, usize, &'static str)> = Vec::new();
    for name in PARTS {
        for colon in ["：", ":"] {
            let label = format!("{name}{colon}");
            for (i, _) in inner.match_indices(&label) {
                // 牵头单位 inside 数据提供单位 etc. cannot happen; 单位 names never hold a label.
                found.push((i, i + label.len(), name));
            }
        }
    }
    found.sort_unstable();
    let separators = ['；', ';', '，', ',', '。', ' ', '\u{3000}'];
    found
        .iter()
        .enumerate()
        .map(|(k, (_, end, name))| {
            let until = found.get(k + 1).map_or(inner.len(), |next| next.0);
            (
                *name,
                inner[*end..until].trim_matches(separators).to_owned(),
            )
        })
        .collect()
}

/// The action of the plan a heading names by its title (`（二）实施新消费创生引领行动`, or its
/// core: `新消费创生引领`). Unlike the sheet's section rows, never by its ordinal: a 分解方案's
/// `一、` is not the plan's first action.
fn heading_action(plan: &Plan, heading: &str) -> Option<SourceRef> {
    if heading.is_empty() {
        return None;
    }
    let heading = normalize_unit_name(heading);
    plan.actions
        .iter()
        .find(|a| {
            let title = normalize_unit_name(&a.title.zh);
            let core = title.trim_start_matches("实施").trim_end_matches("行动");
            !core.is_empty() && heading.contains(core)
        })
        .map(|a| a.source_ref.clone())
}

/// The indicators of the plan whose names the text holds, in the plan's order; a name inside a
/// longer one found at the same place (服务业增加值 in 服务业增加值占GDP比重) is not counted.
fn indicators_named(plan: &Plan, text: &str) -> Vec<String> {
    let text = normalize_unit_name(text);
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    for (index, indicator) in plan.indicators.iter().enumerate() {
        let name = normalize_unit_name(&indicator.name.zh);
        if name.is_empty() {
            continue;
        }
        for (at, _) in text.match_indices(&name) {
            found.push((at, at + name.len(), index));
        }
    }
    let mut indices: Vec<usize> = found
        .iter()
        .filter(|(start, end, index)| {
            !found
                .iter()
                .any(|(s, e, i)| i != index && s <= start && end <= e && (e - s) > (end - start))
        })
        .map(|(_, _, index)| *index)
        .collect();
    indices.sort_unstable();
    indices.dedup();
    indices
        .into_iter()
        .map(|i| plan.indicators[i].code.clone())
        .collect()
}

#[cfg(test)]
mod tests;
