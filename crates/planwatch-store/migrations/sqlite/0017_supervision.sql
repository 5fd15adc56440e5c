-- Supervision (督查督办, issue 14): a task that stays yellow or red across consecutive reporting
-- periods escalates — 提醒 (reminder) → 警示 (warning) → 督办 (order) — each level a notice to the
-- task's first lead unit, recorded once per task, period (`Period::key`) and level (the unique
-- key): `status` is the task's status at that period, `issued` the day of the sweep that found
-- it, the title and text are `planwatch-tasks::supervision::notice`'s words. A 督办 record is a
-- 督办单 (supervision_orders, by the record's id): due `answer_days` after issue, answered once
-- by the unit (text, day, who, when). Each record is also a notice (kind `supervision`, its
-- record in `supervision_id`) to the unit's reporters, written in the same transaction.
CREATE TABLE supervision_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
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
    record_id INTEGER PRIMARY KEY REFERENCES supervision_records (id) ON DELETE CASCADE,
    due TEXT NOT NULL,
    answer_text TEXT,
    answered_on TEXT,
    answered_by TEXT,
    answered_at TEXT,
    CHECK ((answer_text IS NULL) = (answered_on IS NULL))
);
-- The notices table gains the kind `supervision` and the record it is about: SQLite cannot
-- change a CHECK, so the table is built anew with the same columns (0012, 0015's progress_id),
-- rows and indexes.
CREATE TABLE notices_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('submitted', 'withdrawn', 'returned', 'approved',
        'due_soon', 'overdue', 'supervision')),
    submission_id INTEGER REFERENCES submissions (id) ON DELETE CASCADE,
    unit_kind TEXT NOT NULL CHECK (unit_kind IN ('region', 'department')),
    unit_code TEXT NOT NULL,
    indicator TEXT,
    region TEXT,
    period INTEGER,
    due TEXT,
    subject_zh TEXT NOT NULL,
    subject_en TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT,
    mailed_at TEXT,
    mail_attempts INTEGER NOT NULL DEFAULT 0,
    mail_next_at TEXT,
    mail_error TEXT,
    progress_id INTEGER REFERENCES progress_reports (id) ON DELETE CASCADE,
    supervision_id INTEGER REFERENCES supervision_records (id) ON DELETE CASCADE
);
INSERT INTO notices_new (id, user_id, plan_id, kind, submission_id, unit_kind, unit_code,
    indicator, region, period, due, subject_zh, subject_en, text_zh, text_en, created_at,
    read_at, mailed_at, mail_attempts, mail_next_at, mail_error, progress_id)
SELECT id, user_id, plan_id, kind, submission_id, unit_kind, unit_code, indicator, region,
    period, due, subject_zh, subject_en, text_zh, text_en, created_at, read_at, mailed_at,
    mail_attempts, mail_next_at, mail_error, progress_id
FROM notices;
DROP TABLE notices;
ALTER TABLE notices_new RENAME TO notices;
CREATE INDEX notices_user ON notices (user_id, plan_id, id);
CREATE UNIQUE INDEX notices_deadline
    ON notices (user_id, plan_id, kind, unit_kind, unit_code, indicator, region, period)
    WHERE submission_id IS NULL AND supervision_id IS NULL;
CREATE INDEX notices_outbox ON notices (created_at) WHERE mailed_at IS NULL;
