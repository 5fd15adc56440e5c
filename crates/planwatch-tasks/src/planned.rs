//! A key project's planned start or completion as project lists write it: a year (`2023年`), a
//! month (`2023年6月`, `2023.06`, `2023-06`, `2023/6`) or a day (`2023年6月15日`, `2023-06-15`).

use chrono::NaiveDate;

use crate::deadline::month_end;

/// A planned date, as precise as the list gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlannedDate {
    Year(i32),
    Month(i32, u32),
    Day(NaiveDate),
}

impl PlannedDate {
    /// Reads `2023`, `2023年`, `2023年6月`, `2023.06`, `2023-06`, `2023/6`, `2023年6月15日`,
    /// `2023-06-15`, `2023.6.15` (full-width digits too); `None` for anything else.
    pub fn parse(text: &str) -> Option<PlannedDate> {
        let folded: String = text
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => {
                    char::from_u32(u32::from(c) - 0xFF10 + u32::from('0')).unwrap_or(c)
                }
                '年' | '月' | '.' | '/' | '－' | '．' => '-',
                '日' | '底' => ' ',
                c => c,
            })
            .collect();
        let parts: Vec<&str> = folded
            .trim()
            .trim_end_matches('-')
            .split('-')
            .map(str::trim)
            .collect();
        let number = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let year = i32::try_from(number(parts.first()?)?).ok()?;
        if !(1900..=2200).contains(&year) || parts[0].len() != 4 {
            return None;
        }
        match parts[1..] {
            [] => Some(PlannedDate::Year(year)),
            [month] => {
                let month = number(month)?;
                (1..=12)
                    .contains(&month)
                    .then_some(PlannedDate::Month(year, month))
            }
            [month, day] => {
                NaiveDate::from_ymd_opt(year, number(month)?, number(day)?).map(PlannedDate::Day)
            }
            _ => None,
        }
    }

    /// `2023`, `2023-06` or `2023-06-15`: how it is stored and shown; [`PlannedDate::parse`]
    /// reads it back.
    pub fn key(self) -> String {
        match self {
            PlannedDate::Year(year) => format!("{year:04}"),
            PlannedDate::Month(year, month) => format!("{year:04}-{month:02}"),
            PlannedDate::Day(day) => day.format("%Y-%m-%d").to_string(),
        }
    }

    /// The year it falls in.
    pub fn year(self) -> i32 {
        match self {
            PlannedDate::Year(year) | PlannedDate::Month(year, _) => year,
            PlannedDate::Day(day) => chrono::Datelike::year(&day),
        }
    }

    /// The first day it names (a year's 1 January, a month's first day).
    pub fn first_day(self) -> NaiveDate {
        match self {
            PlannedDate::Year(year) => NaiveDate::from_ymd_opt(year, 1, 1),
            PlannedDate::Month(year, month) => NaiveDate::from_ymd_opt(year, month, 1),
            PlannedDate::Day(day) => Some(day),
        }
        .unwrap_or(NaiveDate::MIN)
    }

    /// The last day it names (a year's 31 December, a month's last day).
    pub fn last_day(self) -> NaiveDate {
        match self {
            PlannedDate::Year(year) => month_end(year, 12),
            PlannedDate::Month(year, month) => month_end(year, month),
            PlannedDate::Day(day) => day,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_dates_read_as_lists_write_them() {
        let p = |s: &str| PlannedDate::parse(s).map(PlannedDate::key);
        assert_eq!(p("2023年").as_deref(), Some("2023"));
        assert_eq!(p("2023").as_deref(), Some("2023"));
        assert_eq!(p("2023年6月").as_deref(), Some("2023-06"));
        assert_eq!(p("2023.06").as_deref(), Some("2023-06"));
        assert_eq!(p("2023-06").as_deref(), Some("2023-06"));
        assert_eq!(p("2023/6").as_deref(), Some("2023-06"));
        assert_eq!(p("２０２３年１２月").as_deref(), Some("2023-12"));
        assert_eq!(p("2023年6月15日").as_deref(), Some("2023-06-15"));
        assert_eq!(p("2023-06-15").as_deref(), Some("2023-06-15"));
        assert_eq!(p("2023年6月底").as_deref(), Some("2023-06"));
        for bad in [
            "",
            "明年",
            "2023年13月",
            "23年",
            "2023-02-30",
            "2023-06-15-1",
            "6月",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
        for text in ["2023", "2023-06", "2023-06-15"] {
            assert_eq!(p(text).as_deref(), Some(text), "its key reads back");
        }
        let june = PlannedDate::parse("2024.2").unwrap();
        assert_eq!(
            june.last_day(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        assert_eq!(june.year(), 2024);
        assert_eq!(
            june.first_day(),
            NaiveDate::from_ymd_opt(2024, 2, 1).unwrap()
        );
        assert_eq!(
            PlannedDate::Year(2025).last_day(),
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
        );
    }
}
