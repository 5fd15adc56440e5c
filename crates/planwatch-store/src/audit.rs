//! The audit log: append-only, hash-chained, written in the transaction of the change it records.
//!
//! Each entry carries `hash = SHA-256(previous hash ‖ canonical content)`, hexadecimal, where the
//! canonical content is the JSON array `[id, at, actor, role, action, object, details, client]`
//! of the stored text (details as stored, a JSON text). The first entry's previous hash is 64
//! zeros. `audit_head` holds the last id and hash; an append updates it first, which serialises
//! appends (on PostgreSQL the row lock is held to the commit).

use planwatch_access::Actor;
use sha2::{Digest, Sha256};

use crate::{Result, Store, now, with_db};

/// Who does something, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// A user name, `token:NAME`, `cli:USER` or `anonymous`.
    pub actor: String,
    pub role: String,
    /// The client's address, for requests over the network.
    pub client: Option<String>,
}

impl Who {
    pub fn of(actor: &Actor, client: Option<String>) -> Who {
        Who {
            actor: actor.label(),
            role: actor.role_label().to_owned(),
            client,
        }
    }
}

/// What happened: `action` (`user.add`, `token.revoke`, `session.sign_in` …), the `object` it
/// happened to (`user:alice`), and details (JSON: `before` and `after` where something changed).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub action: String,
    pub object: String,
    pub details: serde_json::Value,
}

impl Event {
    pub fn new(action: &str, object: impl Into<String>, details: serde_json::Value) -> Event {
        Event {
            action: action.to_owned(),
            object: object.into(),
            details,
        }
    }
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub object: String,
    /// JSON text.
    pub details: String,
    pub client: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// The hash this entry must have after `prev_hash`.
    fn expected_hash(&self, prev_hash: &str) -> String {
        chain_hash(
            prev_hash,
            &serde_json::json!([
                self.id,
                self.at,
                self.actor,
                self.role,
                self.action,
                self.object,
                self.details,
                self.client
            ]),
        )
    }
}

fn chain_hash(prev_hash: &str, content: &serde_json::Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(content.to_string().as_bytes());
    hex::encode(hasher.finalize())
}

/// Which entries to list. `since` is a date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub since: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// At most this many entries (all when `None`), from the id after `after`.
    pub limit: Option<i64>,
    pub after: Option<i64>,
}

/// What `verify_audit` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    /// Entries read.
    pub entries: i64,
    /// The hash of the last entry: written down elsewhere, it shows later that nothing before it
    /// was rewritten.
    pub head: String,
    /// The first place where the chain is broken.
    pub problem: Option<AuditProblem>,
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditProblem {
    #[error("审计日志第 {0} 条被修改 / audit entry {0} was altered")]
    Altered(i64),
    #[error("审计日志第 {0} 条被删除 / audit entry {0} was removed")]
    Removed(i64),
}

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Appends `$event` (an [`Event`]) by `$who` (a [`Who`]) to the audit log inside the transaction
/// `$tx` (either backend's), so that the entry commits or rolls back with the change it records.
/// Evaluates to the entry's id.
macro_rules! append_audit {
    ($tx:expr, $who:expr, $event:expr) => {{
        let (id, prev_hash): (i64, String) =
            sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut *$tx)
                .await?;
        let record = $crate::audit::record(id, prev_hash, $who, $event);
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor, role, action, object, details, client, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(record.id)
        .bind(&record.at)
        .bind(&record.actor)
        .bind(&record.role)
        .bind(&record.action)
        .bind(&record.object)
        .bind(&record.details)
        .bind(&record.client)
        .bind(&record.prev_hash)
        .bind(&record.hash)
        .execute(&mut *$tx)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&record.hash)
            .execute(&mut *$tx)
            .await?;
        record.id
    }};
}
pub(crate) use append_audit;

