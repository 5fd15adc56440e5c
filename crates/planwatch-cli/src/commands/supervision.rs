//! `planwatch supervision sweep | list | answer`: 督查督办 (issue 14). `sweep` writes the records
//! the tasks' status histories call for on a day (each once: what `serve` does at start and
//! every hour, after the deadline sweep); `list` shows the escalation
//! records (提醒, 警示, 督办; the unanswered 督办单 only, the longest overdue first, with
//! `--unanswered`); `answer` records a unit's written answer to a 督办单 as the administrator
//! (audited `supervision.answer`, by `Order::answer`'s rules).

use chrono::NaiveDate;
use clap::Subcommand;
use planwatch_access::{Action, Object, resolve_unit};
use planwatch_plan::Plan;
use planwatch_store::{StoreError, SupervisionFilter, SupervisionRecord, Who, unanswered_orders};
use planwatch_tasks::Level;

use crate::Outcome;
use crate::commands::data::StoreArgs;
use crate::commands::tasks::{Format, print_list, unit_name};
use crate::commands::workflow::parse_day;
use crate::commands::{allowed, cli_actor, refuse};

#[derive(Debug, Subcommand)]
pub(crate) enum SupervisionCommand {
    /// Write the escalation records (提醒, 警示, 督办) owed on a day (default: today, UTC); each
    /// once, with its notices to the lead unit's reporters
    Sweep {
        /// The day to sweep for (YYYY-MM-DD)
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        date: Option<NaiveDate>,
    },
    /// List the supervision records (the latest issued first)
    List {
        /// Only the 督办单 not yet answered, the longest overdue first
        #[arg(long)]
        unanswered: bool,
        /// Only those to this unit (a region or department code)
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        /// Only those of tasks of this year
        #[arg(long)]
        year: Option<u16>,
        /// Only this level: reminder (提醒), warning (警示) or order (督办)
        #[arg(long, value_parser = parse_level)]
        level: Option<Level>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Record a unit's answer to a 督办单 (once; not dated before the order)
    Answer {
        /// The order's number
        id: i64,
        /// The answer: the causes, the remedies and when the task will be done
        #[arg(long)]
        text: String,
        /// The day the unit dates it (YYYY-MM-DD; default today, UTC)
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        date: Option<NaiveDate>,
    },
}

fn parse_level(text: &str) -> Result<Level, String> {
    Level::ALL
        .into_iter()
        .find(|l| l.as_str() == text || l.label_zh() == text)
        .ok_or_else(|| {
            format!("“{text}”应为 reminder、warning 或 order / \"{text}\" is not reminder, warning or order")
        })
}

pub(crate) async fn run(
    store_args: &StoreArgs,
    command: &SupervisionCommand,
) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    match command {
        SupervisionCommand::Sweep { date } => {
            if let Err(refused) =
                allowed(&actor, Action::Change, &Object::Supervision { unit: None })
            {
                return Ok(refused);
            }
            let today = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let swept =
                planwatch_app::supervision::sweep(&store, &Who::of(&actor, None), &plan, today)
                    .await?;
            println!(
                "{today}: 任务 {} 项，应有督查督办记录 {} 条，新写入 {} 条 ({} tasks, {} records due, {} written)",
                swept.tasks, swept.due, swept.written, swept.tasks, swept.due, swept.written
            );
            Ok(Outcome::Success)
        }
        SupervisionCommand::List {
            unanswered,
            unit,
            year,
            level,
            format,
        } => {
            if let Err(refused) = allowed(&actor, Action::Read, &Object::Supervision { unit: None })
            {
                return Ok(refused);
            }
            let unit = match unit.as_deref().map(|code| resolve_unit(&plan, code)) {
                Some(Err(problem)) => return Ok(refuse(problem)),
                Some(Ok(unit)) => Some(unit),
                None => None,
            };
            let filter = SupervisionFilter {
                year: *year,
                unit,
                level: *level,
                unanswered: *unanswered,
                ..SupervisionFilter::default()
            };
            let mut records = store.supervision(&plan, &filter).await?;
            if *unanswered {
                records = unanswered_orders(&records).into_iter().cloned().collect();
            }
            let today = chrono::Utc::now().date_naive();
            let rows = records.iter().map(|r| row(&plan, r, today)).collect();
            let json = records.iter().map(|r| json(&plan, r, today)).collect();
            print_list(
                *format,
                &CSV_HEADER,
                rows,
                json,
                ("条督查督办记录", "records"),
            )?;
            Ok(Outcome::Success)
        }
        SupervisionCommand::Answer { id, text, date } => {
            let Some(record) = store.supervision_record(&plan, *id).await? else {
                return Ok(refuse(StoreError::UnknownOrder(*id)));
            };
            let object = Object::Supervision {
                unit: Some(record.unit.clone()),
            };
            if let Err(refused) = allowed(&actor, Action::Submit, &object) {
                return Ok(refused);
            }
            let date = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            match store
                .answer_order(&Who::of(&actor, None), &plan, *id, date, text)
                .await
            {
                Ok(answered) => {
                    println!(
                        "督办单 {id} 已答复（{date}）/ order {id} answered ({date}): {}",
                        answered.task_title
                    );
                    Ok(Outcome::Success)
                }
                Err(error @ (StoreError::AnswerRefused(_) | StoreError::UnknownOrder(_))) => {
                    Ok(refuse(error))
                }
                Err(error) => Err(error.into()),
            }
        }
    }
}

