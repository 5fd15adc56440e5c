//! The access policy: one function, [`Policy::may`], that every handler, page and command asks.

use planwatch_plan::Plan;

use crate::actor::{Account, Actor, Role, Unit};

/// Who may read published data: everyone (`--public`) or signed-in users only (`--private`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    #[default]
    Public,
    Private,
}

/// What an actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See the object.
    Read,
    /// Submit (or correct) a figure for review.
    Submit,
    /// Approve or return a submitted figure.
    Approve,
    /// Create, change or delete the object (an import, a set of targets, an account …).
    Change,
    /// Change an account's password.
    ChangePassword,
}

impl Action {
    fn zh(self) -> &'static str {
        match self {
            Action::Read => "查看",
            Action::Submit => "报送",
            Action::Approve => "审核",
            Action::Change => "修改",
            Action::ChangePassword => "修改密码",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Change => "change",
            Action::ChangePassword => "change the password of",
        }
    }
}

/// Whether a figure has been approved and published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FigureState {
    Published,
    /// Submitted by `submitted_by` and not yet approved and published: confidential (统计法).
    Unpublished {
        submitted_by: Unit,
    },
}

/// One figure: an indicator's value for a region, with what unit scope needs to know of the
/// indicator (its lead and responsible departments, from the plan file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub indicator: String,
    pub lead_department: Option<String>,
    pub departments: Vec<String>,
    pub region: String,
    pub state: FigureState,
}

impl Figure {
    /// The figure of `indicator` for `region` in `plan`; `None` when the plan has no such
    /// indicator.
    pub fn of(plan: &Plan, indicator: &str, region: &str, state: FigureState) -> Option<Figure> {
        let found = plan.indicators.iter().find(|i| i.code == indicator)?;
        Some(Figure {
            indicator: found.code.clone(),
            lead_department: found.lead_department.clone(),
            departments: found.departments.clone(),
            region: region.to_owned(),
            state,
        })
    }

    /// Whether `unit` reports this figure: a region unit for its own region, a department for
    /// the indicators it leads or is responsible for.
    pub fn reported_by(&self, unit: &Unit) -> bool {
        match unit {
            Unit::Region(code) => *code == self.region,
            Unit::Department(code) => {
                self.lead_department.as_ref() == Some(code) || self.departments.contains(code)
            }
        }
    }
}

/// What an action is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// The plan (read; change = load a plan).
    Plan,
    /// One figure.
    Figure(Figure),
    /// The published observations as a whole (read, export; change = an import of a file).
    Observations,
    /// District target sets.
    DistrictTargets,
    /// Planners' assessments of qualitative targets.
    Assessments,
    /// Evaluations and every unit's status.
    Evaluation,
    /// The year's tasks (任务) and key projects (重大项目), with their status from approved
    /// progress reports: read like published data (the 任务 board, the 项目 list and map, their
    /// pages and `/api/tasks…`, `/api/projects…`).
    TasksAndProjects,
    /// A user account.
    User { name: String },
    /// The API tokens of a user.
    Tokens { user: String },
    /// The audit log.
    AuditLog,
    /// Units' submissions of figures (read and submit: reporters, each for its units — the
    /// workflow checks the unit —, planners and admins; approve or return: planners and admins).
    Submissions,
    /// Whether each unit reported on time (报送情况: every unit × period, on-time rates): the
    /// plan office and viewers (leaders) read it; a reporter sees its own units on 填报.
    ReportingStatus,
    /// Period locks (a year, for every indicator or one, whose figures then change only as a
    /// revision with a reason): read and change — lock, unlock — by the plan office.
    PeriodLocks,
    /// Notices as a whole (the bell, the list, marking them read): any signed-in account, each
    /// sees and changes only its own — which [`Object::Notice`] checks of one notice.
    Notices,
    /// One notice, by its recipient: only the recipient reads it or marks it read (not even an
    /// administrator reads another's).
    Notice { recipient: String },
    /// Supervision records (督查督办: 提醒, 警示, 督办单) of tasks, to `unit` (the task's lead
    /// unit; `None`: the records as a whole, each then asked of with its unit). Read: the plan
    /// office and viewers all, a reporter its units' only; submit (answer a 督办单): the unit's
    /// reporters, and the administrator (the command line); change (issue): the plan office
    /// (the sweep runs as the system).
    Supervision { unit: Option<Unit> },
    /// The yearly assessment (年度考核) of every unit (`unit: None`: the ranking) or of one unit:
    /// read by the plan office and viewers, a reporter reads its own units' score; change —
    /// bonus and deduction items, freezing a year — by the plan office.
    Scores { unit: Option<Unit> },
    /// A frozen year's assessment: only an administrator unfreezes it (change).
    FrozenScores,
    /// The evaluation reports (年度评估、中期评估、总结评估: the 报告 page, their downloads, the
    /// `report` command) and the planner texts in them (存在问题, 对策建议): read by the plan
    /// office and viewers (leaders) — a report holds the plan office's draft analysis before it
    /// is circulated, so neither the public nor the units' reporters read it; change (save a new
    /// version of a text) by the plan office.
    Reports,
    /// Server settings.
    Settings,
    /// The whole store at once (issue 16): read = back it up or copy it out (`backup`, the
    /// source of `migrate`), change = replace its contents (`restore`, the target of
    /// `migrate`). Administrators only: a backup holds every unpublished figure and account.
    WholeStore,
}

