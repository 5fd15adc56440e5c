use planwatch_plan::Period;

use super::*;
use crate::calendar::{Filed, Published, obligations, standings};
use crate::submission::Key;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn jinjiang() -> Unit {
    Unit::Region("510104".into())
}

#[test]
fn kinds_read_back_from_their_stored_names() {
    for kind in NoticeKind::ALL {
        assert_eq!(kind.as_str().parse::<NoticeKind>(), Ok(kind));
    }
    assert!("later".parse::<NoticeKind>().is_err());
}

#[test]
fn a_submission_tells_the_plan_office_and_a_review_tells_the_unit() {
    let plan = planwatch_plan::chengdu::plan();
    let unit = jinjiang();
    let submitted = of_move(&plan, 7, &unit, Status::Draft, Status::Submitted, 1, None).unwrap();
    assert_eq!(submitted.kind, NoticeKind::Submitted);
    assert_eq!(submitted.audience, Audience::PlanOffice);
    assert!(
        submitted.text.zh.contains("锦江区"),
        "{}",
        submitted.text.zh
    );
    assert!(submitted.text.zh.contains("第 7 号报送"));
    assert!(submitted.text.en.contains("submission 7 (version 1)"));

    let returned = of_move(
        &plan,
        7,
        &unit,
        Status::Submitted,
        Status::Returned,
        1,
        Some("  第3行数值有误 "),
    )
    .unwrap();
    assert_eq!(returned.kind, NoticeKind::Returned);
    assert_eq!(returned.audience, Audience::Reporters(unit.clone()));
    assert!(returned.text.zh.ends_with("被退回：第3行数值有误"));
    assert!(returned.text.subject_zh.contains("被退回"));
    assert!(returned.text.subject_en.contains("returned"));

    let approved = of_move(
        &plan,
        7,
        &unit,
        Status::Submitted,
        Status::Approved,
        2,
        None,
    )
    .unwrap();
    assert_eq!(approved.kind, NoticeKind::Approved);
    assert_eq!(approved.audience, Audience::Reporters(unit.clone()));
    assert!(approved.text.en.contains("version 2"));
}

#[test]
fn only_a_withdrawal_from_the_queue_is_told_and_drafts_are_nobodys_business() {
    let plan = planwatch_plan::chengdu::plan();
    let unit = jinjiang();
    let from_queue = of_move(
        &plan,
        3,
        &unit,
        Status::Submitted,
        Status::Withdrawn,
        1,
        None,
    )
    .unwrap();
    assert_eq!(from_queue.kind, NoticeKind::Withdrawn);
    assert_eq!(from_queue.audience, Audience::PlanOffice);
    assert_eq!(
        of_move(&plan, 3, &unit, Status::Draft, Status::Withdrawn, 1, None),
        None
    );
    assert_eq!(
        of_move(&plan, 3, &unit, Status::Draft, Status::Draft, 1, None),
        None
    );
}

#[test]
fn an_unknown_unit_is_named_by_its_code() {
    let plan = planwatch_plan::chengdu::plan();
    assert_eq!(
        unit_name(&plan, &Unit::Department("nowhere".into())),
        ("nowhere".to_owned(), "nowhere".to_owned())
    );
}

/// Jinjiang's standings for 2025 under the Chengdu plan's calendar, nothing published.
fn jinjiang_standings(filed: &[Filed], today: NaiveDate) -> Vec<StandingOf> {
    jinjiang_standings_with(filed, &Published::new(), today)
}

/// Jinjiang's standings with the figures `published`.
fn jinjiang_standings_with(
    filed: &[Filed],
    published: &Published,
    today: NaiveDate,
) -> Vec<StandingOf> {
    let plan = planwatch_plan::chengdu::plan();
    let calendar = plan
        .calendar
        .clone()
        .expect("the Chengdu plan has a calendar");
    let owed: Vec<Obligation> =
        obligations(&plan, &calendar, sweep_years(today), &Default::default())
            .into_iter()
            .filter(|o| o.unit == jinjiang())
            .collect();
    assert!(!owed.is_empty(), "Jinjiang owes figures");
    standings(owed, filed, published, today)
}

