import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBootedDatabase, withClient, type TestDatabase } from './support/databases.ts';
import { bootFully, login, restClient, type RunningBoot } from './support/directus.ts';
import { run, type RunResult } from './support/run.ts';

const admin = { email: 'admin@example.com', password: 'archive-admin-password' };
const secrets = { KEY: 'archive-key-0123456789abcdef', SECRET: 'archive-secret-0123456789abcdef', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password };

const entrypoint = (env: Record<string, string>, ...args: string[]): Promise<RunResult> => run('./entrypoint.sh', args, env);

async function withServer<T>(env: Record<string, string>, work: (api: ReturnType<typeof restClient>, server: RunningBoot) => Promise<T>): Promise<T> {
  const server = await bootFully(env);
  try {
    return await work(restClient(server.baseUrl, await login(server.baseUrl, admin.email, admin.password)), server);
  } finally {
    server.child.kill('SIGTERM');
    await server.finished;
  }
}

async function ok<T>(response: Promise<{ status: number; body: { data?: T } | undefined }>): Promise<T> {
  const { status, body } = await response;
  expect(status, JSON.stringify(body)).toBe(200);
  return body!.data as T;
}

// An auto-increment integer key, as the admin app makes one.
const key = { field: 'id', type: 'integer', meta: { hidden: true }, schema: { is_primary_key: true, has_auto_increment: true } };

// What a table holds, every column of every row, in key order: compared before and after.
const rowsOf = (db: TestDatabase, table: string, key = 'id') => db.query(`SELECT to_jsonb(t) AS row FROM "${table}" t ORDER BY "${key}"`);

// The five collections of the incident on the architecture page, made in the admin app's API the way a
// developer makes them, related to each other, with rows of many types, history, and a permission.
const FIVE = ['stages', 'stage_times', 'penalties', 'checkpoints', 'bulletins'];
const SESSION_TOKEN = 'press-share-session-token-0123456789abcdef';

async function createTheFive(api: ReturnType<typeof restClient>): Promise<void> {
  const uuidKey = { field: 'id', type: 'uuid', meta: { hidden: true, special: ['uuid'] }, schema: { is_primary_key: true } };
  const m2o = (field: string, type = 'uuid') => ({ field, type, meta: { special: ['m2o'], interface: 'select-dropdown-m2o' }, schema: {} });
  const collections = [
    {
      collection: 'stages',
      meta: { icon: 'flag', note: 'Special stages', versioning: true },
      fields: [
        uuidKey,
        { field: 'name', type: 'string', meta: { interface: 'input' }, schema: { max_length: 120, is_nullable: false } },
        { field: 'starts_at', type: 'timestamp', meta: {}, schema: {} },
        { field: 'distance_km', type: 'decimal', meta: {}, schema: { numeric_precision: 8, numeric_scale: 3 } },
        { field: 'times', type: 'alias', meta: { special: ['o2m'], interface: 'list-o2m' } },
      ],
    },
    {
      collection: 'stage_times',
      meta: { icon: 'timer' },
      fields: [
        key,
        m2o('stage'),
        { field: 'elapsed_ms', type: 'bigInteger', meta: {}, schema: {} },
        { field: 'splits', type: 'json', meta: {}, schema: {} },
        { field: 'verified', type: 'boolean', meta: {}, schema: { default_value: false } },
      ],
    },
    {
      collection: 'penalties',
      meta: { icon: 'gavel' },
      fields: [uuidKey, m2o('stage_time', 'integer'), { field: 'seconds', type: 'integer', meta: {}, schema: {} }, { field: 'reason', type: 'text', meta: {}, schema: {} }, { field: 'issued_on', type: 'date', meta: {}, schema: {} }],
    },
    {
      collection: 'checkpoints',
      meta: { icon: 'place' },
      fields: [
        { field: 'code', type: 'string', meta: {}, schema: { is_primary_key: true, max_length: 16 } },
        m2o('stage'),
        { field: 'kind', type: 'string', meta: { interface: 'select-dropdown', options: { choices: [{ text: 'Start', value: 'start' }, { text: 'Finish', value: 'finish' }] } }, schema: {} },
        { field: 'latitude', type: 'float', meta: {}, schema: {} },
      ],
    },
    {
      collection: 'bulletins',
      meta: { icon: 'campaign' },
      fields: [uuidKey, m2o('stage'), { field: 'body', type: 'text', meta: {}, schema: {} }, { field: 'tags', type: 'csv', meta: { special: ['cast-csv'] }, schema: {} }],
    },
  ];
  for (const collection of collections) await ok(api('POST', '/collections', { ...collection, schema: {} }));
  const relations = [
    { collection: 'stage_times', field: 'stage', related_collection: 'stages', meta: { one_field: 'times' }, schema: { on_delete: 'CASCADE' } },
    { collection: 'penalties', field: 'stage_time', related_collection: 'stage_times', schema: { on_delete: 'SET NULL' } },
    { collection: 'checkpoints', field: 'stage', related_collection: 'stages', schema: { on_delete: 'RESTRICT' } },
    { collection: 'bulletins', field: 'stage', related_collection: 'stages', schema: { on_delete: 'SET NULL' } },
  ];
  for (const relation of relations) await ok(api('POST', '/relations', relation));

  const stages = await ok<Array<{ id: string }>>(
    api('POST', '/items/stages', [
      { name: 'Berat – Çorovodë', starts_at: '2026-06-03T07:30:00', distance_km: '112.450' },
      { name: 'Çorovodë – Përmet', starts_at: '2026-06-04T08:00:00', distance_km: '98.005' },
    ]),
  );
  const times = await ok<Array<{ id: number }>>(
    api('POST', '/items/stage_times', [
      { stage: stages[0]!.id, elapsed_ms: 5_421_337, splits: { cp1: 1_200_001, cp2: [3, 4.5, null] }, verified: true },
      { stage: stages[0]!.id, elapsed_ms: 5_600_012, splits: null },
      { stage: stages[1]!.id, elapsed_ms: 4_999_999, splits: { note: 'ümlaut "quoted" \\ back' } },
    ]),
  );
  await ok(api('POST', '/items/penalties', [{ stage_time: times[1]!.id, seconds: 60, reason: 'Speeding in a village', issued_on: '2026-06-03' }]));
  await ok(api('POST', '/items/checkpoints', [{ code: 'CP1', stage: stages[0]!.id, kind: 'start', latitude: 40.70524187 }, { code: 'CP9', stage: stages[1]!.id, kind: 'finish', latitude: 40.2 }]));
  await ok(api('POST', '/items/bulletins', [{ stage: stages[1]!.id, body: 'Stage 2 shortened', tags: ['safety', 'route'] }, { body: 'Welcome', tags: [] }]));
  // An edit, so that the history has a revision with a parent-less delta.
  await ok(api('PATCH', `/items/stages/${stages[1]!.id}`, { distance_km: '97.500' }));
  // Unpublished work in a content version, and a share of a stage: Directus deletes both with the collection.
  const version = await ok<{ id: string }>(api('POST', '/versions', { key: 'draft', name: 'Draft', collection: 'stages', item: stages[0]!.id }));
  await ok(api('POST', `/versions/${version.id}/save`, { name: 'Berat – Çorovodë (shortened)' }));
  await ok(api('POST', '/shares', { name: 'For the press', collection: 'stages', item: stages[0]!.id }));
  const [timekeeping] = await ok<Array<{ id: string }>>(api('GET', '/policies?filter[name][_eq]=Timekeeping&fields=id'));
  await ok(api('POST', '/permissions', { policy: timekeeping!.id, collection: 'stages', action: 'read', fields: ['*'] }));
}

