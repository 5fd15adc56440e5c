-- The reporting workflow (issue 13): units' submissions, their review, and period locks.
--
-- A submission belongs to one unit (a region or a department, by its code in the plan) and
-- moves draft → submitted → approved | returned → submitted (a new version) …, or withdrawn
-- (planwatch-workflow decides which moves are legal). The rows of every version are kept:
-- a return and resubmission adds version + 1 and leaves the earlier rows. `base` is the value
-- published for the row's key when the version was submitted (NULL: none), so that an approval
-- finds keys someone else published since. An approved submission names its import batch.
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    unit_kind TEXT NOT NULL CHECK (unit_kind IN ('region', 'department')),
    unit_code TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('draft', 'submitted', 'approved', 'returned', 'withdrawn')),
    version INTEGER NOT NULL DEFAULT 1,
    file_name TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    first_submitted_at TEXT,
    submitted_at TEXT,
    reviewed_by TEXT,
    reviewed_at TEXT,
    -- A submission revising figures of a locked period says why.
    revision_reason TEXT,
    batch_id INTEGER REFERENCES batches (id)
);
CREATE INDEX submissions_status ON submissions (plan_id, status, id);
CREATE TABLE submission_rows (
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    row_no INTEGER NOT NULL,
    source_row INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    region TEXT NOT NULL,
    period INTEGER NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    status INTEGER NOT NULL,
    source TEXT,
    note TEXT,
    base DOUBLE PRECISION,
    PRIMARY KEY (submission_id, version, row_no)
);
-- Reviewers' comments (return, approve) with the version they are about.
CREATE TABLE submission_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    author TEXT NOT NULL,
    at TEXT NOT NULL,
    comment TEXT NOT NULL
);
-- A locked year, for every indicator ('') or one (its code).
CREATE TABLE period_locks (
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    indicator TEXT NOT NULL DEFAULT '',
    locked_by TEXT NOT NULL,
    locked_at TEXT NOT NULL,
    PRIMARY KEY (plan_id, year, indicator)
);
