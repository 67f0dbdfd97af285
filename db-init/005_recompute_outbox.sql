-- Why: flagging positions faulty (POST /positions/faulty) must reach processor as a recompute request
-- on the Redis stream recompute:requests even when Redis is away at that moment. The request is
-- written here in the same transaction as the flag change, then published and marked published; a
-- scheduled relay publishes what is left (docs/contracts/recompute-requests.md). Rows stay as the
-- record of every request. Directus never manages this table (DB_EXCLUDE_TABLES).
-- Idempotent: IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS recompute_outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id       text        NOT NULL,                -- IMEI, as positions.device_id
  window_from     timestamptz NOT NULL,
  window_to       timestamptz NOT NULL,
  faulty          boolean     NOT NULL,                -- true: marked faulty, false: unmarked
  reason          text        NOT NULL,
  requested_by    uuid,                                -- directus_users.id (no FK: db-init runs before Directus's tables exist)
  rows_changed    integer     NOT NULL,
  requested_at    timestamptz NOT NULL DEFAULT now(),
  published_at    timestamptz,
  stream_entry_id text,                                -- the entry's id in recompute:requests
  CHECK (window_from <= window_to)
);

-- The relay reads only what is still to publish, oldest first.
CREATE INDEX IF NOT EXISTS recompute_outbox_pending_idx ON recompute_outbox (id) WHERE published_at IS NULL;
