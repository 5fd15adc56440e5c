//! `planwatch report annual|midterm|final`: the evaluation reports (issue 15) — the annual, the
//! mid-term (中期评估) and the final evaluation (总结评估) of the plan or of one district, as a
//! file: DOCX, PDF or HTML (`planwatch_web::reports::write`, shared with the download of the
//! 报告 page). Asks the policy to read `Object::Reports`. See docs/reports.md.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use planwatch_access::{Action, Object};
use planwatch_app::reports::ReportRequest;
use planwatch_report::ReportKind;
use planwatch_web::reports::Format;

use crate::Outcome;
use crate::commands::data::StoreArgs;
use crate::commands::{allowed, cli_actor, refuse};

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Which evaluation: annual (年度评估), midterm (中期评估) or final (总结评估)
    #[arg(value_enum)]
    kind: Kind,
    /// The year evaluated (default: the plan's latest year with data)
    #[arg(long)]
    year: Option<u16>,
    /// The data as known at the end of this day (default: today, UTC); also the documents'
    /// creation date, so that the same store, day and texts give the same bytes
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// A district's own report against its district targets: a region code (or name) of the plan
    #[arg(long, value_name = "CODE")]
    region: Option<String>,
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Output file; `-` for standard output (default: a name saying plan, kind, year, district
    /// and edition, e.g. chengdu-services-2021-2025-midterm-2024.docx)
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// A directory of fonts for the PDF, looked in before the system's (repeatable): a 仿宋 or
    /// 楷体 the office has, or CJK fonts where no package is installed
    #[arg(long = "font-dir", value_name = "DIR")]
    font_dirs: Vec<PathBuf>,
    /// The edition: zh (default) or en, with the same figures
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    Annual,
    Midterm,
    Final,
}

impl From<Kind> for ReportKind {
    fn from(kind: Kind) -> ReportKind {
        match kind {
            Kind::Annual => ReportKind::Annual,
            Kind::Midterm => ReportKind::Midterm,
            Kind::Final => ReportKind::Final,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Word, editable: real headings, tables, charts as pictures, GB/T 9704 styles
    Docx,
    /// Typeset with typst, CJK fonts embedded
    Pdf,
    /// One self-contained page (stylesheet inlined, charts as SVG), printable
    Html,
    /// The report's model as JSON (the numbers and sentences before any format)
    Json,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Docx => Format::Docx,
            FormatArg::Pdf => Format::Pdf,
            FormatArg::Html => Format::Html,
            FormatArg::Json => Format::Json,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LangArg {
    Zh,
    En,
}

pub(crate) async fn run(store_args: &StoreArgs, args: &ReportArgs) -> anyhow::Result<Outcome> {
    if let Err(refusal) = allowed(&cli_actor(), Action::Read, &Object::Reports) {
        return Ok(refusal);
    }
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    let region = match args.region.as_deref() {
        None => None,
        Some(text) => match plan
            .regions
            .iter()
            .find(|r| r.code == text || r.name.zh == text)
        {
            Some(region) if region.code == plan.region => None,
            Some(region) => Some(region.code.clone()),
            None => {
                return Ok(refuse(format!(
                    "规划中没有地区 {text} / no region {text} in the plan (a code such as 510104)"
                )));
            }
        },
    };
    if let Some(year) = args.year
        && !(plan.base_year..=plan.target_year).contains(&year)
    {
        return Ok(refuse(format!(
            "{year} 不在规划期（{}–{}）内 / {year} is not a year of the plan ({}–{})",
            plan.base_year, plan.target_year, plan.base_year, plan.target_year
        )));
    }
    let request = ReportRequest {
        kind: args.kind.into(),
        year: args.year,
        region,
        as_of: args.as_of,
        lang: match args.lang {
            LangArg::Zh => planwatch_report::Lang::Zh,
            LangArg::En => planwatch_report::Lang::En,
        },
    };
    let report = planwatch_app::reports::report(&store, &plan, &request).await?;
    let format = Format::from(args.format);
    // A PDF without a CJK font fails here (exit 3), naming the package to install.
    let bytes = planwatch_web::reports::write(&report, format, &args.font_dirs)?;
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(planwatch_web::reports::file_name(&report, format)));
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(&bytes)?;
        out.flush()?;
    } else {
        std::fs::write(&path, &bytes)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        eprintln!("已写出 wrote {} ({} bytes)", path.display(), bytes.len());
    }
    Ok(Outcome::Success)
}
