-- Why: positions is a TimescaleDB hypertable, so the extension must exist before anything else.
-- Idempotent: IF NOT EXISTS leaves an installed extension (any version) alone.
CREATE EXTENSION IF NOT EXISTS timescaledb;
