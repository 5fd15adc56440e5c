//! The sentences that say where one target stands — the indicator page's readings and the
//! report's paragraphs use these same words, so that the page and the report cannot drift.

use planwatch_eval::Assessment;
use planwatch_plan::{Plan, SeriesBreak, Text, fmt_num};

use crate::model::Lang;

/// A text of the plan in `lang` (its Chinese when it has no English).
pub fn text(lang: Lang, text: &Text) -> String {
    match (lang, &text.en) {
        (Lang::En, Some(en)) => en.clone(),
        _ => text.zh.clone(),
    }
}

/// The row's unit in `lang`.
pub fn unit_of(lang: Lang, row: &Assessment) -> &str {
    match lang {
        Lang::Zh => &row.unit,
        Lang::En => &row.unit_en,
    }
}

/// Why the row has its status, in `lang`.
pub fn reason(lang: Lang, row: &Assessment) -> String {
    match lang {
        Lang::Zh => row.evaluation.reason_zh.clone(),
        Lang::En => row.evaluation.reason_en.clone(),
    }
}

/// Whether the row's figure is a growth rate (the average growth of a growth-rate indicator),
/// shown to one decimal as the plan states its rates.
pub fn is_rate(row: &Assessment) -> bool {
    row.unit.trim() == "%" && matches!(row.evaluation.kind, "average_growth" | "growth_range")
}

/// A value of the row as printed: a rate to one decimal, anything else as written.
pub fn figure(row: &Assessment, v: f64) -> String {
    if is_rate(row) {
        format!("{v:.1}")
    } else {
        fmt_num(v)
    }
}

/// `text` ending as a sentence does (。！？ in Chinese, . ! ? in English): what joins readings
/// into running text.
pub fn as_sentence(lang: Lang, text: &str) -> String {
    let ends = match lang {
        Lang::Zh => ['。', '！', '？'],
        Lang::En => ['.', '!', '?'],
    };
    let text = text.trim_end();
    if text.is_empty() || text.ends_with(ends) {
        text.to_owned()
    } else {
        format!("{text}{}", if lang == Lang::Zh { "。" } else { "." })
    }
}

/// The readings of one target in plain sentences: latest value, completion, growth so far, the
/// growth still needed, the projection, 时间过半、任务过半, the reason and the series breaks.
pub fn readings(lang: Lang, plan: &Plan, row: &Assessment) -> Vec<String> {
    let e = &row.evaluation;
    let unit = unit_of(lang, row).trim();
    let mut out = Vec::new();
    let en = lang == Lang::En;
    // A growth-rate indicator headlines its average growth against the target rate; its levels
    // follow in their own unit.
    let rate_figure = e.kind == "average_growth" && row.unit.trim() == "%";
    if rate_figure {
        if let (Some(a), Some(y), Some(g)) = (e.actual_growth, e.latest_year, e.target_value) {
            let from = e.baseline_year.unwrap_or(plan.base_year);
            out.push(if en {
                format!(
                    "Average growth {from}–{y}: {:.1} % a year, against the target of {} % a year.",
                    a * 100.0,
                    fmt_num(g)
                )
            } else {
                format!(
                    "{from}—{y}年年均增长 {:.1}%，目标为年均增长 {}%。",
                    a * 100.0,
                    fmt_num(g)
                )
            });
        }
        out.extend(level_sentences(lang, plan, row));
    } else if let (Some(v), Some(y)) = (e.latest_value, e.latest_year) {
        out.push(if en {
            format!("Latest value: {} {unit} ({y}).", fmt_num(v))
        } else {
            format!("最新值 {} {unit}（{y}年）。", fmt_num(v))
        });
    }
    if let Some(c) = e.completion {
        out.push(if en {
            format!("Completion of the target: {:.1}%.", c * 100.0)
        } else {
            format!("目标完成度 {:.1}%。", c * 100.0)
        });
    }
    if let Some(a) = e.actual_growth.filter(|_| !rate_figure) {
        out.push(if en {
            format!("Average growth so far: {} a year.", rate(lang, row, a))
        } else {
            format!("以来年均增长 {}。", rate(lang, row, a))
        });
    }
    out.extend(needed_growth(lang, row));
    if let Some(p) = e.projection.map(round2) {
        let meets = e.projection_meets_target;
        out.push(match (en, meets) {
            (true, Some(true)) => format!(
                "At the current pace: {} {unit} in {}, meeting the target.",
                fmt_num(p),
                e.target_year
            ),
            (true, _) => format!(
                "At the current pace: {} {unit} in {}, short of the target.",
                fmt_num(p),
                e.target_year
            ),
            (false, Some(true)) => format!(
                "按当前速度，{}年预计达到 {} {unit}，可以实现目标。",
                e.target_year,
                fmt_num(p)
            ),
            (false, _) => format!(
                "按当前速度，{}年预计达到 {} {unit}，难以实现目标。",
                e.target_year,
                fmt_num(p)
            ),
        });
    }
    if let Some(met) = e.time_rule_met {
        out.push(match (en, met) {
            (true, true) => {
                "Half the time, half the task: on schedule (时间过半、任务过半).".into()
            }
            (true, false) => "Half the time, half the task: behind schedule.".into(),
            (false, true) => "时间过半、任务过半：符合进度要求。".into(),
            (false, false) => "时间过半、任务过半：进度滞后。".into(),
        });
    }
    out.push(reason(lang, row));
    out.extend(break_sentences(lang, plan, &row.indicator));
    out
}

