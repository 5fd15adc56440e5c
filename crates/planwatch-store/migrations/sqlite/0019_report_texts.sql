-- The planner texts of the evaluation reports (issue 15): sections 存在问题 (`problems`) and
-- 对策建议 (`suggestions`) of a report, keyed by plan, kind (annual, midterm, final), year,
-- region ('' for the plan's own region, else a district's code), language and section. Every
-- save adds a version (1, 2, …; never updated or deleted) with its body (paragraphs and lists,
-- see docs/reports.md), its author and when; a report uses the latest unless asked for another.
-- Saves are audited as `report_text.save`.
CREATE TABLE report_texts (
    id INTEGER PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('annual', 'midterm', 'final')),
    year INTEGER NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
    section TEXT NOT NULL CHECK (section IN ('problems', 'suggestions')),
    version INTEGER NOT NULL CHECK (version > 0),
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    UNIQUE (plan_id, kind, year, region, lang, section, version)
);
