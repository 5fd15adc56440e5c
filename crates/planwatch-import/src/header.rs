//! Recognising a header row: which column holds what, and whether the table is long (one row per
//! observation) or wide (one column per period).

use planwatch_plan::Period;

use crate::table::{Cell, column_letter};

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    IndicatorCode,
    Indicator,
    IndicatorNumber,
    Region,
    Period,
    Value,
    Unit,
    Status,
    Source,
    Note,
}

/// Column names in Chinese and English, compared after [`normalize_name`].
fn role_of(name: &str) -> Option<Role> {
    Some(match name {
        "指标代码" | "指标编码" | "代码" | "indicator_code" | "indicatorcode" | "code" => {
            Role::IndicatorCode
        }
        "指标" | "指标名称" | "指标名" | "indicator" | "indicator_name" | "series" => {
            Role::Indicator
        }
        "序号" | "指标序号" | "number" | "no" | "no." | "indicator_no" => {
            Role::IndicatorNumber
        }
        "地区" | "地区名称" | "地区代码" | "区域" | "区（市）县" | "区(市)县" | "区县"
        | "行政区划" | "区划代码" | "单位名称" | "region" | "region_code" | "ref_area" | "area" => {
            Role::Region
        }
        "时期" | "年份" | "年度" | "期间" | "时间" | "统计时期" | "报告期" | "period" | "year"
        | "time_period" | "time" => Role::Period,
        "数值" | "值" | "数据" | "指标值" | "本期值" | "value" | "obs_value" => {
            Role::Value
        }
        "单位" | "计量单位" | "unit" | "unit_measure" => Role::Unit,
        "状态" | "数据状态" | "status" | "obs_status" => Role::Status,
        "来源" | "数据来源" | "source" => Role::Source,
        "备注" | "说明" | "注释" | "note" | "notes" | "comment" => Role::Note,
        _ => return None,
    })
}

/// Lower case, half-width, no blanks.
pub(crate) fn normalize_name(name: &str) -> String {
    name.chars()
        .map(planwatch_plan::period::to_half_width)
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// The columns of a table and how to read its rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Header {
    /// The name of each column as the file writes it (or its letter when blank).
    pub names: Vec<String>,
    pub indicator: Option<(usize, Role)>,
    pub region: Option<usize>,
    pub period: Option<usize>,
    pub value: Option<usize>,
    pub unit: Option<usize>,
    pub status: Option<usize>,
    pub source: Option<usize>,
    pub note: Option<usize>,
    /// Wide layout: columns whose name is a period.
    pub period_columns: Vec<(usize, Period)>,
    /// Columns whose names mean nothing to us.
    pub ignored: Vec<usize>,
}

impl Header {
    pub(crate) fn is_wide(&self) -> bool {
        self.value.is_none() && !self.period_columns.is_empty()
    }

    pub(crate) fn name(&self, column: usize) -> &str {
        self.names.get(column).map_or("", String::as_str)
    }
}

/// Why a header cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the header names no value column (数值/value) and no period columns (2021, 2022 …)")]
    NoValues,
    #[error("a long table needs a period column (时期/年份/period)")]
    NoPeriod,
    #[error("the header names no indicator column (指标/indicator) and no indicator was given")]
    NoIndicator,
    #[error("column {0} appears twice")]
    Duplicate(String),
    #[error(
        "column \"{0}\" of a wide table is not a period (write 2023, 2023Q1, 2023-06, 2023年第一季度 or 2023年6月)"
    )]
    BadPeriodColumn(String),
}

impl HeaderError {
    pub fn zh(&self) -> String {
        match self {
            HeaderError::NoValues => {
                "表头中既没有数值列（数值/value），也没有时期列（2021、2022 …）".to_owned()
            }
            HeaderError::NoPeriod => "长表需要时期列（时期/年份/period）".to_owned(),
            HeaderError::NoIndicator => {
                "表头中没有指标列（指标/indicator），也未指定指标".to_owned()
            }
            HeaderError::Duplicate(name) => format!("列“{name}”出现了两次"),
            HeaderError::BadPeriodColumn(name) => format!(
                "宽表的列“{name}”不是有效的时期（应写作 2023、2023Q1、2023-06、2023年第一季度 或 2023年6月）"
            ),
        }
    }
}

