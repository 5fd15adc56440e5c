//! Reading a year's key project list (重大项目表), CSV (UTF-8 or GB18030, any line ends) or a
//! workbook, laid out as the task sheet is (`crate::tasks`: title and notes above the header,
//! section rows such as `一、现代物流` or `专栏16 …` between the projects, merged cells): one
//! project a row with its 序号, name, 建设内容, district, 专栏, responsible units, investments in
//! 亿元, planned start and completion and stage. Every problem is reported at once, with the
//! sheet's row and column; nothing is returned when there is one. Rules: `docs/tasks.md`.

use planwatch_access::Unit;
use planwatch_plan::Plan;
use planwatch_tasks::{Coordinates, ListedProject, PlannedDate, Stage, UnitResolver};

use crate::resolve::number;
pub use crate::sheet::SheetProblem;
use crate::sheet::{Header, Layout, Line, Problems, Sheet};
use crate::table::{Cell, RawRow};

/// A key project read from a list, with the section it stands in and its row.
pub type SheetProject = ListedProject;

/// What a key project list holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectList {
    /// The title row, when the list has one above its header.
    pub title: Option<String>,
    pub projects: Vec<SheetProject>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Seq,
    Name,
    Content,
    Region,
    /// 专栏
    Feature,
    Units,
    Total,
    Year,
    Start,
    Completion,
    Stage,
    Longitude,
    Latitude,
}

/// The columns of a key project list: the role, the names offices give it (first: the
/// template's), whether it is required.
const COLUMNS: &[(Column, &[&str], bool)] = &[
    (Column::Seq, &["序号"], true),
    (Column::Name, &["项目名称"], true),
    (
        Column::Content,
        &["建设内容", "建设内容及规模", "主要建设内容"],
        false,
    ),
    (
        Column::Region,
        &["所在区（市）县", "所在地", "区（市）县", "所在区县"],
        true,
    ),
    (Column::Feature, &["专栏", "所属专栏"], false),
    (Column::Units, &["责任单位", "牵头单位"], true),
    (Column::Total, &["总投资（亿元）", "总投资"], true),
    (
        Column::Year,
        &["年度计划投资（亿元）", "年度计划投资", "年度投资（亿元）"],
        false,
    ),
    (
        Column::Start,
        &["计划开工", "开工时间", "计划开工时间"],
        false,
    ),
    (
        Column::Completion,
        &["计划竣工", "竣工时间", "计划竣工时间"],
        false,
    ),
    (Column::Stage, &["项目阶段", "建设阶段"], true),
    (Column::Longitude, &["经度"], false),
    (Column::Latitude, &["纬度"], false),
];

/// The list's layout: its header names a 序号 and a 项目名称.
static LAYOUT: Layout<Column> = Layout {
    columns: COLUMNS,
    seq: Column::Seq,
    named: Column::Name,
    no_header: "找不到表头（含“序号”“项目名称”的一行）/ no header row (one naming 序号 and 项目名称)",
};

/// The header of the template: each column's first name.
pub fn template_header() -> Vec<&'static str> {
    LAYOUT.template_header()
}

/// Reads the key project list `bytes` (a workbook or CSV, as its first bytes say) named `file`,
/// against `plan`: every project, or every problem.
pub fn read_projects(
    file: &str,
    bytes: Vec<u8>,
    plan: &Plan,
) -> Result<ProjectList, Vec<SheetProblem>> {
    let mut sheet = Sheet::open(file, bytes, &LAYOUT)?;
    let reader = Reader {
        plan,
        units: UnitResolver::new(plan),
    };
    let mut section = String::new();
    let mut section_column = None;
    let mut projects = Vec::new();
    while let Some(line) = sheet.next_line()? {
        match line {
            Line::Section(text) => {
                section_column = column_number(&text);
                section = text;
            }
            Line::Row(header, row, problems) => {
                if let Some(mut project) = reader.project(problems, header, &row) {
                    project.column = project.column.or(section_column);
                    project.section.clone_from(&section);
                    projects.push(project);
                }
            }
        }
    }
    let title = sheet.finish()?;
    Ok(ProjectList { title, projects })
}

