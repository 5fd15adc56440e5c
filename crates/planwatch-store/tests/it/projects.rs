//! Key projects of a year's list in storage, on both backends: an import is all or nothing, the
//! same list again writes nothing, a changed list adds, changes and removes by 序号 and says how
//! many, audited as `projects.import` in its transaction; the filters by year, region, unit and
//! stage.

use planwatch_access::Unit;
use planwatch_store::{AuditFilter, ProjectFilter, ProjectRecord};
use planwatch_tasks::{Coordinates, PlannedDate, Stage};

use crate::{plan, stores, tester};

pub(crate) fn project(key: &str, name: &str, region: &str, stage: Stage) -> ProjectRecord {
    ProjectRecord {
        key: key.into(),
        section: "一、现代物流".into(),
        name: name.into(),
        content: "建设冷链仓储20万平方米".into(),
        region: region.into(),
        coordinates: Some(Coordinates {
            longitude: 104.06,
            latitude: 30.67,
        }),
        column: Some(16),
        units: vec![
            Unit::Region(region.into()),
            Unit::Department("statistics".into()),
        ],
        total_investment: 12.5,
        year_investment: Some(3.2),
        planned_start: PlannedDate::parse("2023年6月"),
        planned_completion: PlannedDate::parse("2026"),
        stage,
        row: 4,
    }
}

#[tokio::test]
async fn project_imports_are_whole_idempotent_and_audited() {
    let stores = stores().await;
    let plan = plan();
    for (backend, store) in &stores.stores {
        store.save_plan(&tester(), &plan).await.unwrap();
        let mut bare = project("3", "丙", "west", Stage::Preparation);
        bare.coordinates = None;
        bare.column = None;
        bare.year_investment = None;
        bare.planned_start = None;
        bare.planned_completion = PlannedDate::parse("2025-03-31");
        let list = vec![
            project("1", "甲", "east", Stage::Construction),
            project("2", "乙", "east", Stage::Operating),
            bare,
        ];
        let first = store
            .import_projects(&tester(), &plan, 2024, &list, "a.csv")
            .await
            .unwrap();
        assert_eq!(
            (first.added, first.changed, first.removed),
            (3, 0, 0),
            "{backend}"
        );
        assert!(first.audit_id.is_some());
        let stored = store
            .projects(&plan, &ProjectFilter::default())
            .await
            .unwrap();
        assert_eq!(stored.len(), 3, "{backend}");
        for (stored, sent) in stored.iter().zip(&list) {
            assert_eq!(&stored.project, sent, "{backend}: read back whole");
        }
        assert_eq!(
            (stored[0].year, stored[0].source_file.as_str()),
            (2024, "a.csv")
        );

        // The same list from another file, rows moved: nothing written, no entry.
        let mut moved = list.clone();
        for p in &mut moved {
            p.row += 10;
        }
        let again = store
            .import_projects(&tester(), &plan, 2024, &moved, "b.csv")
            .await
            .unwrap();
        assert_eq!(
            (again.added, again.changed, again.removed, again.unchanged),
            (0, 0, 0, 3),
            "{backend}"
        );
        assert_eq!(again.audit_id, None, "{backend}");

        // A changed list: one changed (its id kept), one removed, one added.
        let mut revised = list[1].clone();
        revised.total_investment = 14.0;
        revised.units.pop();
        let changed = vec![
            list[0].clone(),
            revised,
            project("4", "丁", "west", Stage::Completed),
        ];
        let outcome = store
            .import_projects(&tester(), &plan, 2024, &changed, "c.csv")
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
        let now = store
            .projects(&plan, &ProjectFilter::default())
            .await
            .unwrap();
        let names: Vec<&str> = now.iter().map(|p| p.project.name.as_str()).collect();
        assert_eq!(names, ["甲", "乙", "丁"], "{backend}");
        assert_eq!(now[1].id, stored[1].id, "a changed project keeps its id");
        assert_eq!(now[1].project.total_investment, 14.0);
        assert_eq!(now[1].project.units.len(), 1, "its units rewritten");
        let entries = store
            .audit_log(&AuditFilter {
                action: Some("projects.import".into()),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 2, "{backend}");
        assert_eq!(entries[1].object, format!("projects:{}:2024", plan.id));
        let details: serde_json::Value = serde_json::from_str(&entries[1].details).unwrap();
        assert_eq!(details["projects"], 3);
        assert_eq!(
            (&details["added"], &details["changed"], &details["removed"]),
            (&1.into(), &1.into(), &1.into())
        );

        // Filters: year, region, unit, stage.
        store
            .import_projects(
                &tester(),
                &plan,
                2025,
                &[project("1", "戊", "east", Stage::Construction)],
                "d.csv",
            )
            .await
            .unwrap();
        let count = |filter: ProjectFilter| {
            let store = store.clone();
            let plan = plan.clone();
            async move { store.projects(&plan, &filter).await.unwrap().len() }
        };
        let year = |y| ProjectFilter {
            year: Some(y),
            ..ProjectFilter::default()
        };
        assert_eq!(count(year(2025)).await, 1, "{backend}");
        assert_eq!(count(year(2024)).await, 3, "{backend}");
        let east = ProjectFilter {
            region: Some("east".into()),
            ..ProjectFilter::default()
        };
        assert_eq!(count(east).await, 3, "{backend}");
        let west_unit = ProjectFilter {
            unit: Some(Unit::Region("west".into())),
            ..ProjectFilter::default()
        };
        assert_eq!(count(west_unit).await, 1, "{backend}");
        let statistics = ProjectFilter {
            year: Some(2024),
            unit: Some(Unit::Department("statistics".into())),
            ..ProjectFilter::default()
        };
        assert_eq!(count(statistics).await, 2, "{backend}: 甲 and 丁");
        let building = ProjectFilter {
            stage: Some(Stage::Construction),
            ..ProjectFilter::default()
        };
        assert_eq!(count(building).await, 2, "{backend}");

        // All or nothing: a second project with the same 序号 fails the whole import.
        let before = store.version(&plan.id).await.unwrap();
        let broken = vec![
            project("9", "新", "east", Stage::Preparation),
            project("9", "重复", "east", Stage::Preparation),
        ];
        assert!(
            store
                .import_projects(&tester(), &plan, 2024, &broken, "e.csv")
                .await
                .is_err()
        );
        assert_eq!(
            count(year(2024)).await,
            3,
            "{backend}: nothing of it stored"
        );
        assert_eq!(store.version(&plan.id).await.unwrap(), before);
    }
    stores.drop_databases().await;
}
