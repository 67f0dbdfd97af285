-- Why: processor's windowed recompute reads "positions of one device between two times, faulty
-- excluded". A partial index on the valid rows serves exactly that and stays small.
-- ("Latest positions of a device" is served by the primary key (device_id, ts).)
-- Idempotent: IF NOT EXISTS.
CREATE INDEX IF NOT EXISTS positions_device_ts_valid_idx
  ON positions (device_id, ts DESC)
  WHERE faulty = false;