/// The 专栏 a cell or section row names: `16`, `专栏16`, `专栏16 现代物流`, `专栏 16：…`.
fn column_number(text: &str) -> Option<u32> {
    let half: String = text
        .chars()
        .map(planwatch_plan::period::to_half_width)
        .collect();
    let rest = half.trim().strip_prefix("专栏").unwrap_or(half.trim());
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let bare = rest.trim() == digits;
    (!digits.is_empty() && (bare || half.trim().starts_with("专栏")))
        .then(|| digits.parse().ok())
        .flatten()
}

struct Reader<'a> {
    plan: &'a Plan,
    units: UnitResolver,
}

impl Reader<'_> {
    /// The project on a row, its problems noted; `None` when it cannot be made.
    fn project(
        &self,
        problems: &mut Problems,
        header: &Header<Column>,
        row: &RawRow,
    ) -> Option<SheetProject> {
        let at = row.row;
        let before = problems.len();
        let text = |column| header.text(row, column).trim().to_owned();
        let mut required = |column, what: &str| {
            let value = text(column);
            if value.is_empty() {
                problems.push(
                    at,
                    header.name(column),
                    format!("{what}为空 / the {what} is empty"),
                );
            }
            value
        };
        let key = required(Column::Seq, "序号");
        let name = required(Column::Name, "项目名称");
        let region_cell = required(Column::Region, "所在区（市）县");
        let units_cell = required(Column::Units, "责任单位");
        let stage_cell = required(Column::Stage, "项目阶段");
        let region = self.region(problems, header, at, &region_cell);
        let units = problems.units(&self.units, at, header.name(Column::Units), &units_cell);
        let stage = (!stage_cell.is_empty())
            .then(|| Stage::parse(&stage_cell))
            .flatten();
        if stage.is_none() && !stage_cell.is_empty() {
            problems.push(
                at,
                header.name(Column::Stage),
                format!(
                    "“{stage_cell}”不是项目阶段（前期、在建、竣工、投运）/ \"{stage_cell}\" is no stage (前期, 在建, 竣工, 投运)"
                ),
            );
        }
        let column_cell = text(Column::Feature);
        let column = if column_cell.is_empty() {
            None
        } else {
            match column_number(&column_cell)
                .filter(|n| self.plan.columns.iter().any(|c| c.number == *n))
            {
                Some(n) => Some(n),
                None => {
                    problems.push(
                        at,
                        header.name(Column::Feature),
                        format!("本规划中没有专栏“{column_cell}”/ the plan has no 专栏 \"{column_cell}\""),
                    );
                    None
                }
            }
        };
        let total = amount(problems, header, row, Column::Total);
        if total.is_none() && text(Column::Total).is_empty() {
            problems.push(
                at,
                header.name(Column::Total),
                "总投资为空 / the total investment is empty".to_owned(),
            );
        }
        let year_investment = amount(problems, header, row, Column::Year);
        if let (Some(total), Some(year)) = (total, year_investment)
            && year > total
        {
            problems.push(
                at,
                header.name(Column::Year),
                format!(
                    "年度计划投资 {year} 亿元超过总投资 {total} 亿元 / the year's investment {year} exceeds the total {total} (CNY 100 million)"
                ),
            );
        }
        let planned_start = date(problems, header, row, Column::Start);
        let planned_completion = date(problems, header, row, Column::Completion);
        if let (Some(start), Some(end)) = (planned_start, planned_completion)
            && end.last_day() < start.first_day()
        {
            problems.push(
                at,
                header.name(Column::Completion),
                format!(
                    "计划竣工 {} 早于计划开工 {} / planned completion {} before the start {}",
                    end.key(),
                    start.key(),
                    end.key(),
                    start.key()
                ),
            );
        }
        let coordinates = coordinates(problems, header, row);
        let (Some(region), Some(stage), Some(total)) = (region, stage, total) else {
            return None;
        };
        (problems.len() == before).then(|| SheetProject {
            key,
            section: String::new(),
            name,
            content: text(Column::Content),
            region,
            coordinates,
            column,
            units,
            total_investment: total,
            year_investment,
            planned_start,
            planned_completion,
            stage,
            row: at,
        })
    }

    /// The region code of a district cell: one region (锦江区, 锦江区政府, 天府新区).
    fn region(
        &self,
        problems: &mut Problems,
        header: &Header<Column>,
        at: usize,
        cell: &str,
    ) -> Option<String> {
        if cell.is_empty() {
            return None;
        }
        let units = problems.units(&self.units, at, header.name(Column::Region), cell);
        match units.as_slice() {
            [Unit::Region(code)] => Some(code.clone()),
            [] => None,
            _ => {
                problems.push(
                    at,
                    header.name(Column::Region),
                    format!("“{cell}”须是一个区（市）县 / \"{cell}\" must name one district"),
                );
                None
            }
        }
    }
}