impl Object {
    fn zh(&self) -> &'static str {
        match self {
            Object::Plan => "规划",
            Object::Figure(_) => "数据",
            Object::Observations => "监测数据",
            Object::DistrictTargets => "区（市）县目标",
            Object::Assessments => "定性评估",
            Object::Evaluation => "评估结果",
            Object::TasksAndProjects => "任务与项目",
            Object::User { .. } => "用户账户",
            Object::Tokens { .. } => "API 令牌",
            Object::AuditLog => "审计日志",
            Object::Submissions => "报送",
            Object::ReportingStatus => "报送情况",
            Object::PeriodLocks => "期间锁定",
            Object::Notices | Object::Notice { .. } => "通知",
            Object::Supervision { .. } => "督查督办",
            Object::Scores { .. } => "年度考核",
            Object::FrozenScores => "已冻结的考核结果",
            Object::Reports => "评估报告",
            Object::Settings => "系统设置",
            Object::WholeStore => "整个数据库",
        }
    }

    fn en(&self) -> &'static str {
        match self {
            Object::Plan => "the plan",
            Object::Figure(_) => "a figure",
            Object::Observations => "the observations",
            Object::DistrictTargets => "district targets",
            Object::Assessments => "assessments",
            Object::Evaluation => "the evaluation",
            Object::TasksAndProjects => "tasks and projects",
            Object::User { .. } => "a user account",
            Object::Tokens { .. } => "API tokens",
            Object::AuditLog => "the audit log",
            Object::Submissions => "submissions",
            Object::ReportingStatus => "the reporting status",
            Object::PeriodLocks => "period locks",
            Object::Notices => "notices",
            Object::Notice { .. } => "a notice",
            Object::Supervision { .. } => "supervision records",
            Object::Scores { .. } => "the yearly assessment",
            Object::FrozenScores => "a frozen assessment",
            Object::Reports => "the evaluation reports",
            Object::Settings => "the settings",
            Object::WholeStore => "the whole store",
        }
    }
}

/// The answer of [`Policy::may`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Denied(Denial),
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        *self == Decision::Allowed
    }

    /// `Ok` when allowed, the reason otherwise (to use with `?`).
    pub fn into_result(self) -> Result<(), Denial> {
        match self {
            Decision::Allowed => Ok(()),
            Decision::Denied(denial) => Err(denial),
        }
    }
}

