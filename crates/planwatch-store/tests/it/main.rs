//! The store's behaviour, the same on both backends: every test runs on SQLite (a temporary
//! file) and on PostgreSQL (a fresh database on the server named by `PLANWATCH_TEST_PG`, by
//! default the local one CI starts).

mod accounts;
mod audited;
mod known;
mod migrate;
mod notices;
mod observation_plans;
mod projects;
mod report_texts;
mod story;
mod supervision;
mod tasks;
mod versions;
mod workflow;

use planwatch_plan::{ObsStatus, ObservationRow, Period, Plan, read_plan};
use planwatch_store::{
    BatchInfo, Feed, ImportError, ImportOutcome, ImportSettings, ObservationFilter, Store, Who,
    verify_backup,
};
use sqlx::migrate::Migrator;

/// Who the tests' writes are audited as.
pub(crate) fn tester() -> Who {
    Who {
        actor: "cli:tester".into(),
        role: "admin".into(),
        client: None,
    }
}

/// The example plan of the repository.
pub(crate) fn plan() -> Plan {
    read_plan(
        "example.toml",
        include_str!("../../../../plans/example-minimal.toml"),
    )
    .unwrap()
}

/// A store of each backend; PostgreSQL databases are dropped afterwards.
pub(crate) struct TestStores {
    pub(crate) stores: Vec<(&'static str, Store)>,
    _dir: tempfile::TempDir,
    pg_admin: String,
    pg_database: String,
}

pub(crate) async fn stores() -> TestStores {
    open_stores(None).await
}

/// Stores whose schema was brought up to the migration before `migration` (named by its
/// description, e.g. `plan versions`, not by its number), filled by the SQL `fill` as a store of
/// that schema would hold it, then opened, which runs the migrations from `migration` on.
pub(crate) async fn stores_filled_before(migration: &str, fill: &'static str) -> TestStores {
    open_stores(Some((migration, fill))).await
}

/// The migrations of `migrator` before the one named `migration`.
fn migrations_before(migrator: &Migrator, migration: &str) -> Migrator {
    let end = migrator
        .iter()
        .position(|m| m.description == migration)
        .unwrap_or_else(|| panic!("no migration named {migration:?}"));
    Migrator::with_migrations(migrator.iter().take(end).cloned().collect())
}

async fn open_stores(before: Option<(&str, &'static str)>) -> TestStores {
    let dir = tempfile::tempdir().unwrap();
    let sqlite_path = dir.path().join("test.db");
    let admin = std::env::var("PLANWATCH_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let database = format!(
        "planwatch_test_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let pool = sqlx::PgPool::connect(&admin).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin} is needed for the test suite (.ci/run starts it): {e}")
    });
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let url = match admin.rfind('/') {
        Some(slash) => format!("{}/{database}", &admin[..slash]),
        None => unreachable!("a PostgreSQL URL has a path"),
    };
    if let Some((migration, fill)) = before {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&sqlite_path)
            .create_if_missing(true);
        let sqlite = sqlx::SqlitePool::connect_with(options).await.unwrap();
        migrations_before(&sqlx::migrate!("./migrations/sqlite"), migration)
            .run(&sqlite)
            .await
            .unwrap();
        sqlx::raw_sql(fill).execute(&sqlite).await.unwrap();
        sqlite.close().await;
        let postgres = sqlx::PgPool::connect(&url).await.unwrap();
        migrations_before(&sqlx::migrate!("./migrations/postgres"), migration)
            .run(&postgres)
            .await
            .unwrap();
        sqlx::raw_sql(fill).execute(&postgres).await.unwrap();
        postgres.close().await;
    }
    let sqlite = Store::open(sqlite_path.to_str().unwrap()).await.unwrap();
    let postgres = Store::open(&url).await.unwrap();
    TestStores {
        stores: vec![("sqlite", sqlite), ("postgres", postgres)],
        _dir: dir,
        pg_admin: admin,
        pg_database: database,
    }
}

