//! The yearly assessment at scale: 60 units × 5,000 tasks × 4 quarterly reports each — the
//! status of every task on the assessment day, the items of its lead and responsible units, the
//! score and rank of every unit. Pure; run with `cargo bench -p planwatch-tasks --bench
//! scoring`, it prints the time of each step (best of three).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use planwatch_access::Unit;
use planwatch_plan::{Period, SourceRef};
use planwatch_tasks::scoring::{Scheme, plan_units, score, task_item};
use planwatch_tasks::status::{Progress, StatusRules, TaskReport, task_status};
use planwatch_tasks::{Deadline, Expected, Span, Task};

const UNITS: usize = 60;
const TASKS: usize = 5_000;

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, m, d).unwrap()
}

fn main() {
    // `cargo bench` passes `--bench`; a test runner listing the targets (`cargo nextest run
    // --all-targets` runs this binary with `--list`) gets no tests and no output.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let plan = planwatch_plan::chengdu::plan();
    let mut units = plan_units(&plan);
    // The plan assesses fewer: the rest are departments of a larger city.
    let mut extra = 0;
    while units.len() < UNITS {
        units.push(Unit::Department(format!("bench_{extra}")));
        extra += 1;
    }
    units.truncate(UNITS);
    let tasks: Vec<(Task, Vec<TaskReport>)> = (0..TASKS)
        .map(|i| {
            let task = Task {
                key: (i + 1).to_string(),
                span: Span::Year(2024),
                title: format!("任务{i}"),
                clause: SourceRef("5.1".into()),
                lead: vec![units[i % UNITS].clone()],
                responsible: vec![units[(i * 7 + 3) % UNITS].clone()],
                supporting: vec![units[(i * 11 + 5) % UNITS].clone()],
                deadline: if i % 10 == 0 {
                    Deadline::Ongoing
                } else {
                    Deadline::By(day(3 + (i % 10) as u32, 28))
                },
                nodes: vec![],
                expected: Expected {
                    text: String::new(),
                    quantity: None,
                },
                indicators: vec![],
            };
            let reports = (1..=4u8)
                .map(|q| TaskReport {
                    period: Period::Quarter(2024, q),
                    date: day(u32::from(q) * 3, 25),
                    progress: Progress::Percent(((i * 13 + usize::from(q) * 23) % 101) as f64),
                    text: String::new(),
                    nodes_met: vec![],
                })
                .collect();
            (task, reports)
        })
        .collect();
    let rules = StatusRules::default();
    let scheme = Scheme::default();
    let today = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
    let best = |f: &mut dyn FnMut()| -> Duration {
        (0..3)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .min()
            .unwrap()
    };
    let mut judgements = Vec::new();
    let status = best(&mut || {
        judgements = tasks
            .iter()
            .map(|(task, reports)| task_status(task, reports, today, &rules))
            .collect();
    });
    let mut items = Vec::new();
    let itemise = best(&mut || {
        items = tasks
            .iter()
            .zip(&judgements)
            .flat_map(|((task, _), judgement)| {
                task.lead
                    .iter()
                    .chain(&task.responsible)
                    .filter_map(|unit| task_item(task, unit, judgement, &scheme))
                    .collect::<Vec<_>>()
            })
            .collect();
    });
    let mut ranked = 0;
    let scoring = best(&mut || {
        let scores = score(&plan, &scheme, &units, &items, &[]).unwrap();
        ranked = scores.iter().filter(|s| s.rank.is_some()).count();
    });
    println!(
        "scoring {UNITS} units × {TASKS} tasks × 4 quarterly reports: status {status:?}, items {itemise:?} ({} items), score and rank {scoring:?} ({ranked} ranked); total {:?}",
        items.len(),
        status + itemise + scoring
    );
}
