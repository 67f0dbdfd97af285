// The one statement that marks (or unmarks) a device's positions in a window: POST /positions/faulty
// runs it inside its transaction, and `pnpm run bench:telemetry` times it on uncompressed and on
// compressed chunks. `run` executes SQL with `?` placeholders (knex.raw's) and returns the row count.
export type RunSql = (sql: string, bindings: unknown[]) => Promise<number>;

export interface FaultyWindow {
  imei: string;
  from: Date;
  to: Date;
  faulty: boolean;
}

export async function setFaulty(run: RunSql, { imei, from, to, faulty }: FaultyWindow): Promise<number> {
  // On compressed chunks (the columnstore) TimescaleDB decompresses the batches the window touches,
  // and by default refuses a transaction that decompresses more than 100 000 rows
  // (timescaledb.max_tuples_decompressed_per_dml_transaction): fewer than one 1 Hz tracker's day and a
  // bit. That guard is for unbounded statements; this one is bounded by one device and a window of at
  // most POSITIONS_FLAG_MAX_WINDOW_HOURS, so it lifts the limit for its own transaction only (0: none).
  await run("SELECT set_config('timescaledb.max_tuples_decompressed_per_dml_transaction', '0', true)", []);
  return run('UPDATE positions SET faulty = ? WHERE device_id = ? AND ts BETWEEN ? AND ? AND faulty <> ?', [faulty, imei, from, to, faulty]);
}
