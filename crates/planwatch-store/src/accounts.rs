//! User accounts and API tokens. Every change is audited in its own transaction, and disabling
//! a user, changing their role or password ends their sessions in that transaction too.

use chrono::{DateTime, Utc};
use planwatch_access::{Account, Role, Unit};
use serde_json::json;

use crate::audit::{Event, Who, append_audit};
use crate::{Result, Store, StoreError, now, with_db};

/// Stores the units of user `$id` inside the transaction `$tx` (either backend's).
macro_rules! insert_units {
    ($tx:expr, $id:expr, $units:expr) => {
        for unit in $units {
            sqlx::query("INSERT INTO user_units (user_id, kind, code) VALUES ($1, $2, $3)")
                .bind($id)
                .bind(unit.kind())
                .bind(unit.code())
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// A user account (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub units: Vec<Unit>,
    pub active: bool,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub created_at: String,
    /// Where notices are mailed (when the server has an SMTP relay); none: not mailed.
    pub email: Option<String>,
}

impl User {
    /// The account as the access policy sees it.
    pub fn account(&self) -> Account {
        Account {
            name: self.name.clone(),
            role: self.role,
            units: self.units.clone(),
            active: self.active,
        }
    }

    /// Role and units, as the audit log's `before` and `after` show them.
    fn scope_json(&self) -> serde_json::Value {
        json!({ "role": self.role, "units": self.units })
    }
}

/// A new account. `password_hash` is a PHC string from `planwatch_access::hash_password`.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub name: &'a str,
    pub display_name: Option<&'a str>,
    pub role: Role,
    pub units: &'a [Unit],
    pub password_hash: &'a str,
    pub email: Option<&'a str>,
}

/// An API token as listed (its secret is never stored). Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub user: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

type UserRow = (
    i64,
    String,
    Option<String>,
    String,
    bool,
    String,
    Option<String>,
);
/// A [`UserRow`] and the password hash.
type CredentialRow = (
    i64,
    String,
    Option<String>,
    String,
    bool,
    String,
    Option<String>,
    String,
);

const USER_COLUMNS: &str = "id, name, display_name, role, active, created_at, email";

const TOKEN_SELECT: &str = "SELECT t.name, u.name, t.created_at, t.expires_at, t.revoked_at
     FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn token_info((name, user, created_at, expires_at, revoked_at): TokenRow) -> TokenInfo {
    TokenInfo {
        name,
        user,
        created_at,
        expires_at,
        revoked_at,
    }
}

type TokenRow = (String, String, i64, Option<i64>, Option<i64>);

impl Store {
    /// Creates an account; refused when the name is taken.
    pub async fn add_user(&self, who: &Who, new: &NewUser<'_>) -> Result<User> {
        if self.user(new.name).await?.is_some() {
            return Err(StoreError::UserExists(new.name.to_owned()));
        }
        let created_at = now();
        let user = User {
            name: new.name.to_owned(),
            display_name: new.display_name.map(str::to_owned),
            role: new.role,
            units: new.units.to_vec(),
            active: true,
            created_at: created_at.clone(),
            email: new.email.map(str::to_owned),
        };
        let event = Event::new(
            "user.add",
            format!("user:{}", new.name),
            json!({ "after": { "role": new.role, "units": new.units, "display_name": new.display_name, "email": new.email } }),
        );
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (name, display_name, role, password_hash, active, created_at, email)
                 VALUES ($1, $2, $3, $4, TRUE, $5, $6) RETURNING id",
            )
            .bind(new.name)
            .bind(new.display_name)
            .bind(new.role.as_str())
            .bind(new.password_hash)
            .bind(&created_at)
            .bind(new.email)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| taken(e, || StoreError::UserExists(new.name.to_owned())))?;
            insert_units!(tx, id, new.units);
            append_audit!(tx, who, &event);
            tx.commit().await?;
        });
        Ok(user)
    }

    /// Every account, by name.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY name"
            )))
            .fetch_all(pool)
            .await?
        });
        let units: Vec<(i64, String, String)> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT user_id, kind, code FROM user_units ORDER BY user_id, kind, code",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| {
                let id = row.0;
                let own = units.iter().filter(|(user, ..)| *user == id);
                user_from(
                    row,
                    own.map(|(_, kind, code)| (kind.as_str(), code.as_str())),
                )
            })
            .collect())
    }

    /// The account called `name`, if any.
    pub async fn user(&self, name: &str) -> Result<Option<User>> {
        Ok(self.credentials(name).await?.map(|(user, _)| user))
    }

    /// The account called `name` with its password hash, to check a password at sign-in.
    pub async fn credentials(&self, name: &str) -> Result<Option<(User, String)>> {
        let row: Option<CredentialRow> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS}, password_hash FROM users WHERE name = $1"
            )))
            .bind(name)
            .fetch_optional(pool)
            .await?
        });
        let Some((id, name, display_name, role, active, created_at, email, hash)) = row else {
            return Ok(None);
        };
        let units: Vec<(String, String)> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT kind, code FROM user_units WHERE user_id = $1 ORDER BY kind, code",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        let user = user_from(
            (id, name, display_name, role, active, created_at, email),
            units
                .iter()
                .map(|(kind, code)| (kind.as_str(), code.as_str())),
        );
        Ok(Some((user, hash)))
    }

    /// Disables (`active` false) or enables an account. Disabling ends its sessions.
    pub async fn set_user_active(&self, who: &Who, name: &str, active: bool) -> Result<()> {
        let before = self.existing_user(name).await?;
        let event = Event::new(
            if active {
                "user.enable"
            } else {
                "user.disable"
            },
            format!("user:{name}"),
            json!({ "before": { "active": before.active }, "after": { "active": active } }),
        );
        let sql = "UPDATE users SET active = $2 WHERE name = $1";
        self.change_user(who, name, &event, !active, sql, Bind::Active(active))
            .await
    }

    /// Sets an account's password (a PHC string) and ends its sessions.
    pub async fn set_password(&self, who: &Who, name: &str, password_hash: &str) -> Result<()> {
        self.existing_user(name).await?;
        // Never the hash, not even before and after: only that it changed.
        let event = Event::new("user.passwd", format!("user:{name}"), json!({}));
        let sql = "UPDATE users SET password_hash = $2 WHERE name = $1";
        self.change_user(who, name, &event, true, sql, Bind::Text(password_hash))
            .await
    }

    /// Sets (or, with `None`, removes) the address an account's notices are mailed to.
    pub async fn set_email(&self, who: &Who, name: &str, email: Option<&str>) -> Result<()> {
        let before = self.existing_user(name).await?;
        let event = Event::new(
            "user.set_email",
            format!("user:{name}"),
            json!({ "before": { "email": before.email }, "after": { "email": email } }),
        );
        let sql = "UPDATE users SET email = $2 WHERE name = $1";
        self.change_user(who, name, &event, false, sql, Bind::Email(email))
            .await
    }

    /// Changes an account's role and units, and ends its sessions.
    pub async fn set_role(&self, who: &Who, name: &str, role: Role, units: &[Unit]) -> Result<()> {
        let before = self.existing_user(name).await?;
        let after = User {
            role,
            units: units.to_vec(),
            ..before.clone()
        };
        let event = Event::new(
            "user.set_role",
            format!("user:{name}"),
            json!({ "before": before.scope_json(), "after": after.scope_json() }),
        );
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 =
                sqlx::query_scalar("UPDATE users SET role = $2 WHERE name = $1 RETURNING id")
                    .bind(name)
                    .bind(role.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
            sqlx::query("DELETE FROM user_units WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            insert_units!(tx, id, units);
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            append_audit!(tx, who, &event);
            tx.commit().await?;
        });
        Ok(())
    }

    async fn existing_user(&self, name: &str) -> Result<User> {
        self.user(name)
            .await?
            .ok_or_else(|| StoreError::UnknownUser(name.to_owned()))
    }

    /// One update of the row of user `name` (`sql` binds the name as `$1` and `value` as `$2`), its audit entry and, when `end_sessions`, the end of the user's
    /// sessions, in one transaction.
    async fn change_user(
        &self,
        who: &Who,
        name: &str,
        event: &Event,
        end_sessions: bool,
        sql: &'static str,
        value: Bind<'_>,
    ) -> Result<()> {
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let query = sqlx::query(sql).bind(name);
            let query = match &value {
                Bind::Active(active) => query.bind(*active),
                Bind::Text(text) => query.bind(*text),
                Bind::Email(email) => query.bind(*email),
            };
            if query.execute(&mut *tx).await?.rows_affected() == 0 {
                return Err(StoreError::UnknownUser(name.to_owned()));
            }
            if end_sessions {
                sqlx::query(
                    "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = $1)",
                )
                .bind(name)
                .execute(&mut *tx)
                .await?;
            }
            append_audit!(tx, who, event);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores a new API token for `user` by its hash (`planwatch_access::hash_secret`).
    /// Refused when a token not revoked has the same name, or the user does not exist.
    pub async fn create_token(
        &self,
        who: &Who,
        name: &str,
        user: &str,
        token_hash: &str,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<TokenInfo> {
        self.existing_user(user).await?;
        let info = TokenInfo {
            name: name.to_owned(),
            user: user.to_owned(),
            created_at: now.timestamp(),
            expires_at: expires_at.map(|t| t.timestamp()),
            revoked_at: None,
        };
        let event = Event::new(
            "token.create",
            format!("token:{name}"),
            json!({ "after": { "user": user, "expires_at": expires_at.map(|t| t.to_rfc3339()) } }),
        );
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO api_tokens (name, user_id, token_hash, created_at, expires_at)
                 SELECT $1, id, $3, $4, $5 FROM users WHERE name = $2",
            )
            .bind(name)
            .bind(user)
            .bind(token_hash)
            .bind(info.created_at)
            .bind(info.expires_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| taken(e, || StoreError::TokenExists(name.to_owned())))?;
            append_audit!(tx, who, &event);
            tx.commit().await?;
        });
        Ok(info)
    }

    /// Every token, revoked ones included, by name.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows: Vec<TokenRow> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{TOKEN_SELECT} ORDER BY t.name, t.id"
            )))
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(token_info).collect())
    }

    /// Revokes the token called `name` (the one not yet revoked).
    pub async fn revoke_token(&self, who: &Who, name: &str, now: DateTime<Utc>) -> Result<()> {
        let event = Event::new("token.revoke", format!("token:{name}"), json!({}));
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let revoked = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
            )
            .bind(name)
            .bind(now.timestamp())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if revoked == 0 {
                return Err(StoreError::UnknownToken(name.to_owned()));
            }
            append_audit!(tx, who, &event);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The token with hash `token_hash` and its user, when the token is neither revoked nor
    /// expired at `now` and the user is active.
    pub async fn token_by_hash(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(TokenInfo, User)>> {
        let row: Option<TokenRow> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{TOKEN_SELECT} WHERE t.token_hash = $1 AND t.revoked_at IS NULL
                   AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.active"
            )))
            .bind(token_hash)
            .bind(now.timestamp())
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        let token = token_info(row);
        let user = self.existing_user(&token.user).await?;
        Ok(Some((token, user)))
    }
}

/// The one value an update of a user's row sets.
enum Bind<'a> {
    Active(bool),
    Text(&'a str),
    Email(Option<&'a str>),
}

fn user_from<'a>(
    (_, name, display_name, role, active, created_at, email): UserRow,
    units: impl Iterator<Item = (&'a str, &'a str)>,
) -> User {
    User {
        name,
        display_name,
        // The table's CHECK admits only the four roles.
        role: role.parse().unwrap_or(Role::Viewer),
        units: units
            .filter_map(|(kind, code)| Unit::from_parts(kind, code))
            .collect(),
        active,
        created_at,
        email,
    }
}

/// A unique-constraint violation as `error()`, any other error as it is.
fn taken(error: sqlx::Error, conflict: impl FnOnce() -> StoreError) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => conflict(),
        _ => StoreError::Database(error),
    }
}
