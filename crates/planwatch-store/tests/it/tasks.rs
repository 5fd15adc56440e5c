//! Tasks of a year's 年度任务分解表 in storage, on both backends: an import is all or nothing,
//! the same sheet again writes nothing, a changed sheet adds, changes and removes by 序号 and
//! says how many, audited as `tasks.import` in its transaction.

use chrono::NaiveDate;
use planwatch_access::Unit;
use planwatch_store::{AuditFilter, TaskFilter, TaskNode, TaskRecord, TaskRole};

use crate::{plan, stores, tester};

pub(crate) fn task(key: &str, title: &str) -> TaskRecord {
    TaskRecord {
        key: key.into(),
        section: "一、实施行动".into(),
        clause: "5.1".into(),
        title: title.into(),
        deadline: NaiveDate::from_ymd_opt(2024, 12, 31),
        expected: "新增300家".into(),
        quantity: Some((300.0, "家".into())),
        units: vec![
            (Unit::Department("statistics".into()), TaskRole::Lead),
            (Unit::Region("east".into()), TaskRole::Responsible),
        ],
        nodes: vec![TaskNode {
            due: NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
            expected: "完成方案".into(),
            share: Some(50.0),
        }],
        indicators: vec!["gdp".into()],
        providers: Vec::new(),
        row: 3,
    }
}

