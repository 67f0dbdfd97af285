-- Why: a season of 1 Hz trackers is hundreds of millions of positions. TimescaleDB's columnstore
-- (compression) keeps a chunk in about a tenth of its rowstore size (docs/telemetry.md has the
-- measurements). Segmented by device_id, because every read and every flag names one device: a
-- device's rows sit in batches of their own, found by that column. Ordered by ts DESC within a
-- device: each batch carries its min/max ts, so a window skips the batches outside it, and "latest
-- positions of a device" read the newest batch first.
-- When chunks are converted, and how long positions are kept, are deployment settings
-- (POSITIONS_COMPRESS_AFTER, POSITIONS_DROP_AFTER): the boot sets those policies in step 1
-- (scripts/boot/steps/positions-storage.ts), not this file, which is applied once and never changes.
-- Idempotent: leaves a hypertable whose columnstore is already enabled alone.
DO $columnstore$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                  WHERE hypertable_schema = current_schema() AND hypertable_name = 'positions' AND compression_enabled) THEN
    ALTER TABLE positions SET (timescaledb.enable_columnstore = true,
                               timescaledb.segmentby = 'device_id',
                               timescaledb.orderby = 'ts DESC');
  END IF;
END
$columnstore$;
