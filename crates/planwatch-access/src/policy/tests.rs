use proptest::prelude::*;

use super::*;

fn account(name: &str, role: Role, units: &[Unit]) -> Account {
    Account {
        name: name.into(),
        role,
        units: units.to_vec(),
        active: true,
    }
}

fn user(name: &str, role: Role, units: &[Unit]) -> Actor {
    Actor::User(account(name, role, units))
}

fn jinjiang() -> Unit {
    Unit::Region("510104".into())
}

/// 社会消费品零售总额 of 锦江区: led by commerce, with statistics responsible too.
fn retail(state: FigureState) -> Object {
    let plan = planwatch_plan::chengdu::plan();
    let figure = Figure::of(&plan, "retail_sales", "510104", state).unwrap();
    assert_eq!(figure.lead_department.as_deref(), Some("commerce"));
    Object::Figure(figure)
}

fn unpublished_from(unit: Unit) -> Object {
    retail(FigureState::Unpublished { submitted_by: unit })
}

#[test]
fn reporters_submit_only_for_their_units() {
    let policy = Policy::default();
    let figure = retail(FigureState::Published);
    let allowed = [
        user("jj", Role::Reporter, &[jinjiang()]),
        user(
            "com",
            Role::Reporter,
            &[Unit::Department("commerce".into())],
        ),
        user(
            "stat",
            Role::Reporter,
            &[Unit::Department("statistics".into())],
        ),
        user("p", Role::Planner, &[]),
    ];
    for actor in &allowed {
        assert!(
            policy.may(actor, Action::Submit, &figure).is_allowed(),
            "{actor:?}"
        );
    }
    let elsewhere = [
        user("qy", Role::Reporter, &[Unit::Region("510105".into())]),
        user(
            "fin",
            Role::Reporter,
            &[Unit::Department("financial_regulation".into())],
        ),
    ];
    for actor in &elsewhere {
        assert_eq!(
            policy.may(actor, Action::Submit, &figure),
            Decision::Denied(Denial::OutOfScope),
            "{actor:?}"
        );
    }
    assert!(matches!(
        policy.may(&user("v", Role::Viewer, &[]), Action::Submit, &figure),
        Decision::Denied(Denial::Role { role: "viewer", .. })
    ));
    assert_eq!(
        policy.may(&Actor::Anonymous, Action::Submit, &figure),
        Decision::Denied(Denial::SignInRequired)
    );
}

#[test]
fn unpublished_figures_are_seen_by_the_submitting_unit_and_the_plan_office_only() {
    let policy = Policy::default();
    let figure = unpublished_from(jinjiang());
    for actor in [
        user("jj", Role::Reporter, &[jinjiang()]),
        user("p", Role::Planner, &[]),
        user("a", Role::Admin, &[]),
        Actor::Cli {
            os_user: "ops".into(),
        },
    ] {
        assert!(
            policy.may(&actor, Action::Read, &figure).is_allowed(),
            "{actor:?}"
        );
    }
    // The commerce bureau leads the indicator, but did not submit this figure.
    for actor in [
        user(
            "com",
            Role::Reporter,
            &[Unit::Department("commerce".into())],
        ),
        user("qy", Role::Reporter, &[Unit::Region("510105".into())]),
        user("v", Role::Viewer, &[]),
    ] {
        assert_eq!(
            policy.may(&actor, Action::Read, &figure),
            Decision::Denied(Denial::Unpublished),
            "{actor:?}"
        );
    }
    assert_eq!(
        Policy::new(Visibility::Public).may(&Actor::Anonymous, Action::Read, &figure),
        Decision::Denied(Denial::SignInRequired)
    );
}

#[test]
fn published_data_is_public_or_for_signed_in_users() {
    let published = retail(FigureState::Published);
    for object in [
        &published,
        &Object::Evaluation,
        &Object::Plan,
        &Object::Observations,
        &Object::TasksAndProjects,
    ] {
        assert!(
            Policy::new(Visibility::Public)
                .may(&Actor::Anonymous, Action::Read, object)
                .is_allowed()
        );
        let private = Policy::new(Visibility::Private);
        assert_eq!(
            private.may(&Actor::Anonymous, Action::Read, object),
            Decision::Denied(Denial::SignInRequired)
        );
        assert!(
            private
                .may(&user("v", Role::Viewer, &[]), Action::Read, object)
                .is_allowed()
        );
    }
}