/// Reads the header row.
pub(crate) fn read_header(cells: &[Cell]) -> Result<Header, HeaderError> {
    let mut header = Header {
        names: Vec::new(),
        indicator: None,
        region: None,
        period: None,
        value: None,
        unit: None,
        status: None,
        source: None,
        note: None,
        period_columns: Vec::new(),
        ignored: Vec::new(),
    };
    let mut indicator_columns: Vec<(usize, Role)> = Vec::new();
    let mut bad_periods = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let name = match cell {
            Cell::Number(n) => planwatch_plan::fmt_num(*n),
            _ => cell.text().into_owned(),
        };
        header.names.push(if name.is_empty() {
            column_letter(i as u32)
        } else {
            name.clone()
        });
        if name.is_empty() {
            continue;
        }
        let normalized = normalize_name(&name);
        // Descriptive columns (Planwatch's own XLSX export, the template's reference column):
        // read back silently.
        if matches!(
            normalized.as_str(),
            "region_name" | "上年值" | "上年值(参考)"
        ) {
            continue;
        }
        let slot = match role_of(&normalized) {
            Some(role @ (Role::IndicatorCode | Role::Indicator | Role::IndicatorNumber)) => {
                indicator_columns.push((i, role));
                continue;
            }
            Some(Role::Region) => &mut header.region,
            Some(Role::Period) => &mut header.period,
            Some(Role::Value) => &mut header.value,
            Some(Role::Unit) => &mut header.unit,
            Some(Role::Status) => &mut header.status,
            Some(Role::Source) => &mut header.source,
            Some(Role::Note) => &mut header.note,
            None => {
                match normalized.parse::<Period>() {
                    Ok(period) => header.period_columns.push((i, period)),
                    // Meant as a period (2025-13, 2023年13月): refused in a wide table, where
                    // its values would be lost, as a bad period is in a long one.
                    Err(_) if normalized.starts_with(|c: char| c.is_ascii_digit()) => {
                        header.ignored.push(i);
                        bad_periods.push(name);
                    }
                    Err(_) => header.ignored.push(i),
                }
                continue;
            }
        };
        if slot.is_some() {
            return Err(HeaderError::Duplicate(name));
        }
        *slot = Some(i);
    }
    // Several indicator columns: a code beats a name, a name beats a 序号.
    let rank = |role: Role| match role {
        Role::IndicatorCode => 0,
        Role::Indicator => 1,
        _ => 2,
    };
    indicator_columns.sort_by_key(|(_, role)| rank(*role));
    header.indicator = indicator_columns.first().copied();
    // A long table with period-named columns besides: those columns are not read; say so.
    if header.value.is_some() {
        let periods = std::mem::take(&mut header.period_columns);
        header
            .ignored
            .extend(periods.into_iter().map(|(column, _)| column));
        header.ignored.sort_unstable();
    }
    if header.value.is_none()
        && let Some(name) = bad_periods.into_iter().next()
    {
        return Err(HeaderError::BadPeriodColumn(name));
    }
    if header.value.is_none() && header.period_columns.is_empty() {
        return Err(HeaderError::NoValues);
    }
    if header.value.is_some() && header.period.is_none() {
        return Err(HeaderError::NoPeriod);
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(names: &[&str]) -> Vec<Cell> {
        names.iter().map(|n| Cell::Text((*n).into())).collect()
    }

    #[test]
    fn long_header_in_chinese_and_english() {
        let header =
            read_header(&cells(&["指标", "地区", "年份", "数值", "单位", "备注"])).unwrap();
        assert_eq!(header.indicator, Some((0, Role::Indicator)));
        assert_eq!(
            (
                header.region,
                header.period,
                header.value,
                header.unit,
                header.note
            ),
            (Some(1), Some(2), Some(3), Some(4), Some(5))
        );
        assert!(!header.is_wide());
        let header = read_header(&cells(&["Indicator", "Region", "Period", "Value"])).unwrap();
        assert_eq!(header.value, Some(3));
    }

    #[test]
    fn wide_header_with_year_columns() {
        let header = read_header(&[
            Cell::Text("指标".into()),
            Cell::Text("单位".into()),
            Cell::Number(2021.0),
            Cell::Text("2022年".into()),
            Cell::Text("2023Q1".into()),
        ])
        .unwrap();
        assert!(header.is_wide());
        assert_eq!(
            header.period_columns,
            vec![
                (2, Period::Year(2021)),
                (3, Period::Year(2022)),
                (4, Period::Quarter(2023, 1))
            ]
        );
    }

    #[test]
    fn code_column_wins_over_name_and_number() {
        let header = read_header(&cells(&[
            "序号",
            "指标",
            "指标代码",
            "地区",
            "时期",
            "数值",
        ]))
        .unwrap();
        assert_eq!(header.indicator, Some((2, Role::IndicatorCode)));
    }

    #[test]
    fn unusable_headers() {
        assert_eq!(
            read_header(&cells(&["指标", "地区"])),
            Err(HeaderError::NoValues)
        );
        assert_eq!(
            read_header(&cells(&["指标", "数值"])),
            Err(HeaderError::NoPeriod)
        );
        assert_eq!(
            read_header(&cells(&["指标", "年份", "数值", "数值"])),
            Err(HeaderError::Duplicate("数值".into()))
        );
        // A wide table's column that is meant as a period and is none: its values would be
        // dropped (they were, with a warning).
        assert_eq!(
            read_header(&cells(&["指标", "2025-12", "2025-13", "填报人"])),
            Err(HeaderError::BadPeriodColumn("2025-13".into()))
        );
        // In a long table such a column is not read either way: a warning, as before.
        assert_eq!(
            read_header(&cells(&["指标", "年份", "数值", "2025-13"]))
                .unwrap()
                .ignored,
            vec![3]
        );
    }
}
