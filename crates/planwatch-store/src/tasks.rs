//! Tasks of a year's 年度任务分解表 (issue 14), imported whole: a sheet replaces the year's tasks
//! in one transaction. A task is known by its plan, year and 序号 (`key`); its content hash
//! (everything but the source file and row) tells whether it changed. Re-importing the same
//! sheet writes nothing; a changed sheet updates the tasks whose content changed (keeping their
//! id), adds the new ones and removes those no longer in it, audited as `tasks.import` with the
//! counts.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use planwatch_access::Unit;
use planwatch_plan::Plan;
use planwatch_workflow::DataProviders;
use serde_json::json;

use crate::audit::{Who, append_audit, lock_audit, sha256_hex};
use crate::sheets::{Known, SheetImportOutcome, Step, import_event, insert_units};
use crate::{Result, Store, StoreError, now, with_db};

/// A unit's part in a task, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskRole {
    /// 牵头
    Lead,
    /// 责任
    Responsible,
    /// 配合
    Supporting,
}

impl TaskRole {
    /// `lead`, `responsible` or `supporting`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskRole::Lead => "lead",
            TaskRole::Responsible => "responsible",
            TaskRole::Supporting => "supporting",
        }
    }

    fn parse(text: &str) -> Option<TaskRole> {
        [TaskRole::Lead, TaskRole::Responsible, TaskRole::Supporting]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// A node of a task: by `due`, `expected` is done, and `share` % of the task where given.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskNode {
    pub due: NaiveDate,
    pub expected: String,
    pub share: Option<f64>,
}

/// A task as imported and stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    /// The sheet's 序号, unique within the year.
    pub key: String,
    /// The section row above it (一、实施服务业能级提升行动).
    pub section: String,
    /// The plan clause it serves, by ref (`5.1.2`, `c16.1`).
    pub clause: String,
    pub title: String,
    /// `None`: ongoing work (持续推进).
    pub deadline: Option<NaiveDate>,
    /// The year's expected result in words.
    pub expected: String,
    /// The number in the expected result, with its unit.
    pub quantity: Option<(f64, String)>,
    /// Units in their roles, in the sheet's order.
    pub units: Vec<(Unit, TaskRole)>,
    pub nodes: Vec<TaskNode>,
    /// Indicator codes.
    pub indicators: Vec<String>,
    /// 数据提供单位: who supplies the figures of `indicators` that year (the reporting calendar
    /// asks them for the city's figure; see [`Store::data_providers`]).
    pub providers: Vec<Unit>,
    /// The sheet's row the task is on.
    pub row: i64,
}

impl TaskRecord {
    /// The units in `role`.
    pub fn units_in(&self, role: TaskRole) -> Vec<&Unit> {
        self.units
            .iter()
            .filter(|(_, r)| *r == role)
            .map(|(u, _)| u)
            .collect()
    }

    /// SHA-256 of everything but the row: equal for the same task wherever it stands.
    fn content_hash(&self) -> String {
        let mut content = json!([
            self.key,
            self.section,
            self.clause,
            self.title,
            self.deadline.map(|d| d.to_string()),
            self.expected,
            self.quantity,
            self.units
                .iter()
                .map(|(u, r)| [u.kind(), u.code(), r.as_str()])
                .collect::<Vec<_>>(),
            self.nodes
                .iter()
                .map(|n| json!([n.due.to_string(), n.expected, n.share]))
                .collect::<Vec<_>>(),
            self.indicators,
        ]);
        // Added with the data providers: tasks without one keep the hash they were stored by.
        if !self.providers.is_empty()
            && let Some(parts) = content.as_array_mut()
        {
            parts.push(json!(
                self.providers
                    .iter()
                    .map(|u| [u.kind(), u.code()])
                    .collect::<Vec<_>>()
            ));
        }
        sha256_hex(content.to_string().as_bytes())
    }
}

/// A stored task: the record, its year and the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTask {
    pub id: i64,
    pub year: u16,
    pub task: TaskRecord,
    pub source_file: String,
}

