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

/// The factor that turns a value in `from` into a value in `to`, or `None` when the units
/// measure different things. Percent is only ever percent.
pub fn conversion_factor(from: &str, to: &str) -> Option<f64> {
    let (from, to) = (normalize(from), normalize(to));
    if from == to {
        return Some(1.0);
    }
    let is_percent = |u: &str| matches!(u, "%" | "百分比" | "percent");
    if is_percent(&from) && is_percent(&to) {
        return Some(1.0);
    }
    if is_percent(&from) || is_percent(&to) {
        return None;
    }
    let (from_magnitude, from_base) = split(&from);
    let (to_magnitude, to_base) = split(&to);
    (from_base == to_base).then(|| from_magnitude / to_magnitude)
}

#[cfg(test)]
mod tests {
    use super::conversion_factor;

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
    fn refuses_across_bases() {
        assert_eq!(conversion_factor("亿美元", "亿元"), None);
        assert_eq!(conversion_factor("%", "亿元"), None);
        assert_eq!(conversion_factor("家", "个"), None);
    }
}
