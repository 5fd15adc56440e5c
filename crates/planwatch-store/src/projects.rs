//! Key projects (重大项目) of a year's list (issue 14), imported whole as tasks are: a list
//! replaces the year's projects in one transaction. A project is known by its plan, year and
//! 序号; its content hash (everything but the source file and row) tells whether it changed. The
//! same list again writes nothing; a changed list updates, adds and removes by 序号, audited as
//! `projects.import` with the counts.

use std::collections::BTreeMap;

use planwatch_access::Unit;
use planwatch_plan::Plan;
use planwatch_tasks::{Coordinates, ListedProject, PlannedDate, Stage};
use serde_json::json;

use crate::audit::{Who, append_audit, lock_audit, sha256_hex};
use crate::sheets::{Known, SheetImportOutcome, Step, import_event, insert_units};
use crate::{Result, Store, StoreError, now, with_db};

/// A key project as imported and stored.
pub type ProjectRecord = ListedProject;

/// SHA-256 of everything but the row: equal for the same project wherever it stands.
fn content_hash(p: &ProjectRecord) -> String {
    let content = json!([
        p.key,
        p.section,
        p.name,
        p.content,
        p.region,
        p.coordinates.map(|c| [c.longitude, c.latitude]),
        p.column,
        p.units
            .iter()
            .map(|u| [u.kind(), u.code()])
            .collect::<Vec<_>>(),
        p.total_investment,
        p.year_investment,
        p.planned_start.map(PlannedDate::key),
        p.planned_completion.map(PlannedDate::key),
        p.stage.code(),
    ]);
    sha256_hex(content.to_string().as_bytes())
}

/// A stored project: the record, the list's year and the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredProject {
    pub id: i64,
    pub year: u16,
    pub project: ProjectRecord,
    pub source_file: String,
}

/// What an import of a year's projects did.
pub type ProjectImportOutcome = SheetImportOutcome;

/// Which projects to list: of a year, in a region, with a responsible unit, at a stage.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub year: Option<u16>,
    /// A region code.
    pub region: Option<String>,
    pub unit: Option<Unit>,
    pub stage: Option<Stage>,
}

/// A stored project's row, as [`SELECT_PROJECTS`] reads it.
#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: i64,
    year: i32,
    seq: String,
    section: String,
    name: String,
    content: String,
    region: String,
    longitude: Option<f64>,
    latitude: Option<f64>,
    column_no: Option<i32>,
    total_investment: f64,
    year_investment: Option<f64>,
    planned_start: Option<String>,
    planned_completion: Option<String>,
    stage: String,
    source_file: String,
    source_row: i32,
}

/// The plan's (`$1`) projects of the year `$2` (all when negative), in the region `$3` (any when
/// empty), with the unit of kind `$4` and code `$5` (any when `$4` is empty), at the stage `$6`
/// (any when empty), in [`ProjectRow`]s.
const SELECT_PROJECTS: &str = "SELECT p.id, p.year, p.seq, p.section, p.name, p.content,
       p.region, p.longitude, p.latitude, p.column_no, p.total_investment, p.year_investment,
       p.planned_start, p.planned_completion, p.stage, p.source_file, p.source_row
     FROM projects p WHERE p.plan_id = $1
       AND ($2 < 0 OR p.year = $2)
       AND ($3 = '' OR p.region = $3)
       AND ($4 = '' OR EXISTS (SELECT 1 FROM project_units u WHERE u.project_id = p.id
            AND u.unit_kind = $4 AND u.unit_code = $5))
       AND ($6 = '' OR p.stage = $6)
     ORDER BY p.year, p.source_row, p.id";

/// A new project: plan, year, 序号, then the columns in order, source file and row, content
/// hash, import time; its id.
const INSERT_PROJECT: &str = "INSERT INTO projects (plan_id, year, seq, section, name, content,
       region, longitude, latitude, column_no, total_investment, year_investment, planned_start,
       planned_completion, stage, source_file, source_row, content_hash, imported_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
     RETURNING id";

/// A changed project, the same parameters as [`INSERT_PROJECT`]; its id.
const UPDATE_PROJECT: &str = "UPDATE projects SET section = $4, name = $5, content = $6,
       region = $7, longitude = $8, latitude = $9, column_no = $10, total_investment = $11,
       year_investment = $12, planned_start = $13, planned_completion = $14, stage = $15,
       source_file = $16, source_row = $17, content_hash = $18, imported_at = $19
     WHERE plan_id = $1 AND year = $2 AND seq = $3
     RETURNING id";

