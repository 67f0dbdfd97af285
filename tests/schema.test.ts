import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { versionMismatch } from '../scripts/lib/directus-install.ts';
import { ownedTables } from '../scripts/lib/owned-tables.ts';
import { readSnapshotFile } from '../scripts/schema/snapshot.ts';
import { foreignTables, stripSnapshot } from '../scripts/schema/strip.ts';
import { createDatabase, useBootedDatabase } from './support/databases.ts';
import { bootFully, login, restClient } from './support/directus.ts';
import { node, repoDir, run } from './support/run.ts';
import { committedSqlFiles } from './support/sql-folder.ts';

const committedPath = path.join(repoDir, 'snapshots', 'schema.yaml');
const pinned = (JSON.parse(await readFile(path.join(repoDir, 'package.json'), 'utf8')) as { devDependencies: { directus: string } })
  .devDependencies.directus;
const admin = { email: 'admin@example.com', password: 'schema-test-password' };
const directusEnv = { KEY: 'schema-test-key-0123456789abcdef', SECRET: 'schema-test-secret-0123456789abcdef', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password };

interface Snapshot {
  version: number;
  directus: string;
  vendor: string;
  collections: Array<{ collection: string; meta: Record<string, unknown> | null }>;
  fields: Array<{ collection: string; field: string; type: string; meta: Record<string, any> | null; schema: Record<string, any> | null }>;
  relations: Array<{ collection: string; field: string; related_collection: string | null; schema: { on_delete?: string } | null }>;
}

const readSnapshot = async (file: string) => parse(await readFile(file, 'utf8')) as Snapshot;
const tempFile = async (name: string) => path.join(await mkdtemp(path.join(tmpdir(), 'trm-schema-test-')), name);

// From domain.md: the collections, the enums and the delete rules the snapshot must encode.
const COLLECTIONS = [
  'classes', 'commands', 'devices', 'entries', 'entry_crew', 'entry_devices', 'events',
  'organization_devices', 'organization_users', 'organization_vehicles', 'organizations', 'vehicles',
];
const ENUMS: Record<string, string[]> = {
  'organization_users.role': ['org-admin', 'race-director', 'marshal', 'timekeeper', 'participant', 'viewer'],
  'events.discipline': ['rally', 'time-trial', 'regatta', 'trail-run', 'hike'],
  'entries.status': ['registered', 'accepted', 'checked-in', 'started', 'finished', 'retired', 'disqualified', 'withdrawn'],
  'entry_crew.role': ['pilot', 'co-pilot', 'navigator', 'mechanic', 'rider', 'runner', 'hiker'],
  'commands.status': ['queued', 'routed', 'sent', 'acknowledged', 'failed', 'expired'],
};
const RELATIONS: Record<string, [string, string]> = {
  'organization_users.organization_id': ['organizations', 'RESTRICT'],
  'organization_users.user_id': ['directus_users', 'RESTRICT'],
  'organization_vehicles.organization_id': ['organizations', 'RESTRICT'],
  'organization_vehicles.vehicle_id': ['vehicles', 'RESTRICT'],
  'organization_devices.organization_id': ['organizations', 'RESTRICT'],
  'organization_devices.device_id': ['devices', 'RESTRICT'],
  'events.organization_id': ['organizations', 'RESTRICT'],
  'classes.event_id': ['events', 'RESTRICT'],
  'entries.event_id': ['events', 'RESTRICT'],
  'entries.class_id': ['classes', 'RESTRICT'],
  'entries.vehicle_id': ['vehicles', 'RESTRICT'],
  'entry_crew.entry_id': ['entries', 'RESTRICT'],
  'entry_crew.user_id': ['directus_users', 'RESTRICT'],
  'entry_devices.entry_id': ['entries', 'RESTRICT'],
  'entry_devices.device_id': ['devices', 'RESTRICT'],
  'entry_devices.assigned_user_id': ['directus_users', 'SET NULL'],
  'commands.device_id': ['devices', 'RESTRICT'],
  'commands.requested_by': ['directus_users', 'RESTRICT'],
  'commands.organization_id': ['organizations', 'RESTRICT'],
  'vehicles.user_created': ['directus_users', 'SET NULL'],
  'devices.user_created': ['directus_users', 'SET NULL'],
};
const UNIQUE_CONSTRAINTS = [
  'classes(event_id,code)', 'entries(event_id,race_number)', 'entry_crew(entry_id,user_id)', 'entry_devices(entry_id,device_id)',
  'events(organization_id,slug)', 'organization_devices(organization_id,device_id)', 'organization_users(organization_id,user_id)',
  'organization_vehicles(organization_id,vehicle_id)',
];

