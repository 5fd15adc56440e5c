//! Writing observations out: CSV in the long layout that `planwatch import` reads back, XLSX
//! with names beside codes, SDMX (the structure as SDMX-ML 2.1, the data as SDMX-CSV 2.0) for
//! statistical tools, and the XLSX template a reporter fills in and imports back.
//!
//! Output is deterministic: the same observations in the same order give the same bytes (the
//! XLSX carries a fixed creation date for that reason). Callers pass observations in the order
//! they want; the store returns them by indicator number, region, period.

use std::collections::HashMap;
use std::io::Write;

use planwatch_plan::{Indicator, Observation, Plan, Region, fmt_num};
use rust_xlsxwriter::{DataValidation, DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

mod sdmx;

pub use sdmx::{
    AGENCY, SDMX_CSV_HEADER, SdmxUnit, VERSION, dataflow_ref, sdmx_unit, write_sdmx_csv,
    write_sdmx_structure,
};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("XLSX: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("region \"{0}\" is not in the plan")]
    UnknownRegion(String),
}

/// The columns of the long layout, as `planwatch import` reads them.
pub const CSV_HEADER: [&str; 8] = [
    "indicator",
    "region",
    "period",
    "value",
    "unit",
    "status",
    "source",
    "note",
];

struct Lookup<'p> {
    indicators: HashMap<&'p str, &'p Indicator>,
    regions: HashMap<&'p str, &'p Region>,
}

impl<'p> Lookup<'p> {
    fn new(plan: &'p Plan) -> Lookup<'p> {
        Lookup {
            indicators: plan
                .indicators
                .iter()
                .map(|i| (i.code.as_str(), i))
                .collect(),
            regions: plan.regions.iter().map(|r| (r.code.as_str(), r)).collect(),
        }
    }

    fn unit(&self, indicator: &str) -> &'p str {
        self.indicators
            .get(indicator)
            .map_or("", |i| i.unit.as_str())
    }
}

