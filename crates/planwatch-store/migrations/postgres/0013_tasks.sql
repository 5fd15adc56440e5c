-- Tasks (issue 14): the year's 年度任务分解表 as imported (`planwatch tasks import`).
--
-- A task is known by its plan, year and 序号 (`seq`, as the sheet writes it); `content_hash` is
-- the SHA-256 of its content (everything but the source file and row), so that re-importing the
-- same sheet changes nothing and a changed sheet updates the tasks whose content changed (their
-- id kept), adds the new 序号 and removes those no longer in it. `section` is the section row
-- above it (一、实施…行动), `clause` the plan clause it serves by ref (5.1.2, c16.1); `deadline`
-- is a day (YYYY-MM-DD) or NULL for ongoing work (持续推进). Its units (task_units: lead,
-- responsible, supporting, in the cell's order), nodes (task_nodes: a day, the expected result,
-- the share of the task) and indicators (task_indicators, by code) are kept in order.
CREATE TABLE tasks (
    id BIGSERIAL PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    seq TEXT NOT NULL,
    section TEXT NOT NULL,
    clause TEXT NOT NULL,
    title TEXT NOT NULL,
    deadline TEXT,
    expected TEXT NOT NULL,
    quantity DOUBLE PRECISION,
    quantity_unit TEXT,
    source_file TEXT NOT NULL,
    source_row INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (plan_id, year, seq)
);
CREATE TABLE task_units (
    task_id BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    unit_kind TEXT NOT NULL CHECK (unit_kind IN ('region', 'department')),
    unit_code TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('lead', 'responsible', 'supporting')),
    PRIMARY KEY (task_id, position)
);
CREATE INDEX task_units_unit ON task_units (unit_kind, unit_code);
CREATE TABLE task_nodes (
    task_id BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    due TEXT NOT NULL,
    expected TEXT NOT NULL,
    share DOUBLE PRECISION,
    PRIMARY KEY (task_id, position)
);
CREATE TABLE task_indicators (
    task_id BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    PRIMARY KEY (task_id, position)
);
