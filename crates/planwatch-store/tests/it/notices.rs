//! Notices in storage, on both backends: a submission's moves tell the right users and nobody
//! else, in the move's transaction; the deadline sweep writes each notice once; marking read is
//! the user's own and audited; the mail outbox claims, retries and records.

use planwatch_access::{Role, Unit};
use planwatch_plan::Period::Year;
use planwatch_plan::{ObservationRow, Plan};
use planwatch_store::{AuditFilter, ImportSettings, NewUser, ObservationFilter, Store};
use planwatch_workflow::notice::{NoticeKind, deadline_notices};

use crate::workflow::{east, user};
use crate::{plan, row, stores, tester};

async fn add(store: &Store, name: &str, role: Role, units: &[Unit], email: Option<&str>) {
    store
        .add_user(
            &tester(),
            &NewUser {
                name,
                display_name: None,
                role,
                units,
                password_hash: "x",
                email,
            },
        )
        .await
        .unwrap();
}

/// Two planners, a reporter of the east district, one of newtown, a viewer.
async fn people(store: &Store) {
    add(store, "p1", Role::Planner, &[], Some("p1@example.org")).await;
    add(store, "p2", Role::Planner, &[], None).await;
    add(
        store,
        "east",
        Role::Reporter,
        &[east()],
        Some("east@example.org"),
    )
    .await;
    add(
        store,
        "newtown",
        Role::Reporter,
        &[Unit::Region("newtown".into())],
        None,
    )
    .await;
    add(store, "v", Role::Viewer, &[], None).await;
}

/// Each user's notices (kind, submission), newest first.
async fn told(store: &Store, plan: &Plan, user: &str) -> Vec<(NoticeKind, Option<i64>)> {
    store
        .notices(plan, user, false, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.kind, n.submission_id))
        .collect()
}

async fn on_each_backend(test: impl AsyncFn(&str, &Store, &Plan)) {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let plan = plan();
        store.save_plan(&tester(), &plan).await.unwrap();
        people(store).await;
        test(backend, store, &plan).await;
    }
    stores.drop_databases().await;
}

fn retail(plan: &Plan, line: usize, year: u16, value: f64) -> ObservationRow {
    row(plan, line, "retail_sales", "440103", Year(year), value)
}

