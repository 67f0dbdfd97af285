-- Why: step 3 applies a deletion or a lossy column change only when DIRECTUS_SCHEMA_ALLOW_DELETE allows
-- it, and then the data would be gone. So, in the apply's own transaction and before it applies, it
-- copies exactly what would be lost here (a dropped collection's rows and Directus metadata, a dropped
-- field's values, the old values a change would truncate or round, the roles, policies, permissions,
-- flows and operations the configuration no longer holds): the copy and the loss commit together or not
-- at all. `pnpm run schema:restore` puts them back (docs/schema.md, "Archives").
-- A schema of the boot's own: Directus reads only its search path, so an archive never becomes a
-- collection or reaches a snapshot; and since archives hold every organization's rows, nobody but the
-- database owner may read them (trm_person, the role people's statements run as, has no USAGE here).
-- Idempotent: IF NOT EXISTS.
CREATE SCHEMA IF NOT EXISTS schema_archive;
REVOKE ALL ON SCHEMA schema_archive FROM PUBLIC;

-- One archive per boot that applied an allowed deletion; each item is written in the transaction
-- that drops it, so the archive holds exactly what was dropped.
CREATE TABLE IF NOT EXISTS schema_archive.archives (
  id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  archived_at      timestamptz NOT NULL DEFAULT now(),
  plan_id          text        NOT NULL,               -- the deletion guard's plan id
  directus_version text        NOT NULL
);

-- What one deletion or lossy change would lose: Directus's metadata as it was (snapshot entries, ids
-- of rows pointing at it) and typed copies of the rows it held, one table per source (schema_archive.aN_M…).
CREATE TABLE IF NOT EXISTS schema_archive.items (
  archive_id  bigint      NOT NULL REFERENCES schema_archive.archives (id) ON DELETE CASCADE,
  position    integer     NOT NULL,
  kind        text        NOT NULL,                    -- collection, field, relation, role, policy, …
  name        text        NOT NULL,                    -- as DIRECTUS_SCHEMA_ALLOW_DELETE names it
  action      text        NOT NULL CHECK (action IN ('delete', 'change')),
  impact      text        NOT NULL,                    -- what the deletion guard said it costs
  row_count   bigint      NOT NULL,                    -- rows or values copied, all sources together
  metadata    json        NOT NULL,
  copies      json        NOT NULL,                    -- [{ source, table, rows }]
  restored_at timestamptz,
  PRIMARY KEY (archive_id, position)
);
