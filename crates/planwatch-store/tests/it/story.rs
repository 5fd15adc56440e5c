//! Import, revise, query and refuse, on both backends.

use planwatch_plan::Period::{self, Month, Year};
use planwatch_store::{Feed, ImportError, ImportSettings, ObservationFilter, Store, WarningKind};

use crate::{End, import, import_known_since, plan, row, stores, values};

/// Everything a store holds that an import may change: every revision of every observation of
/// the example plan, and the batches.
async fn snapshot(store: &Store) -> (Vec<String>, usize) {
    let plan = plan();
    let mut revisions = Vec::new();
    for indicator in &plan.indicators {
        for region in &plan.regions {
            for year in 2019..=2026 {
                for r in store
                    .history(&plan, &indicator.code, &region.code, Period::Year(year))
                    .await
                    .unwrap()
                {
                    revisions.push(format!(
                        "{} {} {} r{} {} {:?} f{}",
                        r.indicator, r.region, r.period, r.revision, r.value, r.status, r.flags
                    ));
                }
            }
        }
    }
    (revisions, store.batches(&plan.id).await.unwrap().len())
}

#[tokio::test]
async fn import_revise_query_and_refuse_on_both_backends() {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let plan = plan();
        store.save_plan(&crate::tester(), &plan).await.unwrap();
        assert_eq!(store.plan(&plan.id).await.unwrap(), plan, "{backend}");

        // A first import stores every row as revision 1.
        let first = vec![
            row(&plan, 2, "retail_sales", "440100", Year(2021), 1100.0),
            row(&plan, 3, "retail_sales", "440103", Year(2021), 500.0),
            row(&plan, 4, "online_retail_share", "440100", Year(2021), 31.5),
        ];
        let outcome = import(
            store,
            &plan,
            "a.csv",
            first.clone(),
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            (
                outcome.rows,
                outcome.revisions,
                outcome.unchanged,
                outcome.committed
            ),
            (3, 3, 0, true),
            "{backend}"
        );
        let version_after_first = store.version(&plan.id).await.unwrap();

        // The same file again changes nothing.
        let before = snapshot(store).await;
        let again = import(
            store,
            &plan,
            "a.csv",
            first.clone(),
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            (again.revisions, again.unchanged, again.committed),
            (0, 3, false),
            "{backend}"
        );
        assert_eq!(again.same_file_as, outcome.batch_id, "{backend}");
        assert_eq!(
            snapshot(store).await,
            before,
            "{backend}: an identical import changed the store"
        );
        assert_eq!(
            store.version(&plan.id).await.unwrap(),
            version_after_first,
            "{backend}"
        );

        // A revised value becomes revision 2; the latest query returns it, history keeps both.
        let revised = vec![row(&plan, 2, "retail_sales", "440103", Year(2021), 520.0)];
        let outcome = import(
            store,
            &plan,
            "revised.csv",
            revised,
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        assert_eq!(outcome.revisions, 1, "{backend}");
        let latest = store
            .observations(
                &plan,
                &ObservationFilter {
                    regions: vec!["440103".into()],
                    ..ObservationFilter::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (latest.len(), latest[0].value, latest[0].revision),
            (1, 520.0, 2),
            "{backend}"
        );
        let history = store
            .history(&plan, "retail_sales", "440103", Year(2021))
            .await
            .unwrap();
        assert_eq!(
            history.iter().map(|h| h.value).collect::<Vec<_>>(),
            [500.0, 520.0],
            "{backend}"
        );
        assert!(
            store.version(&plan.id).await.unwrap() > version_after_first,
            "{backend}"
        );

        // All observations come back in plan order: indicator (number), region, period.
        let all = store
            .observations(&plan, &ObservationFilter::default())
            .await
            .unwrap();
        let keys: Vec<(&str, &str)> = all
            .iter()
            .map(|o| (o.indicator.as_str(), o.region.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("retail_sales", "440100"),
                ("retail_sales", "440103"),
                ("online_retail_share", "440100")
            ],
            "{backend}"
        );

        let before = snapshot(store).await;
        // Two different values for one key in one file: refused, nothing stored.
        let conflicting = vec![
            row(&plan, 2, "retail_sales", "440100", Year(2022), 1200.0),
            row(&plan, 3, "retail_sales", "440103", Year(2022), 600.0),
            row(&plan, 7, "retail_sales", "440100", Year(2022), 1250.0),
        ];
        match import(
            store,
            &plan,
            "conflict.csv",
            conflicting,
            End::Finish,
            ImportSettings::default(),
        )
        .await
        {
            Err(ImportError::Conflicts(conflicts)) => {
                assert_eq!(
                    (conflicts[0].first_row, conflicts[0].row, conflicts[0].value),
                    (2, 7, 1250.0),
                    "{backend}"
                )
            }
            other => panic!("{backend}: {other:?}"),
        }
        // The reader found errors in the file: nothing stored.
        let good = vec![row(&plan, 2, "retail_sales", "440100", Year(2023), 1300.0)];
        assert!(matches!(
            import(
                store,
                &plan,
                "bad.csv",
                good.clone(),
                End::Abort,
                ImportSettings::default()
            )
            .await,
            Err(ImportError::Aborted)
        ));
        // A dry run checks but stores nothing.
        let dry = import(
            store,
            &plan,
            "dry.csv",
            good,
            End::Finish,
            ImportSettings {
                dry_run: true,
                ..ImportSettings::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((dry.revisions, dry.committed), (1, false), "{backend}");
        // Suspicious values under --strict: refused.
        let jump = vec![row(&plan, 2, "retail_sales", "440103", Year(2022), 5000.0)];
        match import(
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
        .await
        {
            Err(ImportError::Strict(warnings)) => assert!(!warnings.is_empty(), "{backend}"),
            other => panic!("{backend}: {other:?}"),
        }
        assert_eq!(
            snapshot(store).await,
            before,
            "{backend}: a refused import changed the store"
        );

        // Without --strict the same values are stored, flagged: a large change and districts
        // summing above the city total (5000 > 1100 in 2022 is not compared: no city value for
        // 2022), so give the city a 2022 value first.
        let city = vec![row(&plan, 2, "retail_sales", "440100", Year(2022), 1200.0)];
        import(
            store,
            &plan,
            "city.csv",
            city,
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        let outcome = import(
            store,
            &plan,
            "jump.csv",
            jump,
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        let kinds: Vec<&WarningKind> = outcome.warnings.iter().map(|w| &w.kind).collect();
        assert!(
            kinds.iter().any(
                |k| matches!(k, WarningKind::LargeChange { previous, .. } if *previous == 520.0)
            ),
            "{backend}: {kinds:?}"
        );
        assert!(kinds.iter().any(|k| matches!(k, WarningKind::DistrictsAboveTotal { sum, total } if *sum == 5000.0 && *total == 1200.0)), "{backend}: {kinds:?}");
        let flagged = store
            .history(&plan, "retail_sales", "440103", Year(2022))
            .await
            .unwrap();
        assert_eq!(flagged[0].flags, 3, "{backend}");
    }
    stores.drop_databases().await;
}

#[tokio::test]
async fn as_of_returns_what_was_known_then() {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let plan = plan();
        store.save_plan(&crate::tester(), &plan).await.unwrap();
        for (file, value, known_since) in [
            ("first.csv", 7478.4, "2020-01-20"),
            ("yearbook.csv", 8313.4, "2021-09-30"),
        ] {
            let (sender, receiver) = tokio::sync::mpsc::channel(2);
            sender
                .send(Feed::Rows(vec![row(
                    &plan,
                    2,
                    "retail_sales",
                    "440100",
                    Year(2019),
                    value,
                )]))
                .await
                .unwrap();
            sender
                .send(Feed::Finish {
                    checksum: file.into(),
                })
                .await
                .unwrap();
            let batch = planwatch_store::BatchInfo {
                file_name: file.into(),
                imported_by: "test".into(),
                known_since: Some(known_since.into()),
                revision_reason: None,
            };
            store
                .import(
                    &crate::tester(),
                    &plan,
                    batch,
                    receiver,
                    ImportSettings::default(),
                )
                .await
                .unwrap();
        }
        for (date, expected) in [
            (Some("2019-12-31"), &[][..]),
            (Some("2020-06-30"), &[7478.4][..]),
            (Some("2021-09-30"), &[8313.4][..]),
            (None, &[8313.4][..]),
        ] {
            let filter = ObservationFilter {
                as_of: date.map(str::to_owned),
                ..ObservationFilter::default()
            };
            assert_eq!(
                values(store, &plan, &filter).await,
                expected,
                "{backend} as of {date:?}"
            );
        }
    }
    stores.drop_databases().await;
}

/// Two imports at once into the same keys: both are stored, one after the other (review finding:
/// without a lock on PostgreSQL the second was silently dropped).
#[tokio::test]
async fn concurrent_imports_both_land() {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let plan = plan();
        store.save_plan(&crate::tester(), &plan).await.unwrap();
        let rows = |value: f64| {
            (1..=300)
                .map(|i| {
                    row(
                        &plan,
                        i + 1,
                        "retail_sales",
                        "440103",
                        Period::Month(2000 + (i / 12) as u16, (i % 12) as u8 + 1),
                        value,
                    )
                })
                .collect::<Vec<_>>()
        };
        let (a, b) = tokio::join!(
            import(
                store,
                &plan,
                "a.csv",
                rows(1.0),
                End::Finish,
                ImportSettings {
                    change_bound_percent: 1e9,
                    ..ImportSettings::default()
                }
            ),
            import(
                store,
                &plan,
                "b.csv",
                rows(2.0),
                End::Finish,
                ImportSettings {
                    change_bound_percent: 1e9,
                    ..ImportSettings::default()
                }
            )
        );
        match (a, b) {
            (Ok(a), Ok(b)) => assert_eq!((a.revisions, b.revisions), (300, 300), "{backend}"),
            // SQLite may refuse the second writer outright; it must then say so, not drop rows.
            (Ok(_), Err(e)) | (Err(e), Ok(_)) if *backend == "sqlite" => {
                assert!(e.to_string().contains("database"), "{e}")
            }
            other => panic!("{backend}: {other:?}"),
        }
        let history = store
            .history(&plan, "retail_sales", "440103", Period::Month(2000, 2))
            .await
            .unwrap();
        assert!(!history.is_empty(), "{backend}");
    }
    stores.drop_databases().await;
}

/// Rows stream straight into the table while every key is new, and fall back to the staged
/// comparison at the first key that is not; both ways must store the same values with the same
/// warnings. Store A gets the file fresh (streamed throughout on SQLite, roll-up summed while
/// streaming); store B holds the file's last row already, so the import falls back after three
/// chunks.
#[tokio::test]
async fn streamed_and_staged_imports_agree() {
    let plan = plan();
    let file = vec![
        row(&plan, 2, "retail_sales", "440100", Year(2020), 1000.0),
        row(&plan, 3, "retail_sales", "440100", Year(2021), 1100.0),
        // More than the 50 % bound against the row before: found while streaming.
        row(&plan, 4, "retail_sales", "440100", Year(2022), 1900.0),
        row(&plan, 5, "retail_sales", "440103", Year(2021), 500.0),
        // Districts above the city in 2022 (2000 > 1900), and four times 2021.
        row(&plan, 6, "retail_sales", "440103", Year(2022), 2000.0),
        // Not after its previous period: checked in SQL (1900 → 200).
        row(&plan, 7, "retail_sales", "440100", Year(2023), 200.0),
        row(&plan, 8, "online_retail_share", "440100", Year(2021), 31.5),
        // Years among months: the previous period is not always the row before.
        row(&plan, 9, "outbound_investment", "440100", Year(2020), 10.0),
        row(
            &plan,
            10,
            "outbound_investment",
            "440100",
            Month(2020, 12),
            1.0,
        ),
        // 2020 → 2021: +200 %, with December 2020 in between.
        row(&plan, 11, "outbound_investment", "440100", Year(2021), 30.0),
        // December 2020 → January 2021: +200 %, with the year 2021 in between.
        row(
            &plan,
            12,
            "outbound_investment",
            "440100",
            Month(2021, 1),
            3.0,
        ),
        // No 2022: nothing to compare with.
        row(
            &plan,
            13,
            "outbound_investment",
            "440100",
            Year(2023),
            100.0,
        ),
    ];
    let a = stores().await;
    let b = stores().await;
    let c = stores().await;
    for ((backend, fresh), (_, holding)) in a.stores.iter().zip(&b.stores) {
        fresh.save_plan(&crate::tester(), &plan).await.unwrap();
        holding.save_plan(&crate::tester(), &plan).await.unwrap();
        let last = file.last().unwrap().clone();
        import(
            holding,
            &plan,
            "last.csv",
            vec![last],
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();

        let streamed = import(
            fresh,
            &plan,
            "f.csv",
            file.clone(),
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        let staged = import(
            holding,
            &plan,
            "f.csv",
            file.clone(),
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            (streamed.revisions, streamed.unchanged),
            (12, 0),
            "{backend}"
        );
        assert_eq!((staged.revisions, staged.unchanged), (11, 1), "{backend}");
        let rows_and_kinds = |o: &planwatch_store::ImportOutcome| {
            o.warnings
                .iter()
                .map(|w| (w.row, format!("{:?}", w.kind)))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            rows_and_kinds(&streamed),
            rows_and_kinds(&staged),
            "{backend}"
        );
        assert_eq!(
            rows_and_kinds(&streamed)
                .iter()
                .map(|(row, _)| *row)
                .collect::<Vec<_>>(),
            vec![4, 4, 6, 7, 11, 12],
            "{backend}: {:?}",
            rows_and_kinds(&streamed)
        );
        let fresh_rows = snapshot(fresh).await.0;
        assert_eq!(fresh_rows, snapshot(holding).await.0, "{backend}");
        assert!(
            fresh_rows
                .iter()
                .any(|r| r.starts_with("retail_sales 440103 2022 r1 2000 Final f3")),
            "{fresh_rows:?}"
        );

        // The same rows in key order stream through to the end on both backends (PostgreSQL
        // streams only then), with the same outcome.
        let mut sorted = file.clone();
        sorted.sort_by_key(|r| (r.indicator, r.region, r.period.key()));
        let (_, in_order) = &c.stores[if *backend == "sqlite" { 0 } else { 1 }];
        in_order.save_plan(&crate::tester(), &plan).await.unwrap();
        let outcome = import(
            in_order,
            &plan,
            "sorted.csv",
            sorted,
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        let mut expected = rows_and_kinds(&streamed);
        expected.sort();
        let mut got = rows_and_kinds(&outcome);
        got.sort();
        assert_eq!(got, expected, "{backend}");
        assert_eq!(snapshot(in_order).await.0, fresh_rows, "{backend}");
    }
    a.drop_databases().await;
    b.drop_databases().await;
    c.drop_databases().await;
}

/// A first load where a row repeats (same key, same value): stored once, no conflict, and the
/// large-change check still sees the series.
#[tokio::test]
async fn a_repeated_row_in_a_first_load_is_stored_once() {
    let plan = plan();
    let file = vec![
        row(&plan, 2, "retail_sales", "440100", Year(2021), 1000.0),
        row(&plan, 3, "retail_sales", "440100", Year(2021), 1000.0),
        row(&plan, 4, "retail_sales", "440100", Year(2022), 2000.0),
    ];
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        store.save_plan(&crate::tester(), &plan).await.unwrap();
        let outcome = import(
            store,
            &plan,
            "f.csv",
            file.clone(),
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            (outcome.rows, outcome.revisions, outcome.unchanged),
            (3, 2, 0),
            "{backend}"
        );
        let rows: Vec<usize> = outcome.warnings.iter().map(|w| w.row).collect();
        assert_eq!(rows, vec![4], "{backend}");
        let stored = store
            .history(&plan, "retail_sales", "440100", Year(2021))
            .await
            .unwrap();
        assert_eq!(stored.len(), 1, "{backend}");
        assert_eq!(stored[0].source_row, 2, "{backend}");
    }
    stores.drop_databases().await;
}

/// A first load whose reader gives up after rows were streamed stores nothing, and the store
/// takes the next import as before.
#[tokio::test]
async fn an_aborted_first_load_stores_nothing() {
    let plan = plan();
    // In key order, and enough rows for the COPY to reach the server before the abort.
    let periods = (1..2001)
        .flat_map(|year| (1..=12).map(move |month| Month(year, month)))
        .chain((2020..2026).map(Year));
    let file: Vec<_> = periods
        .enumerate()
        .map(|(i, period)| row(&plan, i + 2, "retail_sales", "440100", period, 1000.0))
        .collect();
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        store.save_plan(&crate::tester(), &plan).await.unwrap();
        let aborted = import(
            store,
            &plan,
            "a.csv",
            file.clone(),
            End::Abort,
            ImportSettings::default(),
        )
        .await;
        assert!(
            matches!(aborted, Err(ImportError::Aborted)),
            "{backend}: {aborted:?}"
        );
        assert_eq!(snapshot(store).await, (Vec::new(), 0), "{backend}");
        if *backend == "postgres" {
            // The rollback gave back the key dropped for the COPY.
            assert!(stores.pg_primary_key_exists().await);
            // The rows the COPY wrote, dead, were vacuumed away at once (issue 11, item 12): they
            // kept the table's pages, and the next first load's look for an empty table read them.
            assert!(stores.pg_observations_were_vacuumed().await);
        }
        let outcome = import(
            store,
            &plan,
            "a.csv",
            file.clone(),
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        assert_eq!(outcome.revisions, file.len() as u64, "{backend}");
    }
    // The load that landed built it again.
    assert!(stores.pg_primary_key_exists().await);
    stores.drop_databases().await;
}

#[tokio::test]
async fn region_target_sets_are_saved_whole_and_raise_the_version() {
    use planwatch_store::RegionTarget;
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let plan = plan();
        store.save_plan(&crate::tester(), &plan).await.unwrap();
        assert_eq!(
            store.region_targets(&plan).await.unwrap(),
            None,
            "{backend}"
        );
        let before = store.version(&plan.id).await.unwrap();
        let target = |region: &str, value: f64| RegionTarget {
            indicator: "retail_sales".into(),
            target: 0,
            region: region.into(),
            value,
        };
        store
            .save_region_targets(
                &crate::tester(),
                &plan,
                "first",
                "planner",
                &[target("440103", 500.0)],
            )
            .await
            .unwrap();
        let after = store.last_change(&plan.id).await.unwrap();
        assert!(
            after.version > before,
            "{backend}: a target set is a change"
        );
        assert!(after.changed_at.is_some(), "{backend}");

        // A set naming a region outside the plan stores nothing: the first set stays in force.
        let refused = store
            .save_region_targets(
                &crate::tester(),
                &plan,
                "bad",
                "planner",
                &[target("440103", 600.0), target("999999", 1.0)],
            )
            .await;
        assert!(refused.is_err(), "{backend}");
        let (set, rows) = store.region_targets(&plan).await.unwrap().unwrap();
        assert_eq!(
            (set.description.as_str(), rows),
            ("first", vec![target("440103", 500.0)]),
            "{backend}"
        );

        // A new set supersedes the old one.
        store
            .save_region_targets(
                &crate::tester(),
                &plan,
                "second",
                "planner",
                &[target("440103", 650.0)],
            )
            .await
            .unwrap();
        let (set, rows) = store.region_targets(&plan).await.unwrap().unwrap();
        assert_eq!(
            (set.description.as_str(), rows[0].value),
            ("second", 650.0),
            "{backend}"
        );

        // Assessments change what an evaluation reads, so they raise the version too.
        let version = store.version(&plan.id).await.unwrap();
        store
            .add_assessment(
                &crate::tester(),
                &plan,
                "retail_sales",
                2023,
                "良好",
                "planner",
            )
            .await
            .unwrap();
        assert!(
            store.version(&plan.id).await.unwrap() > version,
            "{backend}"
        );
    }
    stores.drop_databases().await;
}

#[tokio::test]
async fn pages_of_observations_add_up_to_the_whole() {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let plan = plan();
        store.save_plan(&crate::tester(), &plan).await.unwrap();
        let rows: Vec<_> = (2016..2024)
            .flat_map(|year| {
                [("440100", 1000.0), ("440103", 400.0)].map(|(region, base)| {
                    row(
                        &plan,
                        2,
                        "retail_sales",
                        region,
                        Year(year),
                        base + f64::from(year),
                    )
                })
            })
            .collect();
        import(
            store,
            &plan,
            "paged.csv",
            rows,
            End::Finish,
            ImportSettings::default(),
        )
        .await
        .unwrap();
        let filter = ObservationFilter::default();
        let all = store.observations(&plan, &filter).await.unwrap();
        assert_eq!(
            store.count_observations(&plan, &filter).await.unwrap(),
            all.len() as u64,
            "{backend}"
        );
        let mut paged = Vec::new();
        for page in 0..4 {
            paged.extend(
                store
                    .observations_page(&plan, &filter, page * 5, 5)
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(paged.len(), all.len(), "{backend}");
        let key = |o: &planwatch_store::StoredObservation| {
            (o.indicator.clone(), o.region.clone(), o.period)
        };
        let mut sorted_all: Vec<_> = all.iter().map(key).collect();
        let mut sorted_paged: Vec<_> = paged.iter().map(key).collect();
        sorted_all.sort();
        sorted_paged.sort();
        assert_eq!(sorted_all, sorted_paged, "{backend}: every row once");
        let narrow = ObservationFilter {
            regions: vec!["440103".into()],
            from: Some(Year(2020)),
            ..ObservationFilter::default()
        };
        assert_eq!(
            store.count_observations(&plan, &narrow).await.unwrap(),
            4,
            "{backend}"
        );
    }
    stores.drop_databases().await;
}

/// The roll-up check adds up districts of additive indicators only: a share is not a sum, so a
/// district's share above the city's is no warning — also when the import is staged (a key
/// already stored), where the check is a query (it added up every indicator's districts).
#[tokio::test]
async fn districts_of_a_share_are_not_added_up() {
    let stores = stores().await;
    for (backend, store) in &stores.stores {
        let plan = plan();
        store.save_plan(&crate::tester(), &plan).await.unwrap();
        let shares = |district: f64| {
            vec![
                row(&plan, 2, "online_retail_share", "440100", Year(2022), 30.0),
                row(
                    &plan,
                    3,
                    "online_retail_share",
                    "440103",
                    Year(2022),
                    district,
                ),
            ]
        };
        for (file, district) in [("first.csv", 40.0), ("revised.csv", 41.0)] {
            let outcome = import_known_since(store, &plan, file, shares(district), None)
                .await
                .unwrap();
            assert!(
                outcome.warnings.is_empty(),
                "{backend} {file}: {:?}",
                outcome.warnings
            );
        }
        let stored = store
            .history(&plan, "online_retail_share", "440103", Year(2022))
            .await
            .unwrap();
        assert!(stored.iter().all(|r| r.flags == 0), "{backend}: {stored:?}");
    }
    stores.drop_databases().await;
}