/// Why an action is denied. `Display` gives Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    #[error("请先登录 / sign in first")]
    SignInRequired,
    #[error("账户已停用 / the account is disabled")]
    AccountDisabled,
    #[error(
        "角色“{role_zh}”不能{action_zh}{object_zh} / the role {role} may not {action} {object}"
    )]
    Role {
        role: &'static str,
        role_zh: &'static str,
        action: &'static str,
        action_zh: &'static str,
        object: &'static str,
        object_zh: &'static str,
    },
    #[error("该指标或地区不属于您的单位 / this figure is outside your units")]
    OutOfScope,
    #[error(
        "数据尚未发布，仅报送单位与规划办可见 / not yet published: visible only to the submitting unit and the plan office"
    )]
    Unpublished,
    #[error("只能查看或修改自己的账户 / only your own account")]
    NotYours,
    #[error("只能查看自己的通知 / only your own notices")]
    NotYourNotice,
    #[error("API 令牌不能修改密码 / an API token cannot change a password")]
    NotWithToken,
    #[error("不能对{object_zh}{action_zh} / one cannot {action} {object}")]
    NoSuchAction {
        action: &'static str,
        action_zh: &'static str,
        object: &'static str,
        object_zh: &'static str,
    },
}

impl Denial {
    /// Whether signing in could change the answer (HTTP 401 rather than 403).
    pub fn needs_sign_in(&self) -> bool {
        *self == Denial::SignInRequired
    }
}

/// The deployment's settings the rules depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    pub visibility: Visibility,
}

impl Policy {
    pub fn new(visibility: Visibility) -> Policy {
        Policy { visibility }
    }

    /// May `actor` do `action` to `object`? The rules, in order: a disabled account may do
    /// nothing; the command line is the administrator's tool; then the table of
    /// `docs/security.md`.
    pub fn may(&self, actor: &Actor, action: Action, object: &Object) -> Decision {
        match self.check(actor, action, object) {
            Ok(()) => Decision::Allowed,
            Err(denial) => Decision::Denied(denial),
        }
    }

