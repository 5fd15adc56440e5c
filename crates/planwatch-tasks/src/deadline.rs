//! Deadlines (完成时限) as offices write them: `2024年6月底前`, `6月底前`, `第三季度`, `三季度末`,
//! `年底前`, `上半年`, `2024年12月31日前`, `持续推进` … A deadline is a day (the last day the work
//! may be done on) or ongoing work that has none. Text without a year takes the task's year.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use planwatch_plan::period::to_half_width;

use crate::model::Node;

/// When a piece of work is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Deadline {
    /// Done on or before this day.
    By(NaiveDate),
    /// Ongoing work without a day (持续推进, 长期坚持, 按时序推进): judged by its reports and nodes.
    Ongoing,
}

/// Text that is not a deadline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "“{0}”不是可识别的完成时限（应写作 2024年6月底前、6月底前、第三季度、三季度末、上半年、年底前、2024年12月31日前 或 持续推进）/ \"{0}\" is not a deadline (write 2024年6月底前, 6月底前, 第三季度, 三季度末, 上半年, 年底前, 2024年12月31日前 or 持续推进)"
)]
pub struct BadDeadline(pub String);

/// Words for ongoing work, as offices write them.
const ONGOING: [&str; 16] = [
    "持续推进",
    "长期坚持",
    "按时序推进",
    "按时序进度推进",
    "持续",
    "长期",
    "持续开展",
    "持续实施",
    "长期推进",
    "长期实施",
    "常态化",
    "常态化推进",
    "常态化开展",
    "按计划推进",
    "按进度推进",
    "逐年推进",
];

impl Deadline {
    /// The day, unless the work is ongoing.
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Deadline::By(date) => Some(date),
            Deadline::Ongoing => None,
        }
    }

    /// As an office writes it: `2024年6月底前` for a month's last day, `2024年6月15日前`,
    /// `持续推进`. [`parse_deadline`] reads it back.
    pub fn zh(self) -> String {
        match self {
            Deadline::Ongoing => "持续推进".to_owned(),
            Deadline::By(date) if date == month_end(date.year(), date.month()) => {
                format!("{}年{}月底前", date.year(), date.month())
            }
            Deadline::By(date) => {
                format!("{}年{}月{}日前", date.year(), date.month(), date.day())
            }
        }
    }

    /// In English: `by 2024-06-30`, `ongoing`.
    pub fn en(self) -> String {
        match self {
            Deadline::Ongoing => "ongoing".to_owned(),
            Deadline::By(date) => format!("by {date}"),
        }
    }
}

impl fmt::Display for Deadline {
    /// The canonical form: the ISO date, or `ongoing`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Deadline::By(date) => write!(f, "{date}"),
            Deadline::Ongoing => f.write_str("ongoing"),
        }
    }
}

/// The last day of `month` (1–12) of `year`.
pub(crate) use planwatch_workflow::calendar::last_day as month_end;

/// Reads a deadline for work of `year` (the year of text that names none). See the module's
/// documentation and `docs/tasks.md` for the forms read.
pub fn parse_deadline(text: &str, year: u16) -> Result<Deadline, BadDeadline> {
    let bad = || BadDeadline(text.trim().to_owned());
    let mut s: String = text
        .chars()
        .map(to_half_width)
        .filter(|c| !c.is_whitespace())
        .collect();
    for end in ["。", ".", "完成", "之前", "以前", "前"] {
        if let Some(rest) = s.strip_suffix(end) {
            s = rest.to_owned();
        }
    }
    if s.is_empty() {
        return Err(bad());
    }
    if ONGOING.contains(&s.as_str()) {
        return Ok(Deadline::Ongoing);
    }
    if let Some(date) = iso_date(&s) {
        return Ok(Deadline::By(date));
    }
    let (year, rest) = match split_year(&s) {
        Some((year, rest)) => (year, rest),
        None => (i32::from(year), s.as_str()),
    };
    date_in_year(year, rest).map(Deadline::By).ok_or_else(bad)
}

