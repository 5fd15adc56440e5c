//! `planwatch synth`: a synthetic national-scale plan and data set, for benchmarks.
//!
//! Regions: the nation (100000), provinces (110000, 120000 …) and counties under them (110101 …),
//! 100 counties a province. Indicators `ind_01` … with level targets. Observations: one per
//! county, province and nation, indicator and month, in the long CSV layout, following smooth
//! growth paths with a little deterministic noise (so that imports raise few warnings).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::Outcome;

#[derive(Debug, Args)]
pub(crate) struct SynthArgs {
    /// Counties (the provinces and the nation come on top)
    #[arg(long, default_value_t = 3000)]
    regions: u32,
    #[arg(long, default_value_t = 50)]
    indicators: u32,
    /// Months of data, from January 2016
    #[arg(long, default_value_t = 120)]
    months: u32,
    /// Directory to write plan.toml and observations.csv into
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub(crate) fn run(args: &SynthArgs) -> anyhow::Result<Outcome> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let regions = regions(args.regions);
    let plan = args.out.join("plan.toml");
    std::fs::write(&plan, plan_toml(&regions, args.indicators))
        .with_context(|| format!("cannot write {}", plan.display()))?;
    let data = args.out.join("observations.csv");
    let rows = write_observations(&data, &regions, args.indicators, args.months)?;
    println!(
        "{}: {} 个地区 regions, {} 个指标 indicators",
        plan.display(),
        regions.len(),
        args.indicators
    );
    println!("{}: {rows} 行 rows", data.display());
    Ok(Outcome::Success)
}

/// (code, parent) of every region: the nation, then each province followed by its counties.
fn regions(counties: u32) -> Vec<(u32, Option<u32>)> {
    let provinces = counties.div_ceil(100).max(1);
    let mut regions = vec![(100000, None)];
    for p in 0..provinces {
        let province = (11 + p) * 10000;
        regions.push((province, Some(100000)));
        for c in 1..=(counties - p * 100).min(100) {
            regions.push((province + 100 + c, Some(province)));
        }
    }
    regions
}

fn plan_toml(regions: &[(u32, Option<u32>)], indicators: u32) -> String {
    let mut out = String::from(
        "id = \"synthetic-national\"\n\
         title = { zh = \"合成全国规划（基准测试）\", en = \"Synthetic national plan (benchmark)\" }\n\
         issuer = { zh = \"基准测试\", en = \"Benchmark\" }\n\
         lead_department = \"stats\"\nregion = \"100000\"\nperiod = { start = 2021, end = 2025 }\n\
         base_year = 2020\ntarget_year = 2025\n\n\
         [[departments]]\ncode = \"stats\"\nname = { zh = \"统计局\", en = \"Statistics\" }\n",
    );
    for (code, parent) in regions {
        let (kind, name) = match parent {
            None => ("nation", "全国".to_owned()),
            Some(100000) => ("province", format!("省{code}")),
            Some(_) => ("county", format!("县{code}")),
        };
        out.push_str(&format!(
            "\n[[regions]]\ncode = \"{code}\"\nname = {{ zh = \"{name}\", en = \"Region {code}\" }}\nkind = \"{kind}\"\n"
        ));
        if let Some(parent) = parent {
            out.push_str(&format!("parent = \"{parent}\"\n"));
        }
    }
    for i in 1..=indicators {
        out.push_str(&format!(
            "\n[[indicators]]\ncode = \"ind_{i:02}\"\nnumber = {i}\nname = {{ zh = \"指标{i}\", en = \"Indicator {i}\" }}\n\
             unit = \"亿元\"\nnature = \"expected\"\ndirection = \"higher_is_better\"\nref = \"1.1\"\n\
             targets = [{{ kind = \"level\", value = {}, year = 2025, ref = \"1.1\" }}]\n",
            1000 + i * 10
        ));
    }
    out
}

fn write_observations(
    path: &Path,
    regions: &[(u32, Option<u32>)],
    indicators: u32,
    months: u32,
) -> anyhow::Result<u64> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    writeln!(out, "indicator,region,period,value,unit,status,source,note")?;
    let mut rows = 0u64;
    let mut noise = 0x2545_F491_4F6C_DD1Du64;
    for i in 1..=indicators {
        for (code, _) in regions {
            let base = 50.0 + f64::from((code * 7 + i * 13) % 500);
            for m in 0..months {
                noise ^= noise << 13;
                noise ^= noise >> 7;
                noise ^= noise << 17;
                let jitter = 1.0 + ((noise % 2001) as f64 - 1000.0) / 100_000.0;
                let value = base * 1.005f64.powi(m as i32) * jitter;
                writeln!(
                    out,
                    "ind_{i:02},{code},{}-{:02},{value:.3},亿元,final,synthetic,",
                    2016 + m / 12,
                    m % 12 + 1
                )?;
                rows += 1;
            }
        }
    }
    out.flush()?;
    Ok(rows)
}