    fn check(&self, actor: &Actor, action: Action, object: &Object) -> Result<(), Denial> {
        if actor.account().is_some_and(|account| !account.active) {
            return Err(Denial::AccountDisabled);
        }
        let role = actor.role();
        let no_such_action = || Denial::NoSuchAction {
            action: action.en(),
            action_zh: action.zh(),
            object: object.en(),
            object_zh: object.zh(),
        };
        let only = |roles: &[Role]| -> Result<(), Denial> {
            match role {
                None => Err(Denial::SignInRequired),
                Some(role) if roles.contains(&role) => Ok(()),
                Some(role) => Err(Denial::Role {
                    role: role.as_str(),
                    role_zh: role.label_zh(),
                    action: action.en(),
                    action_zh: action.zh(),
                    object: object.en(),
                    object_zh: object.zh(),
                }),
            }
        };
        const OFFICE: &[Role] = &[Role::Admin, Role::Planner];
        match (object, action) {
            (Object::Figure(figure), Action::Read) => match &figure.state {
                FigureState::Published => self.published(role),
                FigureState::Unpublished { submitted_by } => match (role, actor.account()) {
                    (None, _) => Err(Denial::SignInRequired),
                    (Some(Role::Admin | Role::Planner), _) => Ok(()),
                    (Some(Role::Reporter), Some(account))
                        if account.units.contains(submitted_by) =>
                    {
                        Ok(())
                    }
                    _ => Err(Denial::Unpublished),
                },
            },
            (Object::Figure(figure), Action::Submit) => match (role, actor.account()) {
                (Some(Role::Reporter), Some(account)) => {
                    if account.units.iter().any(|unit| figure.reported_by(unit)) {
                        Ok(())
                    } else {
                        Err(Denial::OutOfScope)
                    }
                }
                _ => only(&[Role::Admin, Role::Planner, Role::Reporter]),
            },
            (Object::Figure(_), Action::Approve) => only(OFFICE),
            (
                Object::Plan
                | Object::Observations
                | Object::DistrictTargets
                | Object::Assessments
                | Object::Evaluation
                | Object::TasksAndProjects,
                Action::Read,
            ) => self.published(role),
            (
                Object::Plan | Object::Observations | Object::DistrictTargets | Object::Assessments,
                Action::Change,
            ) => only(OFFICE),
            (Object::User { name }, Action::Read) => own_or_admin(actor, name, &only),
            (Object::User { name }, Action::ChangePassword) => {
                if matches!(actor, Actor::Token { .. }) {
                    return Err(Denial::NotWithToken);
                }
                own_or_admin(actor, name, &only)
            }
            (Object::User { .. }, Action::Change) => only(&[Role::Admin]),
            (Object::Tokens { user }, Action::Read) => own_or_admin(actor, user, &only),
            (Object::Tokens { .. }, Action::Change) => only(&[Role::Admin]),
            (Object::AuditLog, Action::Read) => only(OFFICE),
            (Object::Submissions, Action::Read | Action::Submit) => {
                only(&[Role::Admin, Role::Planner, Role::Reporter])
            }
            (Object::Submissions, Action::Approve) => only(OFFICE),
            (Object::ReportingStatus, Action::Read) => {
                only(&[Role::Admin, Role::Planner, Role::Viewer])
            }
            (Object::PeriodLocks, Action::Read | Action::Change) => only(OFFICE),
            (Object::Notices, Action::Read | Action::Change) => only(&Role::ALL),
            (Object::Notice { recipient }, Action::Read | Action::Change) => {
                match actor.account() {
                    None => Err(Denial::SignInRequired),
                    Some(account) if account.name == *recipient => Ok(()),
                    Some(_) => Err(Denial::NotYourNotice),
                }
            }
            (Object::Supervision { unit }, Action::Read) => match (role, actor.account()) {
                (Some(Role::Reporter), Some(account)) => match unit {
                    Some(unit) if !account.units.contains(unit) => Err(Denial::OutOfScope),
                    _ => Ok(()),
                },
                _ => only(&[Role::Admin, Role::Planner, Role::Viewer]),
            },
            (Object::Supervision { unit }, Action::Submit) => match (role, actor.account()) {
                (Some(Role::Reporter), Some(account)) => match unit {
                    Some(unit) if !account.units.contains(unit) => Err(Denial::OutOfScope),
                    _ => Ok(()),
                },
                _ => only(&[Role::Admin, Role::Reporter]),
            },
            (Object::Supervision { .. }, Action::Change) => only(OFFICE),
            (Object::Scores { unit }, Action::Read) => match (role, actor.account(), unit) {
                (Some(Role::Reporter), Some(account), Some(unit))
                    if account.units.contains(unit) =>
                {
                    Ok(())
                }
                (Some(Role::Reporter), Some(_), Some(_)) => Err(Denial::OutOfScope),
                _ => only(&[Role::Admin, Role::Planner, Role::Viewer]),
            },
            (Object::Scores { .. }, Action::Change) => only(OFFICE),
            (Object::FrozenScores, Action::Change) => only(&[Role::Admin]),
            (Object::Reports, Action::Read) => only(&[Role::Admin, Role::Planner, Role::Viewer]),
            (Object::Reports, Action::Change) => only(OFFICE),
            (Object::Settings | Object::WholeStore, Action::Read | Action::Change) => {
                only(&[Role::Admin])
            }
            _ => Err(no_such_action()),
        }
    }

    /// Published data: anyone on a public deployment, signed-in users on a private one.
    fn published(&self, role: Option<Role>) -> Result<(), Denial> {
        match (self.visibility, role) {
            (Visibility::Private, None) => Err(Denial::SignInRequired),
            _ => Ok(()),
        }
    }
}

/// The actor's own account (by name), or any account for an administrator.
fn own_or_admin(
    actor: &Actor,
    name: &str,
    only: &dyn Fn(&[Role]) -> Result<(), Denial>,
) -> Result<(), Denial> {
    match actor.account() {
        Some(Account { name: own, .. }) if own == name => Ok(()),
        Some(_) => only(&[Role::Admin]).map_err(|_| Denial::NotYours),
        None => only(&[Role::Admin]),
    }
}

#[cfg(test)]
mod tests;
