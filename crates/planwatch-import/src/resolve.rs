//! Resolving cells against a plan: indicator by code, 序号 or name; region by code, former code,
//! name or alias; numbers with separators, full-width digits and `%`; units converted to the
//! indicator's unit.

use std::collections::HashMap;

use planwatch_plan::{Indicator, Plan, unit};

use crate::header::normalize_name;
use crate::table::Cell;

/// Indicators by code, 序号 or name, and regions by code, former code, name or alias: the
/// look-up tables of a plan, owned, so that a server builds them once for all its requests.
#[derive(Debug, Clone)]
pub struct Names {
    indicators: HashMap<String, usize>,
    regions: HashMap<String, usize>,
}

impl Names {
    pub fn new(plan: &Plan) -> Names {
        let mut indicators = HashMap::new();
        for (i, indicator) in plan.indicators.iter().enumerate() {
            indicators.insert(normalize_name(&indicator.code), i);
            indicators.insert(normalize_name(&indicator.name.zh), i);
            if let Some(en) = &indicator.name.en {
                indicators.entry(normalize_name(en)).or_insert(i);
            }
            if let Some(number) = indicator.number {
                indicators.insert(number.to_string(), i);
            }
        }
        let mut regions = HashMap::new();
        // Names and aliases first, codes last, so that a code always means its own region.
        for (i, region) in plan.regions.iter().enumerate() {
            for alias in &region.aliases {
                regions.entry(normalize_name(alias)).or_insert(i);
            }
            for former in &region.former_codes {
                regions.insert(former.code.clone(), i);
                regions.entry(normalize_name(&former.name)).or_insert(i);
            }
            if let Some(en) = &region.name.en {
                regions.entry(normalize_name(en)).or_insert(i);
            }
        }
        for (i, region) in plan.regions.iter().enumerate() {
            regions.insert(normalize_name(&region.name.zh), i);
            regions.insert(region.code.to_lowercase(), i);
        }
        Names {
            indicators,
            regions,
        }
    }

    /// The index of the indicator named by `text` in the plan's list.
    pub fn indicator(&self, text: &str) -> Option<usize> {
        let key = normalize_name(text);
        let key = key.strip_suffix(".0").unwrap_or(&key);
        self.indicators.get(key).copied()
    }

    /// The index of the region named by `text` in the plan's list.
    pub fn region(&self, text: &str) -> Option<usize> {
        self.regions.get(&normalize_name(text)).copied()
    }
}

/// A plan with its look-up tables, built once per import.
pub struct Resolver<'p> {
    pub plan: &'p Plan,
    names: Names,
}

impl<'p> Resolver<'p> {
    pub fn new(plan: &'p Plan) -> Resolver<'p> {
        Resolver {
            plan,
            names: Names::new(plan),
        }
    }

    pub fn indicator(&self, text: &str) -> Option<usize> {
        self.names.indicator(text)
    }

    pub fn region(&self, text: &str) -> Option<usize> {
        self.names.region(text)
    }
}

/// A cell that should hold a number but does not.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NumberProblem {
    NotANumber(String),
    ErrorValue(String),
    UncalculatedFormula(String),
}

/// The number in a cell: `None` for an empty cell (or a dash: —, -, …, NA).
/// Accepts thousands separators, full-width digits, `%` (reported back), `−`.
pub(crate) fn number(cell: &Cell) -> Result<Option<(f64, bool)>, NumberProblem> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(n) => Ok(Some((*n, false))),
        Cell::Percent(fraction) => Ok(Some((crate::table::percent(*fraction), true))),
        Cell::Error(e) => Err(NumberProblem::ErrorValue(e.clone())),
        Cell::UncalculatedFormula(f) => Err(NumberProblem::UncalculatedFormula(f.clone())),
        Cell::Date(..) => Err(NumberProblem::NotANumber(cell.text().into_owned())),
        Cell::Text(text) => {
            // Most figures are plain ASCII decimals: read them without rewriting the text.
            let plain = text.trim();
            if !plain.is_empty()
                && plain
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
                && let Ok(value) = plain.parse::<f64>()
                && value.is_finite()
            {
                return Ok(Some((value, false)));
            }
            let half: String = text
                .chars()
                .map(planwatch_plan::period::to_half_width)
                .map(|c| {
                    if c == '−' {
                        '-'
                    } else if c == '，' {
                        ','
                    } else {
                        c
                    }
                })
                .filter(|c| !c.is_whitespace())
                .collect();
            // Commas only as thousands separators (1,234,567.8); "3,5" is not 35.
            if half.contains(',') && !thousands_grouped(&half) {
                return Err(NumberProblem::NotANumber(text.trim().to_owned()));
            }
            let cleaned: String = half.chars().filter(|c| *c != ',').collect();
            if matches!(
                cleaned.as_str(),
                "" | "-" | "--" | "—" | "——" | "…" | "..." | "na" | "NA" | "n/a" | "N/A"
            ) {
                return Ok(None);
            }
            let (digits, percent) = match cleaned.strip_suffix('%') {
                Some(d) => (d, true),
                None => (cleaned.as_str(), false),
            };
            match digits.parse::<f64>() {
                Ok(value) if value.is_finite() => Ok(Some((value, percent))),
                _ => Err(NumberProblem::NotANumber(text.trim().to_owned())),
            }
        }
    }
}

