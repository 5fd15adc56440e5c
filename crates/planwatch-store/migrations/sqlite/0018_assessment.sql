-- The yearly assessment (年度考核, issue 14): planners' bonus (加分) and deduction (扣分) items,
-- and frozen results.
--
-- An adjustment is recorded for a unit of the plan and a year with its points (more than 0,
-- within the scheme's cap for the year, checked before it is stored), its reason, and who
-- recorded it when; planners remove one by id (audited as `score.adjust.remove`, the row
-- given in the entry's details).
CREATE TABLE score_adjustments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    unit_kind TEXT NOT NULL CHECK (unit_kind IN ('region', 'department')),
    unit_code TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('bonus', 'deduction')),
    points REAL NOT NULL CHECK (points > 0),
    reason TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX score_adjustments_year ON score_adjustments (plan_id, year);
-- A frozen year (`planwatch score freeze`): who froze it and when; its result, one row per
-- unit (total, rank, every line of the breakdown, as JSON), is what the year's score returns
-- from then on, whatever data arrives later. Unfreezing (administrators only) deletes both.
CREATE TABLE score_freezes (
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    as_of TEXT NOT NULL,
    frozen_by TEXT NOT NULL,
    frozen_at TEXT NOT NULL,
    PRIMARY KEY (plan_id, year)
);
CREATE TABLE frozen_scores (
    plan_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    position INTEGER NOT NULL,
    unit_kind TEXT NOT NULL CHECK (unit_kind IN ('region', 'department')),
    unit_code TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (plan_id, year, position),
    FOREIGN KEY (plan_id, year) REFERENCES score_freezes (plan_id, year) ON DELETE CASCADE
);