impl TestStores {
    /// Whether the PostgreSQL store's `observations` has its primary key (a first load into an
    /// empty table drops it for the COPY and builds it again).
    pub(crate) async fn pg_primary_key_exists(&self) -> bool {
        self.pg_bool(
            "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'observations_pkey' AND contype = 'p')",
        )
        .await
    }

    /// Whether the PostgreSQL store's `observations` was vacuumed by hand (not by autovacuum):
    /// an aborted first load's dead rows are vacuumed away at once. (Whether the table then takes
    /// no pages is not asked: VACUUM gives its truncation up when it cannot have the table to
    /// itself at that moment, so that is not always so.)
    pub(crate) async fn pg_observations_were_vacuumed(&self) -> bool {
        self.pg_bool(
            "SELECT last_vacuum IS NOT NULL FROM pg_stat_all_tables WHERE relname = 'observations'",
        )
        .await
    }

    /// The answer to a query on the PostgreSQL store, from a session of its own.
    async fn pg_bool(&self, sql: &'static str) -> bool {
        let pool = sqlx::PgPool::connect(&self.pg_url()).await.unwrap();
        let answer: bool = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        answer
    }

    /// The URL of `backend`'s store, for a second process's view of it.
    pub(crate) fn url(&self, backend: &str) -> String {
        if backend == "sqlite" {
            format!("sqlite://{}", self._dir.path().join("test.db").display())
        } else {
            self.pg_url()
        }
    }

    /// The URL of the PostgreSQL store's database.
    fn pg_url(&self) -> String {
        match self.pg_admin.rfind('/') {
            Some(slash) => format!("{}/{}", &self.pg_admin[..slash], self.pg_database),
            None => unreachable!("a PostgreSQL URL has a path"),
        }
    }

    /// Runs `sql` on `backend`'s database behind the store's back, as someone with access to
    /// the database itself would.
    pub(crate) async fn execute_raw(&self, backend: &str, sql: &str) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        if backend == "sqlite" {
            let url = format!("sqlite://{}", self._dir.path().join("test.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await?;
            let result = sqlx::raw_sql(sql).execute(&pool).await;
            pool.close().await;
            result.map(drop)
        } else {
            let pool = sqlx::PgPool::connect(&self.pg_url()).await?;
            let result = sqlx::raw_sql(sql).execute(&pool).await;
            pool.close().await;
            result.map(drop)
        }
    }

    /// The tables of `backend`'s database, sorted, as the database itself lists them.
    pub(crate) async fn table_names(&self, backend: &str) -> Vec<String> {
        let mut names: Vec<String> = if backend == "sqlite" {
            let url = format!("sqlite://{}", self._dir.path().join("test.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let names = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            pool.close().await;
            names
        } else {
            let pool = sqlx::PgPool::connect(&self.pg_url()).await.unwrap();
            let names = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            pool.close().await;
            names
        };
        names.retain(|name| name != "_sqlx_migrations");
        names.sort();
        names
    }

    /// `(table, columns of its primary key in order, tables its foreign keys name)` of every
    /// table of the SQLite store.
    pub(crate) async fn sqlite_keys(&self) -> Vec<(String, Vec<String>, Vec<String>)> {
        let url = format!("sqlite://{}", self._dir.path().join("test.db").display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let mut keys = Vec::new();
        for table in self.table_names("sqlite").await {
            let key = sqlx::query_scalar(
                "SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk",
            )
            .bind(&table)
            .fetch_all(&pool)
            .await
            .unwrap();
            let parents =
                sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)")
                    .bind(&table)
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            keys.push((table, key, parents));
        }
        pool.close().await;
        keys
    }

    pub(crate) async fn drop_databases(self) {
        for (_, store) in &self.stores {
            store.close().await.unwrap();
        }
        let pool = sqlx::PgPool::connect(&self.pg_admin).await.unwrap();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.pg_database
        )))
        .execute(&pool)
        .await;
    }
}

/// A row of the example plan: indicator and region by code.
pub(crate) fn row(
    plan: &Plan,
    line: usize,
    indicator: &str,
    region: &str,
    period: Period,
    value: f64,
) -> ObservationRow {
    ObservationRow {
        row: line,
        indicator: plan
            .indicators
            .iter()
            .position(|i| i.code == indicator)
            .unwrap(),
        region: plan.regions.iter().position(|r| r.code == region).unwrap(),
        period,
        value,
        status: ObsStatus::Final,
        source: Some("test".into()),
        note: None,
    }
}

