use planwatch_access::Account;

use super::*;

fn problem(row: usize) -> RowProblem {
    RowProblem {
        row,
        column: Some("数值".into()),
        field: Some("value"),
        zh: "“abc”不是数字".into(),
        en: "\"abc\" is not a number".into(),
    }
}

#[test]
fn a_file_keeps_its_spreadsheet_rows_and_a_form_counts_its_rows_from_1() {
    let file = problems_out(Lang::En, Some("东区.xlsx"), vec![problem(3), problem(0)]);
    let rows: Vec<_> = file.iter().map(|p| (p.file.as_deref(), p.row)).collect();
    assert_eq!(rows, [(Some("东区.xlsx"), 3), (Some("东区.xlsx"), 0)]);
    assert_eq!(file[0].message, "\"abc\" is not a number");
    // A form's rows are written as a table whose header is row 1.
    let form = problems_out(Lang::Zh, None, vec![problem(3)]);
    assert_eq!((form[0].file.as_deref(), form[0].row), (None, 2));
    assert_eq!(form[0].message, "“abc”不是数字");
    assert_eq!(form[0].column.as_deref(), Some("数值"));
}

#[test]
fn a_revision_needs_a_reason_and_a_reason_a_revision() {
    assert_eq!(revision_reason(false, None), Ok(None));
    assert_eq!(revision_reason(false, Some(" ".into())), Ok(None));
    assert_eq!(
        revision_reason(true, Some("年报修订".into())),
        Ok(Some("年报修订".into()))
    );
    for blank in [None, Some("  ".to_owned())] {
        assert_eq!(revision_reason(true, blank).unwrap_err().0, "reason");
    }
    assert_eq!(
        revision_reason(false, Some("年报修订".into()))
            .unwrap_err()
            .0,
        "revise"
    );
}

#[test]
fn the_unit_is_named_or_the_callers_only_one() {
    let plan = planwatch_plan::chengdu::plan();
    let reporter = |units: &[&str]| {
        Actor::User(Account {
            name: "r".into(),
            role: Role::Reporter,
            units: units.iter().map(|u| Unit::Region((*u).into())).collect(),
            active: true,
        })
    };
    let jinjiang = Unit::Region("510104".into());
    assert_eq!(
        unit_of(&plan, &reporter(&["510104"]), None),
        Ok(jinjiang.clone())
    );
    assert_eq!(
        unit_of(&plan, &reporter(&["510104", "510105"]), Some("510104")),
        Ok(jinjiang)
    );
    let text = unit_of(&plan, &reporter(&["510104", "510105"]), None).unwrap_err();
    assert!(text.contains("name the unit"), "{text}");
    assert!(unit_of(&plan, &reporter(&[]), Some("no such unit")).is_err());
}
