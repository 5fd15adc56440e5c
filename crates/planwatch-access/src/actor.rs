//! Roles, units, accounts and actors.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a signed-in user is allowed to do, before unit scope is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Users, settings, everything.
    Admin,
    /// The plan office (商务局 with 发改委): reviews and approves, targets, assessments, plan loads.
    Planner,
    /// A unit's reporter: submits figures for its units only.
    Reporter,
    /// Leaders: read everything published, all units' status.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Planner, Role::Reporter, Role::Viewer];

    /// The code used on the command line, in the store and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Reporter => "reporter",
            Role::Viewer => "viewer",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Planner => "规划办",
            Role::Reporter => "填报员",
            Role::Viewer => "查阅者",
        }
    }

    /// Whether users of this role are scoped to units (and need at least one).
    pub fn has_units(self) -> bool {
        self == Role::Reporter
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is none of `admin`, `planner`, `reporter`, `viewer`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "未知角色“{0}”（可用：admin、planner、reporter、viewer）/ unknown role \"{0}\" (one of admin, planner, reporter, viewer)"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// A unit a reporter is scoped to: a region (区（市）县 or 管委会) or a city department, by its
/// code in the plan file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum Unit {
    Region(String),
    Department(String),
}

impl Unit {
    /// `region` or `department`, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Unit::Region(_) => "region",
            Unit::Department(_) => "department",
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Unit::Region(code) | Unit::Department(code) => code,
        }
    }

    /// The unit of a stored `kind` and `code`; `None` for an unknown kind.
    pub fn from_parts(kind: &str, code: &str) -> Option<Unit> {
        match kind {
            "region" => Some(Unit::Region(code.to_owned())),
            "department" => Some(Unit::Department(code.to_owned())),
            _ => None,
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.code())
    }
}

/// A user account as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub role: Role,
    pub units: Vec<Unit>,
    /// False once an administrator disabled the account: it may then do nothing.
    pub active: bool,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user.
    User(Account),
    /// An API token (`Authorization: Bearer pwt_…`), acting as its user with that user's scope.
    Token { name: String, user: Account },
    /// The command line, run by an operating-system user: the administrator's tool.
    Cli { os_user: String },
    /// The installation itself, doing a task nobody asked for at that moment: `first-start`, the
    /// server giving an empty store the Chengdu plan and its sample data. Acts as an
    /// administrator.
    System { task: String },
    /// Nobody signed in.
    Anonymous,
}

impl Actor {
    /// The account whose role and units apply (the token's user for a token).
    pub fn account(&self) -> Option<&Account> {
        match self {
            Actor::User(account) | Actor::Token { user: account, .. } => Some(account),
            Actor::Cli { .. } | Actor::System { .. } | Actor::Anonymous => None,
        }
    }

    /// The role that applies: the command line and the system act as an administrator.
    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Cli { .. } | Actor::System { .. } => Some(Role::Admin),
            Actor::Anonymous => None,
            Actor::User(account) | Actor::Token { user: account, .. } => Some(account.role),
        }
    }

    /// As written in the audit log: the user name, `token:NAME`, `cli:USER`, `system:TASK` or
    /// `anonymous`.
    pub fn label(&self) -> String {
        match self {
            Actor::User(account) => account.name.clone(),
            Actor::Token { name, .. } => format!("token:{name}"),
            Actor::Cli { os_user } => format!("cli:{os_user}"),
            Actor::System { task } => format!("system:{task}"),
            Actor::Anonymous => "anonymous".to_owned(),
        }
    }

    /// The role as written in the audit log (`anonymous` for nobody).
    pub fn role_label(&self) -> &'static str {
        self.role().map_or("anonymous", Role::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_from_their_codes() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        let error = "root".parse::<Role>().unwrap_err().to_string();
        assert!(
            error.contains("未知角色") && error.contains("unknown role"),
            "{error}"
        );
    }

    #[test]
    fn actors_are_labelled_for_the_audit_log() {
        let alice = Account {
            name: "alice".into(),
            role: Role::Reporter,
            units: vec![Unit::Region("510104".into())],
            active: true,
        };
        let token = Actor::Token {
            name: "etl".into(),
            user: alice.clone(),
        };
        assert_eq!(token.label(), "token:etl");
        assert_eq!(token.role_label(), "reporter");
        assert_eq!(Actor::User(alice).label(), "alice");
        let cli = Actor::Cli {
            os_user: "ops".into(),
        };
        assert_eq!(
            (cli.label().as_str(), cli.role_label()),
            ("cli:ops", "admin")
        );
        let first_start = Actor::System {
            task: "first-start".into(),
        };
        assert_eq!(
            (first_start.label().as_str(), first_start.role_label()),
            ("system:first-start", "admin")
        );
        assert_eq!(Actor::Anonymous.role_label(), "anonymous");
    }
}