const CSV_HEADER: [&str; 11] = [
    "编号 id",
    "年度 year",
    "序号 no.",
    "重点任务 task",
    "牵头单位 unit",
    "报送期 period",
    "状态 status",
    "级别 level",
    "下发日期 issued",
    "答复期限 answer by",
    "答复 answer",
];

fn answer_cell(record: &SupervisionRecord, today: NaiveDate) -> String {
    match (record.as_order(), &record.order) {
        (Some(order), Some(stored)) => match &stored.answer {
            Some(answer) => format!("{} {}", answer.date, answer.text),
            None if order.overdue(today) => "逾期未答复 overdue".to_owned(),
            None => "待答复 open".to_owned(),
        },
        _ => String::new(),
    }
}

fn row(plan: &Plan, record: &SupervisionRecord, today: NaiveDate) -> Vec<String> {
    vec![
        record.id.to_string(),
        record.year.to_string(),
        record.task_key.clone(),
        record.task_title.clone(),
        unit_name(plan, &record.unit),
        record.period.to_string(),
        record.status.label_zh().to_owned(),
        record.level.label_zh().to_owned(),
        record.issued.to_string(),
        record
            .order
            .as_ref()
            .map(|o| o.answer_by.to_string())
            .unwrap_or_default(),
        answer_cell(record, today),
    ]
}

fn json(plan: &Plan, record: &SupervisionRecord, today: NaiveDate) -> serde_json::Value {
    let order = record.as_order();
    serde_json::json!({
        "id": record.id,
        "task": record.task_id,
        "year": record.year,
        "task_no": record.task_key,
        "task_title": record.task_title,
        "clause": record.clause,
        "unit": record.unit.to_string(),
        "unit_name": unit_name(plan, &record.unit),
        "period": record.period.to_string(),
        "status": record.status.as_str(),
        "level": record.level.as_str(),
        "issued": record.issued.to_string(),
        "title_zh": record.title_zh,
        "text_zh": record.text_zh,
        "text_en": record.text_en,
        "order": record.order.as_ref().map(|stored| serde_json::json!({
            "answer_by": stored.answer_by.to_string(),
            "overdue": order.as_ref().is_some_and(|o| o.overdue(today)),
            "answered_late": order.as_ref().is_some_and(|o| o.answered_late()),
            "answer": stored.answer.as_ref().map(|a| serde_json::json!({
                "text": a.text, "date": a.date.to_string(), "by": a.by, "at": a.at,
            })),
        })),
    })
}
