import type pg from 'pg';

// One multi-row INSERT per batch, as processor writes what it read from the telemetry stream: the
// batch travels as one array per column, and re-sent positions (same device and ts) are dropped.
// A fix as processor stores it: `attributes` holds the tracker's IO elements by id.
export interface Position {
  device_id: string;
  ts: string;
  latitude: number;
  longitude: number;
  altitude: number;
  angle: number;
  speed: number;
  satellites: number;
  priority: number;
  attributes: Record<string, number>;
}

const INSERT = `
  INSERT INTO positions (device_id, ts, latitude, longitude, altitude, angle, speed, satellites, priority, attributes)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::float8[],
                       $6::int2[], $7::int2[], $8::int2[], $9::int2[], $10::jsonb[])
  ON CONFLICT (device_id, ts) DO NOTHING`;

const COLUMNS = ['device_id', 'ts', 'latitude', 'longitude', 'altitude', 'angle', 'speed', 'satellites', 'priority', 'attributes'] as const;

export async function insertPositions(client: pg.ClientBase, batch: Position[]): Promise<number> {
  const values = COLUMNS.map((column) => batch.map((row) => (column === 'attributes' ? JSON.stringify(row.attributes) : row[column])));
  const { rowCount } = await client.query(INSERT, values);
  return rowCount ?? 0;
}
