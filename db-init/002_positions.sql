-- Why: processor writes one row per normalized GPS record here (the Teltonika shape); Directus must
-- never manage it. The composite primary key (device_id, ts) drops duplicate re-sends, serves
-- "latest positions of a device" (scanned backwards), and, having no single-column key, keeps
-- Directus from treating the table as a collection.
-- Idempotent: IF NOT EXISTS, and create_hypertable with if_not_exists.
CREATE TABLE IF NOT EXISTS positions (
  device_id  text             NOT NULL,            -- IMEI from the device handshake
  ts         timestamptz      NOT NULL,            -- GPS timestamp
  latitude   double precision NOT NULL,
  longitude  double precision NOT NULL,
  altitude   double precision,
  angle      smallint CHECK (angle BETWEEN 0 AND 360),  -- heading, degrees
  speed      smallint CHECK (speed >= 0),              -- km/h
  satellites smallint CHECK (satellites >= 0),
  priority   smallint NOT NULL DEFAULT 0 CHECK (priority IN (0, 1, 2)),  -- 0 low, 1 high, 2 panic
  attributes jsonb    NOT NULL DEFAULT '{}'::jsonb,    -- IO elements keyed by numeric IO id as text
  PRIMARY KEY (device_id, ts)
);

-- One-day chunks: a race weekend spans a handful of chunks, and recomputes touch one or two.
SELECT create_hypertable('positions', by_range('ts', INTERVAL '1 day'), if_not_exists => TRUE);
