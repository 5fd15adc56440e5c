-- A version per plan (issue 16), in place of the store's one version (`store_version`, 0004):
-- raised in the same transaction as every change to what a plan's evaluation, pages and
-- answers read (an import, an assessment, a set of region targets, an approved submission, a
-- task or project list, a score adjustment or freeze), so that a change to one plan no longer
-- empties the caches and changes the ETags of the servers of every other plan. A counter
-- written at commit for the reason given in 0004 (ids are handed out at insert, not at commit).
--
-- Every plan starts at the store's version as it stands, not at 0: the ETags clients hold were
-- made from the store's version, and a plan's version only ever grows from there, so no tag a
-- client holds can be issued again for different content (a plan started at 0 would count up
-- through numbers the store had already tagged other content with). `changed_at` is the
-- store's too: no plan's content has changed since. A plan saved later gets its row then
-- (`Store::save_plan`).
CREATE TABLE plan_versions (
    plan_id TEXT PRIMARY KEY REFERENCES plans (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    changed_at TEXT
);
INSERT INTO plan_versions (plan_id, version, changed_at)
SELECT p.id, s.version, s.changed_at FROM plans p, store_version s WHERE s.id = 1;
DROP TABLE store_version;
