//! Observations carry their plan (migration `0022_observation_plans`, issue 16): a store made
//! before it, with two plans' observations, gets each row's plan filled in from its indicator and
//! the plan at the head of the key, and reads and imports on as before.

use planwatch_plan::Period::Year;
use planwatch_store::{ObservationFilter, Store};

use crate::{empty_pg_database, import_known_since, plan, row, tester, values};

/// The store's data as migration 0020 left it: the example plan and another, each with
/// observations (a revision among them), written as the store wrote them then.
const BEFORE_0021: &str = "
    INSERT INTO plans (id, title, document, updated_at) VALUES
      ('example-trade-2021-2025', '示例', '{}', '2024-01-01 00:00:00'),
      ('other-plan', '其他', '{}', '2024-01-01 00:00:00');
    INSERT INTO indicators (id, plan_id, code) VALUES
      (1, 'example-trade-2021-2025', 'retail_sales'), (2, 'other-plan', 'retail_sales');
    INSERT INTO regions (id, plan_id, code) VALUES
      (1, 'example-trade-2021-2025', '440100'), (2, 'example-trade-2021-2025', '440103'),
      (3, 'other-plan', '440100');
    INSERT INTO batches (id, plan_id, file_name, checksum, imported_by, imported_at) VALUES
      (1, 'example-trade-2021-2025', 'a.csv', 'a', 'test', '2024-01-01 00:00:00'),
      (2, 'other-plan', 'b.csv', 'b', 'test', '2024-01-02 00:00:00'),
      (3, 'example-trade-2021-2025', 'c.csv', 'c', 'test', '2024-01-03 00:00:00');
    INSERT INTO observations
      (indicator_id, region_id, period, revision, value, status, source, note, flags, batch_id, source_row)
    VALUES
      (1, 1, 202200, 1, 100.0, 1, 'test', NULL, 0, 1, 2),
      (1, 2, 202200, 1, 40.0, 1, 'test', NULL, 0, 1, 3),
      (2, 3, 202200, 1, 7.0, 1, NULL, NULL, 0, 2, 2),
      (1, 1, 202200, 2, 101.0, 2, 'test', '修订', 1, 3, 2);";

#[tokio::test]
async fn the_migration_gives_every_observation_its_plan() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("before.db").display());
    let (admin, database, postgres) = empty_pg_database().await;
    for url in [&sqlite, &postgres] {
        let backend = if url == &sqlite { "sqlite" } else { "postgres" };
        let before = migrated_to_0020(url).await;
        assert!(
            !before.iter().any(|(name, _)| name == "plan_id"),
            "{backend}: {before:?}"
        );

        let store = Store::open(url).await.unwrap();
        let (columns, per_plan) = observations_now(url).await;
        assert_eq!(
            key_of(&columns),
            ["plan_id", "indicator_id", "region_id", "period", "revision"],
            "{backend}"
        );
        assert_eq!(
            per_plan,
            [
                ("example-trade-2021-2025".to_owned(), 3),
                ("other-plan".to_owned(), 1)
            ],
            "{backend}"
        );

        // Read by plan as before: the latest of each key, every revision, nothing of the other
        // plan (whose indicator and region codes are the same).
        let plan = plan();
        let all = ObservationFilter::default();
        assert_eq!(
            values(&store, &plan, &all).await,
            [101.0, 40.0],
            "{backend}"
        );
        let history = store
            .history(&plan, "retail_sales", "440100", Year(2022))
            .await
            .unwrap();
        assert_eq!(
            history.iter().map(|o| o.value).collect::<Vec<_>>(),
            [100.0, 101.0],
            "{backend}"
        );
        // An import revises a migrated key and adds a new one, under the plan (saved whole
        // first: the rows above gave it one indicator and two regions only).
        store.save_plan(&tester(), &plan).await.unwrap();
        let outcome = import_known_since(
            &store,
            &plan,
            "after.csv",
            vec![
                row(&plan, 2, "retail_sales", "440103", Year(2022), 45.0),
                row(&plan, 3, "retail_sales", "440103", Year(2023), 50.0),
            ],
            None,
        )
        .await
        .unwrap();
        assert_eq!((outcome.revisions, outcome.new), (2, 1), "{backend}");
        assert_eq!(
            values(&store, &plan, &all).await,
            [101.0, 45.0, 50.0],
            "{backend}"
        );
        store.close().await.unwrap();
        let (_, per_plan) = observations_now(url).await;
        assert_eq!(per_plan[0], ("example-trade-2021-2025".to_owned(), 5));
    }
    let pool = sqlx::PgPool::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
    )))
    .execute(&pool)
    .await
    .unwrap();
}

/// The columns of a key, as `observations_now` lists them (name, position in the key), in the
/// key's order.
fn key_of(columns: &[(String, i64)]) -> Vec<&str> {
    let mut key: Vec<(i64, &str)> = columns
        .iter()
        .filter(|(_, position)| *position > 0)
        .map(|(name, position)| (*position, name.as_str()))
        .collect();
    key.sort();
    key.into_iter().map(|(_, name)| name).collect()
}

/// Migrates the empty database at `url` up to 0020 with the store's own migration files, writes
/// [`BEFORE_0021`] into it, and returns the columns of `observations` then.
async fn migrated_to_0020(url: &str) -> Vec<(String, i64)> {
    let backend = if url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let migrator = sqlx::migrate::Migrator::new(migrations).await.unwrap();
    if backend == "sqlite" {
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
        let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
            .await
            .unwrap();
        migrator.run_to(20, &pool).await.unwrap();
        sqlx::raw_sql(BEFORE_0021).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        migrator.run_to(20, &pool).await.unwrap();
        sqlx::raw_sql(BEFORE_0021).execute(&pool).await.unwrap();
        // The ids were given: the sequences go on after them.
        for table in ["indicators", "regions", "batches"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table}))"
            )))
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;
    }
    observations_now(url).await.0
}

/// The columns of `observations` (name, position in the primary key from 1, 0 when not in it)
/// and its rows per plan (none before the migration).
async fn observations_now(url: &str) -> (Vec<(String, i64)>, Vec<(String, i64)>) {
    /// The same reads on either backend's pool, the columns by `$columns`.
    macro_rules! read {
        ($pool:expr, $columns:expr) => {{
            let pool = $pool;
            let columns: Vec<(String, i64)> =
                sqlx::query_as($columns).fetch_all(&pool).await.unwrap();
            let per_plan = if columns.iter().any(|(name, _)| name == "plan_id") {
                sqlx::query_as(
                    "SELECT plan_id, COUNT(*) FROM observations GROUP BY plan_id ORDER BY plan_id",
                )
                .fetch_all(&pool)
                .await
                .unwrap()
            } else {
                Vec::new()
            };
            pool.close().await;
            (columns, per_plan)
        }};
    }
    if url.starts_with("sqlite") {
        read!(
            sqlx::SqlitePool::connect(url).await.unwrap(),
            "SELECT name, pk FROM pragma_table_info('observations')"
        )
    } else {
        read!(
            sqlx::PgPool::connect(url).await.unwrap(),
            "SELECT a.attname::text, COALESCE(k.n, 0)
             FROM pg_attribute a
             LEFT JOIN (SELECT u.attnum, u.n FROM pg_constraint c,
                          unnest(c.conkey) WITH ORDINALITY AS u (attnum, n)
                        WHERE c.conrelid = 'observations'::regclass AND c.contype = 'p') k
               ON k.attnum = a.attnum
             WHERE a.attrelid = 'observations'::regclass AND a.attnum > 0 AND NOT a.attisdropped"
        )
    }
}
