//! `user`, `token` and `audit`: accounts, API tokens and the audit log. The command line is the
//! administrator's tool: it acts as `cli:<OS user>`, asks the access policy like every other
//! front end, and every change it makes is audited in the change's own transaction.

use std::io::BufRead;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use clap::{Args, Subcommand, ValueEnum};
use planwatch_access::{
    Action, Object, PASSWORD_ENTROPY_BYTES, Role, SECRET_ENTROPY_BYTES, Unit, check_name,
    check_password, check_role_units, generate_password, generate_token, hash_password,
    hash_secret, resolve_unit,
};
use planwatch_store::{AuditFilter, AuditRecord, NewUser, Store, StoreError, TokenInfo, Who};

use crate::Outcome;
use crate::commands::data::{StoreArgs, parse_date};
use crate::commands::plan::new_table;
use crate::commands::{allowed, cli_actor, refuse};

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create an account; a strong password is generated and printed once unless given on stdin
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A unit of a reporter: a region or department code of the plan (repeatable)
        #[arg(long = "unit", value_name = "CODE")]
        units: Vec<String>,
        #[arg(long, value_name = "TEXT")]
        display_name: Option<String>,
        /// Where the user's notices are mailed (when `serve` has `--smtp`)
        #[arg(long, value_name = "ADDR", value_parser = parse_email)]
        email: Option<String>,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set the address a user's notices are mailed to (`-` removes it)
    SetEmail {
        name: String,
        #[arg(value_name = "ADDR", value_parser = parse_email_or_none)]
        email: EmailSetting,
    },
    /// List the accounts
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Disable an account (its sessions end at once)
    Disable { name: String },
    /// Enable a disabled account
    Enable { name: String },
    /// Set a new password (generated and printed once unless given on stdin); sessions end
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change the role and units of an account; its sessions end
    SetRole {
        name: String,
        #[arg(value_parser = parse_role)]
        role: Role,
        #[arg(long = "unit", value_name = "CODE")]
        units: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create an API token acting as USER; the token (pwt_…) is printed once
    Create {
        name: String,
        #[arg(long)]
        user: String,
        /// Days until the token expires (default: never)
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires: Option<u32>,
    },
    /// List the tokens (never their secrets)
    List,
    /// Revoke a token
    Revoke { name: String },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct AuditArgs {
    #[command(subcommand)]
    command: Option<AuditCommand>,
    /// Entries from this day on (YYYY-MM-DD, UTC)
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    since: Option<String>,
    /// Entries of this actor (a user name, token:NAME or cli:USER)
    #[arg(long, value_name = "NAME")]
    actor: Option<String>,
    /// Entries of this action (user.add, token.revoke, session.sign_in …)
    #[arg(long, value_name = "A")]
    action: Option<String>,
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    format: AuditFormat,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exit 1 naming the first entry altered or removed
    Verify,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AuditFormat {
    Table,
    Json,
    Csv,
}

/// An e-mail address, as the mailer will take it.
fn parse_email(text: &str) -> Result<String, String> {
    text.parse::<lettre::Address>()
        .map(|address| address.to_string())
        .map_err(|e| format!("不是电子邮件地址 / not an e-mail address: {e}"))
}

/// `user set-email`'s argument: an address, or `-` for none.
#[derive(Debug, Clone)]
pub(crate) struct EmailSetting(Option<String>);

fn parse_email_or_none(text: &str) -> Result<EmailSetting, String> {
    match text {
        "-" => Ok(EmailSetting(None)),
        _ => parse_email(text).map(|address| EmailSetting(Some(address))),
    }
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
        .map_err(|e: planwatch_access::UnknownRole| e.to_string())
}

/// The outcome of a store error: a refusal for what the user asked wrong, a failure otherwise.
fn store_refusal(error: StoreError) -> anyhow::Result<Outcome> {
    match error {
        StoreError::UnknownUser(_)
        | StoreError::UserExists(_)
        | StoreError::UnknownToken(_)
        | StoreError::TokenExists(_) => Ok(refuse(error)),
        other => Err(other.into()),
    }
}

/// Runs `$body` (a store call) and turns a refusal by the store into exit code 1.
macro_rules! or_refuse {
    ($body:expr) => {
        match $body {
            Ok(value) => value,
            Err(error) => return store_refusal(error),
        }
    };
}

/// `N` random bytes from the operating system.
fn random<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no random bytes: {e}"))?;
    Ok(bytes)
}

/// The new password of `user`: the first line of stdin, checked against the password policy,
/// or a generated one, printed once on stdout. Never echoed otherwise.
fn new_password(user: &str, from_stdin: bool) -> anyhow::Result<Result<String, Outcome>> {
    if !from_stdin {
        let password = generate_password(&random::<PASSWORD_ENTROPY_BYTES>()?);
        eprintln!("生成的密码只显示这一次 the generated password is shown only this once:");
        println!("{password}");
        return Ok(Ok(password));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    Ok(match check_password(&password, user) {
        Ok(()) => Ok(password),
        Err(problem) => Err(refuse(problem)),
    })
}

fn hash(password: &str) -> anyhow::Result<String> {
    Ok(hash_password(password, &random::<16>()?))
}

/// The units given, checked against the plan's regions and departments and against the role.
async fn units(
    store_args: &StoreArgs,
    store: &Store,
    role: Role,
    codes: &[String],
) -> anyhow::Result<Result<Vec<Unit>, Outcome>> {
    let mut units = Vec::new();
    if !codes.is_empty() {
        let plan = store_args.plan(store).await?;
        for code in codes {
            match resolve_unit(&plan, code) {
                Ok(unit) if !units.contains(&unit) => units.push(unit),
                Ok(_) => {}
                Err(error) => return Ok(Err(refuse(error))),
            }
        }
    }
    Ok(match check_role_units(role, &units) {
        Ok(()) => Ok(units),
        Err(error) => Err(refuse(error)),
    })
}

/// Unwraps an `Ok(Err(outcome))` into an early return of the outcome.
macro_rules! or_return {
    ($body:expr) => {
        match $body {
            Ok(value) => value,
            Err(outcome) => return Ok(outcome),
        }
    };
}

pub(crate) async fn user(store_args: &StoreArgs, command: &UserCommand) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    let who = Who::of(&actor, None);
    let store = store_args.open().await?;
    let account = |name: &str| Object::User {
        name: name.to_owned(),
    };
    match command {
        UserCommand::Add {
            name,
            role,
            units: codes,
            display_name,
            email,
            password_stdin,
        } => {
            or_return!(allowed(&actor, Action::Change, &account(name)));
            if let Err(problem) = check_name("user", name) {
                return Ok(refuse(problem));
            }
            if store.user(name).await?.is_some() {
                return Ok(refuse(StoreError::UserExists(name.clone())));
            }
            let units = or_return!(units(store_args, &store, *role, codes).await?);
            let password = or_return!(new_password(name, *password_stdin)?);
            let new = NewUser {
                name,
                display_name: display_name.as_deref(),
                role: *role,
                units: &units,
                password_hash: &hash(&password)?,
                email: email.as_deref(),
            };
            let user = or_refuse!(store.add_user(&who, &new).await);
            eprintln!(
                "已创建用户 created user {} ({}{})",
                user.name,
                user.role,
                units_text(&user.units, ": ")
            );
        }
        UserCommand::SetEmail { name, email } => {
            or_return!(allowed(&actor, Action::Change, &account(name)));
            or_refuse!(store.set_email(&who, name, email.0.as_deref()).await);
            match &email.0 {
                Some(address) => eprintln!("{name}: 通知将发送到 notices are mailed to {address}"),
                None => eprintln!("{name}: 不再发送通知邮件 notices are no longer mailed"),
            }
        }
        UserCommand::List { format } => {
            or_return!(allowed(&actor, Action::Read, &account("")));
            print_users(&store.users().await?, *format)?;
        }
        UserCommand::Disable { name } | UserCommand::Enable { name } => {
            or_return!(allowed(&actor, Action::Change, &account(name)));
            let active = matches!(command, UserCommand::Enable { .. });
            or_refuse!(store.set_user_active(&who, name, active).await);
            if active {
                eprintln!("已启用 enabled {name}");
            } else {
                eprintln!("已停用 disabled {name}; 其会话已结束 their sessions have ended");
            }
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            or_return!(allowed(&actor, Action::ChangePassword, &account(name)));
            if store.user(name).await?.is_none() {
                return Ok(refuse(StoreError::UnknownUser(name.clone())));
            }
            let password = or_return!(new_password(name, *password_stdin)?);
            or_refuse!(store.set_password(&who, name, &hash(&password)?).await);
            eprintln!(
                "已修改 {name} 的密码 password changed; 其会话已结束 their sessions have ended"
            );
        }
        UserCommand::SetRole {
            name,
            role,
            units: codes,
        } => {
            or_return!(allowed(&actor, Action::Change, &account(name)));
            let units = or_return!(units(store_args, &store, *role, codes).await?);
            or_refuse!(store.set_role(&who, name, *role, &units).await);
            eprintln!(
                "{name}: {role}{}; 其会话已结束 their sessions have ended",
                units_text(&units, " ")
            );
        }
    }
    Ok(Outcome::Success)
}

fn units_text(units: &[Unit], lead: &str) -> String {
    if units.is_empty() {
        return String::new();
    }
    let list: Vec<String> = units.iter().map(Unit::to_string).collect();
    format!("{lead}{}", list.join(", "))
}

fn print_users(users: &[planwatch_store::User], format: ListFormat) -> anyhow::Result<()> {
    match format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = users
                .iter()
                .map(|u| {
                    serde_json::json!({
                        "name": u.name,
                        "display_name": u.display_name,
                        "role": u.role,
                        "units": u.units,
                        "active": u.active,
                        "created_at": u.created_at,
                        "email": u.email,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        ListFormat::Table => {
            let mut table = new_table(&[
                "用户 User",
                "姓名 Name",
                "角色 Role",
                "单位 Units",
                "邮箱 E-mail",
                "状态 State",
                "创建 Created (UTC)",
            ]);
            for u in users {
                table.add_row([
                    u.name.clone(),
                    u.display_name.clone().unwrap_or_default(),
                    format!("{} {}", u.role.label_zh(), u.role),
                    units_text(&u.units, ""),
                    u.email.clone().unwrap_or_default(),
                    if u.active {
                        "启用 active"
                    } else {
                        "停用 disabled"
                    }
                    .to_owned(),
                    u.created_at.clone(),
                ]);
            }
            println!("{table}");
        }
    }
    Ok(())
}

pub(crate) async fn token(
    store_args: &StoreArgs,
    command: &TokenCommand,
) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    let who = Who::of(&actor, None);
    let store = store_args.open().await?;
    let now = Utc::now();
    match command {
        TokenCommand::Create {
            name,
            user,
            expires,
        } => {
            let tokens = Object::Tokens { user: user.clone() };
            or_return!(allowed(&actor, Action::Change, &tokens));
            if let Err(problem) = check_name("token", name) {
                return Ok(refuse(problem));
            }
            let token = generate_token(&random::<SECRET_ENTROPY_BYTES>()?);
            let expires_at = expires.map(|days| now + Duration::days(i64::from(days)));
            let info = or_refuse!(
                store
                    .create_token(&who, name, user, &hash_secret(&token), expires_at, now)
                    .await
            );
            eprintln!(
                "令牌 {} 代表用户 {}（{}）；只显示这一次 token {} acts as {} (expires {}); shown only this once:",
                info.name,
                info.user,
                expiry(&info),
                info.name,
                info.user,
                expiry(&info)
            );
            println!("{token}");
        }
        TokenCommand::List => {
            or_return!(allowed(
                &actor,
                Action::Read,
                &Object::Tokens {
                    user: String::new()
                }
            ));
            let mut table = new_table(&[
                "令牌 Token",
                "用户 User",
                "创建 Created (UTC)",
                "到期 Expires (UTC)",
                "状态 State",
            ]);
            for info in store.tokens().await? {
                let state = match (info.revoked_at, info.expires_at) {
                    (Some(_), _) => "已吊销 revoked",
                    (None, Some(at)) if at <= now.timestamp() => "已过期 expired",
                    _ => "有效 in force",
                };
                table.add_row([
                    info.name.clone(),
                    info.user.clone(),
                    time(info.created_at),
                    expiry(&info),
                    state.to_owned(),
                ]);
            }
            println!("{table}");
        }
        TokenCommand::Revoke { name } => {
            or_return!(allowed(
                &actor,
                Action::Change,
                &Object::Tokens {
                    user: String::new()
                }
            ));
            or_refuse!(store.revoke_token(&who, name, now).await);
            eprintln!("已吊销令牌 revoked token {name}");
        }
    }
    Ok(Outcome::Success)
}

fn time(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn expiry(info: &TokenInfo) -> String {
    info.expires_at.map_or_else(|| "never".to_owned(), time)
}

pub(crate) async fn audit(store_args: &StoreArgs, args: &AuditArgs) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    or_return!(allowed(&actor, Action::Read, &Object::AuditLog));
    let store = store_args.open().await?;
    if let Some(AuditCommand::Verify) = args.command {
        let verification = store.verify_audit().await?;
        return Ok(match verification.problem {
            None => {
                println!(
                    "审计日志完整 the audit log is intact: {} 条 entries, 末条哈希 head {}",
                    verification.entries, verification.head
                );
                Outcome::Success
            }
            Some(problem) => refuse(format!(
                "{problem}（此前 {n} 条完好 the {n} entries before it are intact）",
                n = verification.entries
            )),
        });
    }
    let entries = store
        .audit_log(&AuditFilter {
            since: args.since.clone(),
            actor: args.actor.clone(),
            action: args.action.clone(),
            ..AuditFilter::default()
        })
        .await?;
    print_audit(&entries, args.format)?;
    Ok(Outcome::Success)
}

const AUDIT_HEADER: [&str; 8] = [
    "id", "at", "actor", "role", "action", "object", "details", "client",
];

fn audit_row(e: &AuditRecord) -> [String; 8] {
    [
        e.id.to_string(),
        e.at.clone(),
        e.actor.clone(),
        e.role.clone(),
        e.action.clone(),
        e.object.clone(),
        e.details.clone(),
        e.client.clone().unwrap_or_default(),
    ]
}

fn print_audit(entries: &[AuditRecord], format: AuditFormat) -> anyhow::Result<()> {
    match format {
        AuditFormat::Table => {
            let mut table = new_table(&AUDIT_HEADER);
            for e in entries {
                table.add_row(audit_row(e));
            }
            println!("{table}");
        }
        AuditFormat::Csv => {
            let mut writer = csv::Writer::from_writer(std::io::stdout().lock());
            writer.write_record(AUDIT_HEADER)?;
            for e in entries {
                writer.write_record(audit_row(e))?;
            }
            writer.flush()?;
        }
        AuditFormat::Json => {
            let list: Vec<serde_json::Value> = entries
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "id": e.id,
                        "at": e.at,
                        "actor": e.actor,
                        "role": e.role,
                        "action": e.action,
                        "object": e.object,
                        "details": serde_json::from_str::<serde_json::Value>(&e.details)
                            .unwrap_or_else(|_| serde_json::Value::String(e.details.clone())),
                        "client": e.client,
                        "hash": e.hash,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
    }
    Ok(())
}
