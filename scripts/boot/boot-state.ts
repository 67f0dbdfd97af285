import { createHash } from 'node:crypto';
import type pg from 'pg';

// What the last successful boot left behind, so that a warm boot can prove a Directus CLI run would
// change nothing and skip it: each CLI start costs seconds. A fingerprint covers everything the
// skipped command reads or writes; any difference, even an unrelated one, means "run it".
export type StateKey = 'bootstrap' | 'schema';

// What an operator reads in boot_state besides the fingerprint: which snapshot, applied by which Directus.
export interface StateRecord {
  directusVersion: string;
  snapshotSha256?: string;
}

// Runs before the boot lock is taken: two replicas creating it at once may see 23505 or 42P07 from
// CREATE TABLE IF NOT EXISTS, which only means the other one won. The two readable columns came after
// the first deploys, hence the ALTER.
export async function ensureStateTable(client: pg.Client): Promise<void> {
  await client
    .query(
      `CREATE TABLE IF NOT EXISTS boot_state (
         key         text        PRIMARY KEY,
         fingerprint text        NOT NULL,
         recorded_at timestamptz NOT NULL DEFAULT now()
       );
       ALTER TABLE boot_state ADD COLUMN IF NOT EXISTS directus_version text,
                              ADD COLUMN IF NOT EXISTS snapshot_sha256 text`,
    )
    .catch((err: { code?: string }) => {
      if (err.code !== '23505' && err.code !== '42P07' && err.code !== '42701') throw err;
    });
}

export async function readState(client: pg.Client, key: StateKey): Promise<string | undefined> {
  const { rows } = await client.query<{ fingerprint: string }>('SELECT fingerprint FROM boot_state WHERE key = $1', [key]);
  return rows[0]?.fingerprint;
}

export async function writeState(client: pg.Client, key: StateKey, fingerprint: string, record: StateRecord): Promise<void> {
  await client.query(
    `INSERT INTO boot_state (key, fingerprint, directus_version, snapshot_sha256) VALUES ($1, $2, $3, $4)
     ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, directus_version = EXCLUDED.directus_version,
                                     snapshot_sha256 = EXCLUDED.snapshot_sha256, recorded_at = now()`,
    [key, fingerprint, record.directusVersion, record.snapshotSha256 ?? null],
  );
}

// Directus version plus its applied migrations; undefined on a database Directus never touched.
export async function bootstrapFingerprint(client: pg.Client, directusVersion: string): Promise<string | undefined> {
  if (!(await tableExists(client, 'directus_migrations'))) return undefined;
  const { rows } = await client.query<{ migrations: string | null }>(
    `SELECT string_agg(version, ',' ORDER BY version) AS migrations FROM directus_migrations`,
  );
  const migrations = rows[0]?.migrations;
  return migrations ? digest(directusVersion, migrations) : undefined;
}

// Snapshot file, Directus version, Directus's schema metadata and the catalogue of every table,
// column, constraint and index in the schema: a change anywhere sends the next boot through apply.
// Undefined before Directus has installed its tables.
export async function schemaFingerprint(
  client: pg.Client,
  directusVersion: string,
  snapshot: string,
): Promise<string | undefined> {
  if (!(await tableExists(client, 'directus_relations'))) return undefined;
  const { rows } = await client.query<{ catalogue: string }>(`
    SELECT concat_ws(E'\\n',
      (SELECT string_agg(to_jsonb(c)::text, ',' ORDER BY collection) FROM directus_collections c),
      (SELECT string_agg(to_jsonb(f)::text, ',' ORDER BY collection, field) FROM directus_fields f),
      (SELECT string_agg(to_jsonb(r)::text, ',' ORDER BY id) FROM directus_relations r),
      (SELECT string_agg(concat_ws(':', table_name, column_name, data_type, is_nullable, column_default,
                                   character_maximum_length, numeric_precision, numeric_scale), ','
                         ORDER BY table_name, column_name)
         FROM information_schema.columns WHERE table_schema = current_schema()),
      (SELECT string_agg(conrelid::regclass::text || '.' || conname || ':' || pg_get_constraintdef(oid), ','
                         ORDER BY conrelid::regclass::text, conname)
         FROM pg_constraint WHERE connamespace = current_schema()::regnamespace),
      (SELECT string_agg(indexdef, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = current_schema())
    ) AS catalogue`);
  return digest(directusVersion, snapshot, rows[0]?.catalogue ?? '');
}

async function tableExists(client: pg.Client, name: string): Promise<boolean> {
  const { rows } = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [name]);
  return rows[0]?.present === true;
}

function digest(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}