describe('the committed snapshot (lint)', () => {
  let snapshot: Snapshot;
  beforeAll(async () => {
    snapshot = await readSnapshot(committedPath);
  });

  it('is a full PostgreSQL snapshot taken with the pinned Directus', () => {
    expect(snapshot.version).toBe(1);
    expect(snapshot.vendor).toBe('postgres');
    expect(snapshot.directus).toBe(pinned);
  });

  it('holds the twelve business collections: no directus_* collection, nothing db-init owns', async () => {
    const owned = await ownedTables();
    expect(snapshot.collections.map((c) => c.collection).sort()).toEqual(COLLECTIONS);
    for (const name of [...snapshot.collections.map((c) => c.collection), ...snapshot.relations.map((r) => r.related_collection)]) {
      expect(owned).not.toContain(name);
    }
    for (const { collection } of [...snapshot.fields, ...snapshot.relations]) expect(owned).not.toContain(collection);
  });

  it('adds exactly phone, birth_date and nationality to directus_users', () => {
    expect(snapshot.fields.filter((f) => f.collection === 'directus_users').map((f) => f.field)).toEqual(['phone', 'birth_date', 'nationality']);
  });

  it('restricts every many-to-one delete except the panic-button wearer and a vehicle’s or device’s creator, which are set null', () => {
    const relations = Object.fromEntries(snapshot.relations.map((r) => [`${r.collection}.${r.field}`, [r.related_collection, r.schema?.on_delete]]));
    expect(relations).toEqual(RELATIONS);
    for (const key of Object.keys(RELATIONS)) {
      const [collection, field] = key.split('.') as [string, string];
      const meta = snapshot.fields.find((f) => f.collection === collection && f.field === field)?.meta;
      expect(meta?.['interface'], key).toBe('select-dropdown-m2o');
    }
  });

  it('offers each enum of domain.md as a dropdown whose values the API validates', () => {
    for (const [key, values] of Object.entries(ENUMS)) {
      const [collection, field] = key.split('.') as [string, string];
      const meta = snapshot.fields.find((f) => f.collection === collection && f.field === field)?.meta;
      expect(meta?.['interface'], key).toBe('select-dropdown');
      expect(meta?.['options']?.['choices']?.map((choice: { value: string }) => choice.value), key).toEqual(values);
      expect(meta?.['validation'], key).toEqual({ _and: [{ [field]: { _in: values } }] });
    }
  });

  it('archives an entry by setting it to withdrawn, and names every collection for the admin UI', () => {
    const entries = snapshot.collections.find((c) => c.collection === 'entries')?.meta;
    expect(entries).toMatchObject({ archive_field: 'status', archive_value: 'withdrawn', archive_app_filter: true });
    for (const { collection, meta } of snapshot.collections) {
      expect(meta?.['display_template'], collection).toEqual(expect.any(String));
      expect(meta?.['note'], collection).toEqual(expect.any(String));
    }
  });

  it('schema:snapshot strips a db-init table, everything pointing at it and the alias it fed, and nothing else', async () => {
    const committed = await readSnapshotFile(committedPath);
    const ghosted = structuredClone(committed);
    ghosted.collections.push(
      { collection: 'positions', meta: { collection: 'positions', group: null }, schema: { name: 'positions' } },
      { collection: 'migrations_applied', meta: { collection: 'migrations_applied', group: null }, schema: null },
    );
    const devices = ghosted.collections.find((c) => c.collection === 'devices')!;
    devices.meta = { ...devices.meta, group: 'migrations_applied' };
    ghosted.fields.push(
      { collection: 'positions', field: 'device_id', type: 'string', meta: null, schema: { name: 'device_id', table: 'positions' } },
      { collection: 'devices', field: 'positions', type: 'alias', meta: { special: ['o2m'] }, schema: null },
    );
    ghosted.relations.push({ collection: 'positions', field: 'device_id', related_collection: 'devices', meta: { one_field: 'positions' }, schema: null });

    const { snapshot, removed } = stripSnapshot(ghosted, await foreignTables({}));
    expect(removed).toEqual([
      'collection positions',
      'collection migrations_applied',
      'folder migrations_applied of collection devices',
      'relation positions.device_id → devices',
      'field positions.device_id',
      'field devices.positions',
    ]);
    expect(snapshot).toEqual(committed);
  });

  it('refuses a snapshot from an instance on another Directus version', () => {
    expect(versionMismatch('12.3.0', pinned)).toBe(
      `the instance runs Directus 12.3.0, this repository pins ${pinned} (package.json and the Dockerfile's FROM)`,
    );
    expect(versionMismatch(pinned, pinned)).toBeUndefined();
  });
});

