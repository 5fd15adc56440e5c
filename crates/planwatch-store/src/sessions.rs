//! Sign-in sessions, kept in the store so that every server on it shares them. The session id
//! (the cookie's value) is random, new at every sign-in, and stored only as its SHA-256.

use chrono::{DateTime, Utc};
use planwatch_access::{SECRET_ENTROPY_BYTES, generate_session_id, hash_secret};
use serde_json::json;

use crate::accounts::User;
use crate::audit::{Event, Who, append_audit};
use crate::{Result, Store, StoreError, with_db};

/// How long a session lasts: ended after `idle_secs` without a request, and `absolute_secs`
/// after sign-in whatever happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle_secs: i64,
    pub absolute_secs: i64,
}

impl Default for SessionLimits {
    /// 30 minutes idle, 12 hours in all.
    fn default() -> Self {
        SessionLimits {
            idle_secs: 30 * 60,
            absolute_secs: 12 * 3600,
        }
    }
}

/// A session just created: `id` goes into the cookie and is not kept anywhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub id: String,
    pub csrf_token: String,
    pub user: User,
}

/// A session in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    /// Unix seconds.
    pub created_at: i64,
    pub last_seen: i64,
}

/// `N` random bytes from the operating system.
pub(crate) fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(bytes)
}

impl Store {
    /// Signs `user` in (the password was checked by the caller): a new session with a new
    /// random id, audited as `session.sign_in`. Refused for an unknown or disabled user.
    pub async fn create_session(
        &self,
        user: &str,
        client: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<NewSession> {
        let account = self
            .user(user)
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| StoreError::UnknownUser(user.to_owned()))?;
        let id = generate_session_id(&random::<SECRET_ENTROPY_BYTES>()?);
        let csrf_token = generate_session_id(&random::<SECRET_ENTROPY_BYTES>()?);
        let who = Who {
            actor: account.name.clone(),
            role: account.role.as_str().to_owned(),
            client: client.map(str::to_owned),
        };
        let event = Event::new("session.sign_in", format!("user:{user}"), json!({}));
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen, client)
                 SELECT $1, id, $3, $4, $4, $5 FROM users WHERE name = $2",
            )
            .bind(hash_secret(&id))
            .bind(user)
            .bind(&csrf_token)
            .bind(now.timestamp())
            .bind(client)
            .execute(&mut *tx)
            .await?;
            append_audit!(tx, &who, &event);
            tx.commit().await?;
        });
        Ok(NewSession {
            id,
            csrf_token,
            user: account,
        })
    }

    /// The session with id `id` at `now`, if it is in force: its user is active, it was used
    /// within `limits.idle_secs` and began within `limits.absolute_secs`. Marks it used. An
    /// expired session is deleted.
    pub async fn session(
        &self,
        id: &str,
        limits: SessionLimits,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>> {
        self.find_session(id, limits, now, true).await
    }

    /// [`Store::session`] without writing anything (the session is neither marked used nor, if
    /// expired, deleted): for a read replica, which takes no writes, while the primary is away.
    pub async fn peek_session(
        &self,
        id: &str,
        limits: SessionLimits,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>> {
        self.find_session(id, limits, now, false).await
    }

    async fn find_session(
        &self,
        id: &str,
        limits: SessionLimits,
        now: DateTime<Utc>,
        write: bool,
    ) -> Result<Option<Session>> {
        let id_hash = hash_secret(id);
        let now = now.timestamp();
        let row: Option<(String, String, i64, i64)> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT u.name, s.csrf_token, s.created_at, s.last_seen
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.id_hash = $1 AND u.active",
            )
            .bind(&id_hash)
            .fetch_optional(pool)
            .await?
        });
        let Some((name, csrf_token, created_at, last_seen)) = row else {
            return Ok(None);
        };
        let expired = now - last_seen > limits.idle_secs || now - created_at > limits.absolute_secs;
        let sql = if expired {
            "DELETE FROM sessions WHERE id_hash = $1 AND $2 = $2"
        } else {
            "UPDATE sessions SET last_seen = $2 WHERE id_hash = $1"
        };
        if write {
            with_db!(&self.db, |pool| {
                sqlx::query(sql)
                    .bind(&id_hash)
                    .bind(now)
                    .execute(pool)
                    .await?;
            });
        }
        if expired {
            return Ok(None);
        }
        let Some(user) = self.user(&name).await? else {
            return Ok(None);
        };
        Ok(Some(Session {
            user,
            csrf_token,
            created_at,
            last_seen: now,
        }))
    }

    /// Signs out: deletes the session with id `id`, audited as `session.sign_out`. False when
    /// there was no such session.
    pub async fn end_session(&self, id: &str, client: Option<&str>) -> Result<bool> {
        let id_hash = hash_secret(id);
        let found: Option<(String, String)> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT u.name, u.role FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.id_hash = $1",
            )
            .bind(&id_hash)
            .fetch_optional(pool)
            .await?
        });
        let Some((name, role)) = found else {
            return Ok(false);
        };
        let who = Who {
            actor: name.clone(),
            role,
            client: client.map(str::to_owned),
        };
        let event = Event::new("session.sign_out", format!("user:{name}"), json!({}));
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(&id_hash)
                .execute(&mut *tx)
                .await?;
            append_audit!(tx, &who, &event);
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Ends every session of `user`; returns how many there were.
    pub async fn end_sessions(&self, user: &str) -> Result<u64> {
        Ok(with_db!(&self.db, |pool| {
            sqlx::query(
                "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = $1)",
            )
            .bind(user)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }
}
