//! Units of measure and conversion between them (万元 → 亿元, 十亿元 → 亿元, 万美元 → 亿美元 …).
//!
//! A unit is a magnitude prefix (十, 百, 千, 万, 亿, 万亿 …) and a base (元, 美元, 个, 家, %).
//! Two units convert when their bases are equal; the factor is the ratio of the magnitudes.

/// Reduces a unit as written to its canonical form: full-width to half-width, no blanks,
/// no English gloss in brackets (`十亿元 (billion yuan)` → `十亿元`), `％` → `%`.
pub fn normalize(unit: &str) -> String {
    let unit: String = unit.chars().map(crate::period::to_half_width).collect();
    let unit = match unit.find(['(', '（']) {
        Some(i) => &unit[..i],
        None => &unit[..],
    };
    unit.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Splits a normalised unit into its magnitude and base.
fn split(unit: &str) -> (f64, &str) {
    // Longest prefixes first, so that 十亿 wins over 十 and 万亿 over 万.
    const PREFIXES: [(&str, f64); 10] = [
        ("万亿", 1e12),
        ("千亿", 1e11),
        ("百亿", 1e10),
        ("十亿", 1e9),
        ("千万", 1e7),
        ("百万", 1e6),
        ("十万", 1e5),
        ("亿", 1e8),
        ("万", 1e4),
        ("千", 1e3),
    ];
    for (prefix, magnitude) in PREFIXES {
        if let Some(base) = unit.strip_prefix(prefix)
            && !base.is_empty()
        {
            return (magnitude, base);
        }
    }
    (1.0, unit)
}

/// A conversion between two units: multiply by `from`, divide by `to` (powers of ten, exact).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conversion {
    from: f64,
    to: f64,
}

impl Conversion {
    pub const IDENTITY: Conversion = Conversion { from: 1.0, to: 1.0 };

    /// Converts with a single rounding: 81185362 万元 is 8118.5362 亿元, not 8118.5362000000005.
    pub fn apply(self, value: f64) -> f64 {
        if self.from == self.to {
            value
        } else {
            value * self.from / self.to
        }
    }

    /// The factor as one number.
    pub fn factor(self) -> f64 {
        self.from / self.to
    }
}

/// How to turn a value in `from` into a value in `to`, or `None` when the units measure
/// different things. Percent is only ever percent.
pub fn conversion(from: &str, to: &str) -> Option<Conversion> {
    let (from, to) = (normalize(from), normalize(to));
    if from == to {
        return Some(Conversion::IDENTITY);
    }
    let is_percent = |u: &str| matches!(u, "%" | "百分比" | "percent");
    if is_percent(&from) && is_percent(&to) {
        return Some(Conversion::IDENTITY);
    }
    if is_percent(&from) || is_percent(&to) {
        return None;
    }
    let (from_magnitude, from_base) = split(&from);
    let (to_magnitude, to_base) = split(&to);
    (from_base == to_base).then_some(Conversion {
        from: from_magnitude,
        to: to_magnitude,
    })
}

/// The factor that turns a value in `from` into a value in `to` (see [`conversion`]).
pub fn conversion_factor(from: &str, to: &str) -> Option<f64> {
    conversion(from, to).map(Conversion::factor)
}

/// The English form of a unit, in the style of statistical tables: money as the currency and
/// its magnitude (亿元 → `CNY 100 million`, 亿美元 → `USD 100 million`), counts as the magnitude
/// and what is counted (万人次 → `10,000 person-times`, 个 → `units`). `None` for a unit it does
/// not know; a plan gives those as the indicator's `unit_en`.
pub fn english(unit: &str) -> Option<String> {
    let unit = normalize(unit);
    if matches!(unit.as_str(), "%" | "百分比" | "percent") {
        return Some("%".to_owned());
    }
    if unit.is_ascii() {
        return Some(unit);
    }
    let (magnitude, base) = split(&unit);
    let magnitude = match magnitude {
        1.0 => None,
        1e3 => Some("1,000"),
        1e4 => Some("10,000"),
        1e5 => Some("100,000"),
        1e6 => Some("1 million"),
        1e7 => Some("10 million"),
        1e8 => Some("100 million"),
        1e9 => Some("1 billion"),
        1e10 => Some("10 billion"),
        1e11 => Some("100 billion"),
        _ => Some("1 trillion"),
    };
    let currency = match base {
        "元" | "人民币元" => Some("CNY"),
        "美元" => Some("USD"),
        "欧元" => Some("EUR"),
        "港元" => Some("HKD"),
        _ => None,
    };
    if let Some(currency) = currency {
        return Some(match magnitude {
            Some(m) => format!("{currency} {m}"),
            None => currency.to_owned(),
        });
    }
    let counted = match base {
        "个" => "units",
        "家" => "firms",
        "条" => "items",
        "项" => "items",
        "人" => "persons",
        "人次" => "person-times",
        "户" => "households",
        "次" => "times",
        "吨" => "tonnes",
        "标箱" => "TEU",
        "平方米" => "m²",
        "平方公里" => "km²",
        "公里" => "km",
        "千瓦时" => "kWh",
        "年" => "years",
        "天" => "days",
        _ => return None,
    };
    Some(match magnitude {
        Some(m) => format!("{m} {counted}"),
        None => counted.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::conversion_factor;

    #[test]
    fn english_forms() {
        let en = |u: &str| super::english(u);
        assert_eq!(en("亿元").as_deref(), Some("CNY 100 million"));
        assert_eq!(en("亿美元").as_deref(), Some("USD 100 million"));
        assert_eq!(en("万元").as_deref(), Some("CNY 10,000"));
        assert_eq!(en("元").as_deref(), Some("CNY"));
        assert_eq!(en("万人次").as_deref(), Some("10,000 person-times"));
        assert_eq!(en("个").as_deref(), Some("units"));
        assert_eq!(en("家").as_deref(), Some("firms"));
        assert_eq!(en("％").as_deref(), Some("%"));
        assert_eq!(en("—").as_deref(), None);
        assert_eq!(en("床位").as_deref(), None);
    }

    #[test]
    fn converts_within_a_base() {
        assert_eq!(conversion_factor("万元", "亿元"), Some(1e-4));
        assert_eq!(
            conversion_factor("十亿元 (billion yuan)", "亿元"),
            Some(10.0)
        );
        assert_eq!(conversion_factor("万亿元", "亿元"), Some(1e4));
        assert_eq!(conversion_factor("万美元", "亿美元"), Some(1e-4));
        assert_eq!(conversion_factor("亿元", "亿元"), Some(1.0));
        assert_eq!(conversion_factor("％", "%"), Some(1.0));
        assert_eq!(conversion_factor("万个", "个"), Some(1e4));
    }

    #[test]
    fn converts_with_one_rounding() {
        let c = super::conversion("万元", "亿元").unwrap();
        assert_eq!(c.apply(81185362.0), 8118.5362);
        assert_eq!(
            super::conversion("十亿元", "亿元").unwrap().apply(747.84),
            7478.4
        );
    }

    #[test]
    fn refuses_across_bases() {
        assert_eq!(conversion_factor("亿美元", "亿元"), None);
        assert_eq!(conversion_factor("%", "亿元"), None);
        assert_eq!(conversion_factor("家", "个"), None);
    }
}