/// An amount in 亿元 (`12.5`, `1,234.5`, `12.5亿元`); `None` when empty or not a number (then a
/// problem) or negative (a problem).
fn amount(
    problems: &mut Problems,
    header: &Header<Column>,
    row: &RawRow,
    column: Column,
) -> Option<f64> {
    let cell = header.cell(row, column)?;
    let stripped;
    let cell = match cell {
        Cell::Text(text) => {
            let text = text.trim();
            let bare = text
                .strip_suffix("亿元")
                .or_else(|| text.strip_suffix('亿'))
                .unwrap_or(text);
            stripped = Cell::Text(bare.trim().into());
            &stripped
        }
        cell => cell,
    };
    let written = cell.text().into_owned();
    match number(cell) {
        Ok(Some((value, false))) if value >= 0.0 => Some(value),
        Ok(None) => None,
        _ => {
            problems.push(
                row.row,
                header.name(column),
                format!(
                    "“{written}”不是以亿元计的金额 / \"{written}\" is no amount in CNY 100 million"
                ),
            );
            None
        }
    }
}

/// A planned date (`2023年`, `2023年6月`, `2023.06`, `2023-06`, a day); `None` when empty or
/// unreadable (then a problem).
fn date(
    problems: &mut Problems,
    header: &Header<Column>,
    row: &RawRow,
    column: Column,
) -> Option<PlannedDate> {
    let written = header.text(row, column);
    let written = written.trim();
    if written.is_empty() {
        return None;
    }
    let parsed = PlannedDate::parse(written);
    if parsed.is_none() {
        problems.push(
            row.row,
            header.name(column),
            format!(
                "“{written}”不是年份、年月或日期（2023年、2023年6月、2023.06）/ \"{written}\" is no year, month or day (2023年, 2023年6月, 2023.06)"
            ),
        );
    }
    parsed
}

/// 经度 and 纬度: both or neither, within China's bounds (73–136 °E, 3–54 °N).
fn coordinates(
    problems: &mut Problems,
    header: &Header<Column>,
    row: &RawRow,
) -> Option<Coordinates> {
    let mut read = |column, range: std::ops::RangeInclusive<f64>| {
        let value = amount_plain(header, row, column)?;
        match value {
            Some(v) if range.contains(&v) => Some(Some(v)),
            _ => {
                let written = header.text(row, column).into_owned();
                problems.push(
                    row.row,
                    header.name(column),
                    format!(
                        "“{written}”不是中国境内的经纬度 / \"{written}\" is no coordinate within China"
                    ),
                );
                Some(None)
            }
        }
    };
    let longitude = read(Column::Longitude, 73.0..=136.0);
    let latitude = read(Column::Latitude, 3.0..=54.0);
    match (longitude, latitude) {
        (None, None) => None,
        (Some(Some(longitude)), Some(Some(latitude))) => Some(Coordinates {
            longitude,
            latitude,
        }),
        (Some(Some(_)), None) | (None, Some(Some(_))) => {
            problems.push(
                row.row,
                header
                    .name(Column::Longitude)
                    .or(header.name(Column::Latitude)),
                "经度与纬度须同时填写 / give both longitude and latitude, or neither".to_owned(),
            );
            None
        }
        _ => None,
    }
}

/// A cell's number: `None` when empty, `Some(None)` when not a number.
fn amount_plain(header: &Header<Column>, row: &RawRow, column: Column) -> Option<Option<f64>> {
    let cell = header.cell(row, column)?;
    match number(cell) {
        Ok(None) => None,
        Ok(Some((value, false))) => Some(Some(value)),
        _ => Some(None),
    }
}

#[cfg(test)]
mod tests {
    use planwatch_access::Unit;
    use planwatch_plan::chengdu;
    use rust_xlsxwriter::{Format, Workbook};

    use super::*;
    use crate::sheet::testing::{count_at, gbk};

    const TITLE: &str = "成都市2024年服务业重大项目表";
    const HEADER: &str = "序号,项目名称,建设内容,所在区（市）县,专栏,责任单位,总投资（亿元）,年度计划投资（亿元）,计划开工,计划竣工,项目阶段,经度,纬度";

