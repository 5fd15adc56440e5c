//! The one chart renderer every writer shares: a [`Chart`] as an SVG line chart (series against
//! the milestone path, the target marked), the same picture in DOCX (rasterised), PDF and HTML.
//!
//! Pure and deterministic: the same chart gives the same string. Labels carry an explicit CJK
//! font family so that rasterisers pick a face that has the glyphs.

use std::fmt::Write as _;

use crate::model::{Chart, ChartPoint};

/// The picture's size in SVG user units (pixels at 1×).
pub const CHART_WIDTH: u32 = 640;
pub const CHART_HEIGHT: u32 = 360;

/// The font family on every label: CJK faces first, then any sans-serif.
pub const CHART_FONT_FAMILY: &str = "Noto Sans CJK SC, Noto Sans CJK, sans-serif";

const SERIES_COLOUR: &str = "#1f5fa8";
const MILESTONE_COLOUR: &str = "#8c8c8c";
const TARGET_COLOUR: &str = "#c0392b";
const GRID_COLOUR: &str = "#e3e3e3";
const AXIS_COLOUR: &str = "#333333";

// The plot area inside the picture.
const PLOT_LEFT: f64 = 78.0;
const PLOT_RIGHT: f64 = 620.0;
const PLOT_TOP: f64 = 34.0;
const PLOT_BOTTOM: f64 = 284.0;

/// The chart as a standalone SVG document, [`CHART_WIDTH`] × [`CHART_HEIGHT`].
pub fn chart_svg(chart: &Chart) -> String {
    let series = finite(&chart.series);
    let milestones = finite(&chart.milestones);
    let target = chart.target.filter(|t| t.value.is_finite());
    let all: Vec<ChartPoint> = series
        .iter()
        .chain(&milestones)
        .chain(target.as_ref())
        .copied()
        .collect();

    let years = year_range(&all);
    let axis = ValueAxis::new(&all);
    let x = |year: u16| {
        let (first, last) = years;
        PLOT_LEFT + f64::from(year - first) * (PLOT_RIGHT - PLOT_LEFT) / f64::from(last - first)
    };
    let y = |value: f64| {
        PLOT_BOTTOM - (value - axis.low) * (PLOT_BOTTOM - PLOT_TOP) / (axis.high - axis.low)
    };

    let mut svg = String::with_capacity(4096);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}">"#
    );
    let _ = write!(
        svg,
        r#"<rect x="0" y="0" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" fill="white"/>"#
    );

    // Value grid and labels; the unit above the value axis.
    for tick in axis.ticks() {
        let ty = y(tick);
        let _ = write!(
            svg,
            r#"<line x1="{PLOT_LEFT}" y1="{ty:.1}" x2="{PLOT_RIGHT}" y2="{ty:.1}" stroke="{GRID_COLOUR}" stroke-width="1"/>"#
        );
        text(
            &mut svg,
            PLOT_LEFT - 8.0,
            ty + 4.5,
            "end",
            13,
            &axis.label(tick),
        );
    }
    text(
        &mut svg,
        PLOT_LEFT - 8.0,
        PLOT_TOP - 14.0,
        "end",
        13,
        &chart.unit,
    );

    // Axes, and a label under every year.
    let _ = write!(
        svg,
        r#"<polyline points="{PLOT_LEFT},{PLOT_TOP} {PLOT_LEFT},{PLOT_BOTTOM} {PLOT_RIGHT},{PLOT_BOTTOM}" fill="none" stroke="{AXIS_COLOUR}" stroke-width="1"/>"#
    );
    for year in years.0..=years.1 {
        let tx = x(year);
        let _ = write!(
            svg,
            r#"<line x1="{tx:.1}" y1="{PLOT_BOTTOM}" x2="{tx:.1}" y2="{:.1}" stroke="{AXIS_COLOUR}" stroke-width="1"/>"#,
            PLOT_BOTTOM + 5.0
        );
        text(
            &mut svg,
            tx,
            PLOT_BOTTOM + 21.0,
            "middle",
            13,
            &year.to_string(),
        );
    }

    // The milestone path dashed under the series; the target on top.
    polyline(&mut svg, &milestones, &x, &y, MILESTONE_COLOUR, Some("6 4"));
    polyline(&mut svg, &series, &x, &y, SERIES_COLOUR, None);
    for point in &series {
        let _ = write!(
            svg,
            r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{SERIES_COLOUR}"/>"#,
            x(point.year),
            y(point.value)
        );
    }
    if let Some(t) = target {
        diamond(&mut svg, x(t.year), y(t.value), 7.0);
    }

    // The legend, centred under the years.
    let entries: Vec<(&str, LegendMark)> = [
        (chart.legend[0].as_str(), LegendMark::Line),
        (chart.legend[1].as_str(), LegendMark::Dashed),
    ]
    .into_iter()
    .chain(target.map(|_| (chart.legend[2].as_str(), LegendMark::Diamond)))
    .collect();
    let widths: Vec<f64> = entries
        .iter()
        .map(|(label, _)| 34.0 + text_width(label, 13.0))
        .collect();
    let total: f64 = widths.iter().sum::<f64>() + 24.0 * (widths.len().saturating_sub(1)) as f64;
    let mut lx = (f64::from(CHART_WIDTH) - total) / 2.0;
    let ly = f64::from(CHART_HEIGHT) - 26.0;
    for ((label, mark), width) in entries.iter().zip(&widths) {
        match mark {
            LegendMark::Line => {
                legend_line(&mut svg, lx, ly, SERIES_COLOUR, None);
                let _ = write!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{ly:.1}" r="3.5" fill="{SERIES_COLOUR}"/>"#,
                    lx + 12.0
                );
            }
            LegendMark::Dashed => legend_line(&mut svg, lx, ly, MILESTONE_COLOUR, Some("6 4")),
            LegendMark::Diamond => diamond(&mut svg, lx + 12.0, ly, 6.0),
        }
        text(&mut svg, lx + 30.0, ly + 4.5, "start", 13, label);
        lx += width + 24.0;
    }

    svg.push_str("</svg>");
    svg
}