/// The first figure Jinjiang owes in the years a sweep on 1 June 2025 looks at.
fn first_owed() -> Obligation {
    jinjiang_standings(&[], day(2025, 6, 1))
        .first()
        .unwrap()
        .obligation
        .clone()
}

#[test]
fn figures_due_within_a_week_are_due_soon_and_those_past_a_month_are_let_be() {
    let plan = planwatch_plan::chengdu::plan();
    let some = first_owed();
    // The day before, the day of, seven days before its due date: due soon; eight: nothing.
    for (offset, expected) in [
        (-8i64, None),
        (-7, Some(NoticeKind::DueSoon)),
        (-1, Some(NoticeKind::DueSoon)),
        (0, Some(NoticeKind::DueSoon)),
        (1, Some(NoticeKind::Overdue)),
        (30, Some(NoticeKind::Overdue)),
        (31, None),
    ] {
        let today = some.due + chrono::Duration::days(offset);
        let notices = deadline_notices(&plan, &jinjiang_standings(&[], today), today);
        let found = notices
            .iter()
            .find(|n| n.obligation == some)
            .map(|n| n.kind);
        assert_eq!(found, expected, "{offset} days from {}", some.due);
    }
}

#[test]
fn a_figure_submitted_is_owed_no_notice_and_a_returned_one_says_so() {
    let plan = planwatch_plan::chengdu::plan();
    let first = first_owed();
    let today = first.due + chrono::Duration::days(2);
    let filed = |status| Filed {
        unit: jinjiang(),
        status,
        first_submitted: Some(first.due),
        keys: vec![Key {
            indicator: first.indicator.clone(),
            region: first.region.clone(),
            period: first.period,
        }],
    };
    let reported = deadline_notices(
        &plan,
        &jinjiang_standings(&[filed(Status::Submitted)], today),
        today,
    );
    assert!(!reported.iter().any(|n| n.obligation == first));
    let returned = deadline_notices(
        &plan,
        &jinjiang_standings(&[filed(Status::Returned)], today),
        today,
    );
    let notice = returned.iter().find(|n| n.obligation == first).unwrap();
    assert_eq!(notice.kind, NoticeKind::Overdue);
    assert!(
        notice.text.zh.contains("已逾期 2 天，被退回后尚未重新提交"),
        "{}",
        notice.text.zh
    );
    assert!(
        notice.text.en.contains("2 days overdue, returned"),
        "{}",
        notice.text.en
    );
    assert!(notice.text.zh.contains("锦江区"));
}

#[test]
fn a_figure_published_without_the_unit_gets_no_notice() {
    let plan = planwatch_plan::chengdu::plan();
    let first = first_owed();
    let published: Published = [(first.key(), first.due - chrono::Duration::days(40))]
        .into_iter()
        .collect();
    for offset in [-3i64, 0, 2, 30] {
        let today = first.due + chrono::Duration::days(offset);
        let told = |published: &Published| {
            deadline_notices(
                &plan,
                &jinjiang_standings_with(&[], published, today),
                today,
            )
            .iter()
            .any(|n| n.obligation == first)
        };
        assert!(
            told(&Published::new()),
            "{offset}: told while not published"
        );
        assert!(!told(&published), "{offset}: told although published");
    }
}

#[test]
fn the_text_names_the_indicator_the_period_and_the_day() {
    let plan = planwatch_plan::chengdu::plan();
    let first = first_owed();
    let today = first.due - chrono::Duration::days(3);
    let notices = deadline_notices(&plan, &jinjiang_standings(&[], today), today);
    let notice = notices.iter().find(|n| n.obligation == first).unwrap();
    let indicator = plan
        .indicators
        .iter()
        .find(|i| i.code == first.indicator)
        .unwrap();
    assert!(notice.text.zh.contains(&indicator.name.zh));
    assert!(notice.text.zh.contains(&first.due.to_string()));
    assert!(notice.text.zh.contains("还有 3 天"));
    assert!(notice.text.en.contains("in 3 days"));
    assert!(notice.text.subject_zh.contains(&first.period.to_string()));
    assert!(matches!(
        first.period,
        Period::Year(_) | Period::Quarter(..) | Period::Month(..)
    ));
}

#[test]
fn a_sweep_looks_back_two_years() {
    assert_eq!(sweep_years(day(2025, 1, 10)), 2023..=2025);
}