#[test]
fn tasks_and_projects_are_read_like_published_data_and_changed_by_nobody_here() {
    let policy = Policy::new(Visibility::Private);
    let reporter = user("r", Role::Reporter, &[jinjiang()]);
    assert!(
        policy
            .may(&reporter, Action::Read, &Object::TasksAndProjects)
            .is_allowed()
    );
    for action in [Action::Change, Action::Submit, Action::Approve] {
        assert!(
            matches!(
                policy.may(
                    &user("a", Role::Admin, &[]),
                    action,
                    &Object::TasksAndProjects
                ),
                Decision::Denied(Denial::NoSuchAction { .. })
            ),
            "{action:?}"
        );
    }
}

#[test]
fn accounts_tokens_and_the_audit_log() {
    let policy = Policy::default();
    let alice = account("alice", Role::Reporter, &[jinjiang()]);
    let own = Object::User {
        name: "alice".into(),
    };
    let other = Object::User { name: "bob".into() };
    let me = Actor::User(alice.clone());
    assert!(policy.may(&me, Action::Read, &own).is_allowed());
    assert!(policy.may(&me, Action::ChangePassword, &own).is_allowed());
    assert_eq!(
        policy.may(&me, Action::Read, &other),
        Decision::Denied(Denial::NotYours)
    );
    let token = Actor::Token {
        name: "etl".into(),
        user: alice,
    };
    assert_eq!(
        policy.may(&token, Action::ChangePassword, &own),
        Decision::Denied(Denial::NotWithToken)
    );
    let admin = user("root", Role::Admin, &[]);
    assert!(policy.may(&admin, Action::Change, &other).is_allowed());
    assert!(
        policy
            .may(&admin, Action::ChangePassword, &other)
            .is_allowed()
    );
    let planner = user("p", Role::Planner, &[]);
    assert!(!policy.may(&planner, Action::Change, &other).is_allowed());
    assert!(
        policy
            .may(&planner, Action::Read, &Object::AuditLog)
            .is_allowed()
    );
    assert!(
        !policy
            .may(&me, Action::Read, &Object::AuditLog)
            .is_allowed()
    );
    assert!(
        !policy
            .may(
                &user("v", Role::Viewer, &[]),
                Action::Read,
                &Object::AuditLog
            )
            .is_allowed()
    );
    assert!(matches!(
        policy.may(&admin, Action::Approve, &Object::AuditLog),
        Decision::Denied(Denial::NoSuchAction { .. })
    ));
}

#[test]
fn reporters_submit_and_the_plan_office_reviews_submissions() {
    let policy = Policy::default();
    let reporter = user("r", Role::Reporter, &[Unit::Region("510104".into())]);
    let planner = user("p", Role::Planner, &[]);
    let viewer = user("v", Role::Viewer, &[]);
    for action in [Action::Read, Action::Submit] {
        assert!(
            policy
                .may(&reporter, action, &Object::Submissions)
                .is_allowed()
        );
        assert!(
            policy
                .may(&planner, action, &Object::Submissions)
                .is_allowed()
        );
        assert!(
            !policy
                .may(&viewer, action, &Object::Submissions)
                .is_allowed()
        );
    }
    assert!(
        policy
            .may(&planner, Action::Approve, &Object::Submissions)
            .is_allowed()
    );
    assert!(
        !policy
            .may(&reporter, Action::Approve, &Object::Submissions)
            .is_allowed()
    );
    assert_eq!(
        policy.may(&Actor::Anonymous, Action::Read, &Object::Submissions),
        Decision::Denied(Denial::SignInRequired)
    );
}

#[test]
fn the_plan_office_and_viewers_read_the_reporting_status() {
    let policy = Policy::default();
    let status = Object::ReportingStatus;
    for role in [Role::Admin, Role::Planner, Role::Viewer] {
        assert!(
            policy
                .may(&user("u", role, &[]), Action::Read, &status)
                .is_allowed(),
            "{role:?}"
        );
    }
    let reporter = user("r", Role::Reporter, &[Unit::Region("510104".into())]);
    assert!(matches!(
        policy.may(&reporter, Action::Read, &status),
        Decision::Denied(Denial::Role { .. })
    ));
    assert_eq!(
        policy.may(&Actor::Anonymous, Action::Read, &status),
        Decision::Denied(Denial::SignInRequired)
    );
    assert!(matches!(
        policy.may(&user("p", Role::Planner, &[]), Action::Change, &status),
        Decision::Denied(Denial::NoSuchAction { .. })
    ));
}

