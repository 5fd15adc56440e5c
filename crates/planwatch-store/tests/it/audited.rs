//! Every write to plans, observations, district targets and assessments leaves exactly one
//! audit entry, written with it; a write refused or rolled back leaves none. On both backends.

use planwatch_plan::Period::Year;
use planwatch_store::{
    AuditFilter, AuditRecord, ImportError, ImportOutcome, ImportSettings, RegionTarget, Store,
};
use serde_json::{Value, json};

use crate::{End, import, import_known_since, plan, row, stores, tester};

/// The entries after the first `seen`, with their details parsed.
async fn entries_after(store: &Store, seen: usize) -> Vec<(AuditRecord, Value)> {
    let log = store.audit_log(&AuditFilter::default()).await.unwrap();
    log.into_iter()
        .skip(seen)
        .map(|e| {
            let details = serde_json::from_str(&e.details).unwrap();
            (e, details)
        })
        .collect()
}

/// The one entry appended since `seen` entries, checked to be `action` on `object` by the tests'
/// actor; its details.
async fn one_entry(store: &Store, seen: &mut usize, action: &str, object: &str) -> Value {
    let mut new = entries_after(store, *seen).await;
    assert_eq!(new.len(), 1, "{action}: {new:?}");
    *seen += 1;
    let (entry, details) = new.remove(0);
    assert_eq!(
        (
            entry.actor.as_str(),
            entry.role.as_str(),
            entry.action.as_str(),
            entry.object.as_str()
        ),
        ("cli:tester", "admin", action, object)
    );
    details
}

/// The batch of a committed import and its entry's details.
async fn imported(store: &Store, seen: &mut usize, outcome: &ImportOutcome) -> (i64, Value) {
    let batch = outcome.batch_id.unwrap();
    let object = format!("batch:{batch}");
    (
        batch,
        one_entry(store, seen, "observations.import", &object).await,
    )
}

/// The chain verifies, with `entries` entries.
async fn assert_intact(store: &Store, entries: i64, backend: &str) {
    let verified = store.verify_audit().await.unwrap();
    assert_eq!(
        (verified.entries, verified.problem),
        (entries, None),
        "{backend}"
    );
}

/// Records an assessment of retail sales in 2023 and returns its entry's details.
async fn assess(store: &Store, seen: &mut usize, text: &str, by: &str) -> Value {
    let plan = plan();
    store
        .add_assessment(&tester(), &plan, "retail_sales", 2023, text, by)
        .await
        .unwrap();
    one_entry(
        store,
        seen,
        "assessment.add",
        "assessment:retail_sales/2023",
    )
    .await
}

fn target(region: &str, value: f64) -> RegionTarget {
    RegionTarget {
        indicator: "retail_sales".into(),
        target: 0,
        region: region.into(),
        value,
    }
}

#[tokio::test]
async fn every_write_leaves_one_audit_entry_with_its_actor_and_details() {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let plan = plan();
        let mut seen = 0;

        // A plan load: nothing before, the plan after.
        store.save_plan(&tester(), &plan).await.unwrap();
        let details = one_entry(store, &mut seen, "plan.load", &format!("plan:{}", plan.id)).await;
        assert_eq!(details["before"], Value::Null, "{backend}");
        let after = &details["after"];
        assert_eq!(
            (&after["title"], &after["indicators"], &after["regions"]),
            (
                &json!(plan.title.zh),
                &json!(plan.indicators.len()),
                &json!(plan.regions.len())
            ),
            "{backend}"
        );
        assert_eq!(after["sha256"].as_str().unwrap().len(), 64, "{backend}");
        // Loaded again: the stored version is the `before`.
        store.save_plan(&tester(), &plan).await.unwrap();
        let details = one_entry(store, &mut seen, "plan.load", &format!("plan:{}", plan.id)).await;
        assert_eq!(
            details["before"]["sha256"], details["after"]["sha256"],
            "{backend}"
        );

        // A first import: every row new.
        let first = vec![
            row(&plan, 2, "retail_sales", "440100", Year(2021), 1100.0),
            row(&plan, 3, "retail_sales", "440103", Year(2021), 500.0),
            row(&plan, 4, "online_retail_share", "440100", Year(2021), 31.5),
        ];
        let outcome = import_known_since(store, &plan, "first.csv", first, Some("2022-03-31"))
            .await
            .unwrap();
        let (batch, details) = imported(store, &mut seen, &outcome).await;
        assert_eq!(
            details,
            json!({
                "plan": plan.id, "batch": batch, "file": "first.csv", "sha256": "sum-first.csv",
                "imported_by": "test", "known_since": "2022-03-31", "rows": 3, "new": 3,
                "revised": 0, "unchanged": 0, "warnings": 0, "same_file_as": null,
            }),
            "{backend}"
        );

        // A revision: one value revised, one new, one unchanged; a large change warned.
        let second = vec![
            row(&plan, 2, "retail_sales", "440100", Year(2021), 1120.0),
            row(&plan, 3, "retail_sales", "440103", Year(2021), 500.0),
            row(&plan, 4, "retail_sales", "440103", Year(2022), 900.0),
        ];
        let outcome = import(
            store,
            &plan,
            "second.csv",
            second,
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        assert_eq!((outcome.revisions, outcome.new), (2, 1), "{backend}");
        let (_, details) = imported(store, &mut seen, &outcome).await;
        assert_eq!(
            (
                &details["rows"],
                &details["new"],
                &details["revised"],
                &details["unchanged"],
                &details["warnings"],
                &details["known_since"]
            ),
            (
                &json!(3),
                &json!(1),
                &json!(1),
                &json!(1),
                &json!(outcome.warnings.len()),
                &Value::Null
            ),
            "{backend}"
        );
        assert!(!outcome.warnings.is_empty(), "{backend}");

        // District targets: the set in force before, the new one, and what changed.
        let first_set = store
            .save_region_targets(
                &tester(),
                &plan,
                "first",
                "planner",
                &[target("440103", 500.0)],
            )
            .await
            .unwrap();
        let details = one_entry(
            store,
            &mut seen,
            "targets.load",
            &format!("target_set:{first_set}"),
        )
        .await;
        assert_eq!(details["before"], Value::Null, "{backend}");
        assert_eq!(
            details["after"],
            json!({ "set": first_set, "description": "first", "set_by": "planner", "rows": 1 }),
            "{backend}"
        );
        let second_set = store
            .save_region_targets(
                &tester(),
                &plan,
                "second",
                "planner",
                &[target("440103", 650.0), target("newtown", 300.0)],
            )
            .await
            .unwrap();
        let details = one_entry(
            store,
            &mut seen,
            "targets.load",
            &format!("target_set:{second_set}"),
        )
        .await;
        assert_eq!(
            (&details["before"]["set"], &details["before"]["rows"]),
            (&json!(first_set), &json!(1)),
            "{backend}"
        );
        assert_eq!(
            details["changed"],
            json!([
                { "indicator": "retail_sales", "target": 0, "region": "440103", "before": 500.0, "after": 650.0 },
                { "indicator": "retail_sales", "target": 0, "region": "newtown", "before": null, "after": 300.0 },
            ]),
            "{backend}"
        );

        // Assessments: the one in force for the indicator and year before, and the new text.
        let details = assess(store, &mut seen, "良好", "planner").await;
        assert_eq!(
            (&details["before"], &details["after"]),
            (
                &Value::Null,
                &json!({ "text": "良好", "assessed_by": "planner" })
            ),
            "{backend}"
        );
        let details = assess(store, &mut seen, "优秀", "director").await;
        assert_eq!(
            (
                &details["before"]["text"],
                &details["before"]["assessed_by"]
            ),
            (&json!("良好"), &json!("planner")),
            "{backend}"
        );
        assert_eq!(details["after"]["text"], "优秀", "{backend}");

        assert_intact(store, seen as i64, backend).await;
    }
    stores.drop_databases().await;
}

