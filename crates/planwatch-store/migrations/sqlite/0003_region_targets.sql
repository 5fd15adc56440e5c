-- District (or department) targets: a planner's split of the plan's targets (按年度将任务目标分解落实
-- 到各区（市）县). A set is saved whole and never changed; the latest set of a plan is in force, the
-- older ones are its history.
CREATE TABLE target_sets (
    id INTEGER PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);

-- `target` is the index of the target among the indicator's targets in the plan.
CREATE TABLE region_targets (
    set_id INTEGER NOT NULL REFERENCES target_sets (id) ON DELETE CASCADE,
    indicator_id INTEGER NOT NULL REFERENCES indicators (id),
    target INTEGER NOT NULL,
    region_id INTEGER NOT NULL REFERENCES regions (id),
    value REAL NOT NULL,
    PRIMARY KEY (set_id, indicator_id, target, region_id)
);
