import type pg from 'pg';
import { importFromDirectus } from '../lib/directus-install.ts';
import { insertPositions as insertBatch } from '../telemetry/insert-positions.ts';
import type { DemoSample, Row } from './sample.ts';

// Puts the demo sample into a booted database, or takes it out again, in one transaction each:
// straight SQL, so it works whether or not a Directus server is running on that database.
//
// Loading adds the rows that are missing (by id; positions by device and time) and leaves every
// existing row as it is, so a second load changes nothing. A row of someone else's that collides
// with the demo on another unique column (an e-mail, an IMEI, a slug) stops it with that
// constraint's name, and nothing is loaded. Removal deletes exactly the sample's rows; anything
// created since that refers to them stops it, names the reference, and nothing is removed.
export type Counts = Record<string, number>;

const POSITION_BATCH = 20_000;

export async function loadDemo(client: pg.ClientBase, sample: DemoSample): Promise<Counts> {
  return inTransaction(client, async () => {
    await requireBootedSchema(client);
    const counts: Counts = {};
    const roles = await roleIds(client);
    const missingUsers = await missingIds(client, 'directus_users', rowsOf(sample, 'directus_users'));
    // One hash serves every new demo user: they share the published demo password.
    const password = missingUsers.size > 0 ? await hashPassword(sample.password) : undefined;
    for (const { table, rows } of sample.tables) {
      const prepared = table === 'directus_users' ? rows.filter((row) => missingUsers.has(String(row['id']))).map((row) => asUser(row, roles, password!)) : rows;
      counts[table] = await insertMissing(client, table, prepared);
    }
    counts['positions'] = await insertDemoPositions(client, sample);
    return counts;
  });
}

export async function removeDemo(client: pg.ClientBase, sample: DemoSample): Promise<Counts> {
  return inTransaction(client, async () => {
    await requireBootedSchema(client);
    const counts: Counts = {};
    const { rowCount } = await client.query(`DELETE FROM positions ${DEMO_POSITIONS}`, demoPositionsWhere(sample));
    counts['positions'] = rowCount ?? 0;
    for (const { table, rows } of [...sample.tables].reverse()) {
      const result = await client.query(`DELETE FROM ${table} WHERE id = ANY($1::uuid[])`, [rows.map((row) => row['id'])]);
      counts[table] = result.rowCount ?? 0;
    }
    return counts;
  });
}

async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK');
    throw new Error(`${describe(err)}; nothing was changed`);
  }
}

function describe(err: unknown): string {
  const { code, constraint, table, detail, message } = err as { code?: string; constraint?: string; table?: string; detail?: string; message: string };
  if (code === '23505') return `${table}: a row that is not the demo's already holds ${detail?.replace(/^Key /, '').replace(/ already exists\.$/, '')} (${constraint})`;
  if (code === '23503') return `${table}: ${detail ?? message} (${constraint}); remove or change that row first`;
  return message;
}

async function requireBootedSchema(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ missing: string[] }>(
    `SELECT array_agg(name) FILTER (WHERE to_regclass(name) IS NULL) AS missing
       FROM unnest(ARRAY['positions', 'organizations', 'commands', 'directus_users']) AS name`,
  );
  const missing = rows[0]?.missing;
  if (missing) throw new Error(`this database has no ${missing.join(', ')}: boot it first (./entrypoint.sh dry-run, or pnpm dev)`);
}

const rowsOf = (sample: DemoSample, table: string) => sample.tables.find((entry) => entry.table === table)?.rows ?? [];

async function missingIds(client: pg.ClientBase, table: string, rows: Row[]): Promise<Set<string>> {
  const { rows: found } = await client.query<{ id: string }>(`SELECT id FROM ${table} WHERE id = ANY($1::uuid[])`, [rows.map((row) => row['id'])]);
  const present = new Set(found.map((row) => row.id));
  return new Set(rows.map((row) => String(row['id'])).filter((id) => !present.has(id)));
}

async function roleIds(client: pg.ClientBase): Promise<Map<string, string>> {
  const { rows } = await client.query<{ id: string; name: string }>('SELECT id, name FROM directus_roles');
  return new Map(rows.map((row) => [row.name, row.id]));
}

function asUser({ $role, ...user }: Row, roles: Map<string, string>, password: string): Row {
  const role = roles.get(String($role));
  if (!role) throw new Error(`the role "${String($role)}" of snapshots/config.yaml is missing: boot the database first`);
  return { ...user, role, password };
}

// As Directus hashes a password it stores (argon2, with its HASH_* settings).
async function hashPassword(password: string): Promise<string> {
  const { generateHash } = await importFromDirectus<{ generateHash: (value: string) => Promise<string> }>('@directus/api/utils/generate-hash');
  return generateHash(password);
}

// Rows as JSON, typed by the table itself (json_populate_recordset): the columns the rows name, the
// table's defaults for the rest.
async function insertMissing(client: pg.ClientBase, table: string, rows: Row[]): Promise<number> {
  if (rows.length === 0) return 0;
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].map((column) => `"${column}"`).join(', ');
  const { rowCount } = await client.query(
    `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::${table}, $1) ON CONFLICT (id) DO NOTHING`,
    [JSON.stringify(rows)],
  );
  return rowCount ?? 0;
}

async function insertDemoPositions(client: pg.ClientBase, sample: DemoSample): Promise<number> {
  const positions = sample.positions.generate();
  // Every fix already there (the usual second load): nothing to add, and no need to try 400,000 rows.
  if ((await demoPositionCount(client, sample)) === positions.length) return 0;
  let inserted = 0;
  for (let start = 0; start < positions.length; start += POSITION_BATCH) {
    const batch = positions.slice(start, start + POSITION_BATCH);
    inserted += await insertBatch(client, batch);
  }
  return inserted;
}

// The demo's positions: its trackers' fixes within its window (a tracker's other fixes are not the demo's).
const DEMO_POSITIONS = 'WHERE device_id = ANY($1::text[]) AND ts BETWEEN $2 AND $3';
const demoPositionsWhere = ({ positions }: DemoSample) => [positions.imeis, positions.from, positions.to];

async function demoPositionCount(client: pg.ClientBase, sample: DemoSample): Promise<number> {
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM positions ${DEMO_POSITIONS}`, demoPositionsWhere(sample));
  return rows[0]?.n ?? 0;
}
