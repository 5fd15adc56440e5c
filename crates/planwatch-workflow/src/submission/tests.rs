use planwatch_access::Account;
use planwatch_plan::Period;
use proptest::prelude::*;

use super::*;

fn user(name: &str, role: Role, units: &[&str]) -> Actor {
    Actor::User(Account {
        name: name.into(),
        role,
        units: units.iter().map(|u| Unit::Region((*u).into())).collect(),
        active: true,
    })
}

fn jinjiang() -> Unit {
    Unit::Region("510104".into())
}

#[test]
fn submitted_returned_resubmitted_and_approved_by_another_planner() {
    let reporter = user("jj", Role::Reporter, &["510104"]);
    let planner = user("p1", Role::Planner, &[]);
    let second = user("p2", Role::Planner, &[]);
    let mut submission = Submission::new(&reporter, jinjiang(), false).unwrap();
    assert_eq!(
        (submission.status, submission.version),
        (Status::Submitted, 1)
    );
    assert_eq!(
        submission.apply(&planner, Step::Return { comment: " " }),
        Err(Refusal::CommentRequired)
    );
    assert_eq!(
        submission.apply(
            &planner,
            Step::Return {
                comment: "第3行有误"
            }
        ),
        Ok(Status::Returned)
    );
    assert_eq!(submission.may_edit(&reporter), Ok(2));
    assert_eq!(
        submission.apply(&reporter, Step::Submit),
        Ok(Status::Submitted)
    );
    assert_eq!(submission.version, 2);
    assert_eq!(
        submission.may_edit(&reporter).unwrap_err().to_string(),
        "“待审核”状态的报送不能修改 / a submitted submission cannot be edited"
    );
    assert_eq!(
        submission.apply(&second, Step::Approve),
        Ok(Status::Approved)
    );
    let error = submission.apply(&reporter, Step::Withdraw).unwrap_err();
    assert_eq!(
        error.to_string(),
        "“已通过”状态的报送不能撤回 / a approved submission cannot be withdrawn"
    );
}

#[test]
fn a_draft_is_edited_in_place_and_a_returned_submission_as_its_next_version() {
    let reporter = user("jj", Role::Reporter, &["510104"]);
    let other = user("qy", Role::Reporter, &["510105"]);
    let planner = user("p1", Role::Planner, &[]);
    let draft = Submission::new(&reporter, jinjiang(), true).unwrap();
    assert_eq!(draft.may_edit(&reporter), Ok(1));
    assert_eq!(
        draft.may_edit(&other),
        Err(Refusal::NotYourUnit { unit: jinjiang() })
    );
    assert_eq!(
        draft.may_edit(&planner),
        Err(Refusal::NotYourUnit { unit: jinjiang() })
    );
    let mut returned = Submission::new(&reporter, jinjiang(), false).unwrap();
    assert!(returned.may_edit(&reporter).is_err());
    returned
        .apply(
            &planner,
            Step::Return {
                comment: "来源？"
            },
        )
        .unwrap();
    // Editing leaves the version the reviewer saw as it was.
    assert_eq!(returned.may_edit(&reporter), Ok(2));
    assert_eq!((returned.status, returned.version), (Status::Returned, 1));
    returned.apply(&reporter, Step::Withdraw).unwrap_err();
    returned.apply(&reporter, Step::Submit).unwrap();
    assert_eq!(returned.version, 2);
    let mut withdrawn = Submission::new(&reporter, jinjiang(), true).unwrap();
    withdrawn.apply(&reporter, Step::Withdraw).unwrap();
    assert!(matches!(
        withdrawn.may_edit(&reporter),
        Err(Refusal::Illegal {
            status: Status::Withdrawn,
            ..
        })
    ));
}

#[test]
fn the_approver_is_of_the_plan_office_and_not_the_submitter() {
    let cli = Actor::Cli {
        os_user: "ops".into(),
    };
    let mut submission = Submission::new(&cli, jinjiang(), false).unwrap();
    let refused = submission.apply(&cli, Step::Approve).unwrap_err();
    assert_eq!(
        refused,
        Refusal::OwnSubmission {
            submitter: "cli:ops".into()
        }
    );
    assert!(refused.to_string().contains("four eyes"), "{refused}");
    let reporter = user("jj", Role::Reporter, &["510104"]);
    assert_eq!(
        submission.apply(&reporter, Step::Approve),
        Err(Refusal::NotReviewer)
    );
    assert_eq!(
        submission.apply(&Actor::Anonymous, Step::Approve),
        Err(Refusal::SignInRequired)
    );
    assert_eq!(submission.status, Status::Submitted);
    let planner = user("p1", Role::Planner, &[]);
    assert_eq!(
        submission.apply(&planner, Step::Approve),
        Ok(Status::Approved)
    );
}