/// A node cell's problem: a piece whose deadline cannot be read, or ongoing (a node needs a day).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "节点“{0}”须以完成时限开头（如“6月底前完成方案”“三季度：完成建设”）/ the node \"{0}\" must start with its deadline (6月底前完成方案, 三季度：完成建设)"
)]
pub struct BadNode(pub String);

/// A deadline at the start of `text` and the rest: `6月底前完成方案` → (30 June, `完成方案`),
/// `三季度：完成建设` → (30 September, `完成建设`). The longest start that reads as a deadline and
/// ends a word of time (前, 底, 末, 度, 年, 月, 日, 号, 旬) is taken.
pub fn split_deadline(text: &str, year: u16) -> Option<(Deadline, &str)> {
    let text = text.trim();
    if let Some((head, rest)) = text.split_once(['：', ':'])
        && let Ok(deadline) = parse_deadline(head, year)
    {
        return Some((deadline, rest.trim()));
    }
    let ends = text
        .char_indices()
        .filter(|(_, c)| "前底末度年月日号旬".contains(*c))
        .map(|(i, c)| i + c.len_utf8());
    let mut found = None;
    for end in ends {
        if let Ok(deadline) = parse_deadline(&text[..end], year) {
            found = Some((deadline, &text[end..]));
        }
    }
    found.map(|(deadline, rest)| {
        (
            deadline,
            rest.trim_start_matches(['，', ',', '、', ' ']).trim(),
        )
    })
}

/// The nodes of a cell, one per piece (separated by ；; or line breaks), each starting with its
/// deadline: `3月底前完成方案；6月底前完成50%；三季度：完成建设`. A share written in the piece
/// (`50%`) is the node's share of the task. Every piece that does not start with a day is a
/// problem, all reported.
pub fn parse_nodes(cell: &str, year: u16) -> Result<Vec<Node>, Vec<BadNode>> {
    let mut nodes = Vec::new();
    let mut problems = Vec::new();
    for piece in cell
        .split(['；', ';', '\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match split_deadline(piece, year) {
            Some((Deadline::By(due), rest)) => nodes.push(Node {
                due,
                expected: if rest.is_empty() {
                    piece.to_owned()
                } else {
                    rest.to_owned()
                },
                percent: percent_in(rest),
            }),
            _ => problems.push(BadNode(piece.to_owned())),
        }
    }
    if problems.is_empty() {
        nodes.sort_by_key(|n| n.due);
        Ok(nodes)
    } else {
        Err(problems)
    }
}

/// The share written in a text: `完成50%` → 50.
fn percent_in(text: &str) -> Option<f64> {
    let text: String = text.chars().map(to_half_width).collect();
    let end = text.find('%')?;
    let start = text[..end]
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| {
            i + text[i..].chars().next().map_or(1, char::len_utf8)
        });
    text[start..end]
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=100.0).contains(p))
}

