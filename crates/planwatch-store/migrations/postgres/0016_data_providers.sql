-- 数据提供单位 (issue 14): who supplies the figures of a task's indicators that year, as a task
-- file names them (the 分解方案's `（…；数据提供单位：市统计局）`, the sheet's 数据提供单位 column).
-- Kept with the task (replaced with it by `planwatch tasks import`, in the same transaction and
-- audit event); the data provider of an indicator for a year is every unit named so on a task of
-- that year naming the indicator (task_indicators). The reporting calendar asks it for the
-- city's figure instead of the indicator's lead department.
CREATE TABLE task_providers (
    task_id BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    unit_kind TEXT NOT NULL CHECK (unit_kind IN ('region', 'department')),
    unit_code TEXT NOT NULL,
    PRIMARY KEY (task_id, position)
);