enum LegendMark {
    Line,
    Dashed,
    Diamond,
}

fn finite(points: &[ChartPoint]) -> Vec<ChartPoint> {
    points
        .iter()
        .copied()
        .filter(|p| p.value.is_finite())
        .collect()
}

/// First and last year on the axis; never a single year (a lone point sits in the middle).
fn year_range(points: &[ChartPoint]) -> (u16, u16) {
    let first = points.iter().map(|p| p.year).min();
    let last = points.iter().map(|p| p.year).max();
    match (first, last) {
        (Some(first), Some(last)) if first < last => (first, last),
        (Some(year), _) => (year.saturating_sub(1), year.saturating_add(1)),
        _ => (0, 1),
    }
}

/// The value axis: a round step and the multiples of it that enclose every value.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ValueAxis {
    low: f64,
    high: f64,
    step: f64,
}

impl ValueAxis {
    /// About five intervals of 1, 2 or 5 × 10ⁿ covering the values (0 to 1 when there are none).
    fn new(points: &[ChartPoint]) -> Self {
        let min = points.iter().map(|p| p.value).fold(f64::INFINITY, f64::min);
        let max = points
            .iter()
            .map(|p| p.value)
            .fold(f64::NEG_INFINITY, f64::max);
        let (min, max) = if min > max {
            (0.0, 1.0)
        } else if min == max {
            let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.1 };
            (min - pad, max + pad)
        } else {
            (min, max)
        };
        let step = nice_step((max - min) / 5.0);
        let low = (min / step).floor() * step;
        let mut high = (max / step).ceil() * step;
        if high <= low {
            high = low + step;
        }
        Self { low, high, step }
    }

    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let count = ((self.high - self.low) / self.step).round() as usize;
        (0..=count).map(move |i| self.low + i as f64 * self.step)
    }

    /// A tick's label, with as many decimals as the step needs (none for whole steps).
    fn label(&self, value: f64) -> String {
        let decimals = if self.step >= 1.0 {
            0
        } else {
            (-self.step.log10().floor()) as usize
        };
        let value = if value.abs() < self.step * 1e-9 {
            0.0
        } else {
            value
        };
        format!("{value:.decimals$}")
    }
}

/// The smallest of 1, 2, 5 × 10ⁿ at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn polyline(
    svg: &mut String,
    points: &[ChartPoint],
    x: &impl Fn(u16) -> f64,
    y: &impl Fn(f64) -> f64,
    colour: &str,
    dash: Option<&str>,
) {
    if points.is_empty() {
        return;
    }
    let coords: Vec<String> = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.year), y(p.value)))
        .collect();
    let _ = write!(
        svg,
        r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2.5"{}/>"#,
        coords.join(" "),
        dash_attribute(dash)
    );
}

fn legend_line(svg: &mut String, x: f64, y: f64, colour: &str, dash: Option<&str>) {
    let _ = write!(
        svg,
        r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="2.5"{}/>"#,
        x + 24.0,
        dash_attribute(dash)
    );
}

