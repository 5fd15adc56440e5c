//! Failed sign-ins by user name, kept in the store so that every server on it counts them
//! together (issue 16). The store only counts; what the counts mean — how many tries are free,
//! how long to wait — is decided by planwatch-web's `throttle`, a pure function of the counts
//! and the time. A failure is counted in the transaction that audits it
//! (`session.sign_in_failed`): the count and the audit log always agree.

use serde_json::json;

use crate::audit::{Event, Who, append_audit};
use crate::{Result, Store, with_db};

/// Strikes idle for longer than this (milliseconds: a day) are deleted by the next failure.
pub const STRIKES_KEPT_MS: i64 = 24 * 3600 * 1000;

/// The failed sign-ins in a row for one name: how many, and when the last was (Unix
/// milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strikes {
    pub failures: u32,
    pub last_ms: i64,
}

/// `name` as it is counted and audited: without control characters (which PostgreSQL refuses
/// in text, and which no account's name has), at most 64 characters.
pub fn strike_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

impl Store {
    /// The failed sign-ins in a row for the user name `name`, if any.
    pub async fn sign_in_strikes(&self, name: &str) -> Result<Option<Strikes>> {
        let name = strike_name(name);
        let row: Option<(i32, i64)> = with_db!(&self.db, |pool| {
            sqlx::query_as("SELECT failures, last_at FROM sign_in_strikes WHERE name = $1")
                .bind(&name)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(failures, last_ms)| Strikes {
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
            last_ms,
        }))
    }

    /// A failed sign-in as `name` at `at_ms` (Unix milliseconds): counted, and audited as
    /// `session.sign_in_failed` (`user:NAME`) by `who` (anonymous, with the client's address),
    /// in one transaction. Strikes idle for [`STRIKES_KEPT_MS`] are deleted on the way.
    pub async fn failed_sign_in(&self, who: &Who, name: &str, at_ms: i64) -> Result<Strikes> {
        let name = strike_name(name);
        let event = Event::new("session.sign_in_failed", format!("user:{name}"), json!({}));
        let (failures, last_ms): (i32, i64) = with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM sign_in_strikes WHERE last_at < $1 AND name <> $2")
                .bind(at_ms.saturating_sub(STRIKES_KEPT_MS))
                .bind(&name)
                .execute(&mut *tx)
                .await?;
            // One statement: failures on several servers at once each add one.
            let counted = sqlx::query_as(
                "INSERT INTO sign_in_strikes (name, failures, last_at) VALUES ($1, 1, $2)
                 ON CONFLICT (name) DO UPDATE SET failures = sign_in_strikes.failures + 1,
                     last_at = CASE WHEN sign_in_strikes.last_at > excluded.last_at
                                    THEN sign_in_strikes.last_at ELSE excluded.last_at END
                 RETURNING failures, last_at",
            )
            .bind(&name)
            .bind(at_ms)
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, who, &event);
            tx.commit().await?;
            counted
        });
        Ok(Strikes {
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
            last_ms,
        })
    }

    /// A successful sign-in as `name`: its count starts again.
    pub async fn clear_sign_in_strikes(&self, name: &str) -> Result<()> {
        let name = strike_name(name);
        with_db!(&self.db, |pool| {
            sqlx::query("DELETE FROM sign_in_strikes WHERE name = $1")
                .bind(&name)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