/// What an import of a year's tasks did.
pub type TaskImportOutcome = SheetImportOutcome;

/// Which tasks to list: of a year, with a unit in any role.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub year: Option<u16>,
    pub unit: Option<Unit>,
}

/// A stored task's row: id, year, seq, section, clause, title, deadline, expected, quantity,
/// quantity unit, source file, source row, content hash.
type TaskRow = (
    i64,
    i32,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<f64>,
    Option<String>,
    String,
    i32,
    String,
);

/// The plan's (`$1`) tasks of the year `$2` (all when negative) with the unit of kind `$3` and
/// code `$4` in any role (any when `$3` is empty), in [`TaskRow`]s.
const SELECT_TASKS: &str = "SELECT t.id, t.year, t.seq, t.section, t.clause, t.title,
       t.deadline, t.expected, t.quantity, t.quantity_unit, t.source_file, t.source_row,
       t.content_hash
     FROM tasks t WHERE t.plan_id = $1
       AND ($2 < 0 OR t.year = $2)
       AND ($3 = '' OR EXISTS (SELECT 1 FROM task_units u WHERE u.task_id = t.id
            AND u.unit_kind = $3 AND u.unit_code = $4))
     ORDER BY t.year, t.source_row, t.id";

/// A new task: plan, year, 序号, section, clause, title, deadline, expected, quantity, its unit,
/// source file and row, content hash, import time; its id.
const INSERT_TASK: &str = "INSERT INTO tasks (plan_id, year, seq, section, clause, title,
       deadline, expected, quantity, quantity_unit, source_file, source_row, content_hash,
       imported_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     RETURNING id";

/// A changed task, the same parameters as [`INSERT_TASK`]: the stored one of that plan, year and
/// 序号 takes the rest; its id.
const UPDATE_TASK: &str = "UPDATE tasks SET section = $4, clause = $5, title = $6,
       deadline = $7, expected = $8, quantity = $9, quantity_unit = $10, source_file = $11,
       source_row = $12, content_hash = $13, imported_at = $14
     WHERE plan_id = $1 AND year = $2 AND seq = $3
     RETURNING id";

/// Deleting a task (`$1`): its units, nodes, indicators and data providers, then itself.
const DELETE_TASK: [&str; 5] = [
    "DELETE FROM task_units WHERE task_id = $1",
    "DELETE FROM task_nodes WHERE task_id = $1",
    "DELETE FROM task_indicators WHERE task_id = $1",
    "DELETE FROM task_providers WHERE task_id = $1",
    "DELETE FROM tasks WHERE id = $1",
];

