//! The rules of tasks and key projects (issue 14) a plan may set in its `[tasks]` section: the
//! status thresholds, the escalation of supervision (督查督办) and the yearly assessment's scheme
//! (年度考核). Plain settings: `planwatch-tasks` turns them into its rules
//! (`StatusRules::from_plan`, `EscalationRules::from_plan`, `Scheme::from_plan`). Every field
//! has a default (the defaults of those rules), and an absent section is all defaults.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::calendar::Frequency;

/// The `[tasks]` section of a plan file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TaskRules {
    /// Thresholds of a task's or project's status (已完成, 正常推进, 进度滞后, 严重滞后 …).
    pub status: StatusSettings,
    /// When lagging periods turn into a reminder, a warning, a supervision order.
    pub escalation: EscalationSettings,
    /// The yearly assessment of units.
    pub scoring: ScoringSettings,
}

/// Status thresholds (`[tasks.status]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StatusSettings {
    /// Points progress may trail the time elapsed before lagging (进度滞后). Default 10.
    pub lagging_points: f64,
    /// … before seriously lagging (严重滞后). Default 30.
    pub serious_points: f64,
    /// Days a node may pass without its result before lagging turns serious. Default 30.
    pub serious_after_days: u32,
    /// How often units report progress: year, quarter or month. Default quarter.
    pub report_frequency: Frequency,
    /// Days after a period's end its progress report is due. Default 10.
    pub report_due_days: u32,
}

impl Default for StatusSettings {
    fn default() -> StatusSettings {
        StatusSettings {
            lagging_points: 10.0,
            serious_points: 30.0,
            serious_after_days: 30,
            report_frequency: Frequency::Quarter,
            report_due_days: 10,
        }
    }
}

/// Escalation of supervision (`[tasks.escalation]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EscalationSettings {
    /// Points of a red period (a yellow one has 1). Default 2.
    pub red_points: u32,
    /// Points of a run at which a warning (警示) is due. Default 2.
    pub warning_at: u32,
    /// Points of a run at which a supervision order (督办) is due. Default 3.
    pub order_at: u32,
    /// Days a unit has to answer a 督办单. Default 10.
    pub answer_days: u32,
}

impl Default for EscalationSettings {
    fn default() -> EscalationSettings {
        EscalationSettings {
            red_points: 2,
            warning_at: 2,
            order_at: 3,
            answer_days: 10,
        }
    }
}

/// A component of the assessment and its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentWeight {
    /// `indicators`, `tasks`, `projects`, `reporting` or `data_quality`.
    pub component: String,
    /// 0–100; the weights sum to 100.
    pub weight: f64,
}

/// The assessment's scheme (`[tasks.scoring]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ScoringSettings {
    /// Default: indicators 30, tasks 30, projects 20, reporting 10, data_quality 10.
    pub weights: Vec<ComponentWeight>,
    /// The most bonus points a unit may get in a year. Default 5.
    pub bonus_cap: f64,
    /// The most points a unit may lose to deductions in a year. Default 10.
    pub deduction_cap: f64,
    /// The share of an item's points for work done, or a figure reported, late. Default 0.5.
    pub late_credit: f64,
    /// The share of a submission's points when it was returned before approval. Default 0.5.
    pub returned_credit: f64,
    /// A task's weight for its lead units. Default 1.
    pub lead_weight: f64,
    /// A task's weight for its responsible units. Default 0.5.
    pub responsible_weight: f64,
}

/// The components of the assessment, by code.
pub const SCORING_COMPONENTS: [&str; 5] = [
    "indicators",
    "tasks",
    "projects",
    "reporting",
    "data_quality",
];

