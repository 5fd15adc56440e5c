//! The sample 年度任务分解表 `data/chengdu-tasks-2024.csv` read by the rules the importer uses:
//! every unit cell resolves, every deadline and node parses, every clause and indicator exists,
//! every task passes [`Task::check`], and the sheet covers the plan's 8 actions.

use std::collections::BTreeMap;

use planwatch_access::Unit;
use planwatch_plan::{Plan, SourceRef};

use crate::deadline::{parse_deadline, parse_nodes};
use crate::model::{Clause, Expected, Quantity, Span, Task, clause};
use crate::names::UnitResolver;

const SHEET: &str = include_str!("../../../data/chengdu-tasks-2024.csv");
const YEAR: u16 = 2024;
const HEADER: [&str; 10] = [
    "序号",
    "重点任务",
    "规划条款",
    "牵头单位",
    "责任单位",
    "配合单位",
    "完成时限",
    "季度节点",
    "年度目标",
    "关联指标",
];

/// A record of the sheet with its row number (1-based, as a spreadsheet counts).
struct Record {
    row: u64,
    cells: Vec<String>,
}

fn records() -> Vec<Record> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(SHEET.as_bytes());
    reader
        .records()
        .map(|record| {
            let record = record.expect("the sample sheet is well-formed CSV");
            Record {
                row: record.position().map_or(0, |p| p.record() + 1),
                cells: record.iter().map(str::to_owned).collect(),
            }
        })
        .collect()
}

/// A row naming only its first cell: the title, the note, or a section (一、实施…行动).
fn first_cell_only(cells: &[String]) -> bool {
    cells.iter().skip(1).all(|c| c.trim().is_empty())
}

/// The sections in order, each with its tasks as the importer reads them.
struct Sheet {
    sections: Vec<(String, Vec<(u64, Task)>)>,
    merged_leads: usize,
    problems: Vec<String>,
}

fn units(resolver: &UnitResolver, cell: &str, row: u64, problems: &mut Vec<String>) -> Vec<Unit> {
    resolver.cell(cell).unwrap_or_else(|found| {
        problems.extend(found.iter().map(|p| format!("row {row}: {p}")));
        Vec::new()
    })
}

fn read(plan: &Plan) -> Sheet {
    let resolver = UnitResolver::new(plan);
    let records = records();
    let mut problems = Vec::new();
    let header = records
        .iter()
        .position(|r| r.cells.first().map(String::as_str) == Some("序号"))
        .expect("a header row starting with 序号");
    assert_eq!(records[header].cells, HEADER, "the header row");
    let mut sections: Vec<(String, Vec<(u64, Task)>)> = Vec::new();
    let mut merged_leads = 0;
    let mut previous_lead: Option<Vec<Unit>> = None;
    for Record { row, cells } in &records[header + 1..] {
        let row = *row;
        if first_cell_only(cells) {
            sections.push((cells[0].trim().to_owned(), Vec::new()));
            previous_lead = None;
            continue;
        }
        if cells.len() != HEADER.len() {
            problems.push(format!("row {row}: {} cells", cells.len()));
            continue;
        }
        let cell = |i: usize| cells[i].trim();
        let lead = if cell(3).is_empty() {
            // A merged 牵头单位 cell: the unit of the task above.
            merged_leads += 1;
            previous_lead.clone().unwrap_or_else(|| {
                problems.push(format!("row {row}: 牵头单位 empty under no task"));
                Vec::new()
            })
        } else {
            units(&resolver, cell(3), row, &mut problems)
        };
        previous_lead = Some(lead.clone());
        let deadline = parse_deadline(cell(6), YEAR).unwrap_or_else(|bad| {
            problems.push(format!("row {row}: {bad}"));
            crate::Deadline::Ongoing
        });
        let nodes = parse_nodes(cell(7), YEAR).unwrap_or_else(|bad| {
            problems.extend(bad.iter().map(|b| format!("row {row}: {b}")));
            Vec::new()
        });
        let task = Task {
            key: cell(0).to_owned(),
            span: Span::Year(YEAR),
            title: cell(1).to_owned(),
            clause: SourceRef(cell(2).to_owned()),
            lead,
            responsible: units(&resolver, cell(4), row, &mut problems),
            supporting: units(&resolver, cell(5), row, &mut problems),
            deadline,
            nodes,
            expected: Expected {
                text: cell(8).to_owned(),
                quantity: Quantity::parse(cell(8)),
            },
            indicators: crate::names::split_cell(cell(9))
                .into_iter()
                .map(str::to_owned)
                .collect(),
        };
        problems.extend(task.check(plan).iter().map(|p| format!("row {row}: {p}")));
        match sections.last_mut() {
            Some((_, tasks)) => tasks.push((row, task)),
            None => problems.push(format!("row {row}: a task before any section")),
        }
    }
    Sheet {
        sections,
        merged_leads,
        problems,
    }
}