#[test]
fn the_plan_office_reads_and_changes_period_locks() {
    let policy = Policy::default();
    let locks = Object::PeriodLocks;
    let office = [
        user("a", Role::Admin, &[]),
        user("p", Role::Planner, &[]),
        Actor::Cli {
            os_user: "ops".into(),
        },
    ];
    for actor in &office {
        for action in [Action::Read, Action::Change] {
            assert!(
                policy.may(actor, action, &locks).is_allowed(),
                "{actor:?} {action:?}"
            );
        }
    }
    let others = [
        user("r", Role::Reporter, &[jinjiang()]),
        user("v", Role::Viewer, &[]),
    ];
    for actor in &others {
        for action in [Action::Read, Action::Change] {
            assert!(
                matches!(
                    policy.may(actor, action, &locks),
                    Decision::Denied(Denial::Role { .. })
                ),
                "{actor:?} {action:?}"
            );
        }
    }
    assert_eq!(
        policy.may(&Actor::Anonymous, Action::Read, &locks),
        Decision::Denied(Denial::SignInRequired)
    );
    assert!(matches!(
        policy.may(&user("p", Role::Planner, &[]), Action::Approve, &locks),
        Decision::Denied(Denial::NoSuchAction { .. })
    ));
    let denial = policy
        .may(&user("v", Role::Viewer, &[]), Action::Change, &locks)
        .into_result()
        .unwrap_err();
    assert_eq!(
        denial.to_string(),
        "角色“查阅者”不能修改期间锁定 / the role viewer may not change period locks"
    );
}

#[test]
fn every_account_has_notices_and_reads_only_its_own() {
    let policy = Policy::new(Visibility::Private);
    let own = |name: &str| Object::Notice {
        recipient: name.into(),
    };
    for role in Role::ALL {
        let someone = user("u", role, &[]);
        for action in [Action::Read, Action::Change] {
            assert!(policy.may(&someone, action, &Object::Notices).is_allowed());
            assert!(policy.may(&someone, action, &own("u")).is_allowed());
            assert_eq!(
                policy.may(&someone, action, &own("other")),
                Decision::Denied(Denial::NotYourNotice),
                "{role:?} {action:?}"
            );
        }
        assert!(
            !policy
                .may(&someone, Action::Approve, &Object::Notices)
                .is_allowed()
        );
    }
    for object in [Object::Notices, own("u")] {
        assert_eq!(
            Policy::default().may(&Actor::Anonymous, Action::Read, &object),
            Decision::Denied(Denial::SignInRequired)
        );
    }
}

#[test]
fn supervision_is_read_by_the_office_and_viewers_and_answered_by_the_unit() {
    let policy = Policy::default();
    let commerce = Unit::Department("commerce".into());
    let of = |unit: &Unit| Object::Supervision {
        unit: Some(unit.clone()),
    };
    let own = user("com", Role::Reporter, std::slice::from_ref(&commerce));
    let other = user("jj", Role::Reporter, &[jinjiang()]);
    let planner = user("p", Role::Planner, &[]);
    let viewer = user("v", Role::Viewer, &[]);
    let cli = Actor::Cli {
        os_user: "ops".into(),
    };
    let all = Object::Supervision { unit: None };
    for actor in [&own, &other, &planner, &viewer, &cli] {
        assert!(
            policy.may(actor, Action::Read, &all).is_allowed(),
            "{actor:?}"
        );
    }
    for actor in [&own, &planner, &viewer, &cli] {
        assert!(
            policy.may(actor, Action::Read, &of(&commerce)).is_allowed(),
            "{actor:?}"
        );
    }
    assert_eq!(
        policy.may(&other, Action::Read, &of(&commerce)),
        Decision::Denied(Denial::OutOfScope)
    );
    assert!(
        policy
            .may(&own, Action::Submit, &of(&commerce))
            .is_allowed()
    );
    assert!(
        policy
            .may(&cli, Action::Submit, &of(&commerce))
            .is_allowed()
    );
    assert_eq!(
        policy.may(&other, Action::Submit, &of(&commerce)),
        Decision::Denied(Denial::OutOfScope)
    );
    for actor in [&planner, &viewer, &Actor::Anonymous] {
        assert!(
            !policy
                .may(actor, Action::Submit, &of(&commerce))
                .is_allowed(),
            "{actor:?}"
        );
    }
    assert!(
        !policy
            .may(&Actor::Anonymous, Action::Read, &all)
            .is_allowed()
    );
    let system = Actor::System {
        task: "supervision-sweep".into(),
    };
    assert!(policy.may(&system, Action::Change, &all).is_allowed());
    assert!(policy.may(&planner, Action::Change, &all).is_allowed());
    for actor in [&own, &viewer] {
        assert!(
            !policy.may(actor, Action::Change, &all).is_allowed(),
            "{actor:?}"
        );
    }
}

