//! Copying a whole store into another, of either backend (`planwatch migrate`, `backup`,
//! `restore`), and the content digest of each table that shows the copy is faithful.
//!
//! The source is read in one transaction (PostgreSQL: `REPEATABLE READ READ ONLY`; SQLite: one
//! read transaction, a snapshot under WAL), so a store in use copies as it stood at one moment.
//! Each table of [`TABLES`] is streamed in primary-key order and written in multi-row inserts
//! inside one transaction of the target, ids kept; PostgreSQL's sequences are moved past the
//! highest id after. A target with any row (other than the one-row tables every store has) is
//! refused unless forced; forced, it is emptied in the same transaction.
//!
//! The digest of a table is SHA-256 over its column names (sorted) and then each row, in
//! primary-key order (text keys in byte order on both backends), each value as a tag byte and
//! its bytes: NULL `0`; an integer or boolean `1` and 8 bytes big-endian (booleans as 0 and 1);
//! a float `2` and the 8 bytes of its IEEE 754 bits big-endian (−0 as 0: SQLite keeps no
//! negative zero); text `3`, its length as 8 bytes and its UTF-8; bytes `4`, length and bytes.
//! Column names are hashed as text values. The same data gives the same digest on both
//! backends; see `docs/scaling.md`.

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::postgres::{PgRow, Postgres};
use sqlx::sqlite::{Sqlite, SqliteRow};

use crate::tables::{TABLES, Table};
use crate::{Db, Result, Store, StoreError};

/// A table's row count and content digest (see the module's documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    pub table: String,
    pub rows: u64,
    /// SHA-256, hexadecimal.
    pub digest: String,
}

/// What [`Store::copy_into`] copied: the digests of the source (worked out as it was read) and
/// of the target (read back after the commit), table by table in the order of [`TABLES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub source: Vec<TableDigest>,
    pub target: Vec<TableDigest>,
}

impl CopyReport {
    /// Whether every table's count and digest are the same on both sides.
    pub fn verified(&self) -> bool {
        self.source == self.target
    }
}

/// How far a copy has gone, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyProgress<'a> {
    /// Rows to copy in all (counted in the source's snapshot before the copy starts).
    Total(u64),
    /// The copy of a table starts.
    Table(&'a str),
    /// This many more rows were copied.
    Rows(u64),
}

/// A callback told of a copy's progress.
pub type OnProgress<'a> = &'a mut (dyn FnMut(CopyProgress<'_>) + Send);

/// How a column is stored by a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    I64,
    I32,
    F64,
    Bool,
    Text,
    Bytes,
}

/// A column, by name and how it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    name: String,
    kind: Kind,
}

