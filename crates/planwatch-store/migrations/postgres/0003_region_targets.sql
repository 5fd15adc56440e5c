-- See migrations/sqlite/0003_region_targets.sql.
CREATE TABLE target_sets (
    id BIGSERIAL PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);

CREATE TABLE region_targets (
    set_id BIGINT NOT NULL REFERENCES target_sets (id) ON DELETE CASCADE,
    indicator_id BIGINT NOT NULL REFERENCES indicators (id),
    target INTEGER NOT NULL,
    region_id BIGINT NOT NULL REFERENCES regions (id),
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (set_id, indicator_id, target, region_id)
);
