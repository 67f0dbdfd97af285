-- Why: create_hypertable adds an index on ts alone by default. Every read of positions names a
-- device and is served by the primary key (device_id, ts), and compressed chunks carry no hypertable
-- index at all, so this one only ever covered the newest, still uncompressed days. Measured with
-- pnpm run bench:telemetry (docs/telemetry.md): it costs 15 bytes per position there, and on a chunk
-- a flag had left partly decompressed the planner chose it for "latest positions of a device",
-- scanning every device's decompressed rows (about 300 ms instead of 1 ms until the next ANALYZE).
-- Idempotent: IF EXISTS.
DROP INDEX IF EXISTS positions_ts_idx;
