-- Key projects (重大项目, issue 14): the year's list as imported (`planwatch projects import`).
--
-- A project is known by its plan, the list's year and 序号 (`seq`); `content_hash` is the
-- SHA-256 of its content (everything but the source file and row), so that re-importing the
-- same list changes nothing and a changed list updates the projects whose content changed (their
-- id kept), adds the new 序号 and removes those no longer in it, as tasks do (0013). `section`
-- is the section row above it (一、现代物流, 专栏16 …); `region` the code of its 区（市）县;
-- `longitude`/`latitude` WGS 84 degrees, both or neither; `column_no` the 专栏 it belongs to;
-- investments in 亿元; `planned_start`/`planned_completion` a year (2023), a month (2023-06)
-- or a day (2023-06-15); `stage` 前期/在建/竣工/投运 as preparation, construction, completed,
-- operating. Its responsible units (project_units) are kept in the cell's order.
CREATE TABLE projects (
    id BIGSERIAL PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    seq TEXT NOT NULL,
    section TEXT NOT NULL,
    name TEXT NOT NULL,
    content TEXT NOT NULL,
    region TEXT NOT NULL,
    longitude DOUBLE PRECISION,
    latitude DOUBLE PRECISION,
    column_no INTEGER,
    total_investment DOUBLE PRECISION NOT NULL,
    year_investment DOUBLE PRECISION,
    planned_start TEXT,
    planned_completion TEXT,
    stage TEXT NOT NULL
        CHECK (stage IN ('preparation', 'construction', 'completed', 'operating')),
    source_file TEXT NOT NULL,
    source_row INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (plan_id, year, seq),
    CHECK ((longitude IS NULL) = (latitude IS NULL))
);
CREATE INDEX projects_region ON projects (plan_id, region);
CREATE TABLE project_units (
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    unit_kind TEXT NOT NULL CHECK (unit_kind IN ('region', 'department')),
    unit_code TEXT NOT NULL,
    PRIMARY KEY (project_id, position)
);
CREATE INDEX project_units_unit ON project_units (unit_kind, unit_code);