/// A growth rate of the row: a fraction as a percentage, or — for a percentage indicator measured
/// linearly — a change in percentage points.
fn rate(lang: Lang, row: &Assessment, v: f64) -> String {
    let points = row.unit.trim() == "%" && row.evaluation.kind != "average_growth";
    match (points, lang) {
        (true, Lang::Zh) => format!("{v:+.2} 个百分点"),
        (true, Lang::En) => format!("{v:+.2} percentage points"),
        (false, _) => format!("{:.1}%", v * 100.0),
    }
}

/// The growth the target still needs, as the readings say it: 需年均增长 x% 才能实现目标（2025年）。
pub fn needed_growth(lang: Lang, row: &Assessment) -> Option<String> {
    let e = &row.evaluation;
    let r = e.required_growth_remaining?;
    Some(match lang {
        Lang::En => format!(
            "Needs {} a year from now on to reach the target in {}.",
            rate(lang, row, r),
            e.target_year
        ),
        Lang::Zh => format!(
            "需年均增长 {} 才能实现目标（{}年）。",
            rate(lang, row, r),
            e.target_year
        ),
    })
}

/// `x` rounded to two decimals, as projections are printed.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The level series behind a growth-rate row: the latest level and where it leads, in the
/// level's unit.
fn level_sentences(lang: Lang, plan: &Plan, row: &Assessment) -> Option<String> {
    let levels = row.evaluation.levels.as_ref()?;
    let level = plan
        .indicators
        .iter()
        .find(|i| Some(&i.code) == row.level_indicator.as_ref())?;
    let (v, y) = (levels.latest_value?, row.evaluation.latest_year?);
    let name = text(lang, &level.name);
    let unit = text(lang, &level.unit_text());
    let t1 = row.evaluation.target_year;
    let pace = levels.projection.map(round2);
    let needed = levels.milestones.get(&t1).copied().map(round2);
    let (mut s, phrases, end) = match lang {
        Lang::Zh => (
            format!("{name} {} {unit}（{y}年）", fmt_num(v)),
            [format!("，按此增速{t1}年为"), "，按目标增速应达".to_owned()],
            "。",
        ),
        Lang::En => (
            format!("{name}: {} {unit} ({y})", fmt_num(v)),
            [
                format!("; at this pace in {t1}"),
                ", at the target rate".to_owned(),
            ],
            ".",
        ),
    };
    for (phrase, value) in phrases.iter().zip([pace, needed]) {
        if let Some(x) = value {
            s += &format!("{phrase} {} {unit}", fmt_num(x));
        }
    }
    Some(s + end)
}

/// The breaks in the definition of an indicator's series and of the level series it is
/// measured through, in the text of the page.
pub fn series_breaks<'p>(plan: &'p Plan, code: &str) -> Vec<&'p SeriesBreak> {
    let Some(ind) = plan.indicators.iter().find(|i| i.code == code) else {
        return Vec::new();
    };
    let level = ind
        .level_indicator
        .as_ref()
        .and_then(|l| plan.indicators.iter().find(|i| &i.code == l));
    ind.breaks
        .iter()
        .chain(level.into_iter().flat_map(|l| l.breaks.iter()))
        .collect()
}

fn break_sentences(lang: Lang, plan: &Plan, code: &str) -> Vec<String> {
    series_breaks(plan, code)
        .into_iter()
        .map(|b| match lang {
            Lang::Zh => format!(
                "口径变化：{}（{}年前后数据不可直接比较）。",
                b.note.zh, b.year
            ),
            Lang::En => format!(
                "Break in the series: {} (figures before and from {} are not directly comparable).",
                b.note.en_or_zh(),
                b.year
            ),
        })
        .collect()
}
