//! The reporting workflow in storage, on both backends: a submission returned, resubmitted (the
//! earlier version kept) and approved as one import batch with its audit entries; four eyes;
//! two approvals at once; stale bases; period locks for submissions and imports.

use planwatch_access::{Account, Actor, Role, Unit};
use planwatch_plan::Period::Year;
use planwatch_plan::{ObservationRow, Plan};
use planwatch_store::{
    AuditFilter, ImportError, ImportSettings, ObservationFilter, Store, StoreError,
    SubmissionFilter,
};
use planwatch_workflow::{PeriodLock, Published, Refusal, Standing, Status};

use crate::{End, import, import_known_since, plan, row, stores, tester, values};

pub(crate) fn user(name: &str, role: Role, units: &[&str]) -> Actor {
    Actor::User(Account {
        name: name.into(),
        role,
        units: units.iter().map(|u| Unit::Region((*u).into())).collect(),
        active: true,
    })
}

pub(crate) fn east() -> Unit {
    Unit::Region("440103".into())
}

fn reporter() -> Actor {
    user("east", Role::Reporter, &["440103"])
}

fn retail(plan: &Plan, line: usize, year: u16, value: f64) -> ObservationRow {
    row(plan, line, "retail_sales", "440103", Year(year), value)
}

async fn published(store: &Store, plan: &Plan) -> Vec<f64> {
    let filter = ObservationFilter {
        regions: vec!["440103".into()],
        ..ObservationFilter::default()
    };
    values(store, plan, &filter).await
}

/// Runs `test` on a store of each backend holding the example plan.
async fn on_each_backend(test: impl AsyncFn(&str, &Store, &Plan)) {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let plan = plan();
        store.save_plan(&tester(), &plan).await.unwrap();
        test(backend, store, &plan).await;
    }
    stores.drop_databases().await;
}

/// Submits `rows` for the east district at once, as `actor`, with a revision reason or none.
async fn submit(
    store: &Store,
    plan: &Plan,
    actor: &Actor,
    rows: &[ObservationRow],
    reason: Option<&str>,
) -> i64 {
    store
        .create_submission(actor, None, plan, east(), rows, false, None, reason)
        .await
        .unwrap()
}

async fn status(store: &Store, plan: &Plan, id: i64) -> Status {
    store.submission(plan, id).await.unwrap().status
}

async fn actions(store: &Store) -> Vec<(String, String)> {
    store
        .audit_log(&AuditFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action))
        .collect()
}

