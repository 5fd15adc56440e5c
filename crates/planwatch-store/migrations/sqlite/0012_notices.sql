-- Notices (issue 13): the bell of each user, and the outbox of their mail.
--
-- A notice goes to one user: a submission's move tells the plan office's planners (submitted,
-- withdrawn) or the unit's reporters (returned, approved), written in the move's transaction;
-- the deadline sweep tells a unit's reporters of a figure due soon or overdue, at most once per
-- user, unit, figure (indicator, region, period) and kind (the unique index). Texts are made by
-- planwatch-workflow (`notice`) in Chinese and English. `read_at` is set when the user marks it
-- read. Mail: a server with an SMTP relay sends each notice to its user's address; `mailed_at`
-- is set when the relay took it, `mail_attempts` counts tries and `mail_next_at` is when the
-- next may start (a try claims the row by moving it), `mail_error` is the last failure.
ALTER TABLE users ADD COLUMN email TEXT;
CREATE TABLE notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    kind TEXT NOT NULL
        CHECK (kind IN ('submitted', 'withdrawn', 'returned', 'approved', 'due_soon', 'overdue')),
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
    mail_error TEXT
);
CREATE INDEX notices_user ON notices (user_id, plan_id, id);
CREATE UNIQUE INDEX notices_deadline
    ON notices (user_id, plan_id, kind, unit_kind, unit_code, indicator, region, period)
    WHERE submission_id IS NULL;
CREATE INDEX notices_outbox ON notices (created_at) WHERE mailed_at IS NULL;