/// A value as the copy and the digest see it, the same from both backends.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A value typed for the column it is written to.
enum Typed {
    I64(Option<i64>),
    I32(Option<i32>),
    F64(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

fn typed(value: Value, table: &str, column: &Column) -> Result<Typed> {
    let mismatch = |value: &Value| StoreError::SchemaMismatch {
        table: table.to_owned(),
        detail: format!(
            "the value {value:?} does not fit the column {} ({:?})",
            column.name, column.kind
        ),
    };
    Ok(match (column.kind, value) {
        (Kind::I64, Value::Null) => Typed::I64(None),
        (Kind::I32, Value::Null) => Typed::I32(None),
        (Kind::F64, Value::Null) => Typed::F64(None),
        (Kind::Bool, Value::Null) => Typed::Bool(None),
        (Kind::Text, Value::Null) => Typed::Text(None),
        (Kind::Bytes, Value::Null) => Typed::Bytes(None),
        (Kind::I64, Value::Int(v)) => Typed::I64(Some(v)),
        (Kind::I32, Value::Int(v)) => Typed::I32(Some(
            i32::try_from(v).map_err(|_| mismatch(&Value::Int(v)))?,
        )),
        (Kind::Bool, Value::Int(v)) => Typed::Bool(Some(v != 0)),
        (Kind::F64, Value::Real(v)) => Typed::F64(Some(v)),
        (Kind::Text, Value::Text(v)) => Typed::Text(Some(v)),
        (Kind::Bytes, Value::Blob(v)) => Typed::Bytes(Some(v)),
        (_, value) => return Err(mismatch(&value)),
    })
}

/// The kind of a column as SQLite declares it (`PRAGMA table_info`) or PostgreSQL
/// (`information_schema.columns.data_type`).
fn kind_of(db: &Db, declared: &str) -> Option<Kind> {
    match db {
        Db::Sqlite(_) => {
            let declared = declared.to_ascii_uppercase();
            let has = |part: &str| declared.contains(part);
            if has("INT") {
                Some(Kind::I64)
            } else if has("BOOL") {
                Some(Kind::Bool)
            } else if has("REAL") || has("DOUB") || has("FLOA") {
                Some(Kind::F64)
            } else if has("BLOB") {
                Some(Kind::Bytes)
            } else if has("TEXT") || has("CHAR") {
                Some(Kind::Text)
            } else {
                None
            }
        }
        Db::Postgres(_) => match declared {
            "bigint" => Some(Kind::I64),
            "integer" => Some(Kind::I32),
            "double precision" => Some(Kind::F64),
            "boolean" => Some(Kind::Bool),
            "text" => Some(Kind::Text),
            "bytea" => Some(Kind::Bytes),
            _ => None,
        },
    }
}

/// The columns of `table` in `db`, sorted by name; empty when the table is not there.
pub(crate) async fn columns(db: &Db, table: &str) -> Result<Vec<Column>> {
    let declared: Vec<(String, String)> = match db {
        Db::Sqlite(pool) => {
            sqlx::query_as("SELECT name, type FROM pragma_table_info($1)")
                .bind(table)
                .fetch_all(pool)
                .await?
        }
        Db::Postgres(pool) => {
            sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1",
            )
            .bind(table)
            .fetch_all(pool)
            .await?
        }
    };
    let mut columns = declared
        .into_iter()
        .map(|(name, declared)| match kind_of(db, &declared) {
            Some(kind) => Ok(Column { name, kind }),
            None => Err(StoreError::SchemaMismatch {
                table: table.to_owned(),
                detail: format!("the column {name} has the type {declared}, which is not copied"),
            }),
        })
        .collect::<Result<Vec<_>>>()?;
    columns.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(columns)
}

/// A transaction of either backend.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// Runs the same code against whichever transaction `$tx` is; `$conn` is bound to it.
macro_rules! with_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            Tx::Sqlite($conn) => $body,
            Tx::Postgres($conn) => $body,
        }
    };
}

/// Binds a [`Typed`] value to a query of either backend.
macro_rules! bind_typed {
    ($query:expr, $value:expr) => {
        match $value {
            Typed::I64(v) => $query.bind(v),
            Typed::I32(v) => $query.bind(v),
            Typed::F64(v) => $query.bind(v),
            Typed::Bool(v) => $query.bind(v),
            Typed::Text(v) => $query.bind(v),
            Typed::Bytes(v) => $query.bind(v),
        }
    };
}

/// Reads the column `$i` of `$row` as `$kind` with the row's getter `$get`.
macro_rules! read_value {
    ($row:expr, $i:expr, $kind:expr, $get:ident) => {
        match $kind {
            Kind::I64 => $row.$get::<Option<i64>, _>($i)?.map(Value::Int),
            Kind::I32 => $row
                .$get::<Option<i32>, _>($i)?
                .map(|v| Value::Int(v.into())),
            Kind::F64 => $row.$get::<Option<f64>, _>($i)?.map(Value::Real),
            Kind::Bool => $row
                .$get::<Option<bool>, _>($i)?
                .map(|v| Value::Int(v.into())),
            Kind::Text => $row.$get::<Option<String>, _>($i)?.map(Value::Text),
            Kind::Bytes => $row.$get::<Option<Vec<u8>>, _>($i)?.map(Value::Blob),
        }
        .unwrap_or(Value::Null)
    };
}

/// SQLite's values as stored (its columns take what they are given, so they are read by the
/// column's declared kind).
fn sqlite_row(row: &SqliteRow, columns: &[Column]) -> Result<Vec<Value>> {
    let mut values = Vec::with_capacity(columns.len());
    for (i, column) in columns.iter().enumerate() {
        values.push(read_value!(row, i, column.kind, try_get_unchecked));
    }
    Ok(values)
}

