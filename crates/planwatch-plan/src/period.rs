//! Observation periods: a year, a quarter or a month, parsed from the ways people write them.

use std::fmt;
use std::str::FromStr;

/// The period an observation refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Year(u16),
    Quarter(u16, u8),
    Month(u16, u8),
}

/// A period that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a period (write 2023, 2023Q1, 2023-06, 2023年第一季度 or 2023年6月)")]
pub struct BadPeriod(pub String);

impl BadPeriod {
    pub fn zh(&self) -> String {
        format!(
            "“{}”不是有效的时期（应写作 2023、2023Q1、2023-06、2023年第一季度 或 2023年6月）",
            self.0
        )
    }
}

impl Period {
    pub fn year(self) -> u16 {
        match self {
            Period::Year(y) | Period::Quarter(y, _) | Period::Month(y, _) => y,
        }
    }

    /// A compact integer that sorts periods of one kind in time and tells the kind apart:
    /// `YYYY00` for a year, `YYYY01`–`YYYY12` for months, `YYYY21`–`YYYY24` for quarters.
    pub fn key(self) -> i32 {
        let (year, sub) = match self {
            Period::Year(y) => (y, 0),
            Period::Month(y, m) => (y, i32::from(m)),
            Period::Quarter(y, q) => (y, 20 + i32::from(q)),
        };
        i32::from(year) * 100 + sub
    }

    /// The inverse of [`Period::key`].
    pub fn from_key(key: i32) -> Option<Period> {
        let year = u16::try_from(key / 100).ok()?;
        let sub = key % 100;
        match sub {
            0 => Some(Period::Year(year)),
            1..=12 => Some(Period::Month(year, sub as u8)),
            21..=24 => Some(Period::Quarter(year, (sub - 20) as u8)),
            _ => None,
        }
    }

    /// The period as a Chinese reader writes it: 2023年, 2023年第一季度, 2023年6月.
    pub fn display_zh(self) -> String {
        const QUARTERS: [&str; 4] = ["一", "二", "三", "四"];
        match self {
            Period::Year(y) => format!("{y}年"),
            Period::Quarter(y, q) => format!("{y}年第{}季度", QUARTERS[usize::from(q - 1)]),
            Period::Month(y, m) => format!("{y}年{m}月"),
        }
    }
}

/// The canonical form, also SDMX's TIME_PERIOD: `2023`, `2023-Q1`, `2023-06`.
impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
        }
    }
}

impl FromStr for Period {
    type Err = BadPeriod;

    /// Reads `2023`, `2023年`, `2023Q1`, `2023-Q1`, `2023 Q1`, `2023年第一季度`, `2023年1季度`,
    /// `2023-06`, `2023/6`, `2023.06`, `2023年6月`, `2023M06`; full-width digits are accepted.
    fn from_str(input: &str) -> Result<Period, BadPeriod> {
        let bad = || BadPeriod(input.to_owned());
        let text: String = input
            .trim()
            .chars()
            .map(to_half_width)
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        if digits_end != 4 {
            return Err(bad());
        }
        let year: u16 = text[..4].parse().map_err(|_| bad())?;
        if !(1900..=2200).contains(&year) {
            return Err(bad());
        }
        let rest = text[4..].trim_start_matches('年');
        let rest = rest.strip_prefix(['-', '/', '.']).unwrap_or(rest);
        if rest.is_empty() || rest == "年度" || rest == "全年" {
            return Ok(Period::Year(year));
        }
        // Quarters: Q1, 第一季度, 一季度, 1季度.
        let quarter = rest.strip_prefix('Q').or_else(|| {
            rest.strip_suffix("季度")
                .map(|q| q.trim_start_matches('第'))
        });
        if let Some(q) = quarter {
            let q = chinese_or_arabic(q).ok_or_else(bad)?;
            return if (1..=4).contains(&q) {
                Ok(Period::Quarter(year, q))
            } else {
                Err(bad())
            };
        }
        let month = rest.strip_prefix('M').unwrap_or(rest);
        let month = month.strip_suffix('月').unwrap_or(month);
        let m = chinese_or_arabic(month).ok_or_else(bad)?;
        if (1..=12).contains(&m) {
            Ok(Period::Month(year, m))
        } else {
            Err(bad())
        }
    }
}

/// Full-width ASCII (０-９, Ｑ, －) to half-width.
pub fn to_half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn chinese_or_arabic(text: &str) -> Option<u8> {
    if !text.is_empty() && text.len() <= 2 && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let digit = |c: char| {
        "〇一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|n| n as u8)
    };
    let chars: Vec<char> = text.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [d] => digit(*d),
        ['十', d] => Some(10 + digit(*d)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Period::{self, *};
    use proptest::prelude::*;

    #[test]
    fn reads_the_ways_people_write_periods() {
        let cases = [
            ("2023", Year(2023)),
            ("2023年", Year(2023)),
            ("２０２３年", Year(2023)),
            ("2023Q1", Quarter(2023, 1)),
            ("2023-Q1", Quarter(2023, 1)),
            ("2023 q4", Quarter(2023, 4)),
            ("2023年第一季度", Quarter(2023, 1)),
            ("2023年三季度", Quarter(2023, 3)),
            ("2023年4季度", Quarter(2023, 4)),
            ("2023-06", Month(2023, 6)),
            ("2023/6", Month(2023, 6)),
            ("2023.12", Month(2023, 12)),
            ("2023年6月", Month(2023, 6)),
            ("2023年十二月", Month(2023, 12)),
            ("2023年十月", Month(2023, 10)),
            ("2023M07", Month(2023, 7)),
        ];
        for (text, period) in cases {
            assert_eq!(text.parse::<Period>(), Ok(period), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_period() {
        for text in [
            "",
            "23",
            "20235",
            "2023Q5",
            "2023-13",
            "2023年第五季度",
            "abcd",
            "2023-00",
            "1066",
        ] {
            assert!(text.parse::<Period>().is_err(), "{text}");
        }
    }

    fn period() -> impl Strategy<Value = Period> {
        (1990u16..2100, 0u8..3, 1u8..13).prop_map(|(y, kind, n)| match kind {
            0 => Year(y),
            1 => Quarter(y, (n - 1) % 4 + 1),
            _ => Month(y, n),
        })
    }

    proptest! {
        #[test]
        fn display_and_key_round_trip(p in period()) {
            prop_assert_eq!(p.to_string().parse::<Period>(), Ok(p));
            prop_assert_eq!(p.display_zh().parse::<Period>(), Ok(p));
            prop_assert_eq!(Period::from_key(p.key()), Some(p));
        }
    }
}
