//! Evaluation throughput on a synthetic panel (bench/evaluate.sh): reads `series,year,value`
//! rows (the base year is the first year; each series' target is 1.5 × its baseline, ten years
//! after it), then times `evaluate` over every series on every core and prints series per second.
//! Reading the file is not timed; the evaluation step is, as for the reference tool.

use std::collections::BTreeMap;
use std::time::Instant;

use planwatch_eval::{Inputs, Series, Status, Thresholds, evaluate, with_value};
use planwatch_plan::Plan;

const PLAN: &str = r#"
id = "bench"
title = { zh = "基准", en = "Benchmark" }
issuer = { zh = "基准", en = "Benchmark" }
lead_department = "d"
region = "100000"
period = { start = 2021, end = 2030 }
base_year = 2020
target_year = 2030

[[departments]]
code = "d"
name = { zh = "部门", en = "Department" }

[[regions]]
code = "100000"
name = { zh = "全国", en = "Nation" }
kind = "nation"

[[indicators]]
code = "level"
number = 1
name = { zh = "总量", en = "Level" }
unit = "亿元"
nature = "expected"
direction = "higher_is_better"
ref = "1.1"
targets = [{ kind = "level", value = 1, year = 2030, ref = "1.1" }]
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: panel_bench FILE.csv")?;
    let text = std::fs::read_to_string(&path)?;
    let mut panel: BTreeMap<u64, Series> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let mut fields = line.split(',');
        let (Some(id), Some(year), Some(value)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!("{path}: bad row {line}").into());
        };
        panel
            .entry(id.parse()?)
            .or_default()
            .insert(year.parse()?, value.parse()?);
    }
    drop(text);
    let series: Vec<Series> = panel.into_values().collect();
    let plan: Plan = planwatch_plan::read_plan("bench.toml", PLAN).map_err(|e| format!("{e:?}"))?;
    let indicator = &plan.indicators[0];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = series.len().div_ceil(threads);

    let started = Instant::now();
    let on_track: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = series
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter(|s| {
                            let baseline = s.get(&2020).copied().unwrap_or(1.0);
                            let target = with_value(&indicator.targets[0], baseline * 1.5)
                                .expect("a level target takes a value");
                            let inputs = Inputs {
                                series: s,
                                growth: None,
                                levels: None,
                                reference: None,
                                assessment: None,
                                base_year: 2020,
                            };
                            let e =
                                evaluate(indicator, &target, &inputs, 2029, &Thresholds::default());
                            e.status == Status::OnTrack
                        })
                        .count()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a worker"))
            .sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "planwatch-eval: {} series in {seconds:.3} s on {threads} threads = {:.0} series/s ({on_track} on track)",
        series.len(),
        series.len() as f64 / seconds
    );
    Ok(())
}
