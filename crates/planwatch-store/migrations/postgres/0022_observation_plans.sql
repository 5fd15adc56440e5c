-- Observations carry their plan (issue 16): `plan_id`, the plan of the row's indicator, leads the
-- primary key, so that partitioning the table by plan (PARTITION BY LIST or HASH (plan_id),
-- `scripts/partition-observations`) or distributing it by plan (Citus) is a change of
-- configuration: PostgreSQL requires the partition key in every unique index, and every read and
-- write of the store names the plan (`o.plan_id = $1`), which lets the planner prune to one
-- partition.
--
-- Why plan_id first in the key rather than last: a B-tree entry holds every key column wherever
-- it stands, so the key's size is the same either way (the plan id's bytes more per row than
-- before, in the index as in the table). First, a plan's rows are one range of the key on an
-- unpartitioned table as well (a plan's first-load check, its export, a look-up by indicator
-- and region all start inside that range instead of among every plan's rows), and the key's
-- order is that of a table partitioned or distributed by plan. The cost: a look-up that does not
-- name the plan cannot walk the key; every statement of the store names it.
--
-- `COLLATE "C"`: plan ids are ASCII identifiers; byte order is what `migrate`, `backup` and
-- their digests read keys in (`ORDER BY … COLLATE "C"`), so the key serves that order too
-- instead of a sort of the whole table.
--
-- The table is rebuilt rather than updated in place (an UPDATE of every row would leave the
-- table twice its size until a VACUUM FULL): written once, its key built once. Rows whose
-- indicator is missing (none should be: indicators are never deleted) fail the NOT NULL, and
-- with it the migration, rather than being left out.
CREATE TABLE observations_0022 (
    plan_id TEXT COLLATE "C" NOT NULL,
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
    source_row BIGINT NOT NULL
);

INSERT INTO observations_0022
    (plan_id, indicator_id, region_id, period, revision, value, status, source, note, flags,
     batch_id, source_row)
SELECT i.plan_id, o.indicator_id, o.region_id, o.period, o.revision, o.value, o.status, o.source,
       o.note, o.flags, o.batch_id, o.source_row
FROM observations o LEFT JOIN indicators i ON i.id = o.indicator_id;

DROP TABLE observations;
ALTER TABLE observations_0022 RENAME TO observations;
ALTER TABLE observations ADD CONSTRAINT observations_pkey
    PRIMARY KEY (plan_id, indicator_id, region_id, period, revision);
ANALYZE observations;
