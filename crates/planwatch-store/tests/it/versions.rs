//! A version per plan (issue 16), on both backends: every write that changes what a plan's
//! evaluation, pages and answers read raises that plan's version, and no other plan's; a store
//! of the schema before it — or a backup of one — gets each plan's version from the store's one
//! version.

use planwatch_access::{Role, Unit};
use planwatch_plan::Period::Year;
use planwatch_plan::Plan;
use planwatch_store::{
    ImportSettings, NewAdjustment, ObservationFilter, RegionTarget, Store, StoreError,
};
use planwatch_tasks::{AdjustmentKind, Stage};

use crate::projects::project;
use crate::tasks::task;
use crate::workflow::user;
use crate::{
    End, accept_digest_of, backup_of, import, plan, row, stores, stores_filled_before, tester,
    values,
};

/// The versions of plans A and B, and what they were at the last look.
struct Versions<'a> {
    store: &'a Store,
    backend: &'a str,
    a: &'a Plan,
    b: &'a Plan,
    last: (i64, i64),
}

impl Versions<'_> {
    async fn now(&self) -> (i64, i64) {
        let a = self.store.version(&self.a.id).await.unwrap();
        (a, self.store.version(&self.b.id).await.unwrap())
    }

    /// Asserts that since the last look, `write` raised B's version by one and left A's.
    async fn only_b_moved(&mut self, write: &str) {
        let now = self.now().await;
        assert_eq!(
            now,
            (self.last.0, self.last.1 + 1),
            "{}: {write} into plan B moves B's version alone",
            self.backend
        );
        self.last = now;
    }
}

/// A second plan in the same store: the example with another id (its indicators and regions
/// get ids of their own).
fn plan_b() -> Plan {
    let mut b = plan();
    b.id = "example-b".into();
    b
}

#[tokio::test]
async fn every_write_raises_its_own_plans_version_and_no_other() {
    let stores = stores().await;
    let (a, b) = (plan(), plan_b());
    for (backend, store) in &stores.stores {
        store.save_plan(&tester(), &a).await.unwrap();
        store.save_plan(&tester(), &b).await.unwrap();
        let rows =
            |plan: &Plan, value| vec![row(plan, 2, "retail_sales", "440103", Year(2022), value)];
        let settings = ImportSettings::default;
        import(store, &a, "a.csv", rows(&a, 100.0), End::Finish, settings())
            .await
            .unwrap();
        let mut versions = Versions {
            store,
            backend,
            a: &a,
            b: &b,
            last: (0, 0),
        };
        versions.last = versions.now().await;
        assert_eq!(versions.last.1, 0, "{backend}: a new plan starts at 0");
        assert!(versions.last.0 > 0, "{backend}: A's import raised A's");
        let changed_at = store.last_change(&a.id).await.unwrap().changed_at;
        assert!(changed_at.is_some(), "{backend}");

        import(store, &b, "b.csv", rows(&b, 200.0), End::Finish, settings())
            .await
            .unwrap();
        versions.only_b_moved("an import").await;
        assert_eq!(
            store.last_change(&a.id).await.unwrap().changed_at,
            changed_at,
            "{backend}: A's last change stays"
        );
        // An import that changes nothing (the same rows again) is rolled back: no version.
        import(
            store,
            &b,
            "b2.csv",
            rows(&b, 200.0),
            End::Finish,
            settings(),
        )
        .await
        .unwrap();
        assert_eq!(versions.now().await, versions.last, "{backend}");

        let reporter = user("east", Role::Reporter, &["440103"]);
        let planner = user("alice", Role::Planner, &[]);
        let east = Unit::Region("440103".into());
        let submitted = [row(&b, 2, "retail_sales", "440103", Year(2023), 210.0)];
        let id = store
            .create_submission(&reporter, None, &b, east, &submitted, false, None, None)
            .await
            .unwrap();
        assert_eq!(versions.now().await, versions.last, "{backend}: not yet");
        store
            .approve_submission(&planner, None, &b, id, None, settings())
            .await
            .unwrap();
        versions.only_b_moved("an approved submission").await;

        store
            .add_assessment(&tester(), &b, "retail_sales", 2023, "良好", "planner")
            .await
            .unwrap();
        versions.only_b_moved("an assessment").await;

        let target = RegionTarget {
            indicator: "retail_sales".into(),
            target: 0,
            region: "440103".into(),
            value: 500.0,
        };
        store
            .save_region_targets(&tester(), &b, "first", "planner", &[target])
            .await
            .unwrap();
        versions.only_b_moved("a set of region targets").await;

        store
            .import_tasks(&tester(), &b, 2024, &[task("1", "甲")], "t.csv")
            .await
            .unwrap();
        versions.only_b_moved("a task sheet").await;

        let projects = [project("1", "冷链", "440103", Stage::Construction)];
        store
            .import_projects(&tester(), &b, 2024, &projects, "p.csv")
            .await
            .unwrap();
        versions.only_b_moved("a project list").await;

        let adjustment = NewAdjustment {
            year: 2024,
            unit: Unit::Department("statistics".into()),
            kind: AdjustmentKind::Bonus,
            points: 1.0,
            reason: "试点".into(),
            cap: 5.0,
        };
        let id = store
            .add_adjustment(&tester(), &b, &adjustment)
            .await
            .unwrap();
        versions.only_b_moved("a score adjustment").await;
        store.remove_adjustment(&tester(), &b, id).await.unwrap();
        versions.only_b_moved("an adjustment removed").await;

        store
            .freeze_scores(&tester(), &b, 2024, "2025-01-31", &[])
            .await
            .unwrap();
        versions.only_b_moved("a freeze").await;
        store.unfreeze_scores(&tester(), &b, 2024).await.unwrap();
        versions.only_b_moved("an unfreeze").await;

        // Saving a plan again moves no version.
        store.save_plan(&tester(), &b).await.unwrap();
        assert_eq!(versions.now().await, versions.last, "{backend}");

        // The position names the plan asked for; a plan not stored has none.
        let position = store.position(&a.id).await.unwrap();
        assert_eq!(position.change.version, versions.last.0, "{backend}");
        assert!(position.audit_seq > 0, "{backend}");
        assert!(
            matches!(
                store.position("no-such-plan").await,
                Err(StoreError::UnknownPlan(id)) if id == "no-such-plan"
            ),
            "{backend}"
        );
    }
    stores.drop_databases().await;
}

