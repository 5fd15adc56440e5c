-- A planner's assessment of an indicator in a year, in words: what a qualitative target
-- (走在全国前列) is evaluated by. Never updated: a new assessment supersedes the older ones.
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    indicator_id INTEGER NOT NULL REFERENCES indicators (id),
    year INTEGER NOT NULL,
    text TEXT NOT NULL,
    assessed_by TEXT NOT NULL,
    assessed_at TEXT NOT NULL
);
CREATE INDEX assessments_plan ON assessments (plan_id, indicator_id, year);