fn pg_row(row: &PgRow, columns: &[Column]) -> Result<Vec<Value>> {
    let mut values = Vec::with_capacity(columns.len());
    for (i, column) in columns.iter().enumerate() {
        values.push(read_value!(row, i, column.kind, try_get));
    }
    Ok(values)
}

fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

impl Tx {
    /// A transaction that reads one snapshot of the store.
    pub(crate) async fn read(db: &Db) -> Result<Tx> {
        Ok(match db {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }

    /// A transaction that writes (on SQLite it takes the write lock at once).
    async fn write(db: &Db) -> Result<Tx> {
        Ok(match db {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    async fn commit(self) -> Result<()> {
        with_tx!(self, |tx| tx.commit().await?);
        Ok(())
    }

    async fn execute(&mut self, sql: String) -> Result<()> {
        with_tx!(self, |tx| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut **tx)
                .await
                .map(drop)?
        });
        Ok(())
    }

    async fn count(&mut self, table: &str) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM {}", quoted(table));
        let count: i64 = with_tx!(self, |tx| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut **tx)
                .await?
        });
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Streams `table`'s rows, in key order, into `sink`.
    async fn read_table(
        &mut self,
        table: &Table,
        columns: &[Column],
        sink: &mut Sink<'_, '_>,
    ) -> Result<()> {
        let postgres = matches!(self, Tx::Postgres(_));
        // The key's columns the table has: a backup of an earlier schema may lack one added to
        // the key since (`observations.plan_id`, migration `0022_observation_plans`), and was
        // digested in the order of the others then.
        let order = table
            .key
            .iter()
            .filter(|key| columns.iter().any(|c| c.name == **key))
            .map(|key| {
                let text = columns
                    .iter()
                    .any(|c| c.name == *key && c.kind == Kind::Text);
                // Text keys in byte order on both backends (SQLite's BINARY collation).
                if postgres && text {
                    format!("{} COLLATE \"C\"", quoted(key))
                } else {
                    quoted(key)
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let names = columns
            .iter()
            .map(|c| quoted(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {names} FROM {} ORDER BY {order}",
            quoted(table.name)
        );
        match self {
            Tx::Sqlite(tx) => {
                let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut **tx);
                while let Some(row) = rows.try_next().await? {
                    sink.push(sqlite_row(&row, columns)?).await?;
                }
            }
            Tx::Postgres(tx) => {
                let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut **tx);
                while let Some(row) = rows.try_next().await? {
                    sink.push(pg_row(&row, columns)?).await?;
                }
            }
        }
        sink.flush().await
    }

    /// Inserts `rows` (values in the order of `columns`) into `table` in one statement.
    async fn insert(
        &mut self,
        table: &str,
        columns: &[Column],
        rows: Vec<Vec<Value>>,
    ) -> Result<()> {
        let names = columns
            .iter()
            .map(|c| quoted(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        // SQLite: positional `?` (with `$N` each bind is looked up by name, quadratic in the
        // statement's parameters); PostgreSQL knows only `$N`.
        let postgres = matches!(self, Tx::Postgres(_));
        let mut placeholders = String::new();
        let mut n = 0;
        for i in 0..rows.len() {
            placeholders.push_str(if i == 0 { "(" } else { ",(" });
            for j in 0..columns.len() {
                n += 1;
                if j > 0 {
                    placeholders.push(',');
                }
                if postgres {
                    placeholders.push_str(&format!("${n}"));
                } else {
                    placeholders.push('?');
                }
            }
            placeholders.push(')');
        }
        let sql = format!(
            "INSERT INTO {} ({names}) VALUES {placeholders}",
            quoted(table)
        );
        let mut values = Vec::with_capacity(n);
        for row in rows {
            for (value, column) in row.into_iter().zip(columns) {
                values.push(typed(value, table, column)?);
            }
        }
        with_tx!(self, |tx| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for value in values {
                query = bind_typed!(query, value);
            }
            query.execute(&mut **tx).await.map(drop)?
        });
        Ok(())
    }

    /// Empties the target before a copy: the one-row tables always (the copy brings their row),
    /// every table when `all` (a forced copy), children first. The audit log's guard against
    /// deletion (a trigger on each backend) is set aside for that inside the transaction.
    async fn empty(&mut self, all: bool) -> Result<()> {
        if !all {
            for table in TABLES.iter().filter(|t| t.singleton) {
                self.execute(format!("DELETE FROM {}", quoted(table.name)))
                    .await?;
            }
            return Ok(());
        }
        let guards: Vec<(String, String)> = match self {
            Tx::Sqlite(tx) => {
                sqlx::query_as(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'",
                )
                .fetch_all(&mut **tx)
                .await?
            }
            Tx::Postgres(_) => Vec::new(),
        };
        match self {
            Tx::Sqlite(_) => {
                for (name, _) in &guards {
                    self.execute(format!("DROP TRIGGER {}", quoted(name)))
                        .await?;
                }
            }
            Tx::Postgres(_) => {
                self.execute("ALTER TABLE audit_log DISABLE TRIGGER USER".to_owned())
                    .await?;
            }
        }
        for name in crate::tables::NOT_COPIED
            .iter()
            .copied()
            .chain(TABLES.iter().rev().map(|t| t.name))
        {
            self.execute(format!("DELETE FROM {}", quoted(name)))
                .await?;
        }
        match self {
            Tx::Sqlite(_) => {
                for (_, sql) in guards {
                    self.execute(sql).await?;
                }
            }
            Tx::Postgres(_) => {
                self.execute("ALTER TABLE audit_log ENABLE TRIGGER USER".to_owned())
                    .await?;
            }
        }
        Ok(())
    }

    /// On PostgreSQL, moves the id sequence of `table` (with its `columns`) past the highest id
    /// copied, so that the next row gets a new id. (SQLite takes the next id from the table.)
    async fn reset_sequence(&mut self, table: &Table, columns: &[Column]) -> Result<()> {
        let integer_id = columns
            .iter()
            .any(|c| c.name == "id" && matches!(c.kind, Kind::I64 | Kind::I32));
        if matches!(self, Tx::Postgres(_)) && integer_id && !table.singleton {
            self.execute(format!(
                "SELECT setval(pg_get_serial_sequence('{name}', 'id'),
                               COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)",
                name = table.name
            ))
            .await?;
        }
        Ok(())
    }
}

/// Works out a table's digest as its rows pass.
struct Digester {
    table: String,
    hasher: Sha256,
    rows: u64,
}

impl Digester {
    fn new(table: &str, columns: &[Column]) -> Digester {
        let mut hasher = Sha256::new();
        for column in columns {
            hash_value(&mut hasher, &Value::Text(column.name.clone()));
        }
        Digester {
            table: table.to_owned(),
            hasher,
            rows: 0,
        }
    }

    fn add(&mut self, row: &[Value]) {
        for value in row {
            hash_value(&mut self.hasher, value);
        }
        self.rows += 1;
    }

    fn finish(self) -> TableDigest {
        TableDigest {
            table: self.table,
            rows: self.rows,
            digest: hex::encode(self.hasher.finalize()),
        }
    }
}

fn hash_value(hasher: &mut Sha256, value: &Value) {
    let length = |n: usize| u64::try_from(n).unwrap_or(u64::MAX).to_be_bytes();
    match value {
        Value::Null => hasher.update([0]),
        Value::Int(v) => {
            hasher.update([1]);
            hasher.update(v.to_be_bytes());
        }
        Value::Real(v) => {
            hasher.update([2]);
            let v = if *v == 0.0 { 0.0_f64 } else { *v };
            hasher.update(v.to_bits().to_be_bytes());
        }
        Value::Text(v) => {
            hasher.update([3]);
            hasher.update(length(v.len()));
            hasher.update(v.as_bytes());
        }
        Value::Blob(v) => {
            hasher.update([4]);
            hasher.update(length(v.len()));
            hasher.update(v);
        }
    }
}

/// Where a table's rows go as they are read: into its digest, and (in a copy) in chunks into
/// the target's transaction.
struct Sink<'t, 'p> {
    digester: Digester,
    target: Option<(&'t mut Tx, &'t [Column])>,
    chunk: Vec<Vec<Value>>,
    chunk_rows: usize,
    progress: Option<OnProgress<'p>>,
}

impl<'t, 'p> Sink<'t, 'p> {
    fn new(
        table: &str,
        columns: &[Column],
        target: Option<(&'t mut Tx, &'t [Column])>,
        progress: Option<OnProgress<'p>>,
    ) -> Sink<'t, 'p> {
        // Within either backend's limit of bound parameters a statement (SQLite 32 766).
        let chunk_rows = (30_000 / columns.len().max(1)).clamp(1, 1_000);
        Sink {
            digester: Digester::new(table, columns),
            target,
            chunk: Vec::with_capacity(chunk_rows),
            chunk_rows,
            progress,
        }
    }

    async fn push(&mut self, row: Vec<Value>) -> Result<()> {
        self.digester.add(&row);
        if self.target.is_some() {
            self.chunk.push(row);
            if self.chunk.len() >= self.chunk_rows {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.chunk);
        let n = rows.len() as u64;
        if let Some((tx, columns)) = &mut self.target {
            tx.insert(&self.digester.table, columns, rows).await?;
        }
        if let Some(progress) = &mut self.progress {
            progress(CopyProgress::Rows(n));
        }
        Ok(())
    }
}

impl Store {
    /// The row count and content digest of every table of [`TABLES`] present in the store,
    /// read in one snapshot.
    pub async fn digests(&self) -> Result<Vec<TableDigest>> {
        self.digests_of(TABLES).await
    }

    /// [`Store::digests`] of `tables`, in their order: those the store has.
    pub(crate) async fn digests_of(
        &self,
        tables: impl IntoIterator<Item = &Table>,
    ) -> Result<Vec<TableDigest>> {
        let mut schema = Vec::with_capacity(TABLES.len());
        for table in tables {
            let columns = columns(&self.db, table.name).await?;
            if !columns.is_empty() {
                schema.push((table, columns));
            }
        }
        let mut read = Tx::read(&self.db).await?;
        let mut digests = Vec::new();
        for (table, columns) in schema {
            let mut sink = Sink::new(table.name, &columns, None, None);
            read.read_table(table, &columns, &mut sink).await?;
            digests.push(sink.digester.finish());
        }
        Ok(digests)
    }

    /// Copies every table of [`TABLES`] (not the sessions) into `target`, of either backend, in
    /// one transaction of the target, reading this store in one snapshot; then reads the target
    /// back and gives both sides' counts and digests. A target with data is refused
    /// ([`StoreError::TargetNotEmpty`]) unless `force`, which empties it in the same
    /// transaction. Both stores have the same schema (the same migrations).
    pub async fn copy_into(
        &self,
        target: &Store,
        force: bool,
        progress: OnProgress<'_>,
    ) -> Result<CopyReport> {
        let mut schema = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let source_columns = columns(&self.db, table.name).await?;
            let target_columns = columns(&target.db, table.name).await?;
            let names = |columns: &[Column]| -> Vec<String> {
                columns.iter().map(|c| c.name.clone()).collect()
            };
            if source_columns.is_empty() || names(&source_columns) != names(&target_columns) {
                return Err(StoreError::SchemaMismatch {
                    table: table.name.to_owned(),
                    detail: format!(
                        "the source has the columns {:?}, the target {:?} (are both stores of this version of planwatch?)",
                        names(&source_columns),
                        names(&target_columns)
                    ),
                });
            }
            schema.push((table, source_columns, target_columns));
        }
        let mut read = Tx::read(&self.db).await?;
        let mut total = 0;
        for table in TABLES {
            total += read.count(table.name).await?;
        }
        progress(CopyProgress::Total(total));
        let mut write = Tx::write(&target.db).await?;
        if !force {
            for table in TABLES.iter().filter(|t| !t.singleton) {
                let rows = write.count(table.name).await?;
                if rows > 0 {
                    return Err(StoreError::TargetNotEmpty {
                        table: table.name.to_owned(),
                        rows,
                    });
                }
            }
        }
        write.empty(force).await?;
        let mut source = Vec::with_capacity(schema.len());
        for (table, source_columns, target_columns) in &schema {
            progress(CopyProgress::Table(table.name));
            let mut sink = Sink::new(
                table.name,
                source_columns,
                Some((&mut write, target_columns)),
                Some(&mut *progress),
            );
            read.read_table(table, source_columns, &mut sink).await?;
            source.push(sink.digester.finish());
            write.reset_sequence(table, target_columns).await?;
        }
        write.commit().await?;
        drop(read);
        let target = target.digests().await?;
        Ok(CopyReport { source, target })
    }
}
