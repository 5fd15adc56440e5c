//! The route → rule table: for every route the router serves, what the access policy is asked
//! before the handler runs. A route without a rule is refused (403) by `auth::guard`, and the
//! authorization matrix test (`planwatch-cli/tests/it/matrix.rs`) enumerates the router's routes
//! ([`crate::route_paths`]) and fails on any route missing here.

use axum::http::Method;
use planwatch_access::{Action, Object};

/// What a route asks of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rule {
    /// No question: health checks, the files every page loads, signing in and out.
    Anyone,
    /// `Policy::may(actor, action, object)`.
    May(Action, Object),
    /// The actor's own account: read it (GET), change its password (anything else).
    OwnAccount,
}

const PLAN: Rule = Rule::May(Action::Read, Object::Plan);
const DATA: Rule = Rule::May(Action::Read, Object::Observations);
const EVALUATION: Rule = Rule::May(Action::Read, Object::Evaluation);
const AUDIT: Rule = Rule::May(Action::Read, Object::AuditLog);
const SUBMISSIONS: Rule = Rule::May(Action::Read, Object::Submissions);
const SUBMIT: Rule = Rule::May(Action::Submit, Object::Submissions);
const REVIEW: Rule = Rule::May(Action::Approve, Object::Submissions);
const STANDING: Rule = Rule::May(Action::Read, Object::ReportingStatus);
const NOTICES: Rule = Rule::May(Action::Read, Object::Notices);
const MARK_NOTICES: Rule = Rule::May(Action::Change, Object::Notices);
const SUPERVISION: Rule = Rule::May(Action::Read, Object::Supervision { unit: None });
const ANSWER_ORDERS: Rule = Rule::May(Action::Submit, Object::Supervision { unit: None });
const PERIOD_LOCKS: Rule = Rule::May(Action::Read, Object::PeriodLocks);
const LOCK_PERIODS: Rule = Rule::May(Action::Change, Object::PeriodLocks);
// Every signed-in account (the scores' handlers then ask `Object::Scores { unit }` of each
// unit, so that a reporter reads its own units' only).
const SIGNED_IN: Rule = Rule::May(Action::Read, Object::Notices);
const CHANGE_SCORES: Rule = Rule::May(Action::Change, Object::Scores { unit: None });
const TASKS: Rule = Rule::May(Action::Read, Object::TasksAndProjects);
const REPORTS: Rule = Rule::May(Action::Read, Object::Reports);
const EDIT_REPORTS: Rule = Rule::May(Action::Change, Object::Reports);

