-- Progress reports on tasks and key projects (issue 14), through the reporting workflow of
-- issue 13: a unit (the task's lead or responsible unit, the project's responsible unit)
-- reports on one task or project (`task_id` or `project_id`, exactly one) for a reporting
-- period (`period`, the key of planwatch_plan::Period). The report moves draft → submitted →
-- approved | returned → submitted (version + 1) …, or withdrawn, as planwatch-workflow decides.
-- Each version's content is a row of progress_versions: for a task the progress (`progress`
-- percent / not_started / under_way / done, with `percent` for the first) and the nodes it
-- says are met (comma-separated indices); for a project the stage and the investment completed
-- this year and in all (亿元); for both a short text and the problems met. Reviewers' comments
-- are progress_comments; evidence files (progress_evidence) are kept in the store with their
-- name, media type, size and SHA-256. Notices of a report's moves name it by progress_id.
CREATE TABLE progress_reports (
    id BIGSERIAL PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    task_id BIGINT REFERENCES tasks (id) ON DELETE CASCADE,
    project_id BIGINT REFERENCES projects (id) ON DELETE CASCADE,
    period INTEGER NOT NULL,
    unit_kind TEXT NOT NULL CHECK (unit_kind IN ('region', 'department')),
    unit_code TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('draft', 'submitted', 'approved', 'returned', 'withdrawn')),
    version INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    first_submitted_at TEXT,
    submitted_at TEXT,
    reviewed_by TEXT,
    reviewed_at TEXT,
    CHECK ((task_id IS NULL) <> (project_id IS NULL))
);
CREATE INDEX progress_reports_plan ON progress_reports (plan_id, status, id);
CREATE INDEX progress_reports_task ON progress_reports (task_id);
CREATE INDEX progress_reports_project ON progress_reports (project_id);
CREATE TABLE progress_versions (
    report_id BIGINT NOT NULL REFERENCES progress_reports (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    progress TEXT CHECK (progress IN ('percent', 'not_started', 'under_way', 'done')),
    percent DOUBLE PRECISION,
    nodes_met TEXT NOT NULL DEFAULT '',
    stage TEXT CHECK (stage IN ('preparation', 'construction', 'completed', 'operating')),
    invested_year DOUBLE PRECISION,
    invested_total DOUBLE PRECISION,
    text TEXT NOT NULL,
    problems TEXT NOT NULL,
    PRIMARY KEY (report_id, version)
);
CREATE TABLE progress_comments (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES progress_reports (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    author TEXT NOT NULL,
    at TEXT NOT NULL,
    comment TEXT NOT NULL
);
CREATE TABLE progress_evidence (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES progress_reports (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX progress_evidence_report ON progress_evidence (report_id, id);
ALTER TABLE notices ADD COLUMN progress_id BIGINT REFERENCES progress_reports (id) ON DELETE CASCADE;