/// A draft by east's reporter, submitted: one retail sales figure of `year`. Its id.
async fn submit_east(store: &Store, plan: &Plan, year: u16) -> i64 {
    let reporter = user("east", Role::Reporter, &["440103"]);
    store
        .create_submission(
            &reporter,
            None,
            plan,
            east(),
            &[retail(plan, 2, year, 1.0)],
            false,
            None,
            None,
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_submissions_moves_tell_the_other_side_and_nobody_else() {
    on_each_backend(async |backend, store, plan| {
        let reporter = user("east", Role::Reporter, &["440103"]);
        let planner = user("p1", Role::Planner, &[]);
        let rows = vec![retail(plan, 2, 2021, 110.0)];
        // A draft tells nobody; submitting it tells both planners.
        let id = store
            .create_submission(&reporter, None, plan, east(), &rows, true, None, None)
            .await
            .unwrap();
        assert!(told(store, plan, "p1").await.is_empty(), "{backend}");
        store
            .submit_submission(&reporter, None, plan, id, None)
            .await
            .unwrap();
        let submitted = vec![(NoticeKind::Submitted, Some(id))];
        assert_eq!(told(store, plan, "p1").await, submitted, "{backend}");
        assert_eq!(told(store, plan, "p2").await, submitted, "{backend}");
        // A return tells the unit's reporter, with the comment; not the other district's.
        store
            .return_submission(&planner, None, plan, id, "请核实 2021 年")
            .await
            .unwrap();
        let east_told = store.notices(plan, "east", false, 10).await.unwrap();
        assert_eq!(east_told.len(), 1, "{backend}");
        assert_eq!(east_told[0].kind, NoticeKind::Returned);
        assert!(east_told[0].text_zh.contains("请核实 2021 年"), "{backend}");
        assert_eq!(east_told[0].unit, east());
        // Submitted again and approved.
        store
            .submit_submission(&reporter, None, plan, id, None)
            .await
            .unwrap();
        store
            .approve_submission(&planner, None, plan, id, None, ImportSettings::default())
            .await
            .unwrap();
        assert_eq!(
            told(store, plan, "east").await,
            [
                (NoticeKind::Approved, Some(id)),
                (NoticeKind::Returned, Some(id))
            ],
            "{backend}"
        );
        assert_eq!(told(store, plan, "p2").await.len(), 2, "{backend}");
        for nobody in ["newtown", "v"] {
            assert!(
                told(store, plan, nobody).await.is_empty(),
                "{backend} {nobody}"
            );
        }
        // A submission withdrawn from the queue tells the plan office; a draft withdrawn, not.
        let queued = store
            .create_submission(&reporter, None, plan, east(), &rows, false, None, None)
            .await
            .unwrap();
        store
            .withdraw_submission(&reporter, None, plan, queued)
            .await
            .unwrap();
        let p2 = told(store, plan, "p2").await;
        assert_eq!(
            &p2[..2],
            [
                (NoticeKind::Withdrawn, Some(queued)),
                (NoticeKind::Submitted, Some(queued))
            ],
            "{backend}"
        );
        // A refused move writes no notice.
        assert!(
            store
                .approve_submission(
                    &planner,
                    None,
                    plan,
                    queued,
                    None,
                    ImportSettings::default()
                )
                .await
                .is_err()
        );
        assert_eq!(told(store, plan, "east").await.len(), 2, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn notices_are_marked_read_by_their_user_one_or_all_and_audited() {
    on_each_backend(async |backend, store, plan| {
        for year in [2021, 2022] {
            submit_east(store, plan, year).await;
        }
        assert_eq!(store.unread_notices(plan, "p1").await.unwrap(), 2);
        let newest = store.notices(plan, "p1", true, 10).await.unwrap()[0].clone();
        assert_eq!(
            store.notice(plan, newest.id).await.unwrap(),
            Some(newest.clone())
        );
        assert_eq!(store.notice(plan, 999_999).await.unwrap(), None);
        // Marking p1's notice as p2 marks nothing.
        let who = tester();
        assert_eq!(
            store
                .mark_notices_read(&who, plan, "p2", Some(newest.id))
                .await
                .unwrap(),
            0,
            "{backend}"
        );
        assert_eq!(
            store
                .mark_notices_read(&who, plan, "p1", Some(newest.id))
                .await
                .unwrap(),
            1
        );
        assert_eq!(store.unread_notices(plan, "p1").await.unwrap(), 1);
        assert_eq!(store.unread_notices(plan, "p2").await.unwrap(), 2);
        let unread = store.notices(plan, "p1", true, 10).await.unwrap();
        assert!(
            unread
                .iter()
                .all(|n| n.id != newest.id && n.read_at.is_none())
        );
        assert_eq!(
            store
                .mark_notices_read(&who, plan, "p1", None)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .mark_notices_read(&who, plan, "p1", None)
                .await
                .unwrap(),
            0
        );
        assert_eq!(store.unread_notices(plan, "p1").await.unwrap(), 0);
        let reads = store
            .audit_log(&AuditFilter {
                action: Some("notice.read".into()),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(reads.len(), 2, "{backend}");
        assert_eq!(store.verify_audit().await.unwrap().problem, None);
    })
    .await;
}

#[tokio::test]
async fn the_sweep_writes_each_deadline_notice_once() {
    on_each_backend(async |backend, store, plan| {
        let calendar = planwatch_plan::ReportingCalendar {
            reporters: vec![planwatch_plan::Reporter::Districts],
            ..planwatch_plan::ReportingCalendar::default()
        };
        // 2024's yearly figures are due on 31 March 2025: due soon on the 26th.
        let today = chrono::NaiveDate::from_ymd_opt(2025, 3, 26).unwrap();
        let sweep = async |today| {
            let obligations =
                planwatch_workflow::obligations(plan, &calendar, 2023..=2025, &Default::default());
            let filed = store.filed_submissions(plan).await.unwrap();
            let published = store
                .published_keys(plan, &ObservationFilter::default())
                .await
                .unwrap();
            let standings = planwatch_workflow::standings(obligations, &filed, &published, today);
            let notices = deadline_notices(plan, &standings, today);
            store
                .sweep_notices(&tester(), plan, today, &notices)
                .await
                .unwrap()
        };
        let first = sweep(today).await;
        let east_told = store.notices(plan, "east", false, 100).await.unwrap();
        assert!(!east_told.is_empty(), "{backend}");
        assert!(east_told.iter().all(|n| n.kind == NoticeKind::DueSoon));
        assert!(
            east_told
                .iter()
                .all(|n| n.unit == east() && n.submission_id.is_none())
        );
        assert!(
            east_told
                .iter()
                .any(|n| n.indicator.as_deref() == Some("retail_sales")
                    && n.period == Some(Year(2024))
                    && n.due.as_deref() == Some("2025-03-31"))
        );
        // Every district reporter has its own, and nobody else any.
        let newtown = store.notices(plan, "newtown", false, 100).await.unwrap();
        assert_eq!(first as usize, east_told.len() + newtown.len(), "{backend}");
        assert!(told(store, plan, "p1").await.is_empty());
        // The same day again, or an hour later: nothing new.
        assert_eq!(sweep(today).await, 0, "{backend}");
        // After the due date: overdue, once.
        let later = chrono::NaiveDate::from_ymd_opt(2025, 4, 2).unwrap();
        let overdue = sweep(later).await;
        assert_eq!(overdue, first, "{backend}");
        assert_eq!(sweep(later).await, 0);
        let sweeps = store
            .audit_log(&AuditFilter {
                action: Some("notice.sweep".into()),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(
            sweeps.len(),
            2,
            "{backend}: only sweeps that wrote are audited"
        );
    })
    .await;
}

#[tokio::test]
async fn the_outbox_hands_each_mail_once_and_tries_a_failure_again_later() {
    on_each_backend(async |backend, store, plan| {
        let id = submit_east(store, plan, 2021).await;
        // p1 has an address, p2 none: one mail.
        let mail = store
            .claim_mail(chrono::Duration::seconds(30))
            .await
            .unwrap()
            .expect("a mail for p1");
        assert_eq!(
            (mail.to.as_str(), mail.recipient.as_str()),
            ("p1@example.org", "p1")
        );
        assert_eq!(mail.attempt, 1);
        assert!(
            mail.text_zh.contains(&format!("第 {id} 号报送")),
            "{backend}"
        );
        // Claimed: not handed out again before its retry time.
        assert_eq!(
            store
                .claim_mail(chrono::Duration::seconds(30))
                .await
                .unwrap(),
            None,
            "{backend}"
        );
        store
            .mail_failed(&mail, "connection refused")
            .await
            .unwrap();
        assert_eq!(
            store.mail_state(mail.id).await.unwrap(),
            (1, None, Some("connection refused".to_owned()))
        );
        store.mail_sent(mail.id).await.unwrap();
        let (tries, sent, error) = store.mail_state(mail.id).await.unwrap();
        assert_eq!((tries, sent.is_some(), error), (1, true, None), "{backend}");
        // An address set later is used for what is not yet mailed.
        store
            .set_email(&tester(), "p2", Some("p2@example.org"))
            .await
            .unwrap();
        assert_eq!(
            store.user("p2").await.unwrap().unwrap().email.as_deref(),
            Some("p2@example.org")
        );
        let next = store
            .claim_mail(chrono::Duration::seconds(30))
            .await
            .unwrap()
            .expect("p2's mail");
        assert_eq!(next.recipient, "p2", "{backend}");
        assert_eq!(
            store
                .claim_mail(chrono::Duration::seconds(30))
                .await
                .unwrap(),
            None
        );
    })
    .await;
}

/// Two servers on one store (issue 16): a claimed mail is not handed to the other server while
/// the first may still be sending it, even when its backoff (here one second) has passed; two
/// claims at once get it once; a failure makes it due again at its backoff, not its lease.
#[tokio::test]
async fn a_claimed_mail_stays_with_its_server_while_it_may_be_sending() {
    on_each_backend(async |backend, store, plan| {
        submit_east(store, plan, 2021).await;
        let second = chrono::Duration::seconds(1);
        let (a, b) = tokio::join!(store.claim_mail(second), store.claim_mail(second));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(
            u8::from(a.is_some()) + u8::from(b.is_some()),
            1,
            "{backend}: claimed by one of two at once"
        );
        let mail = a.or(b).unwrap();
        assert_eq!((mail.recipient.as_str(), mail.attempt), ("p1", 1));
        // A slow relay: the first server is still sending after the backoff.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert_eq!(
            store.claim_mail(second).await.unwrap(),
            None,
            "{backend}: handed to a second server while the first may be sending it"
        );
        // The try failed: due again at its backoff (a second after the claim, passed).
        store.mail_failed(&mail, "timed out").await.unwrap();
        let again = store
            .claim_mail(second)
            .await
            .unwrap()
            .expect("tried again after the failure");
        assert_eq!((again.id, again.attempt), (mail.id, 2), "{backend}");
        store.mail_sent(again.id).await.unwrap();
        assert_eq!(store.claim_mail(second).await.unwrap(), None, "{backend}");
    })
    .await;
}