// One database booted from the committed files, then used as a developer's would be.
describe('the committed schema on a fresh database', () => {
  const booted = useBootedDatabase(directusEnv);
  const schemaCommand = (script: string, snapshotPath = committedPath) =>
    node(`scripts/${script}.ts`, [], { ...booted().env, SNAPSHOT_PATH: snapshotPath });

  it('has the eight composite UNIQUE constraints of db-init-post', async () => {
    const { db } = booted();
    const rows = await db.query<{ constraint: string }>(
      `SELECT c.conrelid::regclass::text || '(' || string_agg(a.attname, ',' ORDER BY k.ord) || ')' AS constraint
         FROM pg_constraint c
         CROSS JOIN unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
        WHERE c.contype = 'u' AND cardinality(c.conkey) > 1 AND c.connamespace = 'public'::regnamespace
          AND c.conrelid::regclass::text NOT LIKE 'directus\_%'
        GROUP BY c.oid, c.conrelid ORDER BY 1`,
    );
    expect(rows.map((row) => row.constraint)).toEqual(UNIQUE_CONSTRAINTS);
  });

  it('round trip: schema:snapshot of it is the committed file byte for byte, and again on a second run', async () => {
    const fresh = await tempFile('schema.yaml');
    const first = await schemaCommand('schema-snapshot', fresh);
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toContain('wrote');
    expect(await readFile(fresh, 'utf8')).toBe(await readFile(committedPath, 'utf8'));
    const second = await schemaCommand('schema-snapshot', fresh);
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`schema\\.yaml is unchanged \\(12 collections, \\d+ fields, ${Object.keys(RELATIONS).length} relations\\)`));
    expect(await readFile(fresh, 'utf8')).toBe(await readFile(committedPath, 'utf8'));
  });

  it('schema:check finds it in sync and exits 0', async () => {
    const check = await schemaCommand('schema-check');
    expect(check.code, check.output).toBe(0);
    expect(check.stdout).toMatch(/matches schema\.yaml \(12 collections/);
  });

  it('through the REST API: composite uniqueness, RESTRICT, SET NULL and archiving hold; drift is reported and captured', async () => {
    const { db, env } = booted();
    const server = await bootFully(env);
    try {
      const api = restClient(server.baseUrl, await login(server.baseUrl, admin.email, admin.password));
      const create = async (collection: string, item: Record<string, unknown>) => {
        const response = await api<{ id: string }>('POST', `/items/${collection}`, item);
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        return response.body!.data!.id;
      };
      const org = await create('organizations', { name: 'Rally Albania', slug: 'rally-albania' });
      const event = await create('events', {
        organization_id: org, name: 'Rally Albania 2027', slug: 'ra-2027', discipline: 'rally',
        starts_at: '2027-06-05T06:00:00Z', ends_at: '2027-06-12T18:00:00Z',
      });
      const klass = await create('classes', { event_id: event, code: 'T1', name: 'Cars' });
      const entry = await create('entries', { event_id: event, class_id: klass, race_number: '101' });

      const duplicate = await api('POST', '/items/entries', { event_id: event, class_id: klass, race_number: '101' });
      expect(duplicate.status).toBe(400);
      expect(duplicate.body?.errors?.[0]?.extensions?.code).toBe('RECORD_NOT_UNIQUE');
      expect(await db.query("SELECT count(*)::int AS n FROM entries WHERE race_number = '101'")).toEqual([{ n: 1 }]);

      const badEnum = await api('POST', '/items/entries', { event_id: event, class_id: klass, race_number: '102', status: 'lost' });
      expect(badEnum.status).toBe(400);
      expect(badEnum.body?.errors?.[0]?.extensions?.code).toBe('FAILED_VALIDATION');

      // A RESTRICT violation on delete is answered 409, naming what still references the row.
      const orgDelete = await api('DELETE', `/items/organizations/${org}`);
      expect(orgDelete.status).toBe(409);
      expect(orgDelete.body?.errors?.[0]?.message).toBe(`The organizations item ${org} is still referenced by 1 events (organization_id): delete or change those first.`);
      expect((await api('GET', `/items/organizations/${org}`)).status).toBe(200);

      const device = await create('devices', { imei: '356307042441013', model: 'Teltonika FMB920' });
      const userResponse = await api<{ id: string }>('POST', '/users', { email: 'navigator@example.com', password: 'n4vigator-pass', first_name: 'Ana' });
      expect(userResponse.status, JSON.stringify(userResponse.body)).toBe(200);
      const user = userResponse.body!.data!.id;
      const wearer = await create('entry_devices', { entry_id: entry, device_id: device, assigned_user_id: user });
      expect((await api('DELETE', `/users/${user}`)).status).toBe(204);
      const afterUserDelete = await api<{ assigned_user_id: string | null; device_id: string }>('GET', `/items/entry_devices/${wearer}`);
      expect(afterUserDelete.body?.data).toMatchObject({ assigned_user_id: null, device_id: device });

      expect((await api('PATCH', `/items/entries/${entry}`, { status: 'withdrawn' })).status).toBe(200);
      const meta = (await api<{ meta: Record<string, unknown> }>('GET', '/collections/entries')).body?.data?.meta;
      expect(meta).toMatchObject({ archive_field: 'status', archive_value: 'withdrawn' });
      // The admin UI lists a collection through its archive filter: the withdrawn entry is gone from it.
      const listed = await api<Array<{ id: string }>>('GET', `/items/entries?filter[${meta?.['archive_field']}][_neq]=${meta?.['archive_value']}`);
      expect(listed.body?.data?.map((item) => item.id)).not.toContain(entry);

      // A developer adds a field in the admin UI: the database now differs from the committed file.
      const added = await api('POST', '/fields/vehicles', { field: 'colour', type: 'string', meta: { interface: 'input', note: 'Livery colour' } });
      expect(added.status, JSON.stringify(added.body)).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.finished;
    }
    const drift = await schemaCommand('schema-check');
    expect(drift.code).toBe(1);
    expect(drift.stdout).toMatch(/1 difference\(s\); applying schema\.yaml and config\.yaml to .* would:\n\[schema\]   delete field +vehicles\.colour/);
    // What the boot's deletion guard would make of it, with this environment.
    expect(drift.stdout).toMatch(/delete field +vehicles\.colour +\(0 rows hold a value; refused by the deletion guard\)/);
    expect(drift.stdout).toMatch(/a boot with this environment refuses the plan \([0-9a-f]{12}\)/);
    expect(drift.stderr).toContain('pnpm run schema:snapshot');

    const captured = await tempFile('schema.yaml');
    await copyFile(committedPath, captured);
    const snapshot = await schemaCommand('schema-snapshot', captured);
    expect(snapshot.code, snapshot.output).toBe(0);
    expect(snapshot.stdout).toMatch(/applying it would:\n\[schema\]   create field +vehicles\.colour/);
    expect((await readSnapshot(captured)).fields.filter((f) => f.collection === 'vehicles').map((f) => f.field)).toContain('colour');
    expect((await schemaCommand('schema-check', captured)).code).toBe(0);
  });
});