// What the five were, everything Directus keeps of them: their rows, their metadata and history.
async function recordOfTheFive(db: TestDatabase): Promise<Record<string, unknown>> {
  const keys: Record<string, string> = { checkpoints: 'code' };
  const record: Record<string, unknown> = {};
  for (const table of FIVE) record[table] = await rowsOf(db, table, keys[table]);
  const about = (sql: string) => db.query(sql, [FIVE]);
  record['directus_collections'] = await about('SELECT to_jsonb(c) AS row FROM directus_collections c WHERE collection = ANY($1) ORDER BY collection');
  record['directus_fields'] = await about(`SELECT to_jsonb(f) - 'id' AS row FROM directus_fields f WHERE collection = ANY($1) ORDER BY collection, field`);
  record['directus_relations'] = await about(`SELECT to_jsonb(r) - 'id' AS row FROM directus_relations r WHERE many_collection = ANY($1) ORDER BY many_collection, many_field`);
  record['directus_permissions'] = await about('SELECT to_jsonb(p) AS row FROM directus_permissions p WHERE collection = ANY($1) ORDER BY id');
  record['directus_activity'] = await about('SELECT to_jsonb(a) AS row FROM directus_activity a WHERE collection = ANY($1) ORDER BY id');
  record['directus_revisions'] = await about('SELECT to_jsonb(r) AS row FROM directus_revisions r WHERE collection = ANY($1) ORDER BY id');
  record['directus_versions'] = await about('SELECT to_jsonb(v) AS row FROM directus_versions v WHERE collection = ANY($1) ORDER BY id');
  record['directus_shares'] = await about('SELECT to_jsonb(s) AS row FROM directus_shares s WHERE collection = ANY($1) ORDER BY id');
  record['constraints'] = await about(
    `SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) AS row FROM pg_constraint WHERE conrelid::regclass::text = ANY($1) ORDER BY 1`,
  );
  return record;
}