#[tokio::test]
async fn returned_resubmitted_and_approved_by_another_planner_as_one_batch() {
    on_each_backend(async |backend, store, plan| {
        import(
            store,
            plan,
            "old.csv",
            vec![retail(plan, 2, 2021, 100.0)],
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        let rows = vec![retail(plan, 2, 2021, 110.0), retail(plan, 3, 2022, 120.0)];
        let id = store
            .create_submission(
                &reporter(),
                None,
                plan,
                east(),
                &rows,
                false,
                Some("east.csv"),
                None,
            )
            .await
            .unwrap();
        let p1 = user("p1", Role::Planner, &[]);
        let p2 = user("p2", Role::Planner, &[]);
        store
            .return_submission(&p1, None, plan, id, "2022 年数据请核实")
            .await
            .unwrap();
        // Corrected: the returned version stays, the new one is version 2.
        let corrected = vec![retail(plan, 2, 2021, 110.0), retail(plan, 3, 2022, 125.0)];
        let version = store
            .submit_submission(&reporter(), None, plan, id, Some(&corrected))
            .await
            .unwrap();
        assert_eq!(version, 2, "{backend}");
        let first = store.submission_rows(id, 1).await.unwrap();
        let second = store.submission_rows(id, 2).await.unwrap();
        assert_eq!(first[1].row.value, 120.0, "{backend}");
        assert_eq!(second[1].row.value, 125.0, "{backend}");
        assert_eq!(
            (second[0].base, second[1].base),
            (Some(100.0), None),
            "{backend}"
        );
        let outcome = store
            .approve_submission(&p2, None, plan, id, Some("同意"), ImportSettings::default())
            .await
            .unwrap();
        assert!(outcome.committed, "{backend}");
        assert_eq!((outcome.new, outcome.revisions), (1, 2), "{backend}");
        assert_eq!(published(store, plan).await, [110.0, 125.0], "{backend}");
        let approved = store.submission(plan, id).await.unwrap();
        assert_eq!(approved.status, Status::Approved, "{backend}");
        assert_eq!(approved.batch_id, outcome.batch_id, "{backend}");
        assert_eq!(approved.reviewed_by.as_deref(), Some("p2"), "{backend}");
        let comments = store.submission_comments(id).await.unwrap();
        let comments: Vec<_> = comments
            .iter()
            .map(|c| (c.version, c.action.as_str(), c.author.as_str()))
            .collect();
        assert_eq!(
            comments,
            [(1, "return", "p1"), (2, "approve", "p2")],
            "{backend}"
        );
        let log = actions(store).await;
        let tail: Vec<_> = log[log.len() - 5..]
            .iter()
            .map(|(actor, action)| (actor.as_str(), action.as_str()))
            .collect();
        assert_eq!(
            tail,
            [
                ("east", "submission.create"),
                ("p1", "submission.return"),
                ("east", "submission.submit"),
                ("p2", "observations.import"),
                ("p2", "submission.approve"),
            ],
            "{backend}"
        );
        assert!(
            store.verify_audit().await.unwrap().problem.is_none(),
            "{backend}"
        );
        let listed = store
            .submissions(
                plan,
                &SubmissionFilter {
                    status: Some(Status::Approved),
                    unit: Some(east()),
                    period: Some(Year(2022)),
                },
            )
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "{backend}");
        assert_eq!(listed[0].rows, 2, "{backend}");
        let none = SubmissionFilter {
            period: Some(Year(2023)),
            ..SubmissionFilter::default()
        };
        assert!(
            store.submissions(plan, &none).await.unwrap().is_empty(),
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_submitter_cannot_approve_and_a_refused_approval_publishes_nothing() {
    on_each_backend(async |backend, store, plan| {
        let cli = Actor::Cli {
            os_user: "ops".into(),
        };
        let rows = vec![retail(plan, 2, 2021, 110.0)];
        let id = submit(store, plan, &cli, &rows, None).await;
        let entries = actions(store).await.len();
        let refused = store
            .approve_submission(&cli, None, plan, id, None, ImportSettings::default())
            .await
            .unwrap_err();
        assert!(
            matches!(
                refused,
                ImportError::Store(StoreError::Refused(Refusal::OwnSubmission { .. }))
            ),
            "{backend}: {refused:?}"
        );
        let refused = store
            .approve_submission(&reporter(), None, plan, id, None, ImportSettings::default())
            .await
            .unwrap_err();
        assert!(
            matches!(
                refused,
                ImportError::Store(StoreError::Refused(Refusal::NotReviewer))
            ),
            "{backend}: {refused:?}"
        );
        assert!(published(store, plan).await.is_empty(), "{backend}");
        assert_eq!(actions(store).await.len(), entries, "{backend}");
        assert_eq!(
            status(store, plan, id).await,
            Status::Submitted,
            "{backend}"
        );
        // A draft is not reviewed; the unit withdraws it.
        let draft = store
            .create_submission(&reporter(), None, plan, east(), &rows, true, None, None)
            .await
            .unwrap();
        let p1 = user("p1", Role::Planner, &[]);
        assert!(
            store
                .return_submission(&p1, None, plan, draft, "?")
                .await
                .is_err(),
            "{backend}"
        );
        store
            .withdraw_submission(&reporter(), None, plan, draft)
            .await
            .unwrap();
        assert_eq!(
            status(store, plan, draft).await,
            Status::Withdrawn,
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn of_two_planners_approving_at_once_exactly_one_succeeds() {
    on_each_backend(async |backend, store, plan| {
        let rows: Vec<ObservationRow> = (2016..=2025)
            .map(|year| retail(plan, usize::from(year - 2014), year, f64::from(year)))
            .collect();
        for round in 0..3 {
            let id = submit(store, plan, &reporter(), &rows, None).await;
            let approve = |name: &'static str| {
                let store = store.clone();
                let plan = plan.clone();
                tokio::spawn(async move {
                    store
                        .approve_submission(
                            &user(name, Role::Planner, &[]),
                            None,
                            &plan,
                            id,
                            None,
                            ImportSettings::default(),
                        )
                        .await
                })
            };
            let (a, b) = (approve("p1"), approve("p2"));
            let results = [a.await.unwrap(), b.await.unwrap()];
            let succeeded = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(succeeded, 1, "{backend} round {round}: {results:?}");
            // The other is told the submission no longer waits: by the conditional update when
            // both read it as submitted, or by the workflow when the first had committed before
            // the second read it (which the scheduler decides).
            assert!(
                results.iter().any(|r| match r {
                    Err(ImportError::NotWaiting(got)) => *got == id,
                    Err(ImportError::Store(StoreError::Refused(Refusal::Illegal {
                        status,
                        ..
                    }))) => *status == Status::Approved,
                    _ => false,
                }),
                "{backend} round {round}: {results:?}"
            );
            let approvals = actions(store)
                .await
                .into_iter()
                .filter(|(_, action)| action == "submission.approve")
                .count();
            assert_eq!(approvals, round + 1, "{backend}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_figure_published_since_submission_asks_for_a_fresh_review() {
    on_each_backend(async |backend, store, plan| {
        let rows = vec![retail(plan, 2, 2021, 110.0)];
        let id = submit(store, plan, &reporter(), &rows, None).await;
        // Someone else publishes the same key meanwhile.
        import(
            store,
            plan,
            "other.csv",
            vec![retail(plan, 2, 2021, 105.0)],
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        let p1 = user("p1", Role::Planner, &[]);
        let refused = store
            .approve_submission(&p1, None, plan, id, None, ImportSettings::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, ImportError::StaleBase { id: got, rows } if *got == id && rows == &[0]),
            "{backend}: {refused:?}"
        );
        assert!(refused.to_string().contains("fresh review"), "{refused}");
        assert_eq!(published(store, plan).await, [105.0], "{backend}");
        assert_eq!(
            status(store, plan, id).await,
            Status::Submitted,
            "{backend}"
        );
        // Returned and submitted again, it is compared with 105 and may be approved.
        store
            .return_submission(&p1, None, plan, id, "请按最新数据复核")
            .await
            .unwrap();
        store
            .submit_submission(&reporter(), None, plan, id, None)
            .await
            .unwrap();
        store
            .approve_submission(&p1, None, plan, id, None, ImportSettings::default())
            .await
            .unwrap();
        assert_eq!(published(store, plan).await, [110.0], "{backend}");
    })
    .await;
}

#[tokio::test]
async fn a_locked_period_takes_imports_and_approvals_only_as_revisions_with_a_reason() {
    on_each_backend(async |backend, store, plan| {
        assert!(
            store
                .lock_period(&tester(), plan, 2022, Some("retail_sales"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .lock_period(&tester(), plan, 2022, Some("retail_sales"))
                .await
                .unwrap()
        );
        assert_eq!(
            store.period_locks(plan).await.unwrap(),
            [PeriodLock {
                year: 2022,
                indicator: Some("retail_sales".into())
            }],
            "{backend}"
        );
        let stored = store.stored_period_locks(plan).await.unwrap();
        assert_eq!(stored[0].locked_by, "cli:tester", "{backend}");
        assert_eq!(stored[0].locked_at.len(), 19, "{backend}: {stored:?}");
        let refused = import(
            store,
            plan,
            "late.csv",
            vec![retail(plan, 2, 2021, 1.0), retail(plan, 3, 2022, 2.0)],
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&refused, ImportError::LockedPeriod { indicator, period, .. }
                if indicator == "retail_sales" && *period == Year(2022)),
            "{backend}: {refused:?}"
        );
        assert!(refused.to_string().contains("2022年已锁定"), "{refused}");
        assert!(published(store, plan).await.is_empty(), "{backend}");
        // Another year, or another indicator, is not locked.
        import(
            store,
            plan,
            "2021.csv",
            vec![retail(plan, 2, 2021, 1.0)],
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        // A submission into the locked period without a reason is refused at approval; with
        // one it is published.
        let rows = vec![retail(plan, 2, 2022, 2.0)];
        let p1 = user("p1", Role::Planner, &[]);
        let plain = submit(store, plan, &reporter(), &rows, None).await;
        let refused = store
            .approve_submission(&p1, None, plan, plain, None, ImportSettings::default())
            .await
            .unwrap_err();
        assert!(
            matches!(refused, ImportError::LockedPeriod { .. }),
            "{backend}: {refused:?}"
        );
        assert_eq!(
            status(store, plan, plain).await,
            Status::Submitted,
            "{backend}"
        );
        let revision = submit(store, plan, &reporter(), &rows, Some("统计局年报更正")).await;
        store
            .approve_submission(&p1, None, plan, revision, None, ImportSettings::default())
            .await
            .unwrap();
        assert_eq!(published(store, plan).await, [1.0, 2.0], "{backend}");
        assert!(
            store
                .unlock_period(&tester(), plan, 2022, Some("retail_sales"))
                .await
                .unwrap()
        );
        assert!(
            store.period_locks(plan).await.unwrap().is_empty(),
            "{backend}"
        );
        let log = actions(store).await;
        let locks: Vec<_> = log
            .iter()
            .filter(|(_, action)| action.starts_with("period."))
            .map(|(_, action)| action.as_str())
            .collect();
        assert_eq!(locks, ["period.lock", "period.unlock"], "{backend}");
    })
    .await;
}

#[tokio::test]
async fn an_import_revising_a_locked_period_records_why_in_the_audit_log() {
    on_each_backend(async |backend, store, plan| {
        store
            .lock_period(&tester(), plan, 2022, None)
            .await
            .unwrap();
        let (sender, receiver) = tokio::sync::mpsc::channel(2);
        sender
            .send(planwatch_store::Feed::Rows(vec![retail(
                plan, 2, 2022, 3.0,
            )]))
            .await
            .unwrap();
        sender
            .send(planwatch_store::Feed::Finish {
                checksum: "sum".into(),
            })
            .await
            .unwrap();
        let batch = planwatch_store::BatchInfo {
            file_name: "fix.csv".into(),
            imported_by: "ops".into(),
            known_since: None,
            revision_reason: Some("年报更正".into()),
        };
        store
            .import(&tester(), plan, batch, receiver, ImportSettings::default())
            .await
            .unwrap();
        let log = store.audit_log(&AuditFilter::default()).await.unwrap();
        let details: serde_json::Value =
            serde_json::from_str(&log.last().unwrap().details).unwrap();
        assert_eq!(
            (&details["revision_reason"], &details["locked_period"]),
            (&serde_json::json!("年报更正"), &serde_json::json!("2022")),
            "{backend}"
        );
    })
    .await;
}

/// The east district's retail sales of `years` under a calendar of district series.
fn east_retail_owed(
    plan: &Plan,
    years: std::ops::RangeInclusive<u16>,
) -> Vec<planwatch_workflow::Obligation> {
    let calendar = planwatch_plan::ReportingCalendar {
        reporters: vec![planwatch_plan::Reporter::Districts],
        ..planwatch_plan::ReportingCalendar::default()
    };
    planwatch_workflow::obligations(plan, &calendar, years, &Default::default())
        .into_iter()
        .filter(|o| o.unit == east() && o.indicator == "retail_sales")
        .collect()
}

#[tokio::test]
async fn the_calendar_reads_what_was_filed() {
    on_each_backend(async |backend, store, plan| {
        let rows = vec![retail(plan, 2, 2021, 1.0), retail(plan, 3, 2022, 2.0)];
        let submitted = submit(store, plan, &reporter(), &rows, None).await;
        let draft = store
            .create_submission(
                &reporter(),
                None,
                plan,
                east(),
                &rows[..1],
                true,
                None,
                None,
            )
            .await
            .unwrap();
        let filed = store.filed_submissions(plan).await.unwrap();
        assert_eq!(filed.len(), 2, "{backend}");
        let today = chrono::Utc::now().date_naive();
        assert_eq!(
            (
                filed[0].status,
                filed[0].first_submitted,
                filed[0].keys.len()
            ),
            (Status::Submitted, Some(today), 2),
            "{backend}"
        );
        assert_eq!(
            (filed[1].status, filed[1].first_submitted, &filed[1].unit),
            (Status::Draft, None, &east()),
            "{backend}"
        );
        // The east district owes its 2021 and 2022 retail sales under a calendar of district
        // series: reported (late: due 31 March of the next year), the draft counting as nothing.
        let owed = east_retail_owed(plan, 2021..=2023);
        let standings = planwatch_workflow::standings(owed, &filed, &Published::new(), today);
        let late: Vec<bool> = standings.iter().map(|s| s.standing.is_late()).collect();
        let reported: Vec<bool> = standings.iter().map(|s| !s.standing.is_owed()).collect();
        assert_eq!(reported, [true, true, false], "{backend}");
        assert_eq!(
            late,
            [
                true,
                true,
                today > chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap()
            ],
            "{backend}"
        );
        assert!(submitted < draft);
    })
    .await;
}

/// The figures published, for the calendar: every key with a revision (known by the filter's
/// as-of time), on the day of its first; a published figure the unit did not submit is not owed.
#[tokio::test]
async fn the_calendar_reads_what_is_published() {
    on_each_backend(async |backend, store, plan| {
        let city = |year, value| row(plan, 4, "retail_sales", "440100", Year(year), value);
        for (file, rows, known_since) in [
            (
                "yearbook-2024.csv",
                vec![retail(plan, 2, 2023, 5.0), city(2023, 50.0)],
                "2024-02-01 00:00:00",
            ),
            // A revision later on: the figure was still first published on 1 February.
            (
                "revised.csv",
                vec![retail(plan, 2, 2023, 5.5)],
                "2024-06-01 00:00:00",
            ),
            (
                "older.csv",
                vec![retail(plan, 2, 2019, 3.0)],
                "2020-03-01 00:00:00",
            ),
        ] {
            import_known_since(store, plan, file, rows, Some(known_since))
                .await
                .unwrap();
        }
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let east_2023 = planwatch_workflow::Key {
            indicator: "retail_sales".into(),
            region: "440103".into(),
            period: Year(2023),
        };
        let filter = ObservationFilter {
            indicators: vec!["retail_sales".into()],
            regions: vec!["440103".into()],
            from: Some(Year(2021)),
            to: Some(Year(2023)),
            ..ObservationFilter::default()
        };
        let published = store.published_keys(plan, &filter).await.unwrap();
        assert_eq!(
            published,
            Published::from([(east_2023.clone(), day(2024, 2, 1))]),
            "{backend}"
        );
        // Everything of the plan: the city's figure and 2019 too.
        let all = store
            .published_keys(plan, &ObservationFilter::default())
            .await
            .unwrap();
        assert_eq!(all.len(), 3, "{backend}");
        // As of a day before the yearbook: nothing of 2021–2023 yet.
        let before = ObservationFilter {
            as_of: Some("2024-01-31".into()),
            ..filter
        };
        assert!(
            store
                .published_keys(plan, &before)
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );
        let owed = east_retail_owed(plan, 2022..=2023);
        let standings = planwatch_workflow::standings(owed, &[], &published, day(2024, 6, 1));
        let got: Vec<Standing> = standings.iter().map(|s| s.standing).collect();
        assert_eq!(
            got,
            [
                Standing::Missing { late: true },
                Standing::Published {
                    on: day(2024, 2, 1)
                }
            ],
            "{backend}"
        );
    })
    .await;
}

/// A submission's base is the value in force, the one known last: an older release imported
/// after a newer one is not what the submission is compared with (issue 11, item 2).
#[tokio::test]
async fn the_base_of_a_submission_is_the_value_known_last() {
    on_each_backend(async |backend, store, plan| {
        for (file, value, known_since) in [
            ("release-2021.csv", 8313.4, "2021-02-01 00:00:00"),
            ("release-2020.csv", 7478.4, "2020-01-20 00:00:00"),
        ] {
            let rows = vec![retail(plan, 2, 2019, value)];
            crate::import_known_since(store, plan, file, rows, Some(known_since))
                .await
                .unwrap();
        }
        let id = submit(
            store,
            plan,
            &reporter(),
            &[retail(plan, 2, 2019, 9000.0)],
            None,
        )
        .await;
        let rows = store.submission_rows(id, 1).await.unwrap();
        assert_eq!(rows[0].base, Some(8313.4), "{backend}");
    })
    .await;
}

#[tokio::test]
async fn edited_rows_replace_a_draft_and_wait_as_a_returned_submission_next_version() {
    on_each_backend(async |backend, store, plan| {
        let draft = store
            .create_submission(
                &reporter(),
                None,
                plan,
                east(),
                &[retail(plan, 2, 2021, 1.0)],
                true,
                None,
                None,
            )
            .await
            .unwrap();
        let edited = [retail(plan, 2, 2021, 2.0), retail(plan, 3, 2022, 3.0)];
        let version = store
            .edit_submission(&reporter(), None, plan, draft, &edited)
            .await
            .unwrap();
        assert_eq!(version, 1, "{backend}");
        let rows = store.submission_rows(draft, 1).await.unwrap();
        let values: Vec<f64> = rows.iter().map(|r| r.row.value).collect();
        assert_eq!(values, [2.0, 3.0], "{backend}");
        assert_eq!(status(store, plan, draft).await, Status::Draft, "{backend}");
        // Another unit's reporter may not.
        let west = user("west", Role::Reporter, &["440104"]);
        let refused = store
            .edit_submission(&west, None, plan, draft, &edited)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, StoreError::Refused(Refusal::NotYourUnit { .. })),
            "{backend}: {refused:?}"
        );

        // Returned: the edit is the next version; the one the reviewer saw is unchanged.
        let id = submit(
            store,
            plan,
            &reporter(),
            &[retail(plan, 2, 2021, 10.0)],
            None,
        )
        .await;
        let p1 = user("p1", Role::Planner, &[]);
        let refused = store
            .edit_submission(&reporter(), None, plan, id, &edited)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, StoreError::Refused(Refusal::Illegal { .. })),
            "{backend}: {refused:?}"
        );
        store
            .return_submission(&p1, None, plan, id, "请核实")
            .await
            .unwrap();
        let returned = store.submission(plan, id).await.unwrap();
        assert_eq!(
            store.edited_rows(&returned).await.unwrap(),
            None,
            "{backend}"
        );
        let correction = [retail(plan, 2, 2021, 11.0)];
        for rows in [&edited[..], &correction[..]] {
            let version = store
                .edit_submission(&reporter(), None, plan, id, rows)
                .await
                .unwrap();
            assert_eq!(version, 2, "{backend}");
        }
        let after = store.submission(plan, id).await.unwrap();
        assert_eq!(
            (after.status, after.version),
            (Status::Returned, 1),
            "{backend}"
        );
        let seen = store.submission_rows(id, 1).await.unwrap();
        assert_eq!(seen[0].row.value, 10.0, "{backend}");
        let waiting = store.edited_rows(&after).await.unwrap().unwrap();
        let values: Vec<f64> = waiting.iter().map(|r| r.row.value).collect();
        assert_eq!(values, [11.0], "{backend}");
        // Submitting sends the edited rows, compared with what is published then.
        let version = store
            .submit_submission(&reporter(), None, plan, id, None)
            .await
            .unwrap();
        assert_eq!(version, 2, "{backend}");
        let sent = store.submission_rows(id, 2).await.unwrap();
        assert_eq!(sent.len(), 1, "{backend}");
        assert_eq!((sent[0].row.value, sent[0].base), (11.0, None), "{backend}");
        assert_eq!(
            store.submission_rows(id, 1).await.unwrap(),
            seen,
            "{backend}"
        );
        let log = actions(store).await;
        let edits = log
            .iter()
            .filter(|(actor, action)| actor == "east" && action == "submission.edit")
            .count();
        assert_eq!(edits, 3, "{backend}");
        assert!(
            store.verify_audit().await.unwrap().problem.is_none(),
            "{backend}"
        );
    })
    .await;
}
