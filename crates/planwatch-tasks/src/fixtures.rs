//! Test fixtures shared by the modules' tests.

use chrono::NaiveDate;
use planwatch_access::Unit;
use planwatch_plan::SourceRef;

use crate::deadline::Deadline;
use crate::model::{Expected, Span, Task};

/// A 2024 task led by 市商务局 with 锦江区 responsible, due on `deadline`.
pub(crate) fn task(title: &str, clause: &str, deadline: Deadline) -> Task {
    Task {
        key: "1".into(),
        span: Span::Year(2024),
        title: title.into(),
        clause: SourceRef(clause.into()),
        lead: vec![Unit::Department("commerce".into())],
        responsible: vec![Unit::Region("510104".into())],
        supporting: vec![],
        deadline,
        nodes: vec![],
        expected: Expected {
            text: String::new(),
            quantity: None,
        },
        indicators: vec![],
    }
}

/// The day `y-m-d`.
pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a day of the calendar")
}