async function recordOfPressOfficer(db: TestDatabase): Promise<Record<string, unknown>> {
  return {
    role: await db.query(`SELECT to_jsonb(r) AS row FROM directus_roles r WHERE name = 'Press officer'`),
    policy: await db.query(`SELECT to_jsonb(p) AS row FROM directus_policies p WHERE name = 'Press desk'`),
    permissions: await db.query(`SELECT to_jsonb(m) AS row FROM directus_permissions m JOIN directus_policies p ON p.id = m.policy WHERE p.name = 'Press desk' ORDER BY m.id`),
    access: await db.query(`SELECT to_jsonb(a) AS row FROM directus_access a JOIN directus_roles r ON r.id = a.role WHERE r.name = 'Press officer' ORDER BY a.id`),
    shares: await db.query(`SELECT to_jsonb(s) AS row FROM directus_shares s JOIN directus_roles r ON r.id = s.role WHERE r.name = 'Press officer' ORDER BY s.id`),
    users: await db.query(`SELECT email, role FROM directus_users WHERE email = 'press@example.com'`),
    flow: await db.query(`SELECT to_jsonb(f) AS row FROM directus_flows f WHERE name = 'Notify'`),
    operations: await db.query(`SELECT to_jsonb(o) AS row FROM directus_operations o JOIN directus_flows f ON f.id = o.flow WHERE f.name = 'Notify' ORDER BY o.key`),
  };
}