impl Store {
    /// Replaces the tasks of `plan` for `year` with `tasks` (from `file`), in one transaction:
    /// all or nothing. Tasks are matched by their key (序号); one whose content is the same is
    /// left alone, one whose content changed is rewritten in place (its id kept), keys not in
    /// `tasks` are removed. When nothing changed nothing is written; else the import is audited
    /// as `tasks.import` (object `tasks:PLAN:YEAR`) with the file and the counts.
    pub async fn import_tasks(
        &self,
        who: &Who,
        plan: &Plan,
        year: u16,
        tasks: &[TaskRecord],
        file: &str,
    ) -> Result<TaskImportOutcome> {
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            lock_audit!(tx);
            let known: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT id, seq, content_hash FROM tasks WHERE plan_id = $1 AND year = $2",
            )
            .bind(&plan.id)
            .bind(i64::from(year))
            .fetch_all(&mut *tx)
            .await?;
            let mut known = Known::new(known);
            let mut outcome = TaskImportOutcome::default();
            let at = now();
            for task in tasks {
                let hash = task.content_hash();
                let sql = match known.step(&task.key, &hash, &mut outcome) {
                    Step::Same => continue,
                    Step::Changed(id) => {
                        for delete in &DELETE_TASK[..4] {
                            sqlx::query(*delete).bind(id).execute(&mut *tx).await?;
                        }
                        UPDATE_TASK
                    }
                    Step::New => INSERT_TASK,
                };
                let id: i64 = sqlx::query_scalar(sql)
                    .bind(&plan.id)
                    .bind(i64::from(year))
                    .bind(&task.key)
                    .bind(&task.section)
                    .bind(&task.clause)
                    .bind(&task.title)
                    .bind(task.deadline.map(|d| d.to_string()))
                    .bind(&task.expected)
                    .bind(task.quantity.as_ref().map(|q| q.0))
                    .bind(task.quantity.as_ref().map(|q| q.1.clone()))
                    .bind(file)
                    .bind(task.row)
                    .bind(&hash)
                    .bind(&at)
                    .fetch_one(&mut *tx)
                    .await?;
                for (position, (unit, role)) in task.units.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO task_units (task_id, position, unit_kind, unit_code, role)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(position as i64)
                    .bind(unit.kind())
                    .bind(unit.code())
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                for (position, node) in task.nodes.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO task_nodes (task_id, position, due, expected, share)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(position as i64)
                    .bind(node.due.to_string())
                    .bind(&node.expected)
                    .bind(node.share)
                    .execute(&mut *tx)
                    .await?;
                }
                for (position, code) in task.indicators.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO task_indicators (task_id, position, indicator)
                         VALUES ($1, $2, $3)",
                    )
                    .bind(id)
                    .bind(position as i64)
                    .bind(code)
                    .execute(&mut *tx)
                    .await?;
                }
                insert_units!(
                    tx,
                    "INSERT INTO task_providers (task_id, position, unit_kind, unit_code)
                     VALUES ($1, $2, $3, $4)",
                    id,
                    task.providers
                );
            }
            for id in known.removed(&mut outcome) {
                for delete in DELETE_TASK {
                    sqlx::query(delete).bind(id).execute(&mut *tx).await?;
                }
            }
            if outcome.wrote() {
                let event = import_event(
                    "tasks.import",
                    "tasks",
                    &plan.id,
                    year,
                    file,
                    tasks.len(),
                    &outcome,
                );
                outcome.audit_id = Some(append_audit!(tx, who, &event));
                crate::bump_version!(&mut *tx, &plan.id);
            }
            tx.commit().await?;
            outcome
        }))
    }

    /// The plan's tasks, by year and sheet row, of `filter.year` and with `filter.unit` in any
    /// role where given.
    pub async fn tasks(&self, plan: &Plan, filter: &TaskFilter) -> Result<Vec<StoredTask>> {
        let year = filter.year.map_or(-1, i64::from);
        let (kind, code) = filter
            .unit
            .as_ref()
            .map_or(("", ""), |u| (u.kind(), u.code()));
        let (rows, units, nodes, indicators, providers) = with_db!(&self.db, |pool| {
            let rows: Vec<TaskRow> = sqlx::query_as(SELECT_TASKS)
                .bind(&plan.id)
                .bind(year)
                .bind(kind)
                .bind(code)
                .fetch_all(pool)
                .await?;
            let units: Vec<(i64, String, String, String)> = sqlx::query_as(
                "SELECT u.task_id, u.unit_kind, u.unit_code, u.role FROM task_units u
                 JOIN tasks t ON t.id = u.task_id WHERE t.plan_id = $1
                 ORDER BY u.task_id, u.position",
            )
            .bind(&plan.id)
            .fetch_all(pool)
            .await?;
            let nodes: Vec<(i64, String, String, Option<f64>)> = sqlx::query_as(
                "SELECT n.task_id, n.due, n.expected, n.share FROM task_nodes n
                 JOIN tasks t ON t.id = n.task_id WHERE t.plan_id = $1
                 ORDER BY n.task_id, n.position",
            )
            .bind(&plan.id)
            .fetch_all(pool)
            .await?;
            let indicators: Vec<(i64, String)> = sqlx::query_as(
                "SELECT i.task_id, i.indicator FROM task_indicators i
                 JOIN tasks t ON t.id = i.task_id WHERE t.plan_id = $1
                 ORDER BY i.task_id, i.position",
            )
            .bind(&plan.id)
            .fetch_all(pool)
            .await?;
            let providers: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT p.task_id, p.unit_kind, p.unit_code FROM task_providers p
                 JOIN tasks t ON t.id = p.task_id WHERE t.plan_id = $1
                 ORDER BY p.task_id, p.position",
            )
            .bind(&plan.id)
            .fetch_all(pool)
            .await?;
            (rows, units, nodes, indicators, providers)
        });
        let mut tasks: Vec<StoredTask> = Vec::with_capacity(rows.len());
        let mut index = BTreeMap::new();
        for row in rows {
            let (id, year, key, section, clause, title, deadline, expected) =
                (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7);
            let deadline = deadline.map(|d| parse_day(&d)).transpose()?;
            index.insert(id, tasks.len());
            tasks.push(StoredTask {
                id,
                year: u16::try_from(year).unwrap_or(0),
                source_file: row.10,
                task: TaskRecord {
                    key,
                    section,
                    clause,
                    title,
                    deadline,
                    expected,
                    quantity: row.8.zip(row.9),
                    units: Vec::new(),
                    nodes: Vec::new(),
                    indicators: Vec::new(),
                    providers: Vec::new(),
                    row: i64::from(row.11),
                },
            });
        }
        for (id, kind, code, role) in units {
            if let Some(&i) = index.get(&id) {
                let unit = Unit::from_parts(&kind, &code)
                    .ok_or_else(|| StoreError::CorruptTask(id, format!("unit {kind}:{code}")))?;
                let role = TaskRole::parse(&role)
                    .ok_or_else(|| StoreError::CorruptTask(id, format!("role {role}")))?;
                tasks[i].task.units.push((unit, role));
            }
        }
        for (id, due, expected, share) in nodes {
            if let Some(&i) = index.get(&id) {
                tasks[i].task.nodes.push(TaskNode {
                    due: parse_day(&due)?,
                    expected,
                    share,
                });
            }
        }
        for (id, code) in indicators {
            if let Some(&i) = index.get(&id) {
                tasks[i].task.indicators.push(code);
            }
        }
        for (id, kind, code) in providers {
            if let Some(&i) = index.get(&id) {
                let unit = Unit::from_parts(&kind, &code).ok_or_else(|| {
                    StoreError::CorruptTask(id, format!("data provider {kind}:{code}"))
                })?;
                tasks[i].task.providers.push(unit);
            }
        }
        Ok(tasks)
    }

    /// The data providers (数据提供单位) the plan's stored tasks record: for each indicator and
    /// year, the units named as data provider on a task of that year naming the indicator, in
    /// the file's order without repeats. The reporting calendar takes them as the units owing
    /// the city's figure (`planwatch_workflow::obligations`).
    pub async fn data_providers(&self, plan: &Plan) -> Result<DataProviders> {
        let rows: Vec<(i64, String, i32, String, String)> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT t.id, i.indicator, t.year, p.unit_kind, p.unit_code
                 FROM task_providers p
                 JOIN tasks t ON t.id = p.task_id
                 JOIN task_indicators i ON i.task_id = t.id
                 WHERE t.plan_id = $1
                 ORDER BY t.year, t.source_row, t.id, i.position, p.position",
            )
            .bind(&plan.id)
            .fetch_all(pool)
            .await?
        });
        let mut providers = DataProviders::new();
        for (id, indicator, year, kind, code) in rows {
            let unit = Unit::from_parts(&kind, &code).ok_or_else(|| {
                StoreError::CorruptTask(id, format!("data provider {kind}:{code}"))
            })?;
            let year = u16::try_from(year)
                .map_err(|_| StoreError::CorruptTask(id, format!("year {year}")))?;
            let units = providers.entry((indicator, year)).or_default();
            if !units.contains(&unit) {
                units.push(unit);
            }
        }
        Ok(providers)
    }
}

fn parse_day(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| StoreError::CorruptTime(text.into()))
}