/// What a store of the schema before plan versions held: two plans and the store's version.
const BEFORE_PLAN_VERSIONS: &str = "
    INSERT INTO plans (id, title, document, updated_at)
    VALUES ('old-a', '甲', '{}', '2026-01-01 00:00:00'), ('old-b', '乙', '{}', '2026-01-01 00:00:00');
    UPDATE store_version SET version = 41, changed_at = '2026-02-03 04:05:06' WHERE id = 1;
";

#[tokio::test]
async fn the_migration_starts_every_plan_at_the_stores_version() {
    let stores = stores_filled_before("plan versions", BEFORE_PLAN_VERSIONS).await;
    for (backend, store) in &stores.stores {
        for id in ["old-a", "old-b"] {
            let last = store.last_change(id).await.unwrap();
            assert_eq!(last.version, 41, "{backend}: {id}");
            assert_eq!(
                last.changed_at.as_deref(),
                Some("2026-02-03 04:05:06"),
                "{backend}: {id}"
            );
        }
        assert!(
            !stores
                .table_names(backend)
                .await
                .contains(&"store_version".to_owned()),
            "{backend}: the store's one version is gone"
        );
        // A plan saved after it starts at 0, and moves alone.
        let plan = plan();
        store.save_plan(&tester(), &plan).await.unwrap();
        assert_eq!(store.version(&plan.id).await.unwrap(), 0, "{backend}");
        let rows = vec![row(&plan, 2, "retail_sales", "440103", Year(2022), 1.0)];
        let settings = ImportSettings::default();
        import(store, &plan, "a.csv", rows, End::Finish, settings)
            .await
            .unwrap();
        assert_eq!(store.version(&plan.id).await.unwrap(), 1, "{backend}");
        assert_eq!(store.version("old-a").await.unwrap(), 41, "{backend}");
    }
    stores.drop_databases().await;
}

/// Makes the backup at `path` one of the schema before plan versions, as that planwatch wrote
/// it: the store's one version (at 41) where `plan_versions` was, in the manifest too, before
/// `users` as it was listed then.
async fn as_before_plan_versions(path: &std::path::Path) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE store_version (id INTEGER PRIMARY KEY CHECK (id = 1),
                                     version INTEGER NOT NULL, changed_at TEXT);
         INSERT INTO store_version VALUES (1, 41, '2026-02-03 04:05:06');
         DROP TABLE plan_versions;
         DELETE FROM _sqlx_migrations WHERE description = 'plan versions';
         DELETE FROM backup_manifest WHERE name = 'plan_versions';
         UPDATE backup_manifest SET position = position + 1000
         WHERE position >= (SELECT position FROM backup_manifest WHERE name = 'users');
         INSERT INTO backup_manifest (position, name, rows, digest)
         VALUES ((SELECT position FROM backup_manifest WHERE name = 'users') - 1000,
                 'store_version', 1, 'unknown');",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

/// A backup made before plan versions (with the store's one version in it and its manifest)
/// still verifies, and restores into either backend with every plan at the store's version.
#[tokio::test]
async fn a_backup_of_the_schema_before_plan_versions_restores() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, path) = backup_of(dir.path(), |plan| {
        vec![row(plan, 2, "retail_sales", "440103", Year(2022), 1.0)]
    })
    .await;
    as_before_plan_versions(&path).await;
    // The manifest's digest of the old table is what today's verification finds in it.
    assert_eq!(accept_digest_of(&path, "store_version").await, 1);

    let stores = stores().await;
    for (backend, store) in &stores.stores {
        store.restore(&path, false, &mut |_| {}).await.unwrap();
        let last = store.last_change(&plan.id).await.unwrap();
        assert_eq!(last.version, 41, "{backend}");
        assert_eq!(
            last.changed_at.as_deref(),
            Some("2026-02-03 04:05:06"),
            "{backend}"
        );
        let filter = ObservationFilter::default();
        assert_eq!(values(store, &plan, &filter).await, vec![1.0], "{backend}");
    }
    stores.drop_databases().await;
}