describe('the incident replayed: five collections and a role dropped by a stale snapshot, archived, restored', () => {
  const booted = useBootedDatabase(secrets);
  const env = () => booted().env;
  let before: { five: Record<string, unknown>; press: Record<string, unknown>; activity: number } | undefined;
  let dropping: RunResult | undefined;
  let archiveId = 0;

  beforeAll(async () => {
    await withServer(env(), async (api) => {
      await createTheFive(api);
      const policy = await ok<{ id: string }>(api('POST', '/policies', { name: 'Press desk', icon: 'newspaper', app_access: false, admin_access: false }));
      await ok(api('POST', '/permissions', { policy: policy.id, collection: 'events', action: 'read', fields: ['*'] }));
      // A permission between a dropped collection and a dropped policy: it goes with the collection
      // (Directus deletes it first), and can come back only once the policy has.
      await ok(api('POST', '/permissions', { policy: policy.id, collection: 'stages', action: 'read', fields: ['*'] }));
      const role = await ok<{ id: string }>(api('POST', '/roles', { name: 'Press officer', icon: 'badge', policies: [{ policy: policy.id }] }));
      await ok(api('POST', '/users', { email: 'press@example.com', password: 'press-password-123', role: role.id }));
      // A flow of two operations, the first leading to the second.
      const flow = await ok<{ id: string }>(api('POST', '/flows', { name: 'Notify', icon: 'bolt', status: 'inactive', trigger: 'manual', options: { collections: ['events'] } }));
      const second = await ok<{ id: string }>(api('POST', '/operations', { flow: flow.id, key: 'log_b', name: 'Log B', type: 'log', position_x: 37, position_y: 1, options: { message: 'b' } }));
      const first = await ok<{ id: string }>(api('POST', '/operations', { flow: flow.id, key: 'log_a', name: 'Log A', type: 'log', position_x: 19, position_y: 1, options: { message: 'a' }, resolve: second.id }));
      await ok(api('PATCH', `/flows/${flow.id}`, { operation: first.id }));
    });
    const db = booted().db;
    // A share for the role, and someone signed in through it: the share is the role's, its session a secret.
    await db.query(
      `INSERT INTO directus_shares (id, name, collection, item, role) SELECT gen_random_uuid(), 'Press share', 'events', 'any', id FROM directus_roles WHERE name = 'Press officer'`,
    );
    await db.query(`INSERT INTO directus_sessions (token, share, expires) SELECT $1, id, now() + interval '7 days' FROM directus_shares WHERE name = 'Press share'`, [SESSION_TOKEN]);
    before = {
      five: await recordOfTheFive(db),
      press: await recordOfPressOfficer(db),
      activity: Number((await db.query(`SELECT count(*) AS n FROM directus_activity WHERE collection = ANY($1)`, [FIVE]))[0]!['n']),
    };
    // The stale snapshot with all of it allowed: the operator's "yes".
    dropping = await entrypoint({ ...env(), DIRECTUS_SCHEMA_ALLOW_DELETE: [...FIVE, 'role:Press officer', 'policy:Press desk', 'flow:Notify'].join(',') }, 'dry-run');
    archiveId = Number(/archived what the apply dropped, in its transaction: archive (\d+) /.exec(dropping.stdout)?.[1] ?? 0);
  });

  it('the boot drops them, saying first what it archived: how many rows, and the archive id', async () => {
    expect(dropping!.code, dropping!.output).toBe(0);
    expect(archiveId).toBeGreaterThan(0);
    const line = dropping!.stdout.split('\n').find((text) => text.includes('archived what the apply dropped'))!;
    expect(line).toMatch(/archive \d+ \(plan [0-9a-f]{12}, \d+ rows, \d+ kB\)/);
    expect(line).toMatch(/collection stages \(2 rows, 2 permissions, \d+ activity rows, 1 content version, 1 share, \d+ revisions\)/);
    expect(line).toContain('collection stage_times (3 rows, ');
    expect(line).toContain('collection checkpoints (2 rows, ');
    expect(line).toContain('role Press officer (1 access row, 1 share, 1 user)');
    expect(line).toContain('policy Press desk (1 access row, 1 permission)');
    // The session signed in through the share is not kept anywhere in the archive.
    const copies = await booted().db.query<{ table: string }>(`SELECT tablename AS table FROM pg_tables WHERE schemaname = 'schema_archive' AND tablename ~ '^a\\d+_'`);
    for (const { table } of copies) expect(await booted().db.query(`SELECT 1 FROM schema_archive."${table}" t WHERE t::text LIKE '%' || $1 || '%'`, [SESSION_TOKEN])).toEqual([]);
    expect(copies.length).toBeGreaterThan(10);
    // The operations' links to each other go with the flow: nothing outside it pointed at them.
    expect(line).toContain('flow Notify (2 operations)');
    expect(line).toContain(`Undo with: pnpm run schema:restore ${archiveId}`);
    expect(dropping!.stdout).toContain(`what it dropped is in archive ${archiveId}`);
    const db = booted().db;
    for (const table of FIVE) expect(await db.query('SELECT to_regclass($1) AS t', [table])).toEqual([{ t: null }]);
    expect(await db.query(`SELECT 1 FROM directus_roles WHERE name = 'Press officer'`)).toEqual([]);
    expect(await db.query(`SELECT role FROM directus_users WHERE email = 'press@example.com'`)).toEqual([{ role: null }]);
  });

  it('schema:archives lists the archive: when, plan, what, rows, size', async () => {
    const listed = await entrypoint(env(), 'schema-archives');
    expect(listed.code, listed.output).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`archive ${archiveId}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC  plan [0-9a-f]{12}  Directus 12\\.4\\.0  8 item\\(s\\), \\d+ row\\(s\\), \\d+ kB`));
    expect(listed.stdout).toContain('collection penalties (1 row, ');
    expect(listed.stdout).toContain('collection bulletins (2 rows, ');
    expect(listed.stdout).toContain('deleted, table holds 3 rows');
  });

  it('the archive is invisible: no collection in the API, nothing in a snapshot, no access for people', async () => {
    const db = booted().db;
    const snapshots = await mkdtemp(path.join(tmpdir(), 'trm-archive-snapshot-'));
    const captured = await run('node', ['scripts/schema-snapshot.ts'], {
      ...env(),
      SNAPSHOT_PATH: path.join(snapshots, 'schema.yaml'),
      CONFIG_SNAPSHOT_PATH: path.join(snapshots, 'config.yaml'),
    });
    expect(captured.code, captured.output).toBe(0);
    const snapshot = await readFile(path.join(snapshots, 'schema.yaml'), 'utf8');
    expect(snapshot).toContain('collection: events');
    expect(snapshot).not.toMatch(/schema_archive|collection: a\d+_|collection: stages/);
    await withServer(env(), async (api) => {
      const collections = (await ok<Array<{ collection: string }>>(api('GET', '/collections'))).map((entry) => entry.collection);
      expect(collections).toContain('events');
      expect(collections.filter((name) => /^a\d+_|archive|^stages$/.test(name))).toEqual([]);
    });
    const asPerson = await withClient(db.url, async (client) => {
      await client.query('SET ROLE trm_person');
      return client.query('SELECT count(*) FROM schema_archive.items').then(
        () => 'read',
        (err: { code?: string }) => err.code,
      );
    });
    expect(asPerson).toBe('42501');
  });

  it('a restore that would clash with what is there now refuses whole: nothing comes back', async () => {
    const db = booted().db;
    // Someone made a new role of the same name since.
    await db.query(`INSERT INTO directus_roles (id, name, icon) VALUES (gen_random_uuid(), 'Press officer', 'person')`);
    try {
      const refused = await entrypoint(env(), 'schema-restore', String(archiveId));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('nothing was restored, because it would clash with what is there now:');
      expect(refused.stderr).toContain('role:Press officer exists now (under another id)');
      for (const table of FIVE) expect(await db.query('SELECT to_regclass($1) AS t', [table])).toEqual([{ t: null }]);
      expect(await db.query(`SELECT count(*)::int AS n FROM directus_collections WHERE collection = ANY($1)`, [FIVE])).toEqual([{ n: 0 }]);
      expect(await db.query(`SELECT count(*)::int AS n FROM schema_archive.items WHERE restored_at IS NOT NULL`)).toEqual([{ n: 0 }]);
    } finally {
      await db.query(`DELETE FROM directus_roles WHERE name = 'Press officer'`);
    }
  });

  it('schema:restore brings every row, value, field, relation, permission and history back unchanged', async () => {
    const restored = await entrypoint(env(), 'schema-restore', String(archiveId));
    expect(restored.code, restored.output).toBe(0);
    expect(restored.stdout).toContain('collection stages restored: 2 rows, 2 permissions, ');
    expect(restored.stdout).toContain('relation stage_times.stage → stages restored');
    expect(restored.stdout).toContain('role Press officer restored: 1 access row, 1 share, 1 user linked again\n');
    expect(await booted().db.query('SELECT count(*)::int AS n FROM directus_sessions WHERE token = $1', [SESSION_TOKEN])).toEqual([{ n: 0 }]);
    expect(restored.stdout).toContain('flow Notify restored: 2 operations\n');
    const db = booted().db;
    expect(await recordOfTheFive(db)).toEqual(before!.five);
    expect(await recordOfPressOfficer(db)).toEqual(before!.press);
    expect(before!.activity).toBeGreaterThan(5);
    expect((before!.five['directus_versions'] as unknown[]).length).toBe(1);
    expect((before!.five['directus_shares'] as unknown[]).length).toBe(1);
    // Until the snapshot holds them, a boot would refuse to start (it would delete them again); skip
    // starts the server without applying snapshots/. The sequence of the restored auto-increment key
    // continues after the restored rows.
    await withServer({ ...env(), DIRECTUS_SCHEMA_APPLY_MODE: 'skip' }, async (api) => {
      const collections = (await ok<Array<{ collection: string }>>(api('GET', '/collections'))).map((entry) => entry.collection);
      for (const name of FIVE) expect(collections).toContain(name);
      const stages = await ok<Array<{ id: string; name: string; times: number[] }>>(api('GET', '/items/stages?fields=id,name,times'));
      // The one-to-many alias reads the restored rows through the restored relation.
      const counts = await db.query<{ stage: string; n: number }>('SELECT stage::text, count(*)::int AS n FROM stage_times GROUP BY stage');
      expect(Object.fromEntries(stages.map((entry) => [entry.id, entry.times.length]))).toEqual(Object.fromEntries(counts.map((row) => [row.stage, row.n])));
      expect(stages.map((entry) => entry.times.length).sort()).toEqual([1, 2]);
      const stage = stages[0]!;
      const next = await ok<{ id: number }>(api('POST', '/items/stage_times', { stage: stage.id, elapsed_ms: 1 }));
      expect(next.id).toBe(4);
    });
  });

  it('a snapshot taken now captures them, so that committing it makes the next boot keep them', async () => {
    const snapshots = await mkdtemp(path.join(tmpdir(), 'trm-archive-snapshot-'));
    const files = { SNAPSHOT_PATH: path.join(snapshots, 'schema.yaml'), CONFIG_SNAPSHOT_PATH: path.join(snapshots, 'config.yaml') };
    const captured = await run('node', ['scripts/schema-snapshot.ts'], { ...env(), ...files });
    expect(captured.code, captured.output).toBe(0);
    const schema = await readFile(files.SNAPSHOT_PATH, 'utf8');
    for (const name of FIVE) expect(schema).toContain(`collection: ${name}\n`);
    const config = await readFile(files.CONFIG_SNAPSHOT_PATH, 'utf8');
    expect(config).toContain('name: Press officer');
    expect(config).toContain('name: Press desk');
    const next = await entrypoint({ ...env(), ...files }, 'dry-run');
    expect(next.code, next.output).toBe(0);
    expect(next.stdout).toContain('config.yaml: no changes');
  });

  it('a second restore of the same archive, or one that would clash, refuses and changes nothing', async () => {
    const db = booted().db;
    const again = await entrypoint(env(), 'schema-restore', String(archiveId));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`every item of archive ${archiveId} was restored already`);
    const named = await entrypoint(env(), 'schema-restore', String(archiveId), 'stages');
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(/collection stages was restored from archive \d+ at /);
    const unknown = await entrypoint(env(), 'schema-restore', String(archiveId), 'no_such_thing');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('holds no "no_such_thing"; it holds: bulletins, checkpoints, penalties, stage_times, stages, policy:Press desk, role:Press officer, flow:Notify');
    expect(await recordOfTheFive(db)).not.toEqual({});
  });

  it('--prune deletes the archive and its copies for good, only when asked', async () => {
    const db = booted().db;
    const tables = async () => (await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'schema_archive' AND tablename ~ '^a\\d+_'`))[0]!['n'];
    expect(await tables()).toBeGreaterThan(0);
    const wrong = await entrypoint(env(), 'schema-archives', '--prune', '999999');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('no archive 999999');
    const pruned = await entrypoint(env(), 'schema-archives', '--prune', String(archiveId));
    expect(pruned.code, pruned.output).toBe(0);
    expect(pruned.stdout).toMatch(new RegExp(`pruned archive ${archiveId} \\(\\d+ rows, \\d+ kB\\)`));
    expect(await tables()).toBe(0);
    expect((await entrypoint(env(), 'schema-archives')).stdout).toContain('no archives in');
  });
});

describe('a lossy change allowed, then taken back', () => {
  const booted = useBootedDatabase(secrets);
  const longName = `Rally ${'x'.repeat(294)}`;

  it('events.name shortened to 255: the long value is archived, truncated, and restored with the old length', async () => {
    const { db, env } = booted();
    await db.query('ALTER TABLE events ALTER COLUMN name TYPE varchar(400)');
    await db.query(`INSERT INTO organizations (id, name, slug) VALUES ('6a0e3c5e-2f4c-4d8e-9a57-0c5b1f0e7d11', 'Dune', 'dune')`);
    await db.query(
      `INSERT INTO events (id, organization_id, name, slug, discipline, starts_at, ends_at) VALUES
         ('6a0e3c5e-2f4c-4d8e-9a57-0c5b1f0e7d12', '6a0e3c5e-2f4c-4d8e-9a57-0c5b1f0e7d11', $1, 'long', 'rally', now(), now()),
         ('6a0e3c5e-2f4c-4d8e-9a57-0c5b1f0e7d13', '6a0e3c5e-2f4c-4d8e-9a57-0c5b1f0e7d11', 'Short', 'short', 'rally', now(), now())`,
      [longName],
    );
    const dropped = await entrypoint({ ...env, DIRECTUS_SCHEMA_ALLOW_DELETE: 'events.name' }, 'dry-run');
    expect(dropped.code, dropped.output).toBe(0);
    expect(dropped.stdout).toMatch(/archived what the apply dropped, in its transaction: archive \d+ \(plan [0-9a-f]{12}, 1 row, \d+ kB\): field events\.name \(1 old value\)/);
    expect(await db.query('SELECT length(name) AS n FROM events ORDER BY slug')).toEqual([{ n: 255 }, { n: 5 }]);
    const id = /archive (\d+) \(plan/.exec(dropped.stdout)![1]!;

    const restored = await entrypoint(env, 'schema-restore', id, 'events.name');
    expect(restored.code, restored.output).toBe(0);
    expect(restored.stdout).toContain('field events.name restored: 1 old value\n');
    expect(await db.query('SELECT name FROM events ORDER BY slug')).toEqual([{ name: longName }, { name: 'Short' }]);
    expect(await db.query(`SELECT character_maximum_length AS n FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'name'`)).toEqual([{ n: 400 }]);
    // The tenant policies that name events are all back after the column change.
    expect((await db.query(`SELECT count(*)::int AS n FROM pg_policies WHERE tablename = 'events' AND policyname LIKE 'person\\_%'`))[0]!['n']).toBeGreaterThan(0);
  });
});

describe('an allowed change whose apply fails', () => {
  const booted = useBootedDatabase(secrets);

  it('nothing is dropped, and no archive is left: the copy rolled back with the apply', async () => {
    const { db, env } = booted();
    // Made nullable behind the snapshot's back and given a null: Directus cannot make it required again.
    await db.query('ALTER TABLE organizations ALTER COLUMN name DROP NOT NULL');
    await db.query(`INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), NULL, 'no-name')`);
    const result = await entrypoint({ ...env, DIRECTUS_SCHEMA_ALLOW_DELETE: 'organizations.name' }, 'dry-run');
    expect(result.code).toBe(1);
    // The archive was written in the apply's transaction, which rolled back: there is none.
    expect(result.output).not.toContain('archived what the apply dropped');
    expect(result.stderr).toMatch(/ERROR step 3\/5 directus schema apply failed/);
    expect(await db.query('SELECT count(*)::int AS n FROM schema_archive.archives')).toEqual([{ n: 0 }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'schema_archive' AND tablename ~ '^a\\d+_'`)).toEqual([{ n: 0 }]);
    expect(await db.query(`SELECT name FROM organizations WHERE slug = 'no-name'`)).toEqual([{ name: null }]);
  });
});