#[test]
fn only_the_units_reporters_submit_and_withdraw() {
    let other = user("wh", Role::Reporter, &["510105"]);
    assert_eq!(
        Submission::new(&other, jinjiang(), true),
        Err(Refusal::NotYourUnit { unit: jinjiang() })
    );
    let planner = user("p1", Role::Planner, &[]);
    assert!(Submission::new(&planner, jinjiang(), true).is_err());
    let reporter = user("jj", Role::Reporter, &["510104"]);
    let mut draft = Submission::new(&reporter, jinjiang(), true).unwrap();
    assert_eq!(draft.status, Status::Draft);
    assert!(draft.apply(&planner, Step::Approve).is_err());
    assert!(draft.apply(&other, Step::Withdraw).is_err());
    assert_eq!(
        draft.apply(&reporter, Step::Withdraw),
        Ok(Status::Withdrawn)
    );
    let mut disabled = draft.clone();
    disabled.status = Status::Draft;
    let Actor::User(mut account) = reporter else {
        unreachable!()
    };
    account.active = false;
    assert_eq!(
        disabled.apply(&Actor::User(account), Step::Submit),
        Err(Refusal::AccountDisabled)
    );
}

#[test]
fn statuses_read_back_from_their_codes() {
    for status in Status::ALL {
        assert_eq!(status.as_str().parse::<Status>(), Ok(status));
    }
    assert!(
        "done"
            .parse::<Status>()
            .unwrap_err()
            .to_string()
            .contains("未知状态")
    );
}

#[test]
fn the_same_key_twice_with_different_values_is_a_conflict() {
    let row = |period, value| SubmissionRow {
        indicator: "gdp".into(),
        region: "510104".into(),
        period,
        value,
        note: None,
        source: None,
    };
    let rows = [
        row(Period::Year(2023), 1.0),
        row(Period::Year(2024), 2.0),
        row(Period::Year(2023), 1.0),
        row(Period::Year(2024), 2.5),
        row(Period::Year(2024), 3.0),
    ];
    assert_eq!(conflicting_rows(&rows), [(1, 3), (1, 4)]);
}

fn actors() -> Vec<Actor> {
    vec![
        user("jj", Role::Reporter, &["510104"]),
        user("jj2", Role::Reporter, &["510104"]),
        user("wh", Role::Reporter, &["510105"]),
        user("p1", Role::Planner, &[]),
        user("p2", Role::Planner, &[]),
        user("v", Role::Viewer, &[]),
        Actor::Cli {
            os_user: "ops".into(),
        },
        Actor::Anonymous,
    ]
}

fn step(n: u8) -> Step<'static> {
    match n % 5 {
        0 => Step::Submit,
        1 => Step::Withdraw,
        2 => Step::Approve,
        3 => Step::Return {
            comment: "请核实"
        },
        _ => Step::Return { comment: "" },
    }
}

proptest! {
    /// Whatever anyone does in whatever order: a submission reaches `approved` only from
    /// `submitted`, by a planner or administrator other than its last submitter; a refused step
    /// changes nothing; approved and withdrawn are final.
    #[test]
    fn approval_always_needs_a_different_reviewer(
        draft in any::<bool>(),
        creator in 0usize..8,
        steps in proptest::collection::vec((0usize..8, any::<u8>()), 0..40),
    ) {
        let actors = actors();
        let Ok(mut submission) = Submission::new(&actors[creator], jinjiang(), draft) else {
            return Ok(());
        };
        for (who, n) in steps {
            let before = submission.clone();
            let actor = &actors[who];
            match submission.apply(actor, step(n)) {
                Ok(Status::Approved) => {
                    prop_assert_eq!(before.status, Status::Submitted);
                    prop_assert!(matches!(actor.role(), Some(Role::Planner | Role::Admin)));
                    prop_assert_ne!(actor.label(), before.submitter);
                }
                Ok(_) => prop_assert!(!before.status.is_final()),
                Err(_) => prop_assert_eq!(&submission, &before),
            }
            prop_assert!(submission.version >= before.version);
        }
    }
}