/// Takes the audit log's head at the start of the transaction `$tx` (either backend's), before a
/// change reads what it is about to replace (the `before` of its entry): on SQLite this is the
/// write lock, on PostgreSQL the head's row lock, both held to the commit, so no other audited
/// write can change that `before` under it. For short changes only (plan loads, targets,
/// assessments): audited writes wait for one another meanwhile. Imports, which may run for
/// minutes, append at their end instead.
macro_rules! lock_audit {
    ($tx:expr) => {
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
            .execute(&mut *$tx)
            .await?
    };
}
pub(crate) use lock_audit;

/// SHA-256 of `bytes`, hexadecimal, as the audit log's details give checksums.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The entry with id `id` after `prev_hash`, stamped now.
pub(crate) fn record(id: i64, prev_hash: String, who: &Who, event: &Event) -> AuditRecord {
    let mut record = AuditRecord {
        id,
        at: now(),
        actor: who.actor.clone(),
        role: who.role.clone(),
        action: event.action.clone(),
        object: event.object.clone(),
        details: event.details.to_string(),
        client: who.client.clone(),
        prev_hash,
        hash: String::new(),
    };
    record.hash = record.expected_hash(&record.prev_hash);
    record
}

const COLUMNS: &str = "id, at, actor, role, action, object, details, client, prev_hash, hash";

impl Store {
    /// Records `event` on its own (a failed sign-in, say: something that changes nothing else).
    pub async fn audit(&self, who: &Who, event: &Event) -> Result<i64> {
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let id = append_audit!(tx, who, event);
            tx.commit().await?;
            id
        }))
    }

    /// The id of the last entry. Every change to accounts, tokens and sessions is audited in its
    /// own transaction, so while this has not moved none of them has changed: servers poll it
    /// to know when what they remember of sessions and tokens may be stale.
    pub async fn audit_seq(&self) -> Result<i64> {
        Ok(with_db!(&self.db, |pool| {
            sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?
        }))
    }

    /// Entries matching `filter`, oldest first.
    pub async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log
             WHERE ($1 IS NULL OR at >= $1) AND ($2 IS NULL OR actor = $2)
               AND ($3 IS NULL OR action = $3) AND id > $4
             ORDER BY id LIMIT $5"
        );
        Ok(with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&filter.since)
                .bind(&filter.actor)
                .bind(&filter.action)
                .bind(filter.after.unwrap_or(0))
                .bind(filter.limit.unwrap_or(i64::MAX))
                .fetch_all(pool)
                .await?
        }))
    }

    /// Recomputes the chain from the first entry and names the first entry altered or removed.
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        const PAGE: i64 = 10_000;
        let (last_id, head_hash): (i64, String) = with_db!(&self.db, |pool| {
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        let mut running = GENESIS.to_owned();
        let mut expected_id = 1;
        loop {
            let page = self
                .audit_log(&AuditFilter {
                    after: Some(expected_id - 1),
                    limit: Some(PAGE),
                    ..AuditFilter::default()
                })
                .await?;
            for entry in &page {
                let problem = if entry.id != expected_id {
                    Some(AuditProblem::Removed(expected_id))
                } else if entry.prev_hash != running {
                    // The entry before was changed after this one was chained to it.
                    Some(AuditProblem::Altered(entry.id - 1))
                } else if entry.hash != entry.expected_hash(&running) {
                    Some(AuditProblem::Altered(entry.id))
                } else {
                    None
                };
                if problem.is_some() {
                    return Ok(AuditVerification {
                        entries: expected_id - 1,
                        head: running,
                        problem,
                    });
                }
                running.clone_from(&entry.hash);
                expected_id += 1;
            }
            if i64::try_from(page.len()).unwrap_or(PAGE) < PAGE {
                break;
            }
        }
        let entries = expected_id - 1;
        let problem = if entries < last_id {
            Some(AuditProblem::Removed(entries + 1))
        } else if head_hash != running {
            Some(AuditProblem::Altered(entries))
        } else {
            None
        };
        Ok(AuditVerification {
            entries,
            head: running,
            problem,
        })
    }
}