    fn read(file: &str, bytes: Vec<u8>) -> Result<ProjectList, Vec<SheetProblem>> {
        read_projects(file, bytes, &chengdu::plan())
    }

    fn list_csv(line_end: &str) -> String {
        [
            format!("{TITLE},,,,,,,,,,,,"),
            HEADER.to_owned(),
            "一、现代物流,,,,,,,,,,,,".to_owned(),
            "1,成都国际铁路港综合保税区二期,建设保税仓储20万平方米,青白江区,专栏16,市口岸物流办,\"1,234.5\",12.5亿元,2023年6月,2026年,在建,104.25,30.88".to_owned(),
            "2,锦江区春熙路消费地标提升,街区改造,锦江区政府,,市商务局、锦江区政府,8.6,2.1,2024.03,2025-12,前期,,".to_owned(),
            "专栏21 营建国际消费新场景,,,,,,,,,,,,".to_owned(),
            "3,青羊区少城国际文创谷,文创园区,青羊区,,青羊区,30,5,2022年,2024年12月31日,竣工,,".to_owned(),
        ]
        .join(line_end)
            + line_end
    }

    #[test]
    fn a_csv_list_reads_districts_amounts_dates_and_sections() {
        let list = read("projects.csv", list_csv("\r\n").into_bytes()).unwrap();
        assert_eq!(list.title.as_deref(), Some(TITLE));
        assert_eq!(list.projects.len(), 3);
        let first = &list.projects[0];
        assert_eq!((first.key.as_str(), first.row), ("1", 4));
        assert_eq!(first.section, "一、现代物流");
        assert_eq!(first.region, "510113");
        assert_eq!(first.column, Some(16));
        assert_eq!(first.units, vec![Unit::Department("port_logistics".into())]);
        assert_eq!(first.total_investment, 1234.5);
        assert_eq!(first.year_investment, Some(12.5));
        assert_eq!(first.planned_start, Some(PlannedDate::Month(2023, 6)));
        assert_eq!(first.planned_completion, Some(PlannedDate::Year(2026)));
        assert_eq!(first.stage, Stage::Construction);
        assert_eq!(
            first.coordinates,
            Some(Coordinates {
                longitude: 104.25,
                latitude: 30.88
            })
        );
        let second = &list.projects[1];
        assert_eq!(second.region, "510104", "锦江区政府 is the district");
        assert_eq!(
            second.units,
            vec![
                Unit::Department("commerce".into()),
                Unit::Region("510104".into())
            ]
        );
        assert_eq!(second.column, None, "no 专栏 cell, no 专栏 section");
        assert_eq!(second.planned_start, Some(PlannedDate::Month(2024, 3)));
        assert_eq!(second.coordinates, None);
        let third = &list.projects[2];
        assert_eq!(third.section, "专栏21 营建国际消费新场景");
        assert_eq!(third.column, Some(21), "from the section row");
        assert_eq!(third.stage, Stage::Completed);
        assert_eq!(
            third.planned_completion.map(PlannedDate::key).as_deref(),
            Some("2024-12-31")
        );
    }

    #[test]
    fn a_gbk_list_reads_as_utf8() {
        let from_gbk = read("gbk.csv", gbk(&list_csv("\n"))).unwrap();
        let from_utf8 = read("projects.csv", list_csv("\r\n").into_bytes()).unwrap();
        assert_eq!(from_gbk, from_utf8);
    }

    #[test]
    fn every_problem_of_a_list_is_reported_with_its_row_and_column() {
        let text = [
            HEADER,
            "1,,,火星区,专栏99,市外星局,很多,3,明年,2023年13月,规划中,200,30",
            "2,超额项目,,锦江区,,市商务局,5,6,2025年,2024年,在建,104.1,",
            "1,重复序号,,锦江区、青羊区,,,10,,,,,,",
        ]
        .join("\n");
        let problems = read("bad.csv", text.into_bytes()).unwrap_err();
        let at = |row: usize, column: &str| count_at(&problems, row, column);
        assert_eq!(at(2, "项目名称"), 1, "{problems:#?}");
        assert_eq!(at(2, "所在区（市）县"), 1);
        assert_eq!(at(2, "专栏"), 1);
        assert_eq!(at(2, "责任单位"), 1);
        assert_eq!(at(2, "总投资（亿元）"), 1);
        assert_eq!(at(2, "计划开工"), 1);
        assert_eq!(at(2, "计划竣工"), 1);
        assert_eq!(at(2, "项目阶段"), 1);
        assert_eq!(at(2, "经度"), 1, "200 °E is not in China");
        assert_eq!(at(3, "年度计划投资（亿元）"), 1, "6 above the total 5");
        assert_eq!(at(3, "计划竣工"), 1, "completion before the start");
        assert_eq!(at(3, "经度"), 1, "a longitude without a latitude");
        assert_eq!(at(4, "序号"), 1, "the repeated 序号");
        assert_eq!(at(4, "所在区（市）县"), 1, "two districts");
        assert_eq!(at(4, "责任单位"), 1);
        assert_eq!(at(4, "项目阶段"), 1);
        assert!(
            problems
                .iter()
                .all(|p| p.file == "bad.csv" && p.message.contains("/ "))
        );
    }

