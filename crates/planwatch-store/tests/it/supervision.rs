//! Supervision records in storage, on both backends: each written once per task, period and
//! level with its 督办单, its notices to the lead unit's reporters and its audit entry; an
//! order answered once, with a text, not before its issue, audited; lists by unit, level and
//! the unanswered.

use chrono::NaiveDate;
use planwatch_access::{Role, Unit};
use planwatch_plan::Period;
use planwatch_store::{
    AuditFilter, NewSupervision, NewUser, Store, StoreError, SupervisionFilter, TaskFilter,
    TaskRecord, TaskRole,
};
use planwatch_tasks::{AnswerRefusal, Level, Status};
use planwatch_workflow::notice::NoticeKind;

use crate::{plan, stores, tester};

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, m, d).unwrap()
}

fn statistics() -> Unit {
    Unit::Department("statistics".into())
}

fn task() -> TaskRecord {
    TaskRecord {
        key: "1".into(),
        section: "一、实施行动".into(),
        clause: "5.1".into(),
        title: "完善统计监测".into(),
        deadline: Some(day(12, 31)),
        expected: "完成".into(),
        quantity: None,
        units: vec![
            (statistics(), TaskRole::Lead),
            (Unit::Region("440103".into()), TaskRole::Responsible),
        ],
        nodes: vec![],
        indicators: vec![],
        providers: vec![],
        row: 3,
    }
}

/// Yellow, yellow, red: a reminder, a warning and an order, issued on 2024-10-15.
fn escalation(task_id: i64) -> Vec<NewSupervision> {
    [
        (1, Level::Reminder, Status::Lagging),
        (2, Level::Warning, Status::Lagging),
        (3, Level::Order, Status::Serious),
    ]
    .into_iter()
    .map(|(quarter, level, status)| NewSupervision {
        task_id,
        period: Period::Quarter(2024, quarter),
        level,
        status,
        issued: day(10, 15),
        unit: statistics(),
        title_zh: format!("【{}】完善统计监测", level.label_zh()),
        title_en: format!("[{}] 完善统计监测", level.label_en()),
        text_zh: "市统计局：……".into(),
        text_en: "Municipal Bureau of Statistics: …".into(),
        answer_by: (level == Level::Order).then(|| day(10, 25)),
    })
    .collect()
}

async fn add(store: &Store, name: &str, role: Role, units: &[Unit]) {
    store
        .add_user(
            &tester(),
            &NewUser {
                name,
                display_name: None,
                role,
                units,
                password_hash: "x",
                email: None,
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn records_are_written_once_with_notices_and_orders_are_answered_once() {
    let stores = stores().await;
    let plan = plan();
    for (backend, store) in &stores.stores {
        store.save_plan(&tester(), &plan).await.unwrap();
        store
            .import_tasks(&tester(), &plan, 2024, &[task()], "t.csv")
            .await
            .unwrap();
        let task_id = store.tasks(&plan, &TaskFilter::default()).await.unwrap()[0].id;
        add(store, "stat", Role::Reporter, &[statistics()]).await;
        add(
            store,
            "east",
            Role::Reporter,
            &[Unit::Region("440103".into())],
        )
        .await;
        add(store, "p", Role::Planner, &[]).await;

        let due = escalation(task_id);
        assert_eq!(
            store
                .record_supervision(&tester(), &plan, &due)
                .await
                .unwrap(),
            3,
            "{backend}"
        );
        // Again: nothing new, no notice, no entry.
        assert_eq!(
            store
                .record_supervision(&tester(), &plan, &due)
                .await
                .unwrap(),
            0,
            "{backend}"
        );
        let told = store.notices(&plan, "stat", false, 10).await.unwrap();
        assert_eq!(told.len(), 3, "{backend}");
        assert!(told.iter().all(|n| n.kind == NoticeKind::Supervision));
        assert_eq!(told[0].subject_zh, "【督办】完善统计监测");
        assert!(
            store
                .notices(&plan, "east", false, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .notices(&plan, "p", false, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let issued = store
            .audit_log(&AuditFilter {
                action: Some("supervision.issue".into()),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(issued.len(), 3, "{backend}");

        let records = store.supervision_of_task(&plan, task_id).await.unwrap();
        assert_eq!(records.len(), 3);
        let order = records.iter().find(|r| r.level == Level::Order).unwrap();
        assert_eq!(order.status, Status::Serious);
        assert_eq!(order.task_title, "完善统计监测");
        assert_eq!(order.order.as_ref().unwrap().answer_by, day(10, 25));
        let unanswered = SupervisionFilter {
            unanswered: true,
            ..SupervisionFilter::default()
        };
        assert_eq!(
            store.supervision(&plan, &unanswered).await.unwrap().len(),
            1,
            "{backend}"
        );
        let elsewhere = SupervisionFilter {
            units: Some(vec![Unit::Region("440103".into())]),
            ..SupervisionFilter::default()
        };
        assert!(
            store
                .supervision(&plan, &elsewhere)
                .await
                .unwrap()
                .is_empty()
        );

        // Refused: blank, dated before the issue, an id that is no order.
        let refused = |r: Result<_, StoreError>| match r {
            Err(StoreError::AnswerRefused(refusal)) => refusal,
            other => panic!("{backend}: {other:?}"),
        };
        assert_eq!(
            refused(
                store
                    .answer_order(&tester(), &plan, order.id, day(10, 20), "  ")
                    .await
            ),
            AnswerRefusal::Empty
        );
        assert!(matches!(
            refused(
                store
                    .answer_order(&tester(), &plan, order.id, day(10, 1), "已整改")
                    .await
            ),
            AnswerRefusal::BeforeIssue { .. }
        ));
        let reminder = records.iter().find(|r| r.level == Level::Reminder).unwrap();
        assert!(matches!(
            store
                .answer_order(&tester(), &plan, reminder.id, day(10, 20), "已整改")
                .await,
            Err(StoreError::UnknownOrder(_))
        ));
        let answered = store
            .answer_order(&tester(), &plan, order.id, day(10, 20), " 已制定整改方案 ")
            .await
            .unwrap();
        let answer = answered.order.unwrap().answer.unwrap();
        assert_eq!(
            (answer.text.as_str(), answer.date),
            ("已制定整改方案", day(10, 20))
        );
        assert_eq!(answer.by, "cli:tester");
        assert_eq!(
            refused(
                store
                    .answer_order(&tester(), &plan, order.id, day(10, 21), "又一次")
                    .await
            ),
            AnswerRefusal::Answered(day(10, 20))
        );
        assert!(
            store
                .supervision(&plan, &unanswered)
                .await
                .unwrap()
                .is_empty()
        );
        let answers = store
            .audit_log(&AuditFilter {
                action: Some("supervision.answer".into()),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(answers.len(), 1, "{backend}");
    }
}
