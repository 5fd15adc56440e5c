//! Moving and keeping the data (issue 16): `migrate`, `backup` (and `backup --verify`),
//! `restore`. The work is the store's (`Store::copy_into`, `Store::backup`, `Store::restore`);
//! here: the policy, a progress bar, the table of counts and digests, and the audit entry.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};
use planwatch_access::{Action, Object};
use planwatch_store::{CopyProgress, CopyReport, Event, Store, TableDigest, Who, verify_backup};
use serde_json::json;

use super::{StoreArgs, allowed, cli_actor, redact, refuse};
use crate::Outcome;

#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    /// The store to copy from: an SQLite file (sqlite:PATH or a path) or a postgres:// URL
    #[arg(long)]
    from: String,
    /// The store to copy into (created if missing; refused if it has data, unless --force)
    #[arg(long)]
    to: String,
    /// Replace whatever the target holds (emptied in the same transaction as the copy)
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BackupArgs {
    /// The backup file to write (it must not exist), or to check with --verify
    file: PathBuf,
    /// Read the backup back and check it against its manifest instead of writing one
    #[arg(long)]
    verify: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// The backup file (written by `planwatch backup`)
    file: PathBuf,
    /// Replace whatever the store holds (emptied in the same transaction as the restore)
    #[arg(long)]
    force: bool,
}

/// A progress bar fed by a copy's [`CopyProgress`].
fn progress_bar() -> (ProgressBar, impl FnMut(CopyProgress<'_>) + Send) {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:22} [{bar:30}] {human_pos}/{human_len} 行 rows {per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let feed = bar.clone();
    let on_progress = move |progress: CopyProgress<'_>| match progress {
        CopyProgress::Total(rows) => feed.set_length(rows),
        CopyProgress::Table(name) => feed.set_message(name.to_owned()),
        CopyProgress::Rows(rows) => feed.inc(rows),
    };
    (bar, on_progress)
}

/// The table of both sides' counts and digests (the first 16 hexadecimal digits).
fn print_report(report: &CopyReport) {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header(vec![
        "表 table",
        "源 source rows",
        "目标 target rows",
        "摘要 SHA-256",
        "核验 check",
    ]);
    let empty = TableDigest {
        table: String::new(),
        rows: 0,
        digest: String::new(),
    };
    for (i, source) in report.source.iter().enumerate() {
        let target = report.target.get(i).unwrap_or(&empty);
        let same = source == target;
        table.add_row(vec![
            source.table.clone(),
            source.rows.to_string(),
            target.rows.to_string(),
            source.digest.chars().take(16).collect(),
            if same {
                "✓ 一致 same"
            } else {
                "✗ 不符 differs"
            }
            .to_owned(),
        ]);
    }
    println!("{table}");
}

fn rows(digests: &[TableDigest]) -> u64 {
    digests.iter().map(|t| t.rows).sum()
}

/// Says whether the copy verified; when it did, records `event` in the target's audit log.
async fn conclude(
    report: &CopyReport,
    target: &Store,
    action: &str,
    object: String,
    details: serde_json::Value,
) -> anyhow::Result<Outcome> {
    print_report(report);
    if !report.verified() {
        return Ok(refuse(
            "副本与源库的行数或摘要不符（见上表）/ the copy's counts or digests differ from the source's (see the table above)",
        ));
    }
    println!(
        "已核验：{} 张表、{} 行，行数与内容摘要全部一致 / verified: {} tables, {} rows, every count and content digest the same",
        report.source.len(),
        rows(&report.source),
        report.source.len(),
        rows(&report.source),
    );
    let who = Who::of(&cli_actor(), None);
    target
        .audit(&who, &Event::new(action, object, details))
        .await?;
    Ok(Outcome::Success)
}