    #[test]
    fn a_list_without_its_header_or_columns_is_refused() {
        let problems = read("none.csv", b"a,b\n1,2\n".to_vec()).unwrap_err();
        assert_eq!((problems.len(), problems[0].row), (1, 0));
        assert!(problems[0].message.contains("项目名称"));
        let text = "序号,项目名称,所在地\n1,某项目,锦江区\n";
        let problems = read("short.csv", text.as_bytes().to_vec()).unwrap_err();
        let missing: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(problems.len(), 3, "{missing:#?}");
        for column in ["责任单位", "总投资", "项目阶段"] {
            assert!(missing.iter().any(|m| m.contains(column)), "{column}");
        }
    }

    /// A workbook: the title merged across, a section merged across, the district and the unit
    /// merged down over two projects; header variants (建设内容及规模, 所在地, 年度计划投资,
    /// 开工时间, 竣工时间, 建设阶段); numbers and a date as Excel keeps them.
    #[test]
    fn a_workbook_reads_merged_cells_and_header_variants() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let plain = Format::new();
        sheet.merge_range(0, 0, 0, 10, TITLE, &plain).unwrap();
        let header = [
            "序号",
            "项目名称",
            "建设内容及规模",
            "所在地",
            "专栏",
            "责任单位",
            "总投资",
            "年度计划投资",
            "开工时间",
            "竣工时间",
            "建设阶段",
        ];
        for (i, name) in header.iter().enumerate() {
            sheet.write_string(1, i as u16, *name).unwrap();
        }
        sheet
            .merge_range(2, 0, 2, 10, "专栏16 提升国际门户枢纽功能", &plain)
            .unwrap();
        for (r, (name, total)) in [("天府国际机场物流园", 45.0), ("双流航空物流港", 20.0)]
            .iter()
            .enumerate()
        {
            let r = 3 + r as u32;
            sheet.write_number(r, 0, f64::from(r - 2)).unwrap();
            sheet.write_string(r, 1, *name).unwrap();
            sheet.write_number(r, 6, *total).unwrap();
            sheet.write_number(r, 7, 5.5).unwrap();
            sheet.write_string(r, 8, "2024.06").unwrap();
            sheet.write_string(r, 10, "续建").unwrap();
        }
        sheet.merge_range(3, 3, 4, 3, "双流区", &plain).unwrap();
        sheet
            .merge_range(3, 5, 4, 5, "市口岸物流办", &plain)
            .unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let list = read("projects.xlsx", bytes).unwrap();
        assert_eq!(list.title.as_deref(), Some(TITLE));
        assert_eq!(list.projects.len(), 2);
        for project in &list.projects {
            assert_eq!(project.region, "510116", "{}", project.name);
            assert_eq!(
                project.units,
                vec![Unit::Department("port_logistics".into())]
            );
            assert_eq!(project.column, Some(16));
            assert_eq!(project.stage, Stage::Construction);
            assert_eq!(project.planned_start, Some(PlannedDate::Month(2024, 6)));
        }
        assert_eq!(list.projects[1].key, "2");
        assert_eq!(list.projects[1].total_investment, 20.0);
        assert_eq!(list.projects[1].row, 5);
    }

    #[test]
    fn columns_are_read_from_cells_and_sections() {
        assert_eq!(column_number("专栏16"), Some(16));
        assert_eq!(column_number("专栏 16：提升国际门户枢纽功能"), Some(16));
        assert_eq!(column_number("１６"), Some(16));
        assert_eq!(column_number("一、现代物流"), None);
        assert_eq!(column_number("16号线"), None);
    }
}
