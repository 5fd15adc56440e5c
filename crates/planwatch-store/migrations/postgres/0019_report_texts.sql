-- See migrations/sqlite/0019_report_texts.sql.
CREATE TABLE report_texts (
    id BIGSERIAL PRIMARY KEY,
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