describe('items restored one at a time', () => {
  const booted = useBootedDatabase(secrets);

  it('a child collection first (its relation waits for the parent), then the parent: the relation comes back with it', async () => {
    const { db, env } = booted();
    await withServer(env, async (api) => {
      await ok(api('POST', '/collections', { collection: 'routes', schema: {}, meta: {}, fields: [key, { field: 'label', type: 'string', schema: {} }] }));
      await ok(
        api('POST', '/collections', {
          collection: 'route_notes',
          schema: {},
          meta: {},
          fields: [
            key,
            { field: 'route', type: 'integer', meta: { special: ['m2o'] }, schema: {} },
            { field: 'text', type: 'text', meta: {}, schema: {} },
            { field: 'user_created', type: 'uuid', meta: { special: ['user-created'], interface: 'select-dropdown-m2o' }, schema: {} },
          ],
        }),
      );
      await ok(api('POST', '/relations', { collection: 'route_notes', field: 'route', related_collection: 'routes', schema: { on_delete: 'RESTRICT' } }));
      await ok(api('POST', '/relations', { collection: 'route_notes', field: 'user_created', related_collection: 'directus_users', schema: { on_delete: 'SET NULL' } }));
      await ok(api('POST', '/users', { email: 'writer@example.com', password: 'writer-password-123' }));
      const [route] = await ok<Array<{ id: number }>>(api('POST', '/items/routes', [{ label: 'Loop A' }]));
      await ok(api('POST', '/items/route_notes', [{ route: route!.id, text: 'gravel' }, { route: null, text: 'unassigned' }]));
    });
    // One note was written, and a draft of it saved, by someone whose account is deleted after the drop (below).
    await db.query(`UPDATE route_notes SET user_created = (SELECT id FROM directus_users WHERE email = 'writer@example.com') WHERE text = 'gravel'`);
    await db.query(
      `INSERT INTO directus_versions (id, key, name, collection, item, user_created) SELECT gen_random_uuid(), 'draft', 'Draft', 'route_notes', '1', id FROM directus_users WHERE email = 'writer@example.com'`,
    );
    // A column added by hand, which Directus does not manage (no directus_fields row), with a name
    // knex and pg placeholders would both misread: its values are lost with the table too, so they
    // are archived and come back, the column still unmanaged.
    await db.query(`ALTER TABLE route_notes ADD COLUMN "legacy?code$1" numeric(6,2)`);
    await db.query(`UPDATE route_notes SET "legacy?code$1" = 1234.5 WHERE text = 'gravel'`);
    const before = { routes: await rowsOf(db, 'routes'), notes: await rowsOf(db, 'route_notes') };
    expect(JSON.stringify(before.notes)).toContain('"legacy?code$1":1234.5');
    const dropped = await entrypoint({ ...env, DIRECTUS_SCHEMA_ALLOW_DELETE: 'routes,route_notes' }, 'dry-run');
    expect(dropped.code, dropped.output).toBe(0);
    const id = /archived what the apply dropped, in its transaction: archive (\d+) /.exec(dropped.stdout)![1]!;
    await db.query(`DELETE FROM directus_users WHERE email = 'writer@example.com'`);

    const child = await entrypoint(env, 'schema-restore', id, 'route_notes');
    expect(child.code, child.output).toBe(0);
    expect(child.stdout).toContain('collection route_notes restored: 2 rows');
    expect(child.stdout).toContain('relation route_notes.route → routes left out: routes is not there (restore it, and this relation comes back with it)');
    expect(child.stdout).toContain('1 value of route_notes.user_created set to null: the directus_users rows they pointed at are gone (the relation says ON DELETE SET NULL)');
    // The draft is back too, its author gone as deleting the author would have left it.
    expect(child.stdout).toMatch(/collection route_notes restored: 2 rows, \d+ activity rows, 1 content version, /);
    expect(await db.query(`SELECT name, user_created FROM directus_versions WHERE collection = 'route_notes'`)).toEqual([{ name: 'Draft', user_created: null }]);
    // As the notes were, but for the deleted writer, as deleting the writer would have left them.
    const expected = (before.notes as Array<{ row: Record<string, unknown> }>).map(({ row }) => ({ row: { ...row, user_created: row['text'] === 'gravel' ? null : row['user_created'] } }));
    expect(await rowsOf(db, 'route_notes')).toEqual(expected);
    expect(await db.query(`SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'route_notes'::regclass AND attname = 'legacy?code$1'`)).toEqual([
      { type: 'numeric(6,2)' },
    ]);
    expect(await db.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'route_notes'::regclass AND contype = 'f'`)).toEqual([
      { def: 'FOREIGN KEY (user_created) REFERENCES directus_users(id) ON DELETE SET NULL' },
    ]);

    const parent = await entrypoint(env, 'schema-restore', id, 'routes');
    expect(parent.code, parent.output).toBe(0);
    expect(parent.stdout).toContain('relation route_notes.route → routes restored');
    expect(await rowsOf(db, 'routes')).toEqual(before.routes);
    expect((await db.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'route_notes'::regclass AND contype = 'f' ORDER BY 1`)).map((row) => row['def'])).toEqual([
      'FOREIGN KEY (route) REFERENCES routes(id) ON DELETE RESTRICT',
      'FOREIGN KEY (user_created) REFERENCES directus_users(id) ON DELETE SET NULL',
    ]);
  });
});

