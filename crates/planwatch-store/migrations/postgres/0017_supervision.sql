-- Supervision (督查督办, issue 14): a task that stays yellow or red across consecutive reporting
-- periods escalates — 提醒 (reminder) → 警示 (warning) → 督办 (order) — each level a notice to the
-- task's first lead unit, recorded once per task, period (`Period::key`) and level (the unique
-- key): `status` is the task's status at that period, `issued` the day of the sweep that found
-- it, the title and text are `planwatch-tasks::supervision::notice`'s words. A 督办 record is a
-- 督办单 (supervision_orders, by the record's id): due `answer_days` after issue, answered once
-- by the unit (text, day, who, when). Each record is also a notice (kind `supervision`, its
-- record in `supervision_id`) to the unit's reporters, written in the same transaction.
CREATE TABLE supervision_records (
    id BIGSERIAL PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    task_id BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    period INTEGER NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('reminder', 'warning', 'order')),
    status TEXT NOT NULL,
    issued TEXT NOT NULL,
    unit_kind TEXT NOT NULL CHECK (unit_kind IN ('region', 'department')),
    unit_code TEXT NOT NULL,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (task_id, period, level)
);
CREATE INDEX supervision_records_unit ON supervision_records (plan_id, unit_kind, unit_code);
CREATE TABLE supervision_orders (
    record_id BIGINT PRIMARY KEY REFERENCES supervision_records (id) ON DELETE CASCADE,
    due TEXT NOT NULL,
    answer_text TEXT,
    answered_on TEXT,
    answered_by TEXT,
    answered_at TEXT,
    CHECK ((answer_text IS NULL) = (answered_on IS NULL))
);
-- The notices table gains the kind `supervision` and the record it is about.
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('submitted', 'withdrawn',
    'returned', 'approved', 'due_soon', 'overdue', 'supervision'));
ALTER TABLE notices ADD COLUMN supervision_id BIGINT
    REFERENCES supervision_records (id) ON DELETE CASCADE;
DROP INDEX notices_deadline;
CREATE UNIQUE INDEX notices_deadline
    ON notices (user_id, plan_id, kind, unit_kind, unit_code, indicator, region, period)
    WHERE submission_id IS NULL AND supervision_id IS NULL;