#[test]
fn denials_are_in_chinese_and_english() {
    let denial = Policy::default()
        .may(
            &user("v", Role::Viewer, &[]),
            Action::Change,
            &Object::DistrictTargets,
        )
        .into_result()
        .unwrap_err();
    assert_eq!(
        denial.to_string(),
        "角色“查阅者”不能修改区（市）县目标 / the role viewer may not change district targets"
    );
    assert!(Denial::SignInRequired.needs_sign_in() && !denial.needs_sign_in());
}

fn any_role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn any_unit() -> impl Strategy<Value = Unit> {
    prop_oneof![
        prop::sample::select(vec!["510104", "510105", "510106"])
            .prop_map(|c| Unit::Region(c.into())),
        prop::sample::select(vec!["commerce", "statistics", "culture_tourism"])
            .prop_map(|c| Unit::Department(c.into())),
    ]
}

fn any_account() -> impl Strategy<Value = Account> {
    (
        any_role(),
        prop::collection::vec(any_unit(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(role, units, active)| Account {
            name: "someone".into(),
            role,
            units,
            active,
        })
}

fn any_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        any_account().prop_map(Actor::User),
        any_account().prop_map(|user| Actor::Token {
            name: "t".into(),
            user
        }),
        Just(Actor::Cli {
            os_user: "ops".into()
        }),
        Just(Actor::System {
            task: "first-start".into()
        }),
        Just(Actor::Anonymous),
    ]
}

fn any_object() -> impl Strategy<Value = Object> {
    prop_oneof![
        Just(retail(FigureState::Published)),
        any_unit().prop_map(unpublished_from),
        Just(Object::Plan),
        Just(Object::Observations),
        Just(Object::DistrictTargets),
        Just(Object::Assessments),
        Just(Object::Evaluation),
        Just(Object::TasksAndProjects),
        Just(Object::User {
            name: "someone".into()
        }),
        Just(Object::Tokens {
            user: "someone".into()
        }),
        Just(Object::AuditLog),
        Just(Object::Submissions),
        Just(Object::ReportingStatus),
        Just(Object::PeriodLocks),
        Just(Object::Notices),
        Just(Object::Notice {
            recipient: "someone".into()
        }),
        Just(Object::Supervision { unit: None }),
        any_unit().prop_map(|unit| Object::Supervision { unit: Some(unit) }),
        Just(Object::Reports),
        Just(Object::Settings),
        Just(Object::WholeStore),
    ]
}

fn any_action() -> impl Strategy<Value = Action> {
    prop::sample::select(vec![
        Action::Read,
        Action::Submit,
        Action::Approve,
        Action::Change,
        Action::ChangePassword,
    ])
}

proptest! {
    #[test]
    fn invariants_of_the_policy(
        actor in any_actor(),
        action in any_action(),
        object in any_object(),
        private in any::<bool>(),
    ) {
        let policy = Policy::new(if private { Visibility::Private } else { Visibility::Public });
        let decision = policy.may(&actor, action, &object);
        // A disabled account may do nothing, whatever its role.
        if actor.account().is_some_and(|a| !a.active) {
            prop_assert_eq!(&decision, &Decision::Denied(Denial::AccountDisabled));
        }
        // The public only ever reads, and never what is unpublished or private.
        if actor == Actor::Anonymous && decision.is_allowed() {
            prop_assert_eq!(action, Action::Read);
            prop_assert!(!private);
            let unpublished = matches!(&object, Object::Figure(Figure { state: FigureState::Unpublished { .. }, .. }));
            prop_assert!(!unpublished);
        }
        // A token never does more than its user signed in would.
        if let Actor::Token { user, .. } = &actor
            && decision.is_allowed()
        {
            prop_assert!(policy.may(&Actor::User(user.clone()), action, &object).is_allowed());
        }
        // Nothing an administrator is refused is allowed to anyone else — but a notice, which
        // only its recipient reads (an administrator included).
        let admin = Actor::User(Account { name: "root".into(), role: Role::Admin, units: vec![], active: true });
        if decision.is_allowed() && !matches!(object, Object::Notice { .. }) {
            prop_assert!(policy.may(&admin, action, &object).is_allowed());
        }
        // The whole store is the administrator's alone (a backup holds every account).
        if object == Object::WholeStore && decision.is_allowed() {
            prop_assert_eq!(actor.role(), Some(Role::Admin));
        }
        // A notice is its recipient's alone.
        if let Object::Notice { recipient } = &object && decision.is_allowed() {
            prop_assert_eq!(actor.account().map(|a| a.name.as_str()), Some(recipient.as_str()));
        }
        // Only the plan office approves and changes shared data (a notice's reading is not).
        if decision.is_allowed() && (action == Action::Approve
            || (action == Action::Change && !matches!(object, Object::User { .. } | Object::Tokens { .. } | Object::Settings | Object::Notices | Object::Notice { .. })))
        {
            prop_assert!(matches!(actor.role(), Some(Role::Admin | Role::Planner)));
        }
    }
}

