//! Moving and keeping the data (issue 16): a whole store copied into another of either backend
//! (`planwatch migrate`), backups and restores; every table listed; digests that match across
//! backends; the audit chain intact; sessions left behind.

use std::collections::BTreeMap;

use chrono::Utc;
use planwatch_access::{Role, Unit};
use planwatch_plan::Period::Year;
use planwatch_plan::{ObservationRow, Plan};
use planwatch_store::tables::{NOT_COPIED, TABLES};
use planwatch_store::{
    CopyProgress, ImportSettings, NewUser, ObservationFilter, SessionLimits, Store, StoreError,
    verify_backup,
};
use proptest::prelude::*;

use crate::workflow::user;
use crate::{import, import_known_since, plan, row, stores, tester};

/// A progress callback that counts the rows it is told of.
fn counter(rows: &mut u64) -> impl FnMut(CopyProgress<'_>) + Send + '_ {
    move |progress| {
        if let CopyProgress::Rows(n) = progress {
            *rows += n;
        }
    }
}

async fn copy(from: &Store, to: &Store, force: bool) -> Result<u64, StoreError> {
    let mut rows = 0;
    let report = from.copy_into(to, force, &mut counter(&mut rows)).await?;
    assert!(report.verified(), "{report:#?}");
    assert_eq!(report.source.len(), TABLES.len());
    assert_eq!(
        rows,
        report.source.iter().map(|t| t.rows).sum::<u64>(),
        "the progress bar is told of every row"
    );
    Ok(rows)
}

async fn sqlite_store(dir: &tempfile::TempDir, name: &str) -> Store {
    Store::open(dir.path().join(name).to_str().unwrap())
        .await
        .unwrap()
}

fn retail(plan: &Plan, line: usize, region: &str, year: u16, value: f64) -> ObservationRow {
    row(plan, line, "retail_sales", region, Year(year), value)
}

/// A store with something in most tables: observations with revisions (one release known
/// since a past day), an account with a session and a token, a submission approved, a lock.
async fn populate(store: &Store, plan: &Plan) -> String {
    store.save_plan(&tester(), plan).await.unwrap();
    let rows = vec![
        retail(plan, 2, "440103", 2021, 100.0),
        retail(plan, 3, "440103", 2022, 110.5),
        retail(plan, 4, "440100", 2022, -0.25),
    ];
    import_known_since(store, plan, "yearbook.csv", rows, Some("2023-01-01"))
        .await
        .unwrap();
    let rows = vec![retail(plan, 2, "440103", 2022, 115.0)];
    imported(store, plan, "revised.csv", rows).await;
    store
        .add_user(
            &tester(),
            &NewUser {
                name: "alice",
                display_name: Some("规划处 Alice"),
                role: Role::Planner,
                units: &[],
                password_hash: "$argon2id$test",
                email: Some("alice@example.org"),
            },
        )
        .await
        .unwrap();
    store
        .add_user(
            &tester(),
            &NewUser {
                name: "east",
                display_name: None,
                role: Role::Reporter,
                units: &[Unit::Region("440103".into())],
                password_hash: "$argon2id$test",
                email: None,
            },
        )
        .await
        .unwrap();
    let session = store
        .create_session("alice", None, Utc::now())
        .await
        .unwrap();
    store
        .create_token(&tester(), "etl", "alice", "hash-of-etl", None, Utc::now())
        .await
        .unwrap();
    publish_through_a_submission(store, plan, 2023, 120.0).await;
    store
        .lock_period(&tester(), plan, 2021, None)
        .await
        .unwrap();
    session.id
}

/// What the store answers of its observations: the latest, as of a past day, and every
/// revision of each key.
async fn answers(store: &Store, plan: &Plan) -> String {
    let latest = store
        .observations(plan, &ObservationFilter::default())
        .await
        .unwrap();
    let past = store
        .observations(
            plan,
            &ObservationFilter {
                as_of: Some("2023-06-30".into()),
                ..ObservationFilter::default()
            },
        )
        .await
        .unwrap();
    let mut history = Vec::new();
    for o in &latest {
        history.push(
            store
                .history(plan, &o.indicator, &o.region, o.period)
                .await
                .unwrap(),
        );
    }
    format!("{latest:?}\n{past:?}\n{history:?}")
}

#[tokio::test]
async fn every_table_is_listed_with_its_key_after_its_parents() {
    let stores = stores().await;
    let listed: Vec<&str> = TABLES
        .iter()
        .map(|t| t.name)
        .chain(NOT_COPIED.iter().copied())
        .collect();
    for (backend, _) in &stores.stores {
        for table in stores.table_names(backend).await {
            assert!(
                listed.contains(&table.as_str()),
                "{backend}: the table {table} is not in planwatch_store::tables (add it to TABLES, after the tables it refers to, or to NOT_COPIED)"
            );
        }
    }
    for (table, key, parents) in stores.sqlite_keys().await {
        let Some(position) = TABLES.iter().position(|t| t.name == table) else {
            continue;
        };
        assert_eq!(TABLES[position].key, key, "the key of {table}");
        for parent in parents {
            let parent_position = TABLES.iter().position(|t| t.name == parent).unwrap();
            assert!(
                parent_position < position,
                "{table} refers to {parent}, listed after it"
            );
        }
    }
    stores.drop_databases().await;
}

/// SQLite → PostgreSQL → SQLite: the same rows and digests everywhere, the same answers, the
/// audit chain intact, no session carried over; a target with data refused, unless forced.
#[tokio::test]
async fn round_trip_through_postgres() {
    let stores = stores().await;
    let dir = tempfile::tempdir().unwrap();
    let (source, postgres) = (&stores.stores[0].1, &stores.stores[1].1);
    let plan = plan();
    let session = populate(source, &plan).await;
    let copied = copy(source, postgres, false).await.unwrap();
    assert!(copied > 20, "{copied} rows");
    let back = sqlite_store(&dir, "back.db").await;
    copy(postgres, &back, false).await.unwrap();
    let digests = source.digests().await.unwrap();
    assert_eq!(postgres.digests().await.unwrap(), digests);
    assert_eq!(back.digests().await.unwrap(), digests);
    let observations = digests.iter().find(|t| t.table == "observations").unwrap();
    assert_eq!(observations.rows, 5);
    assert_eq!(answers(&back, &plan).await, answers(source, &plan).await);
    assert_eq!(answers(postgres, &plan).await, answers(source, &plan).await);
    for store in [postgres, &back] {
        let verification = store.verify_audit().await.unwrap();
        assert_eq!(verification.problem, None);
        assert_eq!(verification, source.verify_audit().await.unwrap());
        let limits = SessionLimits::default();
        assert!(
            store
                .session(&session, limits, Utc::now())
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.user("alice").await.unwrap().is_some());
    }
    assert!(
        source
            .session(&session, SessionLimits::default(), Utc::now())
            .await
            .unwrap()
            .is_some()
    );
    // Ids go on after the highest copied: the next import on PostgreSQL is a new batch.
    let rows = vec![retail(&plan, 2, "440103", 2024, 130.0)];
    imported(postgres, &plan, "next.csv", rows).await;
    assert_eq!(postgres.verify_audit().await.unwrap().problem, None);
    // A target with data is refused, and left as it was; forced, it is replaced.
    let before = back.digests().await.unwrap();
    let refused = copy(postgres, &back, false).await.unwrap_err();
    assert!(
        matches!(&refused, StoreError::TargetNotEmpty { table, .. } if table == "plans"),
        "{refused:?}"
    );
    assert_eq!(back.digests().await.unwrap(), before);
    copy(postgres, &back, true).await.unwrap();
    assert_eq!(
        back.digests().await.unwrap(),
        postgres.digests().await.unwrap()
    );
    assert_ne!(back.digests().await.unwrap(), before);
    back.close().await.unwrap();
    stores.drop_databases().await;
}

/// Random small stores (observations with revisions over several files) make the round trip
/// SQLite → PostgreSQL (forced over the previous case's) → SQLite unchanged.
#[test]
fn random_stores_survive_the_round_trip() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stores = runtime.block_on(stores());
    let postgres = stores.stores[1].1.clone();
    let plan = plan();
    let key = (0..2usize, 0..2usize, 2020..2026u16);
    let file = prop::collection::btree_map(key, -1.0e7..1.0e7f64, 1..12);
    let config = ProptestConfig {
        cases: 12,
        ..ProptestConfig::default()
    };
    proptest!(config, |(files in prop::collection::vec(file, 1..4))| {
        runtime.block_on(round_trip(&plan, &postgres, files));
    });
    runtime.block_on(stores.drop_databases());
}