pub(crate) async fn migrate(args: &MigrateArgs) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    if let Err(outcome) = allowed(&actor, Action::Read, &Object::WholeStore) {
        return Ok(outcome);
    }
    if let Err(outcome) = allowed(&actor, Action::Change, &Object::WholeStore) {
        return Ok(outcome);
    }
    let source = Store::open(&args.from)
        .await
        .with_context(|| format!("cannot open the store {}", redact(&args.from)))?;
    let target = Store::open(&args.to)
        .await
        .with_context(|| format!("cannot open the store {}", redact(&args.to)))?;
    let (bar, mut on_progress) = progress_bar();
    let copied = source
        .copy_into(&target, args.force, &mut on_progress)
        .await;
    bar.finish_and_clear();
    let outcome = match copied {
        Ok(report) => {
            let details = json!({
                "from": source.backend(),
                "to": target.backend(),
                "force": args.force,
                "tables": report.source.len(),
                "rows": rows(&report.source),
            });
            conclude(
                &report,
                &target,
                "store.migrate",
                "store".to_owned(),
                details,
            )
            .await
        }
        Err(error @ planwatch_store::StoreError::TargetNotEmpty { .. }) => Ok(refuse(error)),
        Err(error) => Err(error.into()),
    };
    source.close().await?;
    target.close().await?;
    outcome
}

pub(crate) async fn backup(store_args: &StoreArgs, args: &BackupArgs) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    if let Err(outcome) = allowed(&actor, Action::Read, &Object::WholeStore) {
        return Ok(outcome);
    }
    if args.verify {
        let verification = verify_backup(&args.file).await?;
        let report = CopyReport {
            source: verification.info.tables.clone(),
            target: verification.found.clone(),
        };
        print_report(&report);
        println!(
            "备份 backup of {} from {}, schema {}; SQLite integrity_check: {}",
            verification.info.source,
            verification.info.created_at,
            verification.info.schema,
            verification.integrity
        );
        return Ok(if verification.ok() {
            println!(
                "备份完好：{} 张表、{} 行与清单一致 / the backup is intact: {} tables, {} rows as its manifest says",
                report.source.len(),
                rows(&report.source),
                report.source.len(),
                rows(&report.source)
            );
            Outcome::Success
        } else {
            refuse(
                "备份与其清单不符（见上表）/ the backup differs from its manifest (see the table above)",
            )
        });
    }
    let store = store_args.open().await?;
    let (bar, mut on_progress) = progress_bar();
    let info = store.backup(&args.file, &mut on_progress).await;
    bar.finish_and_clear();
    let info = match info {
        Ok(info) => info,
        Err(error @ planwatch_store::StoreError::BackupExists(_)) => return Ok(refuse(error)),
        Err(error) => return Err(error.into()),
    };
    println!(
        "已备份到 {}：{} 张表、{} 行（不含会话），清单含每张表的行数与摘要 / backed up to {}: {} tables, {} rows (sessions left out), with each table's count and digest in its manifest",
        args.file.display(),
        info.tables.len(),
        rows(&info.tables),
        args.file.display(),
        info.tables.len(),
        rows(&info.tables),
    );
    let who = Who::of(&actor, None);
    let details = json!({
        "file": args.file.display().to_string(),
        "tables": info.tables.len(),
        "rows": rows(&info.tables),
    });
    store
        .audit(&who, &Event::new("store.backup", "store", details))
        .await?;
    Ok(Outcome::Success)
}

pub(crate) async fn restore(store_args: &StoreArgs, args: &RestoreArgs) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    if let Err(outcome) = allowed(&actor, Action::Change, &Object::WholeStore) {
        return Ok(outcome);
    }
    let store = store_args.open().await?;
    let (bar, mut on_progress) = progress_bar();
    let restored = store
        .restore(&args.file, args.force, &mut on_progress)
        .await;
    bar.finish_and_clear();
    match restored {
        Ok(report) => {
            let details = json!({
                "file": args.file.display().to_string(),
                "force": args.force,
                "tables": report.source.len(),
                "rows": rows(&report.source),
            });
            conclude(
                &report,
                &store,
                "store.restore",
                "store".to_owned(),
                details,
            )
            .await
        }
        Err(
            error @ (planwatch_store::StoreError::TargetNotEmpty { .. }
            | planwatch_store::StoreError::NotABackup { .. }),
        ) => Ok(refuse(error)),
        Err(error) => Err(error.into()),
    }
}