#[tokio::test]
async fn a_write_that_changes_nothing_leaves_no_entry_and_the_chain_verifies() {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let plan = plan();
        store.save_plan(&tester(), &plan).await.unwrap();
        let good = vec![
            row(&plan, 2, "retail_sales", "440100", Year(2021), 1100.0),
            row(&plan, 3, "retail_sales", "440103", Year(2021), 500.0),
        ];
        import(
            store,
            &plan,
            "good.csv",
            good.clone(),
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        let seen = entries_after(store, 0).await.len();
        assert_eq!(seen, 2, "{backend}");

        // Errors in the file.
        let aborted = import(
            store,
            &plan,
            "bad.csv",
            good.clone(),
            End::Abort,
            ImportSettings::default(),
        )
        .await;
        assert!(matches!(aborted, Err(ImportError::Aborted)), "{backend}");
        // The same key twice with different values.
        let conflicting = vec![
            row(&plan, 2, "retail_sales", "440100", Year(2022), 1200.0),
            row(&plan, 3, "retail_sales", "440100", Year(2022), 1250.0),
        ];
        let conflict = import(
            store,
            &plan,
            "conflict.csv",
            conflicting,
            End::Finish,
            ImportSettings::default(),
        )
        .await;
        assert!(
            matches!(conflict, Err(ImportError::Conflicts(_))),
            "{backend}"
        );
        // A warning under --strict.
        let jump = vec![row(&plan, 2, "retail_sales", "440103", Year(2022), 5000.0)];
        let strict = import(
            store,
            &plan,
            "jump.csv",
            jump.clone(),
            End::Finish,
            ImportSettings {
                strict: true,
                ..ImportSettings::default()
            },
        )
        .await;
        assert!(matches!(strict, Err(ImportError::Strict(_))), "{backend}");
        // A dry run, and a file the store already holds.
        let dry = import(
            store,
            &plan,
            "jump.csv",
            jump,
            End::Finish,
            ImportSettings {
                dry_run: true,
                ..ImportSettings::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((dry.revisions, dry.committed), (1, false), "{backend}");
        let same = import(
            store,
            &plan,
            "good.csv",
            good,
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        assert!(!same.committed, "{backend}");
        // Targets naming a region outside the plan; an assessment of an unknown indicator.
        let refused = store
            .save_region_targets(
                &tester(),
                &plan,
                "bad",
                "planner",
                &[target("440103", 600.0), target("999999", 1.0)],
            )
            .await;
        assert!(refused.is_err(), "{backend}");
        let refused = store
            .add_assessment(&tester(), &plan, "no_such_indicator", 2023, "x", "planner")
            .await;
        assert!(refused.is_err(), "{backend}");

        assert_eq!(
            entries_after(store, seen).await.len(),
            0,
            "{backend}: {:?}",
            entries_after(store, seen).await
        );
        assert_intact(store, seen as i64, backend).await;
        // The next write chains on as if nothing had been tried.
        store
            .add_assessment(&tester(), &plan, "retail_sales", 2023, "良好", "planner")
            .await
            .unwrap();
        assert_intact(store, seen as i64 + 1, backend).await;
    }
    stores.drop_databases().await;
}
