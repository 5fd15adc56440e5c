//! Reading a year's 年度任务分解表 (the task decomposition sheet a plan office issues), CSV
//! (UTF-8 or GB18030, any line ends) or a workbook, as offices write it: a title row (merged
//! across in a workbook) and an optional notes row above the header; section rows
//! (`一、实施服务业能级提升行动`, merged across) that give the action of the tasks below them; a
//! 牵头单位 cell merged down over several tasks (in CSV: left empty below its first row). Every
//! problem is reported at once, with the sheet's row and column; nothing is returned when there
//! is one. Rules: `docs/tasks.md`.

use planwatch_access::{Unit, normalize_unit_name};
use planwatch_plan::{Plan, SourceRef};
use planwatch_tasks::{
    Expected, Quantity, Span, Task, UnitResolver, clause, parse_deadline, parse_nodes, split_cell,
};

pub use crate::sheet::SheetProblem;
use crate::sheet::{Header, Layout, Line, Problems, Sheet};
use crate::table::RawRow;

/// A task read from a sheet, with the section it stands in and its row.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetTask {
    pub task: Task,
    /// The section row above it (`一、实施服务业能级提升行动`), empty when none.
    pub section: String,
    /// The sheet's row (the text form: the line or paragraph its item starts on).
    pub row: usize,
    /// 数据提供单位: who supplies the figures of the task's indicators that year (the
    /// reporting calendar asks them for the city's figure instead of the lead department).
    pub providers: Vec<Unit>,
}

/// What a task sheet holds.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSheet {
    /// The title row, when the sheet has one above its header.
    pub title: Option<String>,
    pub tasks: Vec<SheetTask>,
}

/// The columns of a task sheet: the role, the names offices give it (first: the template's),
/// whether it is required.
const COLUMNS: &[(Column, &[&str], bool)] = &[
    (Column::Seq, &["序号"], true),
    (
        Column::Title,
        &["重点任务", "任务内容", "工作任务", "任务名称"],
        true,
    ),
    (Column::Clause, &["规划条款", "对应条款", "规划条目"], false),
    (Column::Lead, &["牵头单位"], true),
    (Column::Responsible, &["责任单位"], false),
    (Column::Supporting, &["配合单位"], false),
    (
        Column::Deadline,
        &["完成时限", "时间节点", "完成时间"],
        true,
    ),
    (Column::Nodes, &["季度节点", "进度安排"], false),
    (
        Column::Expected,
        &["年度目标", "预期成果", "工作目标"],
        false,
    ),
    (Column::Indicators, &["关联指标"], false),
    (Column::Providers, &["数据提供单位"], false),
];

/// The task sheet's layout: its header names a 序号 and a task.
static LAYOUT: Layout<Column> = Layout {
    columns: COLUMNS,
    seq: Column::Seq,
    named: Column::Title,
    no_header: "找不到表头（含“序号”“重点任务”的一行）/ no header row (one naming 序号 and 重点任务)",
};

/// The header of the template: each column's first name.
pub fn template_header() -> Vec<&'static str> {
    LAYOUT.template_header()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Seq,
    Title,
    Clause,
    Lead,
    Responsible,
    Supporting,
    Deadline,
    Nodes,
    Expected,
    Indicators,
    Providers,
}

/// Reads the task sheet `bytes` (a workbook or CSV, as its first bytes say) named `file`, for
/// `year`, against `plan`: every task, or every problem.
pub fn read_tasks(
    file: &str,
    bytes: Vec<u8>,
    plan: &Plan,
    year: u16,
) -> Result<TaskSheet, Vec<SheetProblem>> {
    let mut sheet = Sheet::open(file, bytes, &LAYOUT)?;
    let excel = sheet.excel();
    let reader = Reader {
        plan,
        year,
        units: UnitResolver::new(plan),
    };
    let mut section = String::new();
    let mut action: Option<SourceRef> = None;
    // The 牵头单位 a CSV leaves empty below a merged cell's first row.
    let mut lead_above = String::new();
    let mut tasks: Vec<SheetTask> = Vec::new();
    while let Some(line) = sheet.next_line()? {
        let (header, row, problems) = match line {
            Line::Section(text) => {
                action = section_action(plan, &text);
                section = text;
                lead_above.clear();
                continue;
            }
            Line::Row(header, row, problems) => (header, row, problems),
        };
        let mut lead_cell = header.text(&row, Column::Lead).into_owned();
        if lead_cell.is_empty() && !excel {
            lead_cell.clone_from(&lead_above);
        } else {
            lead_above.clone_from(&lead_cell);
        }
        let providers = problems.units(
            &reader.units,
            row.row,
            header.name(Column::Providers),
            &header.text(&row, Column::Providers),
        );
        if let Some(task) = reader.task(
            problems,
            header,
            &row,
            &lead_cell,
            &section,
            action.as_ref(),
        ) {
            tasks.push(SheetTask {
                task,
                section: section.clone(),
                row: row.row,
                providers,
            });
        }
    }
    let title = sheet.finish()?;
    Ok(TaskSheet { title, tasks })
}