#[tokio::test]
async fn imports_are_whole_idempotent_and_audited() {
    let stores = stores().await;
    let plan = plan();
    for (backend, store) in &stores.stores {
        store.save_plan(&tester(), &plan).await.unwrap();
        let sheet = vec![task("1", "甲"), task("2", "乙"), task("3", "丙")];
        let first = store
            .import_tasks(&tester(), &plan, 2024, &sheet, "a.csv")
            .await
            .unwrap();
        assert_eq!(
            (first.added, first.changed, first.removed),
            (3, 0, 0),
            "{backend}"
        );
        assert!(first.audit_id.is_some());
        let stored = store.tasks(&plan, &TaskFilter::default()).await.unwrap();
        assert_eq!(stored.len(), 3, "{backend}");
        assert_eq!(stored[0].task, sheet[0], "{backend}: read back whole");
        assert_eq!(stored[0].year, 2024);
        assert_eq!(stored[0].source_file, "a.csv");

        // The same sheet (even from another file, rows moved): nothing written, no entry.
        let mut moved = sheet.clone();
        for t in &mut moved {
            t.row += 10;
        }
        let again = store
            .import_tasks(&tester(), &plan, 2024, &moved, "b.csv")
            .await
            .unwrap();
        assert_eq!(
            (again.added, again.changed, again.removed, again.unchanged),
            (0, 0, 0, 3)
        );
        assert_eq!(again.audit_id, None, "{backend}");

        // A changed sheet: one changed (its id kept), one removed, one added.
        let ids: Vec<i64> = stored.iter().map(|t| t.id).collect();
        let changed = vec![task("1", "甲"), task("2", "乙（修订）"), task("4", "丁")];
        let outcome = store
            .import_tasks(&tester(), &plan, 2024, &changed, "c.csv")
            .await
            .unwrap();
        assert_eq!(
            (
                outcome.added,
                outcome.changed,
                outcome.removed,
                outcome.unchanged
            ),
            (1, 1, 1, 1),
            "{backend}"
        );
        let stored = store.tasks(&plan, &TaskFilter::default()).await.unwrap();
        let titles: Vec<&str> = stored.iter().map(|t| t.task.title.as_str()).collect();
        assert_eq!(titles, ["甲", "乙（修订）", "丁"], "{backend}");
        assert_eq!(stored[1].id, ids[1], "a changed task keeps its id");
        assert_eq!(
            stored[1].task.units.len(),
            2,
            "its units rewritten, not doubled"
        );
        let entries = store
            .audit_log(&AuditFilter {
                action: Some("tasks.import".into()),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 2, "{backend}");
        let details: serde_json::Value = serde_json::from_str(&entries[1].details).unwrap();
        assert_eq!(details["added"], 1);
        assert_eq!(details["changed"], 1);
        assert_eq!(details["removed"], 1);
        assert_eq!(details["year"], 2024);

        // Filters: another year, a unit.
        store
            .import_tasks(&tester(), &plan, 2025, &[task("1", "戊")], "d.csv")
            .await
            .unwrap();
        let of_2025 = TaskFilter {
            year: Some(2025),
            ..TaskFilter::default()
        };
        assert_eq!(store.tasks(&plan, &of_2025).await.unwrap().len(), 1);
        let of_east = TaskFilter {
            unit: Some(Unit::Region("east".into())),
            ..TaskFilter::default()
        };
        assert_eq!(store.tasks(&plan, &of_east).await.unwrap().len(), 4);
        let of_west = TaskFilter {
            unit: Some(Unit::Region("west".into())),
            ..TaskFilter::default()
        };
        assert!(store.tasks(&plan, &of_west).await.unwrap().is_empty());

        // All or nothing: the second task with the same 序号 fails the whole import.
        let before = store.version(&plan.id).await.unwrap();
        let broken = vec![task("9", "新"), task("9", "重复")];
        assert!(
            store
                .import_tasks(&tester(), &plan, 2024, &broken, "e.csv")
                .await
                .is_err()
        );
        let stored = store.tasks(&plan, &TaskFilter::default()).await.unwrap();
        assert_eq!(stored.len(), 4, "{backend}: nothing of it stored");
        assert!(stored.iter().all(|t| t.task.key != "9"));
        assert_eq!(store.version(&plan.id).await.unwrap(), before);
    }
    stores.drop_databases().await;
}

#[tokio::test]
async fn data_providers_are_stored_with_their_tasks_and_replaced_with_them() {
    let stores = stores().await;
    let plan = plan();
    let statistics = Unit::Department("statistics".into());
    let survey = Unit::Department("survey_team".into());
    for (backend, store) in &stores.stores {
        store.save_plan(&tester(), &plan).await.unwrap();
        let mut first = task("1", "甲");
        first.providers = vec![statistics.clone(), survey.clone()];
        let mut second = task("2", "乙");
        second.indicators = vec!["gdp".into(), "retail_sales".into()];
        second.providers = vec![survey.clone()];
        let sheet = vec![first, second, task("3", "丙")];
        store
            .import_tasks(&tester(), &plan, 2024, &sheet, "a.txt")
            .await
            .unwrap();
        let stored = store.tasks(&plan, &TaskFilter::default()).await.unwrap();
        assert_eq!(stored[0].task, sheet[0], "{backend}: read back whole");
        let providers = store.data_providers(&plan).await.unwrap();
        assert_eq!(providers.len(), 2, "{backend}: {providers:?}");
        assert_eq!(
            providers[&("gdp".to_owned(), 2024)],
            [statistics.clone(), survey.clone()]
        );
        assert_eq!(
            providers[&("retail_sales".to_owned(), 2024)],
            std::slice::from_ref(&survey)
        );
        // The same again: nothing written; without providers: replaced, audited.
        let again = store
            .import_tasks(&tester(), &plan, 2024, &sheet, "a.txt")
            .await
            .unwrap();
        assert_eq!((again.unchanged, again.audit_id), (3, None), "{backend}");
        let plain = vec![task("1", "甲"), task("2", "乙"), task("3", "丙")];
        let outcome = store
            .import_tasks(&tester(), &plan, 2024, &plain, "b.txt")
            .await
            .unwrap();
        assert_eq!((outcome.changed, outcome.unchanged), (2, 1), "{backend}");
        assert!(outcome.audit_id.is_some());
        assert!(
            store.data_providers(&plan).await.unwrap().is_empty(),
            "{backend}"
        );
    }
    stores.drop_databases().await;
}