/// The long-layout CSV (UTF-8, no BOM): importable back as it is.
pub fn write_csv(
    plan: &Plan,
    observations: &[Observation],
    out: impl Write,
) -> Result<(), ExportError> {
    let lookup = Lookup::new(plan);
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CSV_HEADER)?;
    for o in observations {
        writer.write_record([
            o.indicator.as_str(),
            o.region.as_str(),
            &o.period.to_string(),
            &number(o.value),
            lookup.unit(&o.indicator),
            o.status.as_str(),
            o.source.as_deref().unwrap_or(""),
            o.note.as_deref().unwrap_or(""),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// XLSX: the long layout's columns with the indicator's and region's names beside their codes.
pub fn write_xlsx(plan: &Plan, observations: &[Observation]) -> Result<Vec<u8>, ExportError> {
    let lookup = Lookup::new(plan);
    let mut workbook = new_workbook()?;
    let sheet = workbook.add_worksheet().set_name("数据 data")?;
    let bold = Format::new().set_bold();
    let header = [
        "indicator",
        "indicator_name",
        "region",
        "region_name",
        "period",
        "value",
        "unit",
        "status",
        "source",
        "note",
    ];
    for (column, name) in header.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *name, &bold)?;
    }
    for (i, o) in observations.iter().enumerate() {
        let row = i as u32 + 1;
        let indicator_name = lookup
            .indicators
            .get(o.indicator.as_str())
            .map_or("", |i| i.name.zh.as_str());
        let region_name = lookup
            .regions
            .get(o.region.as_str())
            .map_or("", |r| r.name.zh.as_str());
        sheet.write_string(row, 0, &o.indicator)?;
        sheet.write_string(row, 1, indicator_name)?;
        sheet.write_string(row, 2, &o.region)?;
        sheet.write_string(row, 3, region_name)?;
        sheet.write_string(row, 4, o.period.to_string())?;
        sheet.write_number(row, 5, o.value)?;
        sheet.write_string(row, 6, lookup.unit(&o.indicator))?;
        sheet.write_string(row, 7, o.status.as_str())?;
        sheet.write_string(row, 8, o.source.as_deref().unwrap_or(""))?;
        sheet.write_string(row, 9, o.note.as_deref().unwrap_or(""))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_column_width(1, 30)?;
    sheet.set_column_width(3, 14)?;
    Ok(workbook.save_to_buffer()?)
}

/// The reporter's template for one region and year: one row per indicator with its unit and, for
/// reference, the previous year's value; a column for the year to fill, and a status drop-down. It
/// imports back as a wide table (indicator code column, region column, the year's column); the
/// reference column 上年值（参考） is not imported, so a status chosen for this year never touches
/// last year's figures.
pub fn write_template(
    plan: &Plan,
    region: &str,
    year: u16,
    previous: &[Observation],
) -> Result<Vec<u8>, ExportError> {
    let region = plan
        .regions
        .iter()
        .find(|r| r.code == region)
        .ok_or_else(|| ExportError::UnknownRegion(region.to_owned()))?;
    let previous: HashMap<&str, f64> = previous
        .iter()
        .filter(|o| o.region == region.code && o.period == planwatch_plan::Period::Year(year - 1))
        .map(|o| (o.indicator.as_str(), o.value))
        .collect();
    let mut workbook = new_workbook()?;
    let sheet = workbook.add_worksheet().set_name(format!("{year}年填报"))?;
    let bold = Format::new().set_bold();
    let locked = Format::new().set_background_color("F2F2F2");
    let input = Format::new().set_background_color("FFF2CC").set_unlocked();
    let header = [
        "指标代码".to_owned(),
        "序号".to_owned(),
        "指标名称".to_owned(),
        "单位".to_owned(),
        "地区".to_owned(),
        "上年值（参考）".to_owned(),
        format!("{year}年"),
        "状态".to_owned(),
        "来源".to_owned(),
        "备注".to_owned(),
    ];
    for (column, name) in header.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, name, &bold)?;
    }
    let mut row = 1u32;
    for indicator in plan.indicators.iter().filter(|i| !i.is_context()) {
        sheet.write_string_with_format(row, 0, &indicator.code, &locked)?;
        match indicator.number {
            Some(n) => sheet.write_number_with_format(row, 1, f64::from(n), &locked)?,
            None => sheet.write_string_with_format(row, 1, "", &locked)?,
        };
        sheet.write_string_with_format(row, 2, &indicator.name.zh, &locked)?;
        sheet.write_string_with_format(row, 3, &indicator.unit, &locked)?;
        sheet.write_string_with_format(row, 4, &region.name.zh, &locked)?;
        match previous.get(indicator.code.as_str()) {
            Some(value) => sheet.write_number_with_format(row, 5, *value, &locked)?,
            None => sheet.write_string_with_format(row, 5, "", &locked)?,
        };
        sheet.write_blank(row, 6, &input)?;
        sheet.write_blank(row, 7, &input)?;
        sheet.write_blank(row, 8, &input)?;
        sheet.write_blank(row, 9, &input)?;
        row += 1;
    }
    let statuses = DataValidation::new()
        .allow_list_strings(&["初步数", "最终数", "修订数", "估计数", "预测数"])?
        .set_error_title("数据状态")?
        .set_error_message("请选择：初步数、最终数、修订数、估计数、预测数")?;
    if row > 1 {
        sheet.add_data_validation(1, 7, row - 1, 7, &statuses)?;
        let numbers = DataValidation::new()
            .allow_decimal_number(rust_xlsxwriter::DataValidationRule::Between(-1e15, 1e15))
            .set_error_message("请填写数字")?;
        sheet.add_data_validation(1, 6, row - 1, 6, &numbers)?;
    }
    sheet.set_freeze_panes(1, 3)?;
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(2, 40)?;
    sheet.set_column_width(8, 24)?;
    sheet.set_column_width(9, 24)?;
    Ok(workbook.save_to_buffer()?)
}

/// The empty 年度任务分解表 `planwatch tasks template` writes: `title` merged across the sheet
/// (row 1), the `header` (row 2), and each of `sections` (一、实施…行动) merged across below it,
/// for the plan office to fill in tasks under; `planwatch tasks import` reads it back.
pub fn write_task_template(
    title: &str,
    header: &[&str],
    sections: &[String],
) -> Result<Vec<u8>, ExportError> {
    let mut workbook = new_workbook()?;
    let sheet = workbook.add_worksheet().set_name("任务分解表")?;
    let last = u16::try_from(header.len().saturating_sub(1)).unwrap_or(u16::MAX);
    let title_format = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(rust_xlsxwriter::FormatAlign::Center);
    sheet.merge_range(0, 0, 0, last, title, &title_format)?;
    let bold = Format::new().set_bold().set_background_color("F2F2F2");
    for (column, name) in header.iter().enumerate() {
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        sheet.write_string_with_format(1, column, *name, &bold)?;
        sheet.set_column_width(column, if column == 1 { 40 } else { 16 })?;
    }
    let section_format = Format::new().set_bold();
    for (i, section) in sections.iter().enumerate() {
        let row = u32::try_from(i + 2).unwrap_or(u32::MAX);
        sheet.merge_range(row, 0, row, last, section, &section_format)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// A workbook with fixed properties (author Planwatch, created 2021-01-01), so that two exports
/// of the same data are byte-identical.
pub fn new_workbook() -> Result<Workbook, ExportError> {
    let mut workbook = Workbook::new();
    // A fixed date keeps two exports of the same data byte-identical.
    let created = ExcelDateTime::from_ymd(2021, 1, 1)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_author("Planwatch")
            .set_creation_datetime(&created),
    );
    Ok(workbook)
}

/// A value as text: the shortest form that reads back to the same number.
pub(crate) fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        fmt_num(value)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests;
