-- See migrations/sqlite/0002_assessments.sql.
CREATE TABLE assessments (
    id BIGSERIAL PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    indicator_id BIGINT NOT NULL REFERENCES indicators (id),
    year INTEGER NOT NULL,
    text TEXT NOT NULL,
    assessed_by TEXT NOT NULL,
    assessed_at TEXT NOT NULL
);
CREATE INDEX assessments_plan ON assessments (plan_id, indicator_id, year);