/// The section rows of the plan's actions, as the template writes them: `一、实施通道口岸畅通行动`.
pub fn action_sections(plan: &Plan) -> Vec<String> {
    plan.actions
        .iter()
        .map(|a| {
            let ordinal = (a.number as usize)
                .checked_sub(1)
                .and_then(|i| ORDINALS.get(i))
                .map_or_else(|| a.number.to_string(), |o| (*o).to_owned());
            format!("{ordinal}、{}", a.title.zh)
        })
        .collect()
}

/// Chinese ordinals as section rows number the plan's actions.
const ORDINALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// The action a section row names: by its title (`一、实施通道口岸畅通行动`), else by its ordinal
/// (`一、` the plan's first action).
fn section_action(plan: &Plan, section: &str) -> Option<SourceRef> {
    let text = normalize_unit_name(section);
    let (ordinal, title) = match text.split_once(['、', '.']) {
        Some((ordinal, title)) => (Some(ordinal), title),
        None => (None, text.as_str()),
    };
    let by_title = plan.actions.iter().find(|a| {
        let name = normalize_unit_name(&a.title.zh);
        !title.is_empty() && (name == title || title.contains(&name))
    });
    let by_number = || {
        let number = ORDINALS.iter().position(|o| Some(*o) == ordinal)? + 1;
        plan.actions.iter().find(|a| a.number as usize == number)
    };
    by_title.or_else(by_number).map(|a| a.source_ref.clone())
}

struct Reader<'a> {
    plan: &'a Plan,
    year: u16,
    units: UnitResolver,
}