describe('composite UNIQUE constraints over rows that already collide', () => {
  const booted = useBootedDatabase(directusEnv);

  it('lists every colliding group with its ids, records nothing, and adds the constraint once the rows are fixed', async () => {
    const { db, env } = booted();
    // As if the rows had arrived before the constraint did (an older deploy, an out-of-band import).
    await db.query(`ALTER TABLE entries DROP CONSTRAINT entries_event_id_race_number_key`);
    await db.query(`DELETE FROM migrations_applied WHERE filename = '007_entries_unique.sql'`);
    // organization_users keeps its constraint and loses only its guard row: the file must leave it alone.
    await db.query(`DELETE FROM migrations_applied WHERE filename = '002_organization_users_unique.sql'`);
    const [org] = await db.query<{ id: string }>(`INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), 'O', 'o') RETURNING id`);
    const [event] = await db.query<{ id: string }>(
      `INSERT INTO events (id, organization_id, name, slug, discipline, starts_at, ends_at)
       VALUES (gen_random_uuid(), $1, 'E', 'e', 'rally', now(), now()) RETURNING id`,
      [org!.id],
    );
    const [klass] = await db.query<{ id: string }>(`INSERT INTO classes (id, event_id, code) VALUES (gen_random_uuid(), $1, 'T1') RETURNING id`, [event!.id]);
    const rows = await db.query<{ id: string; race_number: string }>(
      `INSERT INTO entries (id, event_id, class_id, race_number)
       SELECT gen_random_uuid(), $1, $2, n FROM unnest(ARRAY['7', '7', '7', '12', '12', '13']) AS n RETURNING id, race_number`,
      [event!.id, klass!.id],
    );
    const post = (extra: Record<string, string> = {}) => node('scripts/db-init.ts', [], { ...db.env, DB_INIT_DIR: 'db-init-post', ...extra });

    const failed = await post();
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      'db-init-post/007_entries_unique.sql:2: SQLSTATE 23505: entries: 2 group(s) of rows share (event_id, race_number), so UNIQUE constraint entries_event_id_race_number_key cannot be added',
    );
    for (const number of ['7', '12']) {
      const ids = rows.filter((row) => row.race_number === number).map((row) => row.id).sort();
      expect(failed.stderr).toContain(`(event_id, race_number) = (${event!.id},${number}): ${ids.length} rows, ids ${ids.join(', ')}`);
    }
    expect(failed.stderr).not.toContain(`${event!.id},13)`);
    expect(failed.stderr).toContain('HINT: Merge or delete the duplicate rows');
    // Files before the failing one still run: 002 finds its constraint in place and only records itself.
    expect(failed.stdout).toContain('db-init-post/002_organization_users_unique.sql applied');
    expect(await db.query(`SELECT filename FROM migrations_applied WHERE filename = '007_entries_unique.sql'`)).toEqual([]);
    expect(await db.query(`SELECT 1 FROM pg_constraint WHERE conname = 'entries_event_id_race_number_key'`)).toEqual([]);

    await db.query(`DELETE FROM entries a USING entries b WHERE a.event_id = b.event_id AND a.race_number = b.race_number AND a.id > b.id`);
    const fixed = await post();
    expect(fixed.code, fixed.output).toBe(0);
    expect(fixed.stdout).toContain(`db-init-post/: applied 1 file, ${(await committedSqlFiles('db-init-post')).length - 1} already applied`);
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conname IN ('entries_event_id_race_number_key', 'organization_users_organization_id_user_id_key')`)).toEqual([{ n: 2 }]);
  });
});

describe('ghost collections: db-init tables registered with Directus as the admin UI would', () => {
  const booted = useBootedDatabase(directusEnv);

  it('Directus snapshots them and its file breaks a fresh boot; schema:snapshot leaves them out and its file boots', async () => {
    const { db, env } = booted();
    // What the admin UI writes when a developer "configures" an existing table.
    await db.query(`INSERT INTO directus_collections (collection, icon, note) VALUES ('positions', 'map', 'telemetry'), ('migrations_applied', 'list', null)`);
    await db.query(`INSERT INTO directus_fields (collection, field, interface) VALUES ('positions', 'faulty', 'boolean')`);

    const raw = await tempFile('raw.yaml');
    const stock = await node('node_modules/directus/cli.js', ['schema', 'snapshot', '--yes', '--format', 'yaml', raw], env);
    expect(stock.code, stock.output).toBe(0);
    expect((await readSnapshot(raw)).collections.map((c) => c.collection)).toEqual(expect.arrayContaining(['positions', 'migrations_applied']));

    const clean = await tempFile('schema.yaml');
    const ours = await node('scripts/schema-snapshot.ts', [], { ...env, SNAPSHOT_PATH: clean });
    expect(ours.code, ours.output).toBe(0);
    expect(ours.stderr).toContain('left out collection migrations_applied');
    expect(ours.stderr).toContain('left out collection positions');
    expect(await readFile(clean, 'utf8')).toBe(await readFile(committedPath, 'utf8'));

    const bootWith = async (snapshotPath: string) => {
      const target = await createDatabase();
      try {
        return await run('./entrypoint.sh', ['dry-run'], { ...target.env, ...directusEnv, SNAPSHOT_PATH: snapshotPath });
      } finally {
        await target.drop();
      }
    };
    const withGhosts = await bootWith(raw);
    expect(withGhosts.code).not.toBe(0);
    expect(withGhosts.stderr).toContain('ERROR step 3/5 directus schema apply failed');
    const stripped = await bootWith(clean);
    expect(stripped.code, stripped.output).toBe(0);
  });
});