type RandomFile = BTreeMap<(usize, usize, u16), f64>;

async fn round_trip(plan: &Plan, postgres: &Store, files: Vec<RandomFile>) {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_store(&dir, "source.db").await;
    source.save_plan(&tester(), plan).await.unwrap();
    let indicators = ["retail_sales", "outbound_investment"];
    let regions = ["440100", "440103"];
    for (n, file) in files.into_iter().enumerate() {
        let rows = file
            .into_iter()
            .enumerate()
            .map(|(line, ((i, r, year), value))| {
                row(plan, line + 2, indicators[i], regions[r], Year(year), value)
            })
            .collect();
        imported(&source, plan, &format!("file{n}.csv"), rows).await;
    }
    copy(&source, postgres, true).await.unwrap();
    let back = sqlite_store(&dir, "back.db").await;
    copy(postgres, &back, false).await.unwrap();
    assert_eq!(
        back.digests().await.unwrap(),
        source.digests().await.unwrap()
    );
    assert_eq!(answers(&back, plan).await, answers(&source, plan).await);
    assert_eq!(back.verify_audit().await.unwrap().problem, None);
    source.close().await.unwrap();
    back.close().await.unwrap();
}

/// Writers that import and approve while a backup is taken, on each backend: the backup
/// verifies, restores (into SQLite and PostgreSQL) to a store where every batch is whole, and
/// the audit chain verifies; a restore into a store with data is refused unless forced; a
/// backup altered afterwards fails its verification.
#[tokio::test]
async fn backup_while_writers_import_and_approve() {
    let stores = stores().await;
    let dir = tempfile::tempdir().unwrap();
    let plan = plan();
    for (backend, store) in &stores.stores {
        store.save_plan(&tester(), &plan).await.unwrap();
        let mut writers = Vec::new();
        for w in 0..20u16 {
            let (store, plan) = (store.clone(), plan.clone());
            writers.push(tokio::spawn(async move { write(&store, &plan, w).await }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let path = dir.path().join(format!("{backend}.backup"));
        let mut rows = 0;
        // `planwatch backup` is a process of its own, beside the server's.
        let backup = Store::open(&stores.url(backend)).await.unwrap();
        let info = backup.backup(&path, &mut counter(&mut rows)).await.unwrap();
        backup.close().await.unwrap();
        for writer in writers {
            writer.await.unwrap();
        }
        assert_eq!(info.source, *backend);
        let verification = verify_backup(&path).await.unwrap();
        assert!(verification.ok(), "{verification:#?}");
        assert_eq!(verification.info, info);
        let refused = store
            .backup(&path, &mut counter(&mut rows))
            .await
            .unwrap_err();
        assert!(
            matches!(refused, StoreError::BackupExists(_)),
            "{refused:?}"
        );
        for target in [
            sqlite_store(&dir, &format!("{backend}-restored.db")).await,
            stores.stores[1].1.clone(),
        ] {
            // The PostgreSQL store has data (its own writers' or the last restore's).
            let force = target.backend() == "postgres";
            let report = target
                .restore(&path, force, &mut counter(&mut rows))
                .await
                .unwrap();
            assert!(report.verified(), "{backend} → {}", target.backend());
            assert_eq!(report.target, info.tables);
            assert_eq!(target.verify_audit().await.unwrap().problem, None);
            let batches = target.batches(&plan.id).await.unwrap();
            let observations = info
                .tables
                .iter()
                .find(|t| t.table == "observations")
                .unwrap();
            assert!(
                !batches.is_empty(),
                "{backend}: the backup holds some batches"
            );
            assert_eq!(
                batches.iter().map(|b| b.revisions).sum::<i64>(),
                i64::try_from(observations.rows).unwrap(),
                "{backend}: every batch whole"
            );
            let refused = target
                .restore(&path, false, &mut counter(&mut rows))
                .await
                .unwrap_err();
            assert!(
                matches!(refused, StoreError::TargetNotEmpty { .. }),
                "{refused:?}"
            );
            assert_eq!(target.digests().await.unwrap(), info.tables);
            if !force {
                target.close().await.unwrap();
            }
        }
        // Altered afterwards, the backup no longer verifies, and is not restored.
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query("UPDATE batches SET file_name = 'altered.csv' WHERE id = 1")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        assert!(!verify_backup(&path).await.unwrap().ok());
        let target = sqlite_store(&dir, &format!("{backend}-refused.db")).await;
        let refused = target
            .restore(&path, false, &mut counter(&mut rows))
            .await
            .unwrap_err();
        assert!(
            matches!(refused, StoreError::NotABackup { .. }),
            "{refused:?}"
        );
        target.close().await.unwrap();
    }
    stores.drop_databases().await;
}

/// Writer `w`: five imports of its own figures, each a new revision; the even writers also
/// have a submission approved each time.
async fn write(store: &Store, plan: &Plan, w: u16) {
    let regions = ["440100", "440103"];
    let region = regions[usize::from(w) % 2];
    for round in 0..5u16 {
        let value = f64::from(w * 100 + round);
        let rows = vec![row(
            plan,
            2,
            "outbound_investment",
            region,
            Year(2000 + w),
            value,
        )];
        imported(store, plan, &format!("writer{w}-{round}.csv"), rows).await;
        if w.is_multiple_of(2) {
            publish_through_a_submission(store, plan, 2000 + w, value).await;
        }
    }
}

/// The east district's retail sales of `year` submitted by its reporter and approved by a
/// planner.
async fn publish_through_a_submission(store: &Store, plan: &Plan, year: u16, value: f64) {
    let reporter = user("east", Role::Reporter, &["440103"]);
    let id = store
        .create_submission(
            &reporter,
            None,
            plan,
            Unit::Region("440103".into()),
            &[retail(plan, 2, "440103", year, value)],
            false,
            Some("east.xlsx"),
            None,
        )
        .await
        .unwrap();
    store
        .approve_submission(
            &user("alice", Role::Planner, &[]),
            None,
            plan,
            id,
            Some("同意"),
            ImportSettings::default(),
        )
        .await
        .unwrap();
}

/// Imports `rows` as the file `file`, with the default settings; it must succeed.
async fn imported(store: &Store, plan: &Plan, file: &str, rows: Vec<ObservationRow>) {
    import(
        store,
        plan,
        file,
        rows,
        crate::End::Finish,
        ImportSettings::default(),
    )
    .await
    .unwrap();
}