impl Reader<'_> {
    /// The task on a row, its problems noted; `None` when it cannot be made.
    fn task(
        &self,
        problems: &mut Problems,
        header: &Header<Column>,
        row: &RawRow,
        lead: &str,
        section: &str,
        action: Option<&SourceRef>,
    ) -> Option<Task> {
        let at = row.row;
        let before = problems.len();
        let key = header.text(row, Column::Seq).into_owned();
        if key.is_empty() {
            problems.push(
                at,
                header.name(Column::Seq),
                "序号为空 / the 序号 is empty".to_owned(),
            );
        }
        let title = header.text(row, Column::Title).into_owned();
        if title.is_empty() {
            problems.push(
                at,
                header.name(Column::Title),
                "任务须有名称 / a task needs a title".to_owned(),
            );
        }
        let written = header.text(row, Column::Clause);
        let reference = if written.is_empty() {
            match action {
                Some(action) => Some(action.clone()),
                None => {
                    let message = if section.is_empty() {
                        "规划条款为空，且任务不在任何行动的分节下 / no clause, and the task stands under no action's section row".to_owned()
                    } else {
                        format!(
                            "规划条款为空，且分节“{section}”不是本规划的行动 / no clause, and the section \"{section}\" is no action of the plan"
                        )
                    };
                    problems.push(at, header.name(Column::Clause), message);
                    None
                }
            }
        } else {
            let reference = SourceRef(written.into_owned());
            match clause(self.plan, &reference) {
                Ok(_) => Some(reference),
                Err(unknown) => {
                    problems.push(at, header.name(Column::Clause), unknown.to_string());
                    None
                }
            }
        };
        let lead_units = problems.units(&self.units, at, header.name(Column::Lead), lead);
        if lead.is_empty() {
            problems.push(
                at,
                header.name(Column::Lead),
                "任务须有牵头单位 / a task needs a lead unit".to_owned(),
            );
        }
        let responsible = problems.units(
            &self.units,
            at,
            header.name(Column::Responsible),
            &header.text(row, Column::Responsible),
        );
        let supporting = problems.units(
            &self.units,
            at,
            header.name(Column::Supporting),
            &header.text(row, Column::Supporting),
        );
        let written = header.text(row, Column::Deadline);
        let deadline = if written.is_empty() {
            problems.push(
                at,
                header.name(Column::Deadline),
                "完成时限为空 / the deadline is empty".to_owned(),
            );
            None
        } else {
            match parse_deadline(&written, self.year) {
                Ok(deadline) => Some(deadline),
                Err(bad) => {
                    problems.push(at, header.name(Column::Deadline), bad.to_string());
                    None
                }
            }
        };
        let nodes = match parse_nodes(&header.text(row, Column::Nodes), self.year) {
            Ok(nodes) => nodes,
            Err(bad) => {
                for b in bad {
                    problems.push(at, header.name(Column::Nodes), b.to_string());
                }
                Vec::new()
            }
        };
        let expected = header.text(row, Column::Expected).into_owned();
        let mut indicators = Vec::new();
        for name in split_cell(&header.text(row, Column::Indicators)) {
            let key = normalize_unit_name(name);
            match self
                .plan
                .indicators
                .iter()
                .find(|i| i.code == name || normalize_unit_name(&i.name.zh) == key)
            {
                Some(indicator) => indicators.push(indicator.code.clone()),
                None => problems.push(
                    at,
                    header.name(Column::Indicators),
                    format!("本规划中没有指标“{name}”/ the plan has no indicator \"{name}\""),
                ),
            }
        }
        let (Some(clause), Some(deadline)) = (reference, deadline) else {
            return None;
        };
        let task = Task {
            key,
            span: Span::Year(self.year),
            title,
            clause,
            lead: lead_units,
            responsible,
            supporting,
            deadline,
            nodes,
            expected: Expected {
                quantity: Quantity::parse(&expected),
                text: expected,
            },
            indicators,
        };
        // What the cells said is reported above; the task's own rules (nodes, roles) here.
        for problem in task.check(self.plan) {
            use planwatch_tasks::model::TaskProblem;
            if !matches!(
                problem,
                TaskProblem::Clause(_)
                    | TaskProblem::NoLead
                    | TaskProblem::NoTitle
                    | TaskProblem::UnknownIndicator(_)
            ) {
                problems.push(at, None, problem.to_string());
            }
        }
        (problems.len() == before).then_some(task)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use planwatch_access::Unit;
    use planwatch_plan::chengdu;
    use planwatch_tasks::Deadline;
    use rust_xlsxwriter::{Format, Workbook};

    use super::*;
    use crate::sheet::testing::{count_at, gbk};

    const TITLE: &str = "成都市“十四五”服务业发展规划2024年度重点任务分解表";
    const HEADER: &str =
        "序号,重点任务,规划条款,牵头单位,责任单位,配合单位,完成时限,季度节点,年度目标,关联指标";

    fn read(file: &str, bytes: Vec<u8>) -> Result<TaskSheet, Vec<SheetProblem>> {
        read_tasks(file, bytes, &chengdu::plan(), 2024)
    }

    fn department(code: &str) -> Unit {
        Unit::Department(code.to_owned())
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, m, d).unwrap()
    }

    /// A sheet as a plan office writes it in CSV: title, notes, header, two sections; the second
    /// task's 牵头单位 empty below the first's (a merged cell in the workbook).
    fn sheet_csv(line_end: &str) -> String {
        [
            format!("{TITLE},,,,,,,,,"),
            "填报说明：牵头单位负责汇总报送,,,,,,,,,".to_owned(),
            HEADER.to_owned(),
            "一、实施通道口岸畅通行动,,,,,,,,,".to_owned(),
            "1,提升国际铁路港枢纽能级,5.1.2,市口岸物流办,\"锦江区政府、青羊区人民政府\",市商务局,2024年12月底前,3月底前完成方案；三季度：完成建设,新开行班列300列,".to_owned(),
            "2,拓展国际客货通道,,,市经信局,,年底前,,推进通道建设,".to_owned(),
            "四、实施新消费创生引领行动,,,,,,,,,".to_owned(),
            "3,打造国际消费目的地,,市商务局,各区（市）县,,持续推进,,社零总额增长8%,社会消费品零售总额".to_owned(),
        ]
        .join(line_end)
            + line_end
    }

    #[test]
    fn a_csv_sheet_reads_sections_units_deadlines_and_nodes() {
        let sheet = read("tasks.csv", sheet_csv("\r\n").into_bytes()).unwrap();
        assert_eq!(sheet.title.as_deref(), Some(TITLE));
        assert_eq!(sheet.tasks.len(), 3);
        let first = &sheet.tasks[0];
        assert_eq!(first.row, 5);
        assert_eq!(first.section, "一、实施通道口岸畅通行动");
        assert_eq!(first.task.clause.0, "5.1.2");
        assert_eq!(first.task.lead, vec![department("port_logistics")]);
        assert_eq!(
            first.task.responsible,
            vec![
                Unit::Region("510104".to_owned()),
                Unit::Region("510105".to_owned())
            ]
        );
        assert_eq!(first.task.supporting, vec![department("commerce")]);
        assert_eq!(first.task.deadline, Deadline::By(day(12, 31)));
        assert_eq!(first.task.nodes.len(), 2);
        assert_eq!(first.task.nodes[1].due, day(9, 30));
        let quantity = first.task.expected.quantity.as_ref().unwrap();
        assert_eq!((quantity.value, quantity.unit.as_str()), (300.0, "列"));
        // No clause: the section's action; the lead carried down from the row above.
        let second = &sheet.tasks[1];
        assert_eq!(second.task.clause.0, "5.1");
        assert_eq!(second.task.lead, vec![department("port_logistics")]);
        assert_eq!(second.task.deadline, Deadline::By(day(12, 31)));
        let third = &sheet.tasks[2];
        assert_eq!(third.task.clause.0, "5.4");
        assert_eq!(third.task.deadline, Deadline::Ongoing);
        assert!(third.task.responsible.len() > 10, "every district");
        assert_eq!(third.task.indicators, vec!["retail_sales".to_owned()]);
    }

    #[test]
    fn gbk_and_lf_read_as_utf8_and_crlf() {
        let from_gbk = read("gbk.csv", gbk(&sheet_csv("\n"))).unwrap();
        let from_utf8 = read("tasks.csv", sheet_csv("\r\n").into_bytes()).unwrap();
        assert_eq!(from_gbk, from_utf8);
    }

    #[test]
    fn every_problem_is_reported_with_its_row_and_column() {
        let text = [
            HEADER,
            "一、实施通道口岸畅通行动,,,,,,,,,",
            "1,,9.9.9,市外星局、市火星局,有关部门,,尽快,尽快完成,,不存在的指标",
            "2,推进口岸建设,5.1.4,,,,年底前,,,",
            "1,重复序号的任务,,市商务局,,,年底前,,,",
        ]
        .join("\n");
        let problems = read("bad.csv", text.into_bytes()).unwrap_err();
        let at = |row: usize, column: &str| count_at(&problems, row, column);
        assert_eq!(at(3, "重点任务"), 1, "{problems:#?}");
        assert_eq!(at(3, "规划条款"), 1);
        assert_eq!(at(3, "牵头单位"), 2, "both unknown names");
        assert_eq!(at(3, "责任单位"), 1);
        assert_eq!(at(3, "完成时限"), 1);
        assert_eq!(at(3, "季度节点"), 1);
        assert_eq!(at(3, "关联指标"), 1);
        // Row 4's lead is carried from row 3, whose names are unknown: reported there again.
        assert_eq!(at(5, "序号"), 1, "the repeated 序号");
        assert!(problems.iter().any(|p| p.to_string().contains("市火星局")));
        assert!(
            problems
                .iter()
                .all(|p| p.file == "bad.csv" && p.message.contains("/ "))
        );
    }

    #[test]
    fn a_sheet_without_a_lead_or_header_is_refused() {
        let text = format!("{HEADER}\n1,推进口岸建设,5.1.4,,,,年底前,,,\n");
        let problems = read("nolead.csv", text.into_bytes()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].column.as_deref(), Some("牵头单位"));
        assert!(problems[0].message.contains("牵头单位"));
        let problems = read("none.csv", b"a,b\n1,2\n".to_vec()).unwrap_err();
        assert_eq!(problems[0].row, 0);
        assert!(problems[0].message.contains("表头"));
        let text = "序号,任务内容,责任单位\n1,推进口岸建设,市商务局\n";
        let problems = read("short.csv", text.as_bytes().to_vec()).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems.iter().any(|p| p.message.contains("牵头单位")));
        assert!(problems.iter().any(|p| p.message.contains("完成时限")));
    }

    #[test]
    fn the_data_provider_column_names_units() {
        let text = [
            format!("{HEADER},数据提供单位"),
            "1,打造国际消费目的地,5.4,市商务局,,,年底前,,社零总额增长8%,社会消费品零售总额,市统计局、成调队".to_owned(),
            "2,拓展国际客货通道,5.1,市口岸物流办,,,年底前,,,,".to_owned(),
        ]
        .join("\n");
        let sheet = read("providers.csv", text.into_bytes()).unwrap();
        assert_eq!(
            sheet.tasks[0].providers,
            vec![department("statistics"), department("survey_team")]
        );
        assert!(sheet.tasks[1].providers.is_empty());
        let text = format!(
            "{HEADER},数据提供单位\n1,打造国际消费目的地,5.4,市商务局,,,年底前,,,,市外星局\n"
        );
        let problems = read("bad.csv", text.into_bytes()).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(count_at(&problems, 2, "数据提供单位"), 1);
    }

    /// A workbook as offices make it: the title merged across, the section merged across, the
    /// lead merged down over two tasks; header variants (任务内容, 对应条款, 完成时间).
    fn workbook() -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let plain = Format::new();
        sheet.merge_range(0, 0, 0, 9, TITLE, &plain).unwrap();
        let header = [
            "序号",
            "任务内容",
            "对应条款",
            "牵头单位",
            "责任单位",
            "配合单位",
            "完成时间",
            "季度节点",
            "预期成果",
            "关联指标",
        ];
        for (i, name) in header.iter().enumerate() {
            sheet.write_string(1, i as u16, *name).unwrap();
        }
        sheet
            .merge_range(2, 0, 2, 9, "二、实施强链补链延链行动", &plain)
            .unwrap();
        sheet.write_number(3, 0, 1.0).unwrap();
        sheet.write_string(3, 1, "发展供应链服务").unwrap();
        sheet.merge_range(3, 3, 4, 3, "市商务局", &plain).unwrap();
        sheet.write_string(3, 6, "第三季度").unwrap();
        sheet.write_number(4, 0, 2.0).unwrap();
        sheet.write_string(4, 1, "壮大贸易主体").unwrap();
        sheet.write_string(4, 2, "5.2.1").unwrap();
        sheet.write_string(4, 4, "市经信局\n市发改委").unwrap();
        sheet.write_string(4, 6, "2024年12月").unwrap();
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn a_workbook_reads_merged_title_section_and_lead() {
        let sheet = read("tasks.xlsx", workbook()).unwrap();
        assert_eq!(sheet.title.as_deref(), Some(TITLE));
        assert_eq!(sheet.tasks.len(), 2);
        for task in &sheet.tasks {
            assert_eq!(task.task.lead, vec![department("commerce")]);
            assert_eq!(task.section, "二、实施强链补链延链行动");
        }
        assert_eq!(sheet.tasks[0].task.key, "1");
        assert_eq!(sheet.tasks[0].task.clause.0, "5.2");
        assert_eq!(sheet.tasks[0].row, 4);
        assert_eq!(sheet.tasks[0].task.deadline, Deadline::By(day(9, 30)));
        assert_eq!(sheet.tasks[1].task.clause.0, "5.2.1");
        assert_eq!(
            sheet.tasks[1].task.responsible,
            vec![department("economy_info"), department("development_reform")]
        );
    }

    #[test]
    fn a_truncated_workbook_is_one_problem_for_the_file() {
        let mut bytes = workbook();
        bytes.truncate(bytes.len() / 2);
        let problems = read("cut.xlsx", bytes).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].row, 0);
        assert!(problems[0].message.contains("Excel"), "{problems:?}");
    }
}
