-- Planwatch store, SQLite. The PostgreSQL schema (migrations/postgres) has the same tables and
-- columns; only types differ. Never edit a migration once released: add a new one.

-- A plan, kept whole as JSON in planwatch-plan's format (the plan file, as `plan show --format json`).
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Integer ids for indicators and regions keep observation keys small. Rows are added when a plan
-- is saved and never deleted while observations refer to them.
CREATE TABLE indicators (
    id INTEGER PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    UNIQUE (plan_id, code)
);

CREATE TABLE regions (
    id INTEGER PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    UNIQUE (plan_id, code)
);

-- One import: who, when, which file. Timestamps are UTC text 'YYYY-MM-DD HH:MM:SS' in both
-- backends, so that the same comparisons work on both.
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    rows_read INTEGER NOT NULL DEFAULT 0,
    revisions INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0
);

-- Every revision of every value; never updated except for warning flags. The latest revision of a
-- key is the one with the highest `revision`; "as of" a date, the highest whose batch was
-- imported by then. `period` is planwatch_plan::Period::key (YYYY00, YYYYMM, YYYY2Q).
-- `status`: 0 provisional, 1 final, 2 revised, 3 estimated, 4 forecast.
-- `flags`: 1 large change from the previous period, 2 districts above the city total.
-- No foreign keys on this table, on purpose: checking three of them for every row made bulk
-- imports several times slower (on PostgreSQL, per-row triggers: 11 s of 16 s for a million
-- rows). The store writes it only from ids it has just read for the plan (planwatch-store's
-- import), and never deletes indicators, regions or batches that rows refer to.
CREATE TABLE observations (
    indicator_id INTEGER NOT NULL,
    region_id INTEGER NOT NULL,
    period INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    value REAL NOT NULL,
    status INTEGER NOT NULL,
    source TEXT,
    note TEXT,
    flags INTEGER NOT NULL DEFAULT 0,
    batch_id INTEGER NOT NULL,
    source_row INTEGER NOT NULL,
    PRIMARY KEY (indicator_id, region_id, period, revision)
) WITHOUT ROWID;