/// How a test's feed ends.
pub(crate) enum End {
    Finish,
    Abort,
}

/// Imports the rows as one file (its checksum `sum-FILE`), finishing (or aborting) the feed.
pub(crate) async fn import(
    store: &Store,
    plan: &Plan,
    file: &str,
    rows: Vec<ObservationRow>,
    last: End,
    settings: ImportSettings,
) -> Result<ImportOutcome, ImportError> {
    feed(store, plan, (file, None), rows, last, settings).await
}

/// Imports the rows as one whole file, with the default settings, its values known since a
/// date (`None`: now).
pub(crate) async fn import_known_since(
    store: &Store,
    plan: &Plan,
    file: &str,
    rows: Vec<ObservationRow>,
    known_since: Option<&str>,
) -> Result<ImportOutcome, ImportError> {
    let settings = ImportSettings::default();
    feed(
        store,
        plan,
        (file, known_since),
        rows,
        End::Finish,
        settings,
    )
    .await
}

/// A backup, at `dir/old.backup`, of an SQLite store holding the example plan and `rows` (made
/// for that plan) in one import; with the plan. Tests of old backups rewrite it to the schema of
/// then.
pub(crate) async fn backup_of(
    dir: &std::path::Path,
    rows: impl FnOnce(&Plan) -> Vec<ObservationRow>,
) -> (Plan, std::path::PathBuf) {
    let source = Store::open(dir.join("source.db").to_str().unwrap())
        .await
        .unwrap();
    let plan = plan();
    source.save_plan(&tester(), &plan).await.unwrap();
    import_known_since(&source, &plan, "a.csv", rows(&plan), None)
        .await
        .unwrap();
    let path = dir.join("old.backup");
    source.backup(&path, &mut |_| {}).await.unwrap();
    source.close().await.unwrap();
    (plan, path)
}

/// Takes the digest today's verification finds for `table` of the old backup at `path` into the
/// backup's manifest (a rewritten table's digest differs from the one the backup was made with,
/// its columns being digested too), checks that the backup then verifies, and gives the table's
/// rows.
pub(crate) async fn accept_digest_of(path: &std::path::Path, table: &str) -> u64 {
    let found = verify_backup(path).await.unwrap().found;
    let old = found.iter().find(|t| t.table == table);
    let old = old.expect("the old table is read from an old backup");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE backup_manifest SET digest = $1 WHERE name = $2")
        .bind(&old.digest)
        .bind(table)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let verification = verify_backup(path).await.unwrap();
    assert!(verification.ok(), "{verification:#?}");
    old.rows
}

/// The values `observations` returns for the filter, in its order.
pub(crate) async fn values(store: &Store, plan: &Plan, filter: &ObservationFilter) -> Vec<f64> {
    let observations = store.observations(plan, filter).await.unwrap();
    observations.iter().map(|o| o.value).collect()
}

/// Feeds the rows of `file` (known since a date, or now) to the store, chunk by chunk.
async fn feed(
    store: &Store,
    plan: &Plan,
    (file, known_since): (&str, Option<&str>),
    rows: Vec<ObservationRow>,
    last: End,
    settings: ImportSettings,
) -> Result<ImportOutcome, ImportError> {
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let last = match last {
        End::Finish => Feed::Finish {
            checksum: format!("sum-{file}"),
        },
        End::Abort => Feed::Abort,
    };
    let batch = BatchInfo {
        file_name: file.into(),
        imported_by: "test".into(),
        known_since: known_since.map(str::to_owned),
        revision_reason: None,
    };
    let feeder = tokio::spawn(async move {
        for chunk in rows.chunks(2) {
            if sender.send(Feed::Rows(chunk.to_vec())).await.is_err() {
                return;
            }
        }
        let _ = sender.send(last).await;
    });
    let outcome = store
        .import(&tester(), plan, batch, receiver, settings)
        .await;
    feeder.await.unwrap();
    outcome
}