/// Every route (as axum's `MatchedPath` names it) and its rule.
const RULES: &[(&str, Rule)] = &[
    ("/healthz", Rule::Anyone),
    // The files pages load: the sign-in page needs them before anyone signs in.
    ("/static/{*path}", Rule::Anyone),
    ("/vendor/echarts.min.js", Rule::Anyone),
    ("/vendor/htmx.min.js", Rule::Anyone),
    // Signing in and out, and the account.
    ("/api/session", Rule::Anyone),
    ("/login", Rule::Anyone),
    ("/logout", Rule::Anyone),
    ("/account", Rule::OwnAccount),
    // The audit log.
    ("/api/audit", AUDIT),
    ("/audit", AUDIT),
    // Submissions: reporters (the workflow checks the unit), planners and admins; the plan
    // office reviews.
    ("/api/submissions", SUBMIT),
    ("/api/submissions/check", SUBMIT),
    ("/api/submissions/{id}", SUBMISSIONS),
    ("/api/submissions/{id}/rows", SUBMIT),
    ("/api/submissions/{id}/submit", SUBMIT),
    ("/api/submissions/{id}/withdraw", SUBMIT),
    ("/api/submissions/{id}/approve", REVIEW),
    ("/api/submissions/{id}/return", REVIEW),
    // Progress reports on tasks and key projects: as submissions (evidence downloads and
    // removals share a path, whose rule is the submission's: the same roles; the store checks
    // the unit of a removal).
    ("/api/progress", SUBMIT),
    ("/api/progress/{id}", SUBMIT),
    ("/api/progress/{id}/evidence", SUBMIT),
    ("/api/progress/{id}/evidence/{evidence}", SUBMIT),
    ("/api/progress/{id}/submit", SUBMIT),
    ("/api/progress/{id}/withdraw", SUBMIT),
    ("/api/progress/{id}/approve", REVIEW),
    ("/api/progress/{id}/return", REVIEW),
    // The workflow's pages: 填报 (the unit's; the handlers pick the caller's units), 审核 and
    // 报送情况.
    ("/report", SUBMIT),
    ("/report/form", SUBMIT),
    ("/review", REVIEW),
    ("/review/{id}", REVIEW),
    ("/review/progress/{id}", REVIEW),
    ("/reporting", STANDING),
    // Period locks: the plan office reads and changes them (GET and POST share
    // `/api/period-locks`, whose rule is the change: the same roles).
    ("/api/period-locks", LOCK_PERIODS),
    ("/api/period-locks/unlock", LOCK_PERIODS),
    ("/periods", PERIOD_LOCKS),
    ("/periods/lock", LOCK_PERIODS),
    ("/periods/unlock", LOCK_PERIODS),
    // Notices: every signed-in account, its own only (the handlers ask of each notice).
    ("/api/notices", NOTICES),
    ("/api/notices/{id}/read", MARK_NOTICES),
    ("/api/notices/read", MARK_NOTICES),
    ("/notices", NOTICES),
    ("/notices/read", MARK_NOTICES),
    // Supervision: the plan office, viewers and reporters (the handlers ask of each record with
    // its unit: a reporter sees and answers its units' only).
    ("/api/supervision", SUPERVISION),
    ("/api/supervision/orders/{id}", SUPERVISION),
    ("/api/supervision/orders/{id}/answer", ANSWER_ORDERS),
    ("/supervision", SUPERVISION),
    ("/supervision/orders/{id}", SUPERVISION),
    ("/supervision/orders/{id}/print", SUPERVISION),
    ("/supervision/orders/{id}/answer", ANSWER_ORDERS),
    // 年度考核: every signed-in account reads (the handlers ask of each unit); the plan office
    // records bonus and deduction items and freezes a year.
    ("/api/scores", SIGNED_IN),
    ("/api/scores/export", SIGNED_IN),
    ("/api/scores/{unit}", SIGNED_IN),
    ("/api/scores/adjustments", CHANGE_SCORES),
    ("/api/scores/freeze", CHANGE_SCORES),
    ("/assessment", SIGNED_IN),
    ("/assessment/{unit}", SIGNED_IN),
    ("/assessment/freeze", CHANGE_SCORES),
    ("/assessment/{unit}/adjust", CHANGE_SCORES),
    // 报告: the evaluation reports, the plan office and viewers (not published data: they hold
    // the office's own analysis); the planner texts' editor saves as the office.
    ("/api/reports/{kind}", REPORTS),
    ("/reports", REPORTS),
    ("/reports/{kind}", REPORTS),
    // The planner texts' editor (GET and POST share the path, whose rule is the change).
    ("/reports/texts/{text}", EDIT_REPORTS),
    // The API: published data. The OpenAPI document lists the plan's codes, so it is the plan.
    ("/api/openapi.json", PLAN),
    ("/api/docs", PLAN),
    ("/api/docs/", PLAN),
    ("/api/docs/{*rest}", PLAN),
    ("/api/plan", PLAN),
    ("/api/plan/{section}", PLAN),
    ("/api/map/chengdu.geojson", PLAN),
    ("/api/observations", DATA),
    ("/api/observations/history", DATA),
    ("/api/export", DATA),
    ("/api/sdmx/structure", DATA),
    ("/api/evaluation", EVALUATION),
    ("/api/milestones", EVALUATION),
    // Tasks and key projects: read like published data.
    ("/api/tasks", TASKS),
    ("/api/tasks/{id}", TASKS),
    ("/api/projects", TASKS),
    ("/api/projects/{id}", TASKS),
    // A unit's page: its tasks, projects and indicators are published; its supervision records
    // and score are asked of with the unit by the handler (left out for a caller who may not).
    ("/api/units/{code}", TASKS),
    // The pages.
    ("/", EVALUATION),
    ("/indicators/{code}", EVALUATION),
    ("/indicators/{code}/history", DATA),
    ("/regions/{code}", EVALUATION),
    ("/map", EVALUATION),
    ("/plan", PLAN),
    ("/data", DATA),
    ("/methodology", PLAN),
    ("/tasks", TASKS),
    ("/tasks/{id}", TASKS),
    ("/projects", TASKS),
    ("/projects/{id}", TASKS),
    ("/units/{code}", TASKS),
];

/// The rule of the route `path` (its pattern, as matched); `None` for a route the table does
/// not know, which is refused.
pub(crate) fn rule(path: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|(route, _)| *route == path)
        .map(|(_, rule)| rule)
}

/// The action `Rule::OwnAccount` asks for `method`.
pub(crate) fn own_account_action(method: &Method) -> Action {
    if method == Method::GET || method == Method::HEAD {
        Action::Read
    } else {
        Action::ChangePassword
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_router_has_a_rule() {
        let plan = planwatch_plan::chengdu::plan();
        let missing: Vec<String> = crate::route_paths(&plan)
            .into_iter()
            .filter(|path| rule(path).is_none())
            .collect();
        assert!(missing.is_empty(), "routes without a rule: {missing:?}");
        assert_eq!(rule("/nowhere"), None);
    }
}
