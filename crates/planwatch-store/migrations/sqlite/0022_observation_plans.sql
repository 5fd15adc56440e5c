-- Observations carry their plan (issue 16): `plan_id`, the plan of the row's indicator, leads the
-- primary key, as on PostgreSQL (see migrations/postgres/0022_observation_plans.sql for why
-- first: the key's size is the same wherever the plan id stands; first, a plan's rows are one
-- range of the key). SQLite cannot change a table's key in place: the table is rebuilt (created
-- new, filled, the old dropped, the new renamed; it had no other index). Rows whose indicator is
-- missing fail the NOT NULL, and with it the migration, rather than being left out.
CREATE TABLE observations_0022 (
    plan_id TEXT NOT NULL,
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
    PRIMARY KEY (plan_id, indicator_id, region_id, period, revision)
) WITHOUT ROWID;

INSERT INTO observations_0022
    (plan_id, indicator_id, region_id, period, revision, value, status, source, note, flags,
     batch_id, source_row)
SELECT i.plan_id, o.indicator_id, o.region_id, o.period, o.revision, o.value, o.status, o.source,
       o.note, o.flags, o.batch_id, o.source_row
FROM observations o LEFT JOIN indicators i ON i.id = o.indicator_id
ORDER BY 1, 2, 3, 4, 5;

DROP TABLE observations;
ALTER TABLE observations_0022 RENAME TO observations;
