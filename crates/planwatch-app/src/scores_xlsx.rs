//! The year's ranking as an XLSX workbook, for `GET /api/scores/export?format=xlsx` and
//! `planwatch score --format xlsx -o FILE`: sheet 1 `排名 Ranking`, a row per unit with its kind
//! (districts, departments and managed areas ranked apart: one sheet, filter by the kind
//! column), rank, total, base, bonus, deduction and every component's points; sheet 2
//! `明细 Breakdown`, every line that explains a point. Chinese headers with English beside, the
//! header row frozen and filtered, points as numbers with two decimals (achievement as a
//! percentage).

use planwatch_export::{ExportError, new_workbook};
use rust_xlsxwriter::{Format, Worksheet};

use crate::scoring::YearScores;

/// The breakdown's columns.
const BREAKDOWN: [&str; 10] = [
    "单位代码 Code",
    "单位 Unit",
    "分项 Component",
    "来源 Source",
    "来源编号 Source id",
    "事项 Item",
    "得分 Points",
    "满分 Possible",
    "完成度 Achieved",
    "说明 Explanation",
];

fn column(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn row(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The header in row 1, bold, frozen, with a filter over `rows` data rows.
fn header(
    sheet: &mut Worksheet,
    names: &[impl AsRef<str>],
    rows: usize,
) -> Result<(), ExportError> {
    let bold = Format::new().set_bold().set_background_color("F2F2F2");
    for (i, name) in names.iter().enumerate() {
        sheet.write_string_with_format(0, column(i), name.as_ref(), &bold)?;
        sheet.set_column_width(column(i), 14)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, row(rows), column(names.len().saturating_sub(1)))?;
    Ok(())
}

/// The workbook of `scores` (the units it holds: the caller filters them first).
pub fn write_xlsx(scores: &YearScores) -> Result<Vec<u8>, ExportError> {
    let points = Format::new().set_num_format("0.00");
    let share = Format::new().set_num_format("0.0%");
    let mut workbook = new_workbook()?;

    let ranking = workbook.add_worksheet().set_name("排名 Ranking")?;
    header(ranking, &scores.ranking_header(), scores.units.len())?;
    ranking.set_column_width(3, 28)?;
    for (i, unit) in scores.units.iter().enumerate() {
        let r = row(i + 1);
        ranking.write_string(r, 0, &unit.group_zh)?;
        if let Some(rank) = unit.rank {
            ranking.write_number(r, 1, f64::from(rank))?;
        }
        ranking.write_string(r, 2, &unit.code)?;
        ranking.write_string(r, 3, &unit.name)?;
        for (c, value) in [unit.total, unit.base, unit.bonus, unit.deduction]
            .into_iter()
            .chain(unit.components.iter().map(|c| c.points))
            .enumerate()
        {
            // An empty sum is −0.
            ranking.write_number_with_format(r, column(c + 4), value + 0.0, &points)?;
        }
    }

    let breakdown = workbook.add_worksheet().set_name("明细 Breakdown")?;
    let lines = scores.units.iter().map(|u| u.lines.len()).sum();
    header(breakdown, &BREAKDOWN, lines)?;
    breakdown.set_column_width(1, 28)?;
    breakdown.set_column_width(5, 40)?;
    breakdown.set_column_width(9, 60)?;
    let mut r = 0u32;
    for unit in &scores.units {
        for line in &unit.lines {
            r += 1;
            let component = line
                .component
                .as_deref()
                .and_then(|name| unit.components.iter().find(|c| c.component == name))
                .map_or("加减分 Adjustment", |c| c.label_zh.as_str());
            breakdown.write_string(r, 0, &unit.code)?;
            breakdown.write_string(r, 1, &unit.name)?;
            breakdown.write_string(r, 2, component)?;
            breakdown.write_string(r, 3, &line.source)?;
            breakdown.write_string(r, 4, &line.source_id)?;
            breakdown.write_string(r, 5, &line.label)?;
            breakdown.write_number_with_format(r, 6, line.points + 0.0, &points)?;
            breakdown.write_number_with_format(r, 7, line.possible + 0.0, &points)?;
            breakdown.write_number_with_format(r, 8, line.achieved + 0.0, &share)?;
            breakdown.write_string(r, 9, &line.explain_zh)?;
        }
    }
    Ok(workbook.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::*;
    use crate::scoring::{ComponentResult, LineResult, UnitResult};

    fn unit(code: &str, rank: Option<u32>, total: f64) -> UnitResult {
        UnitResult {
            unit: format!("region:{code}"),
            code: code.into(),
            name: format!("区 {code}"),
            name_en: code.into(),
            group: "district".into(),
            group_zh: "区（市）县".into(),
            assessed: rank.is_some(),
            base: total,
            bonus: 0.0,
            deduction: 0.0,
            total,
            rank,
            of: 2,
            components: vec![ComponentResult {
                component: "tasks".into(),
                label_zh: "任务".into(),
                label_en: "Tasks".into(),
                weight: 100.0,
                effective_weight: 100.0,
                points: total,
                items: 1,
            }],
            lines: vec![LineResult {
                component: Some("tasks".into()),
                source: "task".into(),
                source_id: "7".into(),
                label: "任务 7".into(),
                points: total,
                possible: 100.0,
                achieved: total / 100.0,
                explain_zh: "按期完成".into(),
                explain_en: "done on time".into(),
            }],
        }
    }

    #[test]
    fn the_ranking_and_its_lines_read_back_as_numbers() {
        let scores = YearScores {
            plan: "p".into(),
            year: 2024,
            as_of: "2025-03-31".into(),
            frozen: None,
            units: vec![unit("510104", Some(1), 87.5), unit("510105", None, 0.0)],
        };
        let bytes = write_xlsx(&scores).unwrap();
        assert_eq!(bytes, write_xlsx(&scores).unwrap(), "deterministic");
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["排名 Ranking", "明细 Breakdown"]);
        let ranking = book.worksheet_range("排名 Ranking").unwrap();
        assert_eq!(
            ranking.get((0, 8)),
            Some(&Data::String("任务 Tasks".into()))
        );
        assert_eq!(ranking.get((1, 1)), Some(&Data::Float(1.0)));
        assert_eq!(ranking.get((1, 2)), Some(&Data::String("510104".into())));
        assert_eq!(ranking.get((1, 4)), Some(&Data::Float(87.5)));
        assert_eq!(ranking.get((2, 1)), Some(&Data::Empty), "not ranked");
        let lines = book.worksheet_range("明细 Breakdown").unwrap();
        assert_eq!(lines.height(), 3);
        assert_eq!(lines.get((1, 2)), Some(&Data::String("任务".into())));
        assert_eq!(lines.get((1, 8)), Some(&Data::Float(0.875)));
    }
}
