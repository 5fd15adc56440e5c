//! The reporting calendar of a plan file (`[calendar]`): which periods of each indicator are
//! reported, by whom, and when each is due. Only the data is here; the due dates and what each
//! unit owes are worked out by `planwatch-workflow`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How often a figure is reported: one period kind of [`crate::Period`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Year,
    Quarter,
    Month,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Year, Frequency::Quarter, Frequency::Month];

    /// The frequency of a period.
    pub fn of(period: crate::Period) -> Frequency {
        match period {
            crate::Period::Year(_) => Frequency::Year,
            crate::Period::Quarter(..) => Frequency::Quarter,
            crate::Period::Month(..) => Frequency::Month,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Year => "year",
            Frequency::Quarter => "quarter",
            Frequency::Month => "month",
        }
    }
}

/// When a period's figure is due, counted from the last day of the period: either `days_after`
/// days later (`{ days_after = 20 }`: 20 April for the first quarter), or day `day` of the month
/// `months_after` months after the period's last month (`{ months_after = 3, day = 31 }`:
/// 31 March of the next year for a year; a day beyond the month's end is its last day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DueRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_after: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months_after: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<u8>,
}

impl DueRule {
    pub fn days_after(days: u16) -> DueRule {
        DueRule {
            days_after: Some(days),
            ..DueRule::default()
        }
    }

    pub fn month_day(months_after: u8, day: u8) -> DueRule {
        DueRule {
            months_after: Some(months_after),
            day: Some(day),
            ..DueRule::default()
        }
    }
}

/// Who reports an indicator's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reporter {
    /// The indicator's lead department, for the plan's own region (the city figure).
    LeadDepartment,
    /// Each district, county and county-level city of the plan's region, for its own figure.
    Districts,
}

/// The due dates by frequency, used for every indicator without its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DueDefaults {
    #[serde(default = "DueDefaults::year")]
    pub year: DueRule,
    #[serde(default = "DueDefaults::quarter")]
    pub quarter: DueRule,
    #[serde(default = "DueDefaults::month")]
    pub month: DueRule,
}

impl DueDefaults {
    /// 31 March of the next year.
    fn year() -> DueRule {
        DueRule::month_day(3, 31)
    }

    /// 20 days after the quarter.
    fn quarter() -> DueRule {
        DueRule::days_after(20)
    }

    /// 15 days after the month.
    fn month() -> DueRule {
        DueRule::days_after(15)
    }

    /// The rule for periods of `frequency`.
    pub fn rule(&self, frequency: Frequency) -> DueRule {
        match frequency {
            Frequency::Year => self.year,
            Frequency::Quarter => self.quarter,
            Frequency::Month => self.month,
        }
    }
}

impl Default for DueDefaults {
    fn default() -> DueDefaults {
        DueDefaults {
            year: DueDefaults::year(),
            quarter: DueDefaults::quarter(),
            month: DueDefaults::month(),
        }
    }
}

fn default_frequencies() -> Vec<Frequency> {
    vec![Frequency::Year]
}

fn default_reporters() -> Vec<Reporter> {
    vec![Reporter::LeadDepartment]
}

/// The reporting calendar (`[calendar]` in a plan file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportingCalendar {
    /// Due dates by frequency (defaults: a year by 31 March of the next year, a quarter 20 days
    /// after it, a month 15 days after it).
    #[serde(default)]
    pub due: DueDefaults,
    /// The frequencies every indicator is reported at, unless it says otherwise (default: yearly).
    #[serde(default = "default_frequencies")]
    pub frequencies: Vec<Frequency>,
    /// Who reports every indicator, unless it says otherwise (default: its lead department).
    #[serde(default = "default_reporters")]
    pub reporters: Vec<Reporter>,
    /// Per-indicator settings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<CalendarEntry>,
}

impl Default for ReportingCalendar {
    fn default() -> ReportingCalendar {
        ReportingCalendar {
            due: DueDefaults::default(),
            frequencies: default_frequencies(),
            reporters: default_reporters(),
            indicators: Vec::new(),
        }
    }
}

/// One indicator's own calendar; what it leaves out comes from the calendar's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarEntry {
    /// The indicator's code.
    pub indicator: String,
    /// The frequencies it is reported at; `[]`: not reported (derived or assessed in words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequencies: Option<Vec<Frequency>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporters: Option<Vec<Reporter>>,
    /// Its own due dates, per frequency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<EntryDue>,
}

/// An indicator's own due dates; a frequency left out uses the calendar's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryDue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<DueRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarter: Option<DueRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<DueRule>,
}

impl EntryDue {
    pub fn rule(&self, frequency: Frequency) -> Option<DueRule> {
        match frequency {
            Frequency::Year => self.year,
            Frequency::Quarter => self.quarter,
            Frequency::Month => self.month,
        }
    }
}

impl ReportingCalendar {
    /// The entry of indicator `code`, if it has one.
    pub fn entry(&self, code: &str) -> Option<&CalendarEntry> {
        self.indicators.iter().find(|entry| entry.indicator == code)
    }

    /// The frequencies indicator `code` is reported at.
    pub fn frequencies_of(&self, code: &str) -> &[Frequency] {
        self.entry(code)
            .and_then(|entry| entry.frequencies.as_deref())
            .unwrap_or(&self.frequencies)
    }

    /// Who reports indicator `code`.
    pub fn reporters_of(&self, code: &str) -> &[Reporter] {
        self.entry(code)
            .and_then(|entry| entry.reporters.as_deref())
            .unwrap_or(&self.reporters)
    }

    /// The due rule of indicator `code` at `frequency`.
    pub fn rule_of(&self, code: &str, frequency: Frequency) -> DueRule {
        self.entry(code)
            .and_then(|entry| entry.due.and_then(|due| due.rule(frequency)))
            .unwrap_or_else(|| self.due.rule(frequency))
    }
}