/// `2024-06-30`, `2024/6/30`, `2024.6.30`, `2024-06` (the month's last day).
fn iso_date(s: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let numbers: Option<Vec<u32>> = parts
        .iter()
        .map(|p| {
            p.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect();
    let numbers = numbers?;
    if parts[0].len() != 4 {
        return None;
    }
    let year = i32::try_from(numbers[0]).ok().filter(|y| valid_year(*y))?;
    match numbers[..] {
        [_, month] => (1..=12).contains(&month).then(|| month_end(year, month)),
        [_, month, day] => NaiveDate::from_ymd_opt(year, month, day),
        _ => None,
    }
}

fn valid_year(year: i32) -> bool {
    (1900..=2200).contains(&year)
}

/// `2024年…` → (2024, `…`).
fn split_year(s: &str) -> Option<(i32, &str)> {
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if digits != 4 {
        return None;
    }
    let year: i32 = s[..4].parse().ok().filter(|y| valid_year(*y))?;
    let rest = &s[4..];
    Some((year, rest.strip_prefix('年').unwrap_or(rest)))
}

/// The day `rest` names within `year`: the year's end, a half, a quarter's end, a month's end
/// (or its 上旬, 中旬, 下旬) or a day.
fn date_in_year(year: i32, rest: &str) -> Option<NaiveDate> {
    let rest = rest.strip_prefix("本年").unwrap_or(rest);
    let rest = rest.strip_prefix("今年").unwrap_or(rest);
    match rest {
        "" | "底" | "末" | "内" | "度" | "年底" | "年末" | "年内" | "全年" | "年度" | "下半年" =>
        {
            return Some(month_end(year, 12));
        }
        "上半年" | "年中" | "半年" => return Some(month_end(year, 6)),
        _ => {}
    }
    if let Some(quarter) = quarter(rest) {
        return Some(month_end(year, quarter * 3));
    }
    if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q'))
        && let Ok(quarter @ 1..=4) = q.parse::<u32>()
    {
        return Some(month_end(year, quarter * 3));
    }
    let (month, rest) = rest.split_once('月')?;
    let month = numeral(month).filter(|m| (1..=12).contains(m))?;
    let end = month_end(year, month);
    match rest {
        "" | "底" | "末" | "份" | "下旬" => Some(end),
        "上旬" => NaiveDate::from_ymd_opt(year, month, 10),
        "中旬" => NaiveDate::from_ymd_opt(year, month, 20),
        _ => {
            let day = rest
                .strip_suffix('日')
                .or_else(|| rest.strip_suffix('号'))?;
            NaiveDate::from_ymd_opt(year, month, numeral(day)?)
        }
    }
}

/// `第三季度`, `三季度`, `三季度末`, `第3季度末`, `3季度底` → 3.
fn quarter(s: &str) -> Option<u32> {
    let s = s.strip_prefix('第').unwrap_or(s);
    let s = s
        .strip_suffix('末')
        .or_else(|| s.strip_suffix('底'))
        .unwrap_or(s);
    let n = s.strip_suffix("季度")?;
    numeral(n).filter(|q| (1..=4).contains(q))
}

/// `6`, `06`, `六`, `十二`, `二十一`, `三十` → the number (0–99).
fn numeral(s: &str) -> Option<u32> {
    if !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let digit = |c: char| "〇一二三四五六七八九".chars().position(|d| d == c);
    let chars: Vec<char> = s.chars().collect();
    let n = match chars[..] {
        ['十'] => 10,
        ['十', d] => 10 + digit(d)?,
        [d] => digit(d)?,
        [t, '十'] => digit(t)? * 10,
        [t, '十', d] => digit(t)? * 10 + digit(d)?,
        _ => return None,
    };
    u32::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Deadline {
        Deadline::By(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    #[test]
    fn deadlines_read_as_offices_write_them() {
        let cases = [
            ("2024年6月底前", day(2024, 6, 30)),
            ("2025年6月底前", day(2025, 6, 30)),
            ("6月底前", day(2024, 6, 30)),
            ("6月底前完成", day(2024, 6, 30)),
            ("６月底", day(2024, 6, 30)),
            ("六月底前", day(2024, 6, 30)),
            ("2月底前", day(2024, 2, 29)),
            ("十二月", day(2024, 12, 31)),
            ("十月底前", day(2024, 10, 31)),
            ("2024年十二月二十一日前", day(2024, 12, 21)),
            ("9月中旬", day(2024, 9, 20)),
            ("9月上旬前", day(2024, 9, 10)),
            ("第三季度", day(2024, 9, 30)),
            ("三季度末", day(2024, 9, 30)),
            ("第一季度末前", day(2024, 3, 31)),
            ("3季度", day(2024, 9, 30)),
            ("2024年第二季度", day(2024, 6, 30)),
            ("Q4", day(2024, 12, 31)),
            ("年底前", day(2024, 12, 31)),
            ("年底", day(2024, 12, 31)),
            ("年内", day(2024, 12, 31)),
            ("2024年底前", day(2024, 12, 31)),
            ("2024年", day(2024, 12, 31)),
            ("2024年12月", day(2024, 12, 31)),
            ("2024年12月31日前", day(2024, 12, 31)),
            ("2024年3月15日", day(2024, 3, 15)),
            ("3月15号前", day(2024, 3, 15)),
            ("2024-06-30", day(2024, 6, 30)),
            ("2024/6/5", day(2024, 6, 5)),
            ("2024-11", day(2024, 11, 30)),
            ("上半年", day(2024, 6, 30)),
            ("下半年", day(2024, 12, 31)),
            ("持续推进", Deadline::Ongoing),
            ("长期坚持", Deadline::Ongoing),
            ("按时序推进", Deadline::Ongoing),
            (" 常态化推进。", Deadline::Ongoing),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_deadline(text, 2024), Ok(expected), "{text}");
        }
    }

    #[test]
    fn text_that_is_no_deadline_is_an_error_naming_it() {
        for text in [
            "",
            "尽快",
            "13月底前",
            "第五季度",
            "2024年2月30日",
            "2024-13-01",
            "6月底前完成方案，年底前完成建设",
            "1850年",
            "月底",
        ] {
            let error = parse_deadline(text, 2024).unwrap_err();
            assert_eq!(error, BadDeadline(text.trim().to_owned()));
            let message = error.to_string();
            assert!(
                message.contains("不是可识别的完成时限") && message.contains("is not a deadline"),
                "{message}"
            );
        }
    }

    #[test]
    fn deadlines_are_written_as_offices_write_them() {
        assert_eq!(day(2024, 6, 30).zh(), "2024年6月底前");
        assert_eq!(day(2024, 6, 15).zh(), "2024年6月15日前");
        assert_eq!(Deadline::Ongoing.zh(), "持续推进");
        assert_eq!(day(2024, 6, 30).en(), "by 2024-06-30");
        assert_eq!(day(2024, 6, 30).to_string(), "2024-06-30");
    }

    #[test]
    fn nodes_start_with_their_deadline() {
        let nodes = parse_nodes(
            "6月底前完成50%；3月底前完成方案\n三季度：完成建设；2024年11月15日前，通过验收",
            2024,
        )
        .unwrap();
        let read: Vec<(String, &str, Option<f64>)> = nodes
            .iter()
            .map(|n| (n.due.to_string(), n.expected.as_str(), n.percent))
            .collect();
        assert_eq!(
            read,
            vec![
                ("2024-03-31".to_owned(), "完成方案", None),
                ("2024-06-30".to_owned(), "完成50%", Some(50.0)),
                ("2024-09-30".to_owned(), "完成建设", None),
                ("2024-11-15".to_owned(), "通过验收", None),
            ]
        );
        assert_eq!(
            split_deadline("年底前完成全年目标", 2024),
            Some((day(2024, 12, 31), "完成全年目标"))
        );
        assert_eq!(
            parse_nodes("尽快完成；持续推进：加强宣传；6月底前完成", 2024),
            Err(vec![
                BadNode("尽快完成".into()),
                BadNode("持续推进：加强宣传".into())
            ])
        );
        assert_eq!(parse_nodes("", 2024), Ok(vec![]));
        assert_eq!(percent_in("完成１２.５％"), Some(12.5));
        assert_eq!(percent_in("完成120%"), None);
    }

    proptest! {
        #[test]
        fn a_formatted_date_reads_back(days in 0i64..73_000, year in 1990u16..2100) {
            let date = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Days::new(days as u64);
            let deadline = Deadline::By(date);
            prop_assert_eq!(parse_deadline(&deadline.zh(), year), Ok(deadline));
            prop_assert_eq!(parse_deadline(&deadline.to_string(), year), Ok(deadline));
        }

        #[test]
        fn a_month_end_without_a_year_is_in_the_given_year(month in 1u32..=12, year in 1990u16..2100) {
            let expected = Deadline::By(month_end(i32::from(year), month));
            prop_assert_eq!(parse_deadline(&format!("{month}月底前"), year), Ok(expected));
        }
    }
}