#[test]
fn the_assessment_is_read_by_the_office_viewers_and_a_reporter_for_its_own_units() {
    let policy = Policy::default();
    let ranking = Object::Scores { unit: None };
    let own = Object::Scores {
        unit: Some(jinjiang()),
    };
    let other = Object::Scores {
        unit: Some(Unit::Region("510105".into())),
    };
    let reporter = user("jj", Role::Reporter, &[jinjiang()]);
    for actor in [
        user("a", Role::Admin, &[]),
        user("p", Role::Planner, &[]),
        user("v", Role::Viewer, &[]),
    ] {
        for object in [&ranking, &own, &other] {
            assert!(policy.may(&actor, Action::Read, object).is_allowed());
        }
    }
    assert!(policy.may(&reporter, Action::Read, &own).is_allowed());
    assert_eq!(
        policy.may(&reporter, Action::Read, &other),
        Decision::Denied(Denial::OutOfScope)
    );
    assert!(!policy.may(&reporter, Action::Read, &ranking).is_allowed());
    assert_eq!(
        policy.may(&Actor::Anonymous, Action::Read, &own),
        Decision::Denied(Denial::SignInRequired)
    );
}

#[test]
fn planners_adjust_and_freeze_the_assessment_and_only_administrators_unfreeze_it() {
    let policy = Policy::default();
    let scores = Object::Scores { unit: None };
    let planner = user("p", Role::Planner, &[]);
    let admin = user("a", Role::Admin, &[]);
    let cli = Actor::Cli {
        os_user: "root".into(),
    };
    for actor in [&planner, &admin, &cli] {
        assert!(policy.may(actor, Action::Change, &scores).is_allowed());
    }
    for actor in [
        user("v", Role::Viewer, &[]),
        user("jj", Role::Reporter, &[jinjiang()]),
    ] {
        assert!(!policy.may(&actor, Action::Change, &scores).is_allowed());
    }
    assert!(
        policy
            .may(&admin, Action::Change, &Object::FrozenScores)
            .is_allowed()
    );
    assert!(
        policy
            .may(&cli, Action::Change, &Object::FrozenScores)
            .is_allowed()
    );
    assert!(
        !policy
            .may(&planner, Action::Change, &Object::FrozenScores)
            .is_allowed()
    );
    assert!(!policy.may(&admin, Action::Approve, &scores).is_allowed());
}

#[test]
fn the_office_and_viewers_read_the_reports_and_the_office_edits_their_texts() {
    let policy = Policy::default();
    let planner = user("p", Role::Planner, &[]);
    let admin = user("a", Role::Admin, &[]);
    let viewer = user("v", Role::Viewer, &[]);
    let reporter = user("jj", Role::Reporter, &[jinjiang()]);
    let cli = Actor::Cli {
        os_user: "root".into(),
    };
    for actor in [&planner, &admin, &viewer, &cli] {
        assert!(
            policy
                .may(actor, Action::Read, &Object::Reports)
                .is_allowed()
        );
    }
    for actor in [&planner, &admin, &cli] {
        assert!(
            policy
                .may(actor, Action::Change, &Object::Reports)
                .is_allowed()
        );
    }
    assert!(
        !policy
            .may(&viewer, Action::Change, &Object::Reports)
            .is_allowed()
    );
    assert!(
        !policy
            .may(&reporter, Action::Read, &Object::Reports)
            .is_allowed()
    );
    // Not published data: the public does not read them, even on a public deployment.
    assert_eq!(
        policy.may(&Actor::Anonymous, Action::Read, &Object::Reports),
        Decision::Denied(Denial::SignInRequired)
    );
    assert!(
        !policy
            .may(&planner, Action::Approve, &Object::Reports)
            .is_allowed()
    );
}