impl Store {
    /// Replaces the key projects of `plan` for `year` with `projects` (from `file`), in one
    /// transaction, by the rules of [`Store::import_tasks`]: all or nothing, matched by 序号,
    /// nothing written when nothing changed, else audited as `projects.import` (object
    /// `projects:PLAN:YEAR`) with the file and the counts.
    pub async fn import_projects(
        &self,
        who: &Who,
        plan: &Plan,
        year: u16,
        projects: &[ProjectRecord],
        file: &str,
    ) -> Result<ProjectImportOutcome> {
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            lock_audit!(tx);
            let known: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT id, seq, content_hash FROM projects WHERE plan_id = $1 AND year = $2",
            )
            .bind(&plan.id)
            .bind(i64::from(year))
            .fetch_all(&mut *tx)
            .await?;
            let mut known = Known::new(known);
            let mut outcome = ProjectImportOutcome::default();
            let at = now();
            for project in projects {
                let hash = content_hash(project);
                let sql = match known.step(&project.key, &hash, &mut outcome) {
                    Step::Same => continue,
                    Step::Changed(id) => {
                        sqlx::query("DELETE FROM project_units WHERE project_id = $1")
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        UPDATE_PROJECT
                    }
                    Step::New => INSERT_PROJECT,
                };
                let id: i64 = sqlx::query_scalar(sql)
                    .bind(&plan.id)
                    .bind(i64::from(year))
                    .bind(&project.key)
                    .bind(&project.section)
                    .bind(&project.name)
                    .bind(&project.content)
                    .bind(&project.region)
                    .bind(project.coordinates.map(|c| c.longitude))
                    .bind(project.coordinates.map(|c| c.latitude))
                    .bind(project.column.map(i64::from))
                    .bind(project.total_investment)
                    .bind(project.year_investment)
                    .bind(project.planned_start.map(PlannedDate::key))
                    .bind(project.planned_completion.map(PlannedDate::key))
                    .bind(project.stage.code())
                    .bind(file)
                    .bind(i64::try_from(project.row).unwrap_or(i64::MAX))
                    .bind(&hash)
                    .bind(&at)
                    .fetch_one(&mut *tx)
                    .await?;
                insert_units!(
                    tx,
                    "INSERT INTO project_units (project_id, position, unit_kind, unit_code)
                     VALUES ($1, $2, $3, $4)",
                    id,
                    project.units
                );
            }
            for id in known.removed(&mut outcome) {
                for delete in [
                    "DELETE FROM project_units WHERE project_id = $1",
                    "DELETE FROM projects WHERE id = $1",
                ] {
                    sqlx::query(delete).bind(id).execute(&mut *tx).await?;
                }
            }
            if outcome.wrote() {
                let event = import_event(
                    "projects.import",
                    "projects",
                    &plan.id,
                    year,
                    file,
                    projects.len(),
                    &outcome,
                );
                outcome.audit_id = Some(append_audit!(tx, who, &event));
                crate::bump_version!(&mut *tx, &plan.id);
            }
            tx.commit().await?;
            outcome
        }))
    }

    /// The plan's key projects, by year and list row, narrowed by `filter`.
    pub async fn projects(
        &self,
        plan: &Plan,
        filter: &ProjectFilter,
    ) -> Result<Vec<StoredProject>> {
        let year = filter.year.map_or(-1, i64::from);
        let region = filter.region.as_deref().unwrap_or("");
        let (kind, code) = filter
            .unit
            .as_ref()
            .map_or(("", ""), |u| (u.kind(), u.code()));
        let stage = filter.stage.map_or("", Stage::code);
        let (rows, units) = with_db!(&self.db, |pool| {
            let rows: Vec<ProjectRow> = sqlx::query_as(SELECT_PROJECTS)
                .bind(&plan.id)
                .bind(year)
                .bind(region)
                .bind(kind)
                .bind(code)
                .bind(stage)
                .fetch_all(pool)
                .await?;
            let units: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT u.project_id, u.unit_kind, u.unit_code FROM project_units u
                 JOIN projects p ON p.id = u.project_id WHERE p.plan_id = $1
                 ORDER BY u.project_id, u.position",
            )
            .bind(&plan.id)
            .fetch_all(pool)
            .await?;
            (rows, units)
        });
        let mut projects: Vec<StoredProject> = Vec::with_capacity(rows.len());
        let mut index = BTreeMap::new();
        for row in rows {
            let id = row.id;
            let corrupt = |what: String| StoreError::CorruptProject(id, what);
            let date = |text: Option<String>| {
                text.map(|t| PlannedDate::parse(&t).ok_or_else(|| corrupt(format!("date {t}"))))
                    .transpose()
            };
            let stage = Stage::from_code(&row.stage)
                .ok_or_else(|| corrupt(format!("stage {}", row.stage)))?;
            index.insert(id, projects.len());
            projects.push(StoredProject {
                id,
                year: u16::try_from(row.year).unwrap_or(0),
                source_file: row.source_file,
                project: ProjectRecord {
                    key: row.seq,
                    section: row.section,
                    name: row.name,
                    content: row.content,
                    region: row.region,
                    coordinates: row
                        .longitude
                        .zip(row.latitude)
                        .map(|(longitude, latitude)| Coordinates {
                            longitude,
                            latitude,
                        }),
                    column: row.column_no.and_then(|c| u32::try_from(c).ok()),
                    units: Vec::new(),
                    total_investment: row.total_investment,
                    year_investment: row.year_investment,
                    planned_start: date(row.planned_start)?,
                    planned_completion: date(row.planned_completion)?,
                    stage,
                    row: usize::try_from(row.source_row).unwrap_or(0),
                },
            });
        }
        for (id, kind, code) in units {
            if let Some(&i) = index.get(&id) {
                let unit = Unit::from_parts(&kind, &code)
                    .ok_or_else(|| StoreError::CorruptProject(id, format!("unit {kind}:{code}")))?;
                projects[i].project.units.push(unit);
            }
        }
        Ok(projects)
    }
}
