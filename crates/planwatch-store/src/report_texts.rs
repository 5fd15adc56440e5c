//! The planner texts of evaluation reports (issue 15), in versions: every save adds one.

use planwatch_plan::Plan;
use serde_json::json;

use crate::audit::{Event, Who, append_audit, lock_audit};
use crate::{Result, Store, now, with_db};

/// Which text: a section of a report of a plan. `kind` is `annual`, `midterm` or `final`;
/// `region` is empty for the plan's own region, else a district's code; `lang` is `zh` or `en`;
/// `section` is `problems` (存在问题) or `suggestions` (对策建议). The store's checks refuse
/// other values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportTextKey {
    pub kind: String,
    pub year: u16,
    pub region: String,
    pub lang: String,
    pub section: String,
}

impl ReportTextKey {
    /// The audit entry's object: `report_text:midterm/2023//zh/problems`.
    fn object(&self) -> String {
        format!(
            "report_text:{}/{}/{}/{}/{}",
            self.kind, self.year, self.region, self.lang, self.section
        )
    }
}

/// One saved version of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReportText {
    /// 1, 2, … in the order saved.
    pub version: u32,
    pub body: String,
    pub author: String,
    /// `YYYY-MM-DD HH:MM:SS` (UTC).
    pub saved_at: String,
}

type TextRow = (i32, String, String, String);

/// Binds `$1`–`$6` of a query on one text: the plan's id and the key's fields.
macro_rules! bind_key {
    ($query:expr, $plan:expr, $key:expr) => {
        $query
            .bind(&$plan.id)
            .bind(&$key.kind)
            .bind(i32::from($key.year))
            .bind(&$key.region)
            .bind(&$key.lang)
            .bind(&$key.section)
    };
}

fn stored((version, body, author, saved_at): TextRow) -> StoredReportText {
    StoredReportText {
        version: u32::try_from(version).unwrap_or_default(),
        body,
        author,
        saved_at,
    }
}

const SELECT_TEXTS: &str = "SELECT version, body, author, saved_at FROM report_texts
     WHERE plan_id = $1 AND kind = $2 AND year = $3 AND region = $4 AND lang = $5 AND section = $6";

impl Store {
    /// Saves `body` as the next version of the text `key` of `plan`, written by `author` on
    /// behalf of `who`; audited as `report_text.save` in the same transaction (the version
    /// before, if any, and the new one with its body). Returns the new version.
    pub async fn save_report_text(
        &self,
        who: &Who,
        plan: &Plan,
        key: &ReportTextKey,
        body: &str,
        author: &str,
    ) -> Result<u32> {
        let version: i32 = with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            // The audit lock serialises writers: the next version number cannot be taken twice.
            lock_audit!(tx);
            let before: Option<i32> = bind_key!(
                sqlx::query_scalar(
                    "SELECT MAX(version) FROM report_texts
                     WHERE plan_id = $1 AND kind = $2 AND year = $3 AND region = $4
                       AND lang = $5 AND section = $6",
                ),
                plan,
                key
            )
            .fetch_one(&mut *tx)
            .await?;
            let version = before.unwrap_or(0) + 1;
            bind_key!(
                sqlx::query(
                    "INSERT INTO report_texts
                       (plan_id, kind, year, region, lang, section, version, body, author, saved_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                ),
                plan,
                key
            )
            .bind(version)
            .bind(body)
            .bind(author)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let event = Event::new(
                "report_text.save",
                key.object(),
                json!({
                    "plan": plan.id,
                    "kind": key.kind,
                    "year": key.year,
                    "region": key.region,
                    "lang": key.lang,
                    "section": key.section,
                    "before": before,
                    "after": { "version": version, "author": author, "body": body },
                }),
            );
            append_audit!(tx, who, &event);
            tx.commit().await?;
            version
        });
        Ok(u32::try_from(version).unwrap_or_default())
    }

    /// The text `key` of `plan`: the latest version, or `version` when given; `None` when there
    /// is no such version.
    pub async fn report_text(
        &self,
        plan: &Plan,
        key: &ReportTextKey,
        version: Option<u32>,
    ) -> Result<Option<StoredReportText>> {
        let wanted = version.map_or(-1, i64::from);
        let sql =
            format!("{SELECT_TEXTS} AND ($7 < 0 OR version = $7) ORDER BY version DESC LIMIT 1");
        let row: Option<TextRow> = with_db!(&self.db, |pool| {
            bind_key!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), plan, key)
                .bind(wanted)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(stored))
    }

    /// Every version of the text `key` of `plan`, oldest first.
    pub async fn report_text_versions(
        &self,
        plan: &Plan,
        key: &ReportTextKey,
    ) -> Result<Vec<StoredReportText>> {
        let sql = format!("{SELECT_TEXTS} ORDER BY version");
        let rows: Vec<TextRow> = with_db!(&self.db, |pool| {
            bind_key!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), plan, key)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(stored).collect())
    }
}