describe('fields dropped by a stale snapshot, then restored', () => {
  const booted = useBootedDatabase(secrets);

  it('their values come back, and so does what Directus cleared with them: sort and archive settings, grouped fields, the one-to-many alias', async () => {
    const { db, env } = booted();
    await withServer(env, async (api) => {
      await ok(
        api('POST', '/collections', {
          collection: 'docs',
          schema: {},
          meta: {},
          fields: [
            key,
            { field: 'title', type: 'string', meta: {}, schema: {} },
            { field: 'sort', type: 'integer', meta: { hidden: true }, schema: {} },
            { field: 'status', type: 'string', meta: {}, schema: { default_value: 'draft' } },
            { field: 'details', type: 'alias', meta: { special: ['alias', 'no-data', 'group'], interface: 'group-detail' } },
            { field: 'summary', type: 'text', meta: { group: 'details' }, schema: {} },
            { field: 'tasks', type: 'alias', meta: { special: ['o2m'], interface: 'list-o2m' } },
          ],
        }),
      );
      await ok(api('PATCH', '/collections/docs', { meta: { sort_field: 'sort', archive_field: 'status', archive_value: 'archived', unarchive_value: 'draft' } }));
      await ok(api('POST', '/collections', { collection: 'tasks', schema: {}, meta: {}, fields: [key, { field: 'doc', type: 'integer', meta: { special: ['m2o'] }, schema: {} }] }));
      await ok(api('POST', '/relations', { collection: 'tasks', field: 'doc', related_collection: 'docs', meta: { one_field: 'tasks' }, schema: { on_delete: 'SET NULL' } }));
      const docs = await ok<Array<{ id: number }>>(
        api('POST', '/items/docs', [
          { title: 'One', sort: 2, status: 'published', summary: 'first' },
          { title: 'Two', sort: 1, status: 'archived', summary: 'second' },
        ]),
      );
      await ok(api('POST', '/items/tasks', [{ doc: docs[0]!.id }]));
    });
    // The snapshot as it was before those four fields were made.
    const dir = await mkdtemp(path.join(tmpdir(), 'trm-archive-fields-'));
    const files = { SNAPSHOT_PATH: path.join(dir, 'schema.yaml'), CONFIG_SNAPSHOT_PATH: path.join(dir, 'config.yaml') };
    const captured = await run('node', ['scripts/schema-snapshot.ts'], { ...env, ...files });
    expect(captured.code, captured.output).toBe(0);
    const yaml = await import('yaml');
    const snapshot = yaml.parse(await readFile(files.SNAPSHOT_PATH, 'utf8')) as {
      collections: Array<{ collection: string; meta: Record<string, unknown> }>;
      fields: Array<{ collection: string; field: string; meta: Record<string, unknown> | null }>;
      relations: Array<{ collection: string; field: string; meta: Record<string, unknown> }>;
    };
    const gone = ['sort', 'status', 'details', 'tasks'];
    snapshot.fields = snapshot.fields.filter((field) => field.collection !== 'docs' || !gone.includes(field.field));
    Object.assign(snapshot.collections.find((entry) => entry.collection === 'docs')!.meta, { sort_field: null, archive_field: null, archive_value: null, unarchive_value: null });
    snapshot.fields.find((field) => field.collection === 'docs' && field.field === 'summary')!.meta!['group'] = null;
    snapshot.relations.find((relation) => relation.collection === 'tasks')!.meta['one_field'] = null;
    await writeFile(files.SNAPSHOT_PATH, yaml.stringify(snapshot));

    const metadata = async () => ({
      collection: await db.query(`SELECT sort_field, archive_field, archive_value, unarchive_value FROM directus_collections WHERE collection = 'docs'`),
      fields: await db.query(`SELECT to_jsonb(f) - 'id' AS row FROM directus_fields f WHERE collection = 'docs' ORDER BY field`),
      relation: await db.query(`SELECT one_field FROM directus_relations WHERE many_collection = 'tasks'`),
      rows: await rowsOf(db, 'docs'),
    });
    const before = await metadata();
    const dropped = await entrypoint({ ...env, ...files, DIRECTUS_SCHEMA_ALLOW_DELETE: gone.map((field) => `docs.${field}`).join(',') }, 'dry-run');
    expect(dropped.code, dropped.output).toBe(0);
    expect(dropped.stdout).toContain('field docs.sort (2 values, 1 sort setting)');
    expect(dropped.stdout).toContain('field docs.status (2 values, 1 archive setting)');
    expect(dropped.stdout).toContain('field docs.details (1 field grouped in it)');
    expect(dropped.stdout).toContain('field docs.tasks (1 relation alias)');
    const after = await metadata();
    expect(after.collection).toEqual([{ sort_field: null, archive_field: null, archive_value: null, unarchive_value: null }]);
    expect(after.relation).toEqual([{ one_field: null }]);

    const id = /archive (\d+) \(plan/.exec(dropped.stdout)![1]!;
    const restored = await entrypoint(env, 'schema-restore', id);
    expect(restored.code, restored.output).toBe(0);
    expect(restored.stdout).toContain('field docs.sort restored: 2 values, 1 sort setting linked again');
    const back = await metadata();
    // archive_value and unarchive_value are the collection's own settings, which the file changed (not
    // a side effect of the deletion): they stay as the applied file left them.
    expect({ ...back, collection: back.collection.map((row) => ({ sort_field: row['sort_field'], archive_field: row['archive_field'] })) }).toEqual({
      ...before,
      collection: [{ sort_field: 'sort', archive_field: 'status' }],
    });
  });
});

describe('rows written while the drop is applied', () => {
  const booted = useBootedDatabase(secrets);

  it('every row a writer committed before the drop is in the archive: the copy and the drop are one transaction', async () => {
    const { db, env } = booted();
    await withServer(env, async (api) => {
      await ok(api('POST', '/collections', { collection: 'pings', schema: {}, meta: {}, fields: [key, { field: 'note', type: 'string', meta: {}, schema: {} }] }));
    });
    // A replica still running the old image keeps writing while the new one boots.
    const committed: number[] = [];
    let stop = false;
    let lastError = '';
    const writer = withClient(db.url, async (client) => {
      while (!stop) {
        try {
          committed.push(Number((await client.query<{ id: number }>(`INSERT INTO pings (note) VALUES ('ping') RETURNING id`)).rows[0]!.id));
        } catch (err) {
          lastError = (err as Error).message;
          break;
        }
      }
    });
    const dropped = await entrypoint({ ...env, DIRECTUS_SCHEMA_ALLOW_DELETE: 'pings' }, 'dry-run');
    stop = true;
    await writer;
    expect(dropped.code, dropped.output).toBe(0);
    expect(lastError).toContain('relation "pings" does not exist');
    expect(committed.length).toBeGreaterThan(10);
    const [item] = await db.query<{ copies: Array<{ table: string }> }>(`SELECT copies FROM schema_archive.items WHERE name = 'pings'`);
    const archived = (await db.query<{ id: number }>(`SELECT id FROM schema_archive."${item!.copies[0]!.table}" ORDER BY id`)).map((row) => row.id);
    expect(committed.filter((id) => !archived.includes(id))).toEqual([]);
    expect(archived.length).toBe(committed.length);
  });
});
