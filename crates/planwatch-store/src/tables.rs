//! Every table of the store, in one place: what `planwatch migrate`, `backup` and `restore` copy
//! and digest, in an order where each table comes after the tables its foreign keys name (so
//! that rows can be inserted in this order and deleted in the reverse).
//!
//! A migration that adds a table adds it here too: the test `tables::every_table_is_listed`
//! (tests/it/migrate.rs) fails on a table of either backend that is neither here nor in
//! [`NOT_COPIED`].

/// One table: its name and the columns of its primary key, the order its rows are read, copied
/// and digested in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub key: &'static [&'static str],
    /// A table of one row that every store has from its migrations (the audit log's head): a
    /// copy replaces that row, and it does not make a store non-empty.
    pub singleton: bool,
}

const fn table(name: &'static str, key: &'static [&'static str]) -> Table {
    Table {
        name,
        key,
        singleton: false,
    }
}

const fn singleton(name: &'static str) -> Table {
    Table {
        name,
        key: &["id"],
        singleton: true,
    }
}

const ID: &[&str] = &["id"];

/// The tables copied, parents before children.
pub const TABLES: &[Table] = &[
    table("plans", ID),
    table("plan_versions", &["plan_id"]),
    table("indicators", ID),
    table("regions", ID),
    table("batches", ID),
    table(
        "observations",
        &["plan_id", "indicator_id", "region_id", "period", "revision"],
    ),
    table("assessments", ID),
    table("target_sets", ID),
    table(
        "region_targets",
        &["set_id", "indicator_id", "target", "region_id"],
    ),
    table("users", ID),
    table("user_units", &["user_id", "kind", "code"]),
    table("api_tokens", ID),
    table("audit_log", ID),
    singleton("audit_head"),
    table("submissions", ID),
    table("submission_rows", &["submission_id", "version", "row_no"]),
    table("submission_comments", ID),
    table("period_locks", &["plan_id", "year", "indicator"]),
    table("tasks", ID),
    table("task_units", &["task_id", "position"]),
    table("task_nodes", &["task_id", "position"]),
    table("task_indicators", &["task_id", "position"]),
    table("task_providers", &["task_id", "position"]),
    table("projects", ID),
    table("project_units", &["project_id", "position"]),
    table("progress_reports", ID),
    table("progress_versions", &["report_id", "version"]),
    table("progress_comments", ID),
    table("progress_evidence", ID),
    table("supervision_records", ID),
    table("supervision_orders", &["record_id"]),
    table("notices", ID),
    table("score_adjustments", ID),
    table("score_freezes", &["plan_id", "year"]),
    table("frozen_scores", &["plan_id", "year", "position"]),
    table("report_texts", ID),
];

/// Tables of earlier schemas that backups made then still hold (a restore brings the copy's
/// schema up to date, which drops them): verifying such a backup digests them as the planwatch
/// that wrote it did.
pub const RETIRED: &[Table] = &[
    // The store's one version, before a version per plan (the migration `plan_versions`).
    singleton("store_version"),
];

/// The table of this name, of [`TABLES`] or [`RETIRED`].
pub fn find(name: &str) -> Option<&'static Table> {
    TABLES.iter().chain(RETIRED).find(|t| t.name == name)
}

/// Tables of the store that are not copied: sign-in sessions (a moved or restored store starts
/// with everyone signed out; a session is a secret of the browser that holds it, bound to the
/// server that issued it) and the failed sign-ins counted by user name (a short-lived guard of
/// the servers on that store, not data: the audit log keeps every failure).
pub const NOT_COPIED: &[&str] = &["sessions", "sign_in_strikes"];