/// The action a clause belongs to: the action itself, one of its items, or one of its 专栏.
fn action_of<'p>(plan: &'p Plan, reference: &SourceRef) -> Option<&'p planwatch_plan::Action> {
    match clause(plan, reference).ok()? {
        Clause::Action(action) | Clause::ActionItem(action, _) => Some(action),
        Clause::Column(column) | Clause::ColumnItem(column, _, _) => plan
            .actions
            .iter()
            .find(|a| a.columns.contains(&column.number)),
        Clause::Measure(_) => None,
    }
}

#[test]
fn every_row_of_the_sample_sheet_reads_by_the_importers_rules() {
    let plan = planwatch_plan::chengdu::plan();
    let sheet = read(&plan);
    assert!(
        sheet.problems.is_empty(),
        "problems in data/chengdu-tasks-2024.csv:\n{}",
        sheet.problems.join("\n")
    );
}

#[test]
fn the_sample_sheet_is_laid_out_as_offices_write_it() {
    assert!(
        SHEET.starts_with("成都市“十四五”服务业发展规划2024年度重点任务分解表,"),
        "the title in the first cell of row 1"
    );
    // Records end in CRLF as Excel saves them; a line break inside a quoted cell is a bare LF.
    let mut quoted = false;
    let mut previous = ' ';
    for c in SHEET.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if c == '\n' && !quoted {
            assert_eq!(previous, '\r', "a record ending in a bare LF");
        }
        previous = c;
    }
    assert!(SHEET.ends_with("\r\n"));
    let records = records();
    assert!(first_cell_only(&records[0].cells) && first_cell_only(&records[1].cells));
    assert!(records[1].cells[0].starts_with("填报说明："));
    let plan = planwatch_plan::chengdu::plan();
    let sheet = read(&plan);
    assert!(
        sheet.merged_leads >= 3,
        "merged 牵头单位 cells: {}",
        sheet.merged_leads
    );
}

#[test]
fn the_sample_sheet_covers_every_action_with_at_least_150_tasks() {
    let plan = planwatch_plan::chengdu::plan();
    let sheet = read(&plan);
    let tasks: Vec<&(u64, Task)> = sheet.sections.iter().flat_map(|(_, t)| t).collect();
    assert!(tasks.len() >= 150, "{} tasks", tasks.len());

    let mut keys: BTreeMap<&str, u64> = BTreeMap::new();
    for (row, task) in &tasks {
        if let Some(first) = keys.insert(&task.key, *row) {
            panic!("序号 {} on rows {first} and {row}", task.key);
        }
    }

    // The first 8 sections are the plan's actions in order (一、实施通道口岸畅通行动 …), each with
    // tasks serving that action: one of its items or one of its 专栏.
    assert!(sheet.sections.len() >= plan.actions.len());
    for (action, (heading, tasks)) in plan.actions.iter().zip(&sheet.sections) {
        let title = heading.split_once('、').map_or("", |(_, t)| t);
        assert_eq!(title, action.title.zh, "section “{heading}”");
        assert!(!tasks.is_empty(), "no task under “{heading}”");
        for (row, task) in tasks {
            let served = action_of(&plan, &task.clause).map(|a| &a.source_ref);
            assert_eq!(
                served,
                Some(&action.source_ref),
                "row {row}: {} is not of “{heading}”",
                task.clause.0
            );
        }
    }

    // Indicators named are the plan's 20 numbered ones.
    for (row, task) in &tasks {
        for code in &task.indicators {
            let numbered = plan
                .indicators
                .iter()
                .any(|i| &i.code == code && i.number.is_some());
            assert!(
                numbered,
                "row {row}: {code} is none of the plan's 20 indicators"
            );
        }
    }
}