/// Whether the commas of a number group its integer digits by three.
fn thousands_grouped(text: &str) -> bool {
    let digits = text.trim_start_matches(['-', '+']);
    let integer = digits.split('.').next().unwrap_or("");
    let groups: Vec<&str> = integer.split(',').collect();
    groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3)
}

/// The conversion from a unit written in a file to the indicator's unit.
pub(crate) fn unit_conversion(indicator: &Indicator, written: &str) -> Option<unit::Conversion> {
    unit::conversion(written, &indicator.unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_people_write_them() {
        let n = |s: &str| number(&Cell::Text(s.into()));
        assert_eq!(n("1,234.5"), Ok(Some((1234.5, false))));
        assert_eq!(n("１２３４．５"), Ok(Some((1234.5, false))));
        assert_eq!(n("65.7%"), Ok(Some((65.7, true))));
        assert_eq!(n("65.7％"), Ok(Some((65.7, true))));
        assert_eq!(n("−3.2"), Ok(Some((-3.2, false))));
        assert_eq!(n("—"), Ok(None));
        assert_eq!(n("12a"), Err(NumberProblem::NotANumber("12a".into())));
        assert_eq!(n("3,5"), Err(NumberProblem::NotANumber("3,5".into())));
        assert_eq!(n("1,2,3"), Err(NumberProblem::NotANumber("1,2,3".into())));
        assert_eq!(n("-12,345.5"), Ok(Some((-12345.5, false))));
        assert_eq!(n("inf"), Err(NumberProblem::NotANumber("inf".into())));
        // The plain-decimal fast path agrees with the general reading.
        assert_eq!(n(" 63.408 "), Ok(Some((63.408, false))));
        assert_eq!(n("-0.5"), Ok(Some((-0.5, false))));
        assert_eq!(n("1e3"), Ok(Some((1000.0, false))));
        assert_eq!(n("-"), Ok(None));
        assert_eq!(n("1e999"), Err(NumberProblem::NotANumber("1e999".into())));
    }

    #[test]
    fn resolves_codes_numbers_names_and_aliases() {
        let plan = planwatch_plan::chengdu::plan();
        let resolver = Resolver::new(&plan);
        let code = |i: Option<usize>| i.map(|i| plan.indicators[i].code.as_str());
        assert_eq!(
            code(resolver.indicator("retail_sales")),
            Some("retail_sales")
        );
        assert_eq!(code(resolver.indicator("2")), Some("retail_sales"));
        assert_eq!(code(resolver.indicator("2.0")), Some("retail_sales"));
        assert_eq!(
            code(resolver.indicator("社会消费品零售总额")),
            Some("retail_sales")
        );
        assert_eq!(
            code(resolver.indicator("社会消费品零售总额 ")),
            Some("retail_sales")
        );
        assert_eq!(resolver.indicator("零售"), None);
        let region = |t: &str| resolver.region(t).map(|i| plan.regions[i].code.as_str());
        assert_eq!(region("510104"), Some("510104"));
        assert_eq!(region("锦江区"), Some("510104"));
        assert_eq!(region("高新区"), Some("gaoxin"));
        assert_eq!(region("新津县"), Some("510118"));
        assert_eq!(region("510132"), Some("510118"));
        assert_eq!(region("成都市"), Some("510100"));
        assert_eq!(region("Chengdu"), Some("510100"));
        assert_eq!(region("北京市"), None);
    }
}
