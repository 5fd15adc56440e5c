//! The latest revision is the one known last, not the one imported last (issue 11, item 2): a
//! historical release loaded after a newer one takes its place in the past only.

use planwatch_plan::Period::Year;
use planwatch_plan::{Period, Plan};
use planwatch_store::{
    ImportError, ImportOutcome, ObservationFilter, Store, StoreError, WarningKind,
};

use crate::{import_known_since, plan, row, stores, values};

#[tokio::test]
async fn an_older_release_imported_last_does_not_become_the_latest() {
    let plan = plan();
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        store.save_plan(&crate::tester(), &plan).await.unwrap();
        let release = |value: f64| vec![row(&plan, 2, "retail_sales", "440100", Year(2019), value)];
        // The 2021 release first, then the 2020 one it revised.
        for (file, value, known_since) in [
            ("2021.csv", 8313.4, "2021-02-01"),
            ("2020.csv", 7478.4, "2020-01-20"),
        ] {
            let outcome = import_known_since(store, &plan, file, release(value), Some(known_since))
                .await
                .unwrap();
            assert_eq!(outcome.revisions, 1, "{backend} {file}");
        }
        let city_2019 = ObservationFilter {
            regions: vec!["440100".into()],
            from: Some(Year(2019)),
            to: Some(Year(2019)),
            ..ObservationFilter::default()
        };
        for (as_of, expected) in [
            (None, &[8313.4][..]),
            (Some("2021-02-01"), &[8313.4][..]),
            (Some("2021-01-31"), &[7478.4][..]),
            (Some("2020-01-20"), &[7478.4][..]),
            (Some("2020-01-19"), &[][..]),
        ] {
            let filter = ObservationFilter {
                as_of: as_of.map(str::to_owned),
                ..city_2019.clone()
            };
            assert_eq!(
                values(store, &plan, &filter).await,
                expected,
                "{backend} as of {as_of:?}"
            );
            let page: Vec<f64> = store
                .observations_page(&plan, &filter, 0, 10)
                .await
                .unwrap()
                .iter()
                .map(|o| o.value)
                .collect();
            assert_eq!(page, expected, "{backend} page as of {as_of:?}");
        }
        // History in the order the values became known; the last is in force.
        let history: Vec<(f64, i32)> = store
            .history(&plan, "retail_sales", "440100", Year(2019))
            .await
            .unwrap()
            .iter()
            .map(|o| (o.value, o.revision))
            .collect();
        assert_eq!(history, [(7478.4, 2), (8313.4, 1)], "{backend}");

        // The figure in force again, known now: nothing changes. A release of the value in
        // force at its own date: nothing either.
        for (value, known_since) in [(8313.4, None), (7478.4, Some("2020-06-01"))] {
            let again = import_known_since(store, &plan, "again.csv", release(value), known_since)
                .await
                .unwrap();
            assert_eq!(
                (again.revisions, again.unchanged),
                (0, 1),
                "{backend}: {value} known since {known_since:?}"
            );
        }

        // The large-change check compares with the previous period in force: 13 000 is 56 %
        // above 8 313.4 (not 74 % above 7 478.4).
        let next = import_now(store, &plan, "440100", Year(2020), 13000.0).await;
        let previous: Vec<f64> = next
            .warnings
            .iter()
            .filter_map(|w| match w.kind {
                WarningKind::LargeChange { previous, .. } => Some(previous),
                WarningKind::DistrictsAboveTotal { .. } => None,
            })
            .collect();
        assert_eq!(previous, [8313.4], "{backend}");

        // The roll-up check sums against the total in force: 8 000 is under 8 313.4 (and was
        // above 7 478.4).
        let district = import_now(store, &plan, "440103", Year(2019), 8000.0).await;
        assert_eq!(district.warnings, [], "{backend}");
    }
    stores.drop_databases().await;
}

#[tokio::test]
async fn a_known_since_time_that_is_not_one_is_refused() {
    let plan = plan();
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        store.save_plan(&crate::tester(), &plan).await.unwrap();
        for bad in [
            "2021-2-1",
            "2021-02-30",
            "2021-02-01 00:00:00' OR '1",
            "yesterday",
        ] {
            let one = vec![row(&plan, 2, "retail_sales", "440100", Year(2019), 1.0)];
            let outcome = import_known_since(store, &plan, "a.csv", one, Some(bad)).await;
            assert!(
                matches!(outcome, Err(ImportError::Store(StoreError::BadTime(_)))),
                "{backend} {bad}: {outcome:?}"
            );
        }
    }
    stores.drop_databases().await;
}

/// Imports one value of retail sales, known now.
async fn import_now(
    store: &Store,
    plan: &Plan,
    region: &str,
    period: Period,
    value: f64,
) -> ImportOutcome {
    let one = vec![row(plan, 2, "retail_sales", region, period, value)];
    import_known_since(store, plan, "now.csv", one, None)
        .await
        .unwrap()
}