fn dash_attribute(dash: Option<&str>) -> String {
    dash.map(|d| format!(r#" stroke-dasharray="{d}""#))
        .unwrap_or_default()
}

fn diamond(svg: &mut String, cx: f64, cy: f64, r: f64) {
    let _ = write!(
        svg,
        r#"<polygon points="{cx:.1},{:.1} {:.1},{cy:.1} {cx:.1},{:.1} {:.1},{cy:.1}" fill="{TARGET_COLOUR}"/>"#,
        cy - r,
        cx + r,
        cy + r,
        cx - r
    );
}

fn text(svg: &mut String, x: f64, y: f64, anchor: &str, size: u32, content: &str) {
    let _ = write!(
        svg,
        r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-family="{CHART_FONT_FAMILY}" font-size="{size}" fill="{AXIS_COLOUR}">{}</text>"#,
        escape(content)
    );
}

/// An estimate of a label's width, for laying out the legend: CJK characters are square, Latin
/// ones about half as wide.
fn text_width(content: &str, size: f64) -> f64 {
    content
        .chars()
        .map(|c| if c.is_ascii() { size * 0.55 } else { size })
        .sum()
}

fn escape(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    for c in content.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Block, fixture};
    use proptest::prelude::*;

    fn fixture_chart() -> Chart {
        fixture()
            .sections
            .into_iter()
            .flat_map(|s| s.blocks)
            .find_map(|b| match b {
                Block::Chart(chart) => Some(chart),
                _ => None,
            })
            .expect("the fixture has a chart")
    }

    #[test]
    fn fixture_chart_has_every_part() {
        let svg = chart_svg(&fixture_chart());
        assert!(
            svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360""#)
        );
        assert!(svg.ends_with("</svg>"));
        for year in 2020..=2025 {
            assert!(
                svg.contains(&format!(">{year}</text>")),
                "year {year} labelled"
            );
        }
        for label in ["实际值", "目标路径", "2025年目标", "亿元"] {
            assert!(svg.contains(&format!(">{label}</text>")), "{label} shown");
        }
        // 11 729 – 18 887 in steps of 2000: 10000 … 20000.
        for tick in ["10000", "12000", "14000", "16000", "18000", "20000"] {
            assert!(svg.contains(&format!(">{tick}</text>")), "tick {tick}");
        }
        assert!(
            svg.contains(r#"stroke-dasharray="6 4""#),
            "milestones dashed"
        );
        assert_eq!(
            svg.matches("<circle").count(),
            4 + 1,
            "four points and the legend's"
        );
        assert_eq!(svg.matches("<polygon").count(), 2, "target and its legend");
        assert!(svg.contains(r#"font-family="Noto Sans CJK SC, Noto Sans CJK, sans-serif""#));
    }

    #[test]
    fn same_chart_same_svg() {
        assert_eq!(chart_svg(&fixture_chart()), chart_svg(&fixture_chart()));
    }

    #[test]
    fn no_target_no_marker_and_no_legend_entry() {
        let mut chart = fixture_chart();
        chart.target = None;
        let svg = chart_svg(&chart);
        assert_eq!(svg.matches("<polygon").count(), 0);
        assert!(!svg.contains("2025年目标"));
    }

    #[test]
    fn labels_are_escaped() {
        let mut chart = fixture_chart();
        chart.unit = "R&D <%>".into();
        let svg = chart_svg(&chart);
        assert!(svg.contains(">R&amp;D &lt;%&gt;</text>"));
    }

    #[test]
    fn empty_and_single_point_charts_still_draw() {
        let mut chart = fixture_chart();
        chart.series.clear();
        chart.milestones.clear();
        chart.target = None;
        let svg = chart_svg(&chart);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));

        chart.series = vec![ChartPoint {
            year: 2023,
            value: 5.0,
        }];
        let svg = chart_svg(&chart);
        assert!(svg.contains(">2022</text>") && svg.contains(">2024</text>"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn fractional_steps_get_decimals() {
        let points = [0.12, 0.31].map(|value| ChartPoint { year: 2021, value });
        let axis = ValueAxis::new(&points);
        assert_eq!(axis.step, 0.05);
        let labels: Vec<String> = axis.ticks().map(|t| axis.label(t)).collect();
        assert_eq!(labels, ["0.10", "0.15", "0.20", "0.25", "0.30", "0.35"]);
    }

    proptest! {
        #[test]
        fn axis_encloses_values_in_a_few_round_steps(
            values in prop::collection::vec(-1.0e7f64..1.0e7, 1..12)
        ) {
            let points: Vec<ChartPoint> =
                values.iter().map(|&value| ChartPoint { year: 2021, value }).collect();
            let axis = ValueAxis::new(&points);
            for v in &values {
                prop_assert!(axis.low <= *v && *v <= axis.high, "{v} in {axis:?}");
            }
            let intervals = ((axis.high - axis.low) / axis.step).round();
            prop_assert!((1.0..=11.0).contains(&intervals), "{intervals} intervals in {axis:?}");
            let mantissa = axis.step / 10f64.powf(axis.step.log10().floor());
            prop_assert!(
                [1.0, 2.0, 5.0, 10.0].iter().any(|m| (mantissa - m).abs() < 1e-9),
                "step {} is round", axis.step
            );
        }
    }
}
