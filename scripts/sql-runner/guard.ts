import type pg from 'pg';

export interface AppliedRow {
  filename: string;
  checksum: string;
}

// One guard table for both folders, keyed by (folder, filename) so 001_x.sql may exist in both.
// The composite key also keeps Directus away from it: Directus ignores tables without a
// single-column primary key, so the table can never turn into a collection.
export async function ensureGuardTable(client: pg.Client): Promise<void> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS migrations_applied (
      folder      text        NOT NULL,
      filename    text        NOT NULL,
      checksum    text        NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now(),
      duration_ms integer     NOT NULL,
      PRIMARY KEY (folder, filename)
    )`);
}

export async function appliedFiles(client: pg.Client, folder: string): Promise<Map<string, AppliedRow>> {
  const { rows } = await client.query<AppliedRow>(
    'SELECT filename, checksum FROM migrations_applied WHERE folder = $1',
    [folder],
  );
  return new Map(rows.map((row) => [row.filename, row]));
}

export async function recordApplied(
  client: pg.Client,
  folder: string,
  filename: string,
  checksum: string,
  durationMs: number,
): Promise<void> {
  await client.query(
    'INSERT INTO migrations_applied (folder, filename, checksum, duration_ms) VALUES ($1, $2, $3, $4)',
    [folder, filename, checksum, Math.round(durationMs)],
  );
}

export async function acceptChecksum(client: pg.Client, folder: string, filename: string, checksum: string) {
  await client.query('UPDATE migrations_applied SET checksum = $3 WHERE folder = $1 AND filename = $2', [
    folder,
    filename,
    checksum,
  ]);
}
