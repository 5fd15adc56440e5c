//! Observations: a value of an indicator, for a region, for a period.

use std::fmt;
use std::str::FromStr;

use crate::period::Period;

/// How final a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObsStatus {
    /// 初步数 / 快报: a first release, to be revised.
    Provisional,
    /// 最终数 / 正式数.
    Final,
    /// 修订数: a value that replaced an earlier one (yearbook, census revision).
    Revised,
    /// 估计数: not published; estimated (sample data marks invented values so).
    Estimated,
    /// 预测数.
    Forecast,
}

impl ObsStatus {
    pub const ALL: [ObsStatus; 5] = [
        ObsStatus::Provisional,
        ObsStatus::Final,
        ObsStatus::Revised,
        ObsStatus::Estimated,
        ObsStatus::Forecast,
    ];

    /// The name used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ObsStatus::Provisional => "provisional",
            ObsStatus::Final => "final",
            ObsStatus::Revised => "revised",
            ObsStatus::Estimated => "estimated",
            ObsStatus::Forecast => "forecast",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ObsStatus::Provisional => "初步数",
            ObsStatus::Final => "最终数",
            ObsStatus::Revised => "修订数",
            ObsStatus::Estimated => "估计数",
            ObsStatus::Forecast => "预测数",
        }
    }

    /// The English label shown on pages (the code, [`ObsStatus::as_str`], is for files and the
    /// API).
    pub fn label_en(self) -> &'static str {
        match self {
            ObsStatus::Provisional => "Provisional",
            ObsStatus::Final => "Final",
            ObsStatus::Revised => "Revised",
            ObsStatus::Estimated => "Estimated",
            ObsStatus::Forecast => "Forecast",
        }
    }

    /// SDMX OBS_STATUS (CL_OBS_STATUS): A normal, P provisional, E estimated, F forecast.
    /// SDMX has no "revised" code: a revised value is a normal value (its history is ours).
    pub fn sdmx_code(self) -> &'static str {
        match self {
            ObsStatus::Provisional => "P",
            ObsStatus::Final | ObsStatus::Revised => "A",
            ObsStatus::Estimated => "E",
            ObsStatus::Forecast => "F",
        }
    }
}

impl fmt::Display for ObsStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status \"{0}\" (use provisional, final, revised, estimated or forecast)")]
pub struct BadStatus(pub String);

impl BadStatus {
    pub fn zh(&self) -> String {
        format!(
            "未知的数据状态“{}”（可用：初步、最终、修订、估计、预测）",
            self.0
        )
    }
}

impl FromStr for ObsStatus {
    type Err = BadStatus;

    fn from_str(text: &str) -> Result<ObsStatus, BadStatus> {
        let lower = text.trim().to_lowercase();
        Ok(match lower.as_str() {
            "provisional" | "p" | "初步" | "初步数" | "快报" | "快报数" | "初步核算" => {
                ObsStatus::Provisional
            }
            "final" | "a" | "最终" | "最终数" | "正式" | "正式数" | "终核" => {
                ObsStatus::Final
            }
            "revised" | "r" | "修订" | "修订数" | "修正" => ObsStatus::Revised,
            "estimated" | "e" | "估计" | "估计数" | "估算" | "推算" => {
                ObsStatus::Estimated
            }
            "forecast" | "f" | "预测" | "预测数" => ObsStatus::Forecast,
            _ => return Err(BadStatus(text.trim().to_owned())),
        })
    }
}

/// One value read from an input file and resolved against a plan: what the import produces and
/// the store consumes. Indicator and region are indices into the plan's lists.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRow {
    /// The spreadsheet row it came from (the header is row 1).
    pub row: usize,
    /// Index into `plan.indicators`.
    pub indicator: usize,
    /// Index into `plan.regions`.
    pub region: usize,
    pub period: Period,
    /// In the indicator's unit.
    pub value: f64,
    pub status: ObsStatus,
    pub source: Option<String>,
    pub note: Option<String>,
}

/// One observed value, as imported or exported (codes, not database ids).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub indicator: String,
    pub region: String,
    pub period: Period,
    /// In the indicator's unit.
    pub value: f64,
    pub status: ObsStatus,
    pub source: Option<String>,
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::ObsStatus;

    #[test]
    fn status_round_trips_and_reads_chinese() {
        for status in ObsStatus::ALL {
            assert_eq!(status.as_str().parse::<ObsStatus>(), Ok(status));
            assert_eq!(status.label_zh().parse::<ObsStatus>(), Ok(status));
            assert_eq!(status.label_en().parse::<ObsStatus>(), Ok(status));
        }
        assert_eq!("快报".parse::<ObsStatus>(), Ok(ObsStatus::Provisional));
        assert!("maybe".parse::<ObsStatus>().is_err());
    }
}
