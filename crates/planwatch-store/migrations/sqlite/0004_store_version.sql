-- The store's version: one row, raised in the same transaction as every change an evaluation
-- reads (an import, an assessment, a set of region targets). Caches and ETags key on it. A
-- counter written at commit, rather than MAX(id) of the tables, because ids are handed out when
-- a row is inserted, not when it commits: on PostgreSQL a transaction holding a lower id can
-- commit after one holding a higher id, and MAX(id) would then not move.
CREATE TABLE store_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    changed_at TEXT
);
INSERT INTO store_version (id, version, changed_at)
SELECT 1,
       (SELECT COALESCE(MAX(id), 0) FROM batches) + (SELECT COALESCE(MAX(id), 0) FROM assessments)
           + (SELECT COALESCE(MAX(id), 0) FROM target_sets),
       (SELECT MAX(imported_at) FROM batches);
