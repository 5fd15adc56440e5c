//! What the imports of a year's sheet (tasks, key projects) share: rows known by their plan, year
//! and 序号 with a content hash; a sheet is compared with them row by row, the counts audited.

use std::collections::BTreeMap;

use serde_json::json;

use crate::audit::Event;

/// What an import of a year's sheet did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SheetImportOutcome {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// The audit entry (none when nothing changed).
    pub audit_id: Option<i64>,
}

impl SheetImportOutcome {
    /// Whether anything was added, changed or removed.
    pub fn wrote(&self) -> bool {
        self.added + self.changed + self.removed > 0
    }
}

/// What to do with a row of the sheet.
pub(crate) enum Step {
    /// The same content is stored under its 序号.
    Same,
    /// Stored under its 序号 (this id) with other content.
    Changed(i64),
    New,
}

/// The stored rows of a plan's year by 序号: their id and content hash.
pub(crate) struct Known(BTreeMap<String, (i64, String)>);

impl Known {
    /// From `(id, seq, content_hash)` rows.
    pub(crate) fn new(rows: Vec<(i64, String, String)>) -> Known {
        Known(
            rows.into_iter()
                .map(|(id, seq, hash)| (seq, (id, hash)))
                .collect(),
        )
    }

    /// The step for the row `key` with content `hash`, counted in `outcome`.
    pub(crate) fn step(&mut self, key: &str, hash: &str, outcome: &mut SheetImportOutcome) -> Step {
        match self.0.remove(key) {
            Some((_, old)) if old == hash => {
                outcome.unchanged += 1;
                Step::Same
            }
            Some((id, _)) => {
                outcome.changed += 1;
                Step::Changed(id)
            }
            None => {
                outcome.added += 1;
                Step::New
            }
        }
    }

    /// The ids of the stored rows the sheet no longer has, counted in `outcome`.
    pub(crate) fn removed(self, outcome: &mut SheetImportOutcome) -> Vec<i64> {
        outcome.removed += self.0.len();
        self.0.into_values().map(|(id, _)| id).collect()
    }
}

/// The audit event `ACTION` (`tasks.import`) of `rows` rows of `file` for `plan` and `year`,
/// object `KIND:PLAN:YEAR` (`tasks:chengdu:2024`), with the counts.
pub(crate) fn import_event(
    action: &str,
    kind: &str,
    plan: &str,
    year: u16,
    file: &str,
    rows: usize,
    outcome: &SheetImportOutcome,
) -> Event {
    Event::new(
        action,
        format!("{kind}:{plan}:{year}"),
        json!({
            "plan": plan,
            "year": year,
            "file": file,
            kind: rows,
            "added": outcome.added,
            "changed": outcome.changed,
            "removed": outcome.removed,
            "unchanged": outcome.unchanged,
        }),
    )
}

/// Inserts `units` in their order as the rows of `sql` (`INSERT INTO … (owner, position,
/// unit_kind, unit_code) VALUES ($1, $2, $3, $4)`) of the item `id`, inside the transaction `tx`
/// (a task's data providers, a project's units).
macro_rules! insert_units {
    ($tx:expr, $sql:expr, $id:expr, $units:expr) => {
        for (position, unit) in $units.iter().enumerate() {
            sqlx::query($sql)
                .bind($id)
                .bind(position as i64)
                .bind(unit.kind())
                .bind(unit.code())
                .execute(&mut *$tx)
                .await?;
        }
    };
}
pub(crate) use insert_units;
