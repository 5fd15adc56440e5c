-- Planwatch store, PostgreSQL. Same tables and columns as migrations/sqlite; see the comments
-- there (including why observations carries no foreign keys). Ready to distribute with Citus: observations by indicator_id (it leads every key).

CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE indicators (
    id BIGSERIAL PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    UNIQUE (plan_id, code)
);

CREATE TABLE regions (
    id BIGSERIAL PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    UNIQUE (plan_id, code)
);

CREATE TABLE batches (
    id BIGSERIAL PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    rows_read BIGINT NOT NULL DEFAULT 0,
    revisions BIGINT NOT NULL DEFAULT 0,
    warnings BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE observations (
    indicator_id BIGINT NOT NULL,
    region_id BIGINT NOT NULL,
    period INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    status INTEGER NOT NULL,
    source TEXT,
    note TEXT,
    flags INTEGER NOT NULL DEFAULT 0,
    batch_id BIGINT NOT NULL,
    source_row BIGINT NOT NULL,
    PRIMARY KEY (indicator_id, region_id, period, revision)
);