impl Default for ScoringSettings {
    fn default() -> ScoringSettings {
        let weight = |component: &str, weight| ComponentWeight {
            component: component.to_owned(),
            weight,
        };
        ScoringSettings {
            weights: vec![
                weight("indicators", 30.0),
                weight("tasks", 30.0),
                weight("projects", 20.0),
                weight("reporting", 10.0),
                weight("data_quality", 10.0),
            ],
            bonus_cap: 5.0,
            deduction_cap: 10.0,
            late_credit: 0.5,
            returned_credit: 0.5,
            lead_weight: 1.0,
            responsible_weight: 0.5,
        }
    }
}

impl TaskRules {
    /// Every problem of the settings, as `(field, what is wrong)`: thresholds not
    /// `0 ≤ lagging ≤ serious`, escalation levels not `1 ≤ warning_at ≤ order_at`, red points
    /// 0, unknown or repeated components, weights outside 0–100 or not summing to 100, negative
    /// caps, credits outside 0–1.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        let s = &self.status;
        if !(s.lagging_points.is_finite()
            && s.serious_points.is_finite()
            && 0.0 <= s.lagging_points
            && s.lagging_points <= s.serious_points)
        {
            problems.push((
                "status",
                format!(
                    "0 ≤ lagging_points ({}) ≤ serious_points ({}) is required",
                    s.lagging_points, s.serious_points
                ),
            ));
        }
        let e = &self.escalation;
        if e.red_points == 0 || e.warning_at == 0 || e.warning_at > e.order_at {
            problems.push((
                "escalation",
                format!(
                    "red_points ({}) ≥ 1 and 1 ≤ warning_at ({}) ≤ order_at ({}) are required",
                    e.red_points, e.warning_at, e.order_at
                ),
            ));
        }
        let c = &self.scoring;
        let mut seen = Vec::new();
        for w in &c.weights {
            if !SCORING_COMPONENTS.contains(&w.component.as_str()) {
                problems.push((
                    "scoring",
                    format!(
                        "unknown component \"{}\" (one of {})",
                        w.component,
                        SCORING_COMPONENTS.join(", ")
                    ),
                ));
            } else if seen.contains(&w.component.as_str()) {
                problems.push(("scoring", format!("component \"{}\" twice", w.component)));
            }
            seen.push(w.component.as_str());
            if !(0.0..=100.0).contains(&w.weight) {
                problems.push((
                    "scoring",
                    format!("the weight of \"{}\" must be 0–100", w.component),
                ));
            }
        }
        let sum: f64 = c.weights.iter().map(|w| w.weight).sum();
        if (sum - 100.0).abs() > 1e-9 {
            problems.push(("scoring", format!("the weights sum to {sum}, not 100")));
        }
        for (name, value) in [
            ("bonus_cap", c.bonus_cap),
            ("deduction_cap", c.deduction_cap),
            ("lead_weight", c.lead_weight),
            ("responsible_weight", c.responsible_weight),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                problems.push(("scoring", format!("{name} ({value}) must be 0 or more")));
            }
        }
        for (name, value) in [
            ("late_credit", c.late_credit),
            ("returned_credit", c.returned_credit),
        ] {
            if !(0.0..=1.0).contains(&value) {
                problems.push(("scoring", format!("{name} ({value}) must be 0–1")));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_no_problems_and_bad_settings_are_named() {
        assert_eq!(TaskRules::default().problems(), vec![]);
        let mut rules = TaskRules::default();
        rules.status.serious_points = 5.0;
        rules.escalation.warning_at = 4;
        rules.scoring.weights[0].component = "tasks".into();
        rules.scoring.late_credit = 2.0;
        let fields: Vec<&str> = rules.problems().iter().map(|p| p.0).collect();
        assert_eq!(fields, vec!["status", "escalation", "scoring", "scoring"]);
    }

    #[test]
    fn an_empty_section_is_the_defaults() {
        let rules: TaskRules = toml::from_str("").unwrap();
        assert_eq!(rules, TaskRules::default());
        let rules: TaskRules = toml::from_str("[status]\nlagging_points = 5.0\n").unwrap();
        assert_eq!(rules.status.lagging_points, 5.0);
        assert_eq!(rules.status.serious_points, 30.0);
    }
}
