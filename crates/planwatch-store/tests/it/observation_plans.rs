//! Observations carry their plan (migration `0022_observation_plans`, issue 16): a store made
//! before it, with two plans' observations, gets each row's plan filled in from its indicator and
//! the plan at the head of the key, and reads and imports on as before.

use planwatch_plan::Period::Year;
use planwatch_store::ObservationFilter;

use crate::{
    accept_digest_of, backup_of, import_known_since, plan, row, stores, stores_filled_before,
    tester, values,
};

/// The store's data as the migrations before 0022 left it: the example plan and another, with
/// the same indicator and region codes, each with observations (a revision among them), written
/// as the store wrote them then.
const BEFORE_0022: &str = "
    INSERT INTO plans (id, title, document, updated_at) VALUES
      ('example-trade-2021-2025', '示例', '{}', '2024-01-01 00:00:00'),
      ('other-plan', '其他', '{}', '2024-01-01 00:00:00');
    INSERT INTO plan_versions (plan_id, version, changed_at) VALUES
      ('example-trade-2021-2025', 3, '2024-01-03 00:00:00'),
      ('other-plan', 1, '2024-01-02 00:00:00');
    INSERT INTO indicators (plan_id, code) VALUES
      ('example-trade-2021-2025', 'retail_sales'), ('other-plan', 'retail_sales');
    INSERT INTO regions (plan_id, code) VALUES
      ('example-trade-2021-2025', '440100'), ('example-trade-2021-2025', '440103'),
      ('other-plan', '440100');
    INSERT INTO batches (plan_id, file_name, checksum, imported_by, imported_at) VALUES
      ('example-trade-2021-2025', 'a.csv', 'a', 'test', '2024-01-01 00:00:00'),
      ('other-plan', 'b.csv', 'b', 'test', '2024-01-02 00:00:00'),
      ('example-trade-2021-2025', 'c.csv', 'c', 'test', '2024-01-03 00:00:00');
    INSERT INTO observations
      (indicator_id, region_id, period, revision, value, status, source, note, flags, batch_id, source_row)
    SELECT i.id, r.id, 202200, v.column3, v.column4, 1, 'test', NULL, 0, b.id, 2
    FROM (VALUES ('example-trade-2021-2025', '440100', 1, 100.0, 'a.csv'),
                 ('example-trade-2021-2025', '440103', 1, 40.0, 'a.csv'),
                 ('other-plan', '440100', 1, 7.0, 'b.csv'),
                 ('example-trade-2021-2025', '440100', 2, 101.0, 'c.csv')) AS v
    JOIN indicators i ON i.plan_id = v.column1 AND i.code = 'retail_sales'
    JOIN regions r ON r.plan_id = v.column1 AND r.code = v.column2
    JOIN batches b ON b.file_name = v.column5;";

#[tokio::test]
async fn the_migration_gives_every_observation_its_plan() {
    let stores = stores_filled_before("observation plans", BEFORE_0022).await;
    let plan = plan();
    for (backend, store) in &stores.stores {
        let (columns, per_plan) = observations_now(&stores.url(backend)).await;
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
        let all = ObservationFilter::default();
        assert_eq!(values(store, &plan, &all).await, [101.0, 40.0], "{backend}");
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
            store,
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
            values(store, &plan, &all).await,
            [101.0, 45.0, 50.0],
            "{backend}"
        );
        let (_, per_plan) = observations_now(&stores.url(backend)).await;
        assert_eq!(
            per_plan[0],
            ("example-trade-2021-2025".to_owned(), 5),
            "{backend}"
        );
    }
    stores.drop_databases().await;
}

/// Makes the backup at `path` one of the schema before observations carried their plan, as
/// that planwatch wrote it: `observations` without `plan_id`, keyed as it was then.
async fn as_before_observation_plans(path: &std::path::Path) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE observations_then (
             indicator_id INTEGER NOT NULL, region_id INTEGER NOT NULL, period INTEGER NOT NULL,
             revision INTEGER NOT NULL, value REAL NOT NULL, status INTEGER NOT NULL, source TEXT,
             note TEXT, flags INTEGER NOT NULL DEFAULT 0, batch_id INTEGER NOT NULL,
             source_row INTEGER NOT NULL,
             PRIMARY KEY (indicator_id, region_id, period, revision)) WITHOUT ROWID;
         INSERT INTO observations_then
         SELECT indicator_id, region_id, period, revision, value, status, source, note, flags,
                batch_id, source_row FROM observations;
         DROP TABLE observations;
         ALTER TABLE observations_then RENAME TO observations;
         DELETE FROM _sqlx_migrations WHERE description = 'observation plans';",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

/// A backup made before observations carried their plan verifies (its observations read in the
/// key order of then), and restores into either backend with each row's plan.
#[tokio::test]
async fn a_backup_of_the_schema_before_observation_plans_restores() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, path) = backup_of(dir.path(), |plan| {
        vec![
            row(plan, 2, "retail_sales", "440103", Year(2022), 1.0),
            row(plan, 3, "retail_sales", "440100", Year(2022), 3.0),
        ]
    })
    .await;
    as_before_observation_plans(&path).await;
    // Its digest is now that of the table without the column (the names are digested too).
    assert_eq!(accept_digest_of(&path, "observations").await, 2);

    let stores = stores().await;
    for (backend, store) in &stores.stores {
        store.restore(&path, false, &mut |_| {}).await.unwrap();
        let all = ObservationFilter::default();
        assert_eq!(values(store, &plan, &all).await, [3.0, 1.0], "{backend}");
        let (_, per_plan) = observations_now(&stores.url(backend)).await;
        assert_eq!(
            per_plan,
            [("example-trade-2021-2025".to_owned(), 2)],
            "{backend}"
        );
    }
    stores.drop_databases().await;
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

/// The columns of `observations` (name, position in the primary key from 1, 0 when not in it)
/// and its rows per plan.
async fn observations_now(url: &str) -> (Vec<(String, i64)>, Vec<(String, i64)>) {
    /// The same reads on either backend's pool, the columns by `$columns`.
    macro_rules! read {
        ($pool:expr, $columns:expr) => {{
            let pool = $pool;
            let columns: Vec<(String, i64)> =
                sqlx::query_as($columns).fetch_all(&pool).await.unwrap();
            let per_plan = sqlx::query_as(
                "SELECT plan_id, COUNT(*) FROM observations GROUP BY plan_id ORDER BY plan_id",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
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
