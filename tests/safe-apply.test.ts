import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { redact } from '../scripts/lib/log.ts';
import { allowValueFor, judge, schemaPolicyFromEnv, type Risk } from '../scripts/schema/guard.ts';
import type { PlannedChange } from '../scripts/schema/plan.ts';
import { useBootedDatabase, useDatabase } from './support/databases.ts';
import { bootFully, login, restClient } from './support/directus.ts';
import { repoDir, run, type RunResult } from './support/run.ts';

const example = parseEnv(await readFile(path.join(repoDir, '.env.example'), 'utf8'));
const admin = { email: 'admin@example.com', password: 'safe-apply-admin-password' };
const secrets = {
  KEY: 'safe-apply-key-0123456789abcdef',
  SECRET: 'safe-apply-secret-0123456789abcdef',
  ADMIN_EMAIL: admin.email,
  ADMIN_PASSWORD: admin.password,
};

// Everything the boots of this file printed: no secret value may be in it.
const printed: string[] = [];
async function boot(env: Record<string, string>): Promise<RunResult> {
  const result = await run('./entrypoint.sh', ['dry-run'], env);
  printed.push(result.output);
  return result;
}

// The incident of the architecture page: someone creates a collection in the admin UI and fills
// it; the next image still carries the snapshot from before.
describe('a stale snapshot against a database with a collection made in the admin UI', () => {
  const booted = useBootedDatabase(secrets);
  const bootWith = (extra: Record<string, string> = {}) => boot({ ...booted().env, ...extra });
  const notes = async () => ({
    rows: (await booted().db.query<{ body: string }>('SELECT body FROM race_notes ORDER BY id')).map((row) => row.body),
    collection: (await booted().db.query("SELECT 1 FROM directus_collections WHERE collection = 'race_notes'")).length,
    fields: (await booted().db.query("SELECT field FROM directus_fields WHERE collection = 'race_notes' ORDER BY field")).map((row) => row['field']),
  });
  const intact = { rows: ['pit board', 'tyre change', 'fuel'], collection: 1, fields: ['body', 'id'] };

  beforeAll(async () => {
    const server = await bootFully(booted().env);
    try {
      const api = restClient(server.baseUrl, await login(server.baseUrl, admin.email, admin.password));
      const created = await api('POST', '/collections', {
        collection: 'race_notes',
        meta: { icon: 'sticky_note_2' },
        schema: {},
        fields: [
          { field: 'id', type: 'integer', meta: { hidden: true }, schema: { is_primary_key: true, has_auto_increment: true } },
          { field: 'body', type: 'text', meta: { interface: 'input-multiline' }, schema: {} },
        ],
      });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const items = await api('POST', '/items/race_notes', intact.rows.map((body) => ({ body })));
      expect(items.status, JSON.stringify(items.body)).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.finished;
    }
  });

  it('auto: the boot refuses before step 4, lists the deletion with its rows and both ways forward; nothing is deleted', async () => {
    const result = await bootWith();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERROR step 3\/5 directus schema apply failed after \d+\.\d\d s: applying schema\.yaml and config\.yaml would delete or lose data, so nothing was applied \(plan [0-9a-f]{12}\)/);
    expect(result.stderr).toMatch(/delete collection\s+race_notes\s+\(table holds 3 rows; refused by the deletion guard\)/);
    expect(result.stderr).toContain('pnpm run schema:snapshot');
    expect(result.stderr).toContain('DIRECTUS_SCHEMA_ALLOW_DELETE=race_notes, then remove the setting');
    expect(result.output).not.toContain('step 4/5');
    expect(await notes()).toEqual(intact);
  });

  it('dry-run: lists the same deletion, changes nothing, and the boot goes on; the next auto boot still refuses', async () => {
    const result = await bootWith({ DIRECTUS_SCHEMA_APPLY_MODE: 'dry-run' });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/DIRECTUS_SCHEMA_APPLY_MODE=dry-run: what applying schema\.yaml and config\.yaml would do; the deletion guard would refuse it, plan [0-9a-f]{12}:/);
    expect(result.stdout).toMatch(/delete collection\s+race_notes\s+\(table holds 3 rows; refused by the deletion guard\)/);
    expect(result.stdout).toContain('step 3/5 directus schema apply: dry-run: 1 change (1 deleted) planned, nothing applied');
    expect(result.stdout).toContain('step 4/5 db-init-post');
    expect(await notes()).toEqual(intact);
    expect((await bootWith()).code).toBe(1);
  });

  it('skip: step 3 does not run, the collection stays, the boot goes on', async () => {
    const result = await bootWith({ DIRECTUS_SCHEMA_APPLY_MODE: 'skip' });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('step 3/5 directus schema apply: skipped: DIRECTUS_SCHEMA_APPLY_MODE=skip');
    expect(await notes()).toEqual(intact);
  });

  it('production: a bare * is refused; * with the plan id of the refusal is allowed, another plan id is not', async () => {
    const production = { NODE_ENV: 'production', DIRECTUS_SCHEMA_ALLOW_DELETE: '*' };
    const bare = await bootWith(production);
    expect(bare.code).toBe(1);
    const planId = /DIRECTUS_SCHEMA_ALLOW_PLAN=([0-9a-f]{12}), the id of exactly this plan/.exec(bare.stderr)?.[1];
    expect(planId, bare.stderr).toBeDefined();
    expect(await notes()).toEqual(intact);
    const wrong = await bootWith({ ...production, DIRECTUS_SCHEMA_ALLOW_PLAN: '000000000000' });
    expect(wrong.code).toBe(1);
    const approved = await bootWith({ ...production, DIRECTUS_SCHEMA_ALLOW_PLAN: planId!, DIRECTUS_SCHEMA_APPLY_MODE: 'dry-run' });
    expect(approved.code, approved.output).toBe(0);
    expect(approved.stdout).toMatch(/delete collection\s+race_notes\s+\(table holds 3 rows; allowed by DIRECTUS_SCHEMA_ALLOW_DELETE\)/);
    expect(await notes()).toEqual(intact);
  });

  it('named in DIRECTUS_SCHEMA_ALLOW_DELETE, the collection is dropped with its rows; the next boot finds nothing to do', async () => {
    const result = await bootWith({ DIRECTUS_SCHEMA_ALLOW_DELETE: 'race_notes' });
    expect(result.code, result.output).toBe(0);
    expect(result.stderr).toMatch(/WARN\s+delete collection\s+race_notes\s+\(table holds 3 rows; allowed by DIRECTUS_SCHEMA_ALLOW_DELETE\)/);
    expect(result.stdout).toContain('step 3/5 directus schema apply: schema.yaml: applied 1 change (1 deleted)');
    expect(await booted().db.query("SELECT to_regclass('race_notes') AS t")).toEqual([{ t: null }]);
    expect(await booted().db.query("SELECT collection FROM directus_collections WHERE collection = 'race_notes'")).toEqual([]);
    expect((await bootWith()).stdout).toContain('step 3/5 directus schema apply: skipped: schema.yaml (sha256');
  });
});

describe('column changes that would lose stored values', () => {
  const booted = useBootedDatabase(secrets);
  const longName = 'x'.repeat(300);

  it('a narrower max_length over longer values and a required column holding nulls are refused; nothing changes', async () => {
    const { db, env } = booted();
    // Widened and relaxed behind the snapshot's back, then filled.
    await db.query('ALTER TABLE events ALTER COLUMN name TYPE varchar(400)');
    await db.query('ALTER TABLE organizations ALTER COLUMN name DROP NOT NULL');
    await db.query(`INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), NULL, 'no-name')`);
    await db.query(
      `INSERT INTO events (id, organization_id, name, slug, discipline, starts_at, ends_at)
       SELECT gen_random_uuid(), id, $1, 'long', 'rally', now(), now() FROM organizations`,
      [longName],
    );
    const result = await boot(env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/change field\s+events\.name\s+\(max_length 400 → 255 truncates 1 value; refused by the deletion guard\)/);
    expect(result.stderr).toMatch(/change field\s+organizations\.name\s+\(made required while 1 row holds null; refused by the deletion guard\)/);
    expect(result.stderr).toContain('DIRECTUS_SCHEMA_ALLOW_DELETE=events.name,organizations.name, then remove the setting');
    expect(await db.query('SELECT length(name) AS n FROM events')).toEqual([{ n: 300 }]);
  });

  it('once the nulls are fixed and events.name is allowed, the snapshot applies: the loss was the operator\'s choice', async () => {
    const { db, env } = booted();
    await db.query(`UPDATE organizations SET name = 'Named' WHERE name IS NULL`);
    const result = await boot({ ...env, DIRECTUS_SCHEMA_ALLOW_DELETE: 'events.name' });
    expect(result.code, result.output).toBe(0);
    expect(result.stderr).toMatch(/change field\s+events\.name\s+\(max_length 400 → 255 truncates 1 value; allowed by DIRECTUS_SCHEMA_ALLOW_DELETE\)/);
    expect(await db.query('SELECT length(name) AS n FROM events')).toEqual([{ n: 255 }]);
  });
});

// PostgreSQL refuses to change the type of a column a row-level security policy names, and Directus
// changes a column's type to change its nullability: step 3 lifts the person policies around the
// apply, in the same transaction, and lays them down again.
describe('a schema change on a column the tenant policies name', () => {
  const booted = useBootedDatabase(secrets);
  const personPolicies = async () =>
    (await booted().db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_policies WHERE policyname LIKE 'person\\_%'"))[0]!.n;

  it('entries.event_id made nullable behind the snapshot\'s back is made required again; every policy is back', async () => {
    const { db, env } = booted();
    const before = await personPolicies();
    expect(before).toBeGreaterThan(0);
    await db.query('ALTER TABLE entries ALTER COLUMN event_id DROP NOT NULL');
    const result = await boot(env);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('schema.yaml: applied 1 change (1 changed)');
    expect(await db.query("SELECT is_nullable FROM information_schema.columns WHERE table_name = 'entries' AND column_name = 'event_id'")).toEqual([
      { is_nullable: 'NO' },
    ]);
    expect(await personPolicies()).toBe(before);
  });
});

describe('production settings are checked before the database is touched', () => {
  const database = useDatabase();
  const tables = async () => (await database().query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).length;

  it.each([
    ['KEY missing', { KEY: '' }, 'KEY is not set'],
    ['SECRET the .env.example placeholder', { SECRET: example['SECRET']! }, 'SECRET is the placeholder value from .env.example'],
    ['an unknown apply mode', { DIRECTUS_SCHEMA_APPLY_MODE: 'yolo' }, 'DIRECTUS_SCHEMA_APPLY_MODE="yolo" is not a mode; use one of: auto, dry-run, skip'],
    ['a malformed allow entry', { DIRECTUS_SCHEMA_ALLOW_DELETE: 'race notes' }, '"race notes" is neither a collection, collection.field nor a configuration item'],
  ])('%s: refused with the variable named, nothing written', async (_, override, message) => {
    const result = await boot({ ...database().env, ...secrets, NODE_ENV: 'production', ...override });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`ERROR refusing to boot: `);
    expect(result.stderr).toContain(message);
    expect(result.output).not.toContain('step 1/5');
    expect(await tables()).toBe(0);
  });
});

describe('what the boot prints', () => {
  it('no boot in this file printed a secret value', () => {
    expect(printed.length).toBeGreaterThan(10);
    for (const output of printed) {
      for (const value of [secrets.KEY, secrets.SECRET, secrets.ADMIN_PASSWORD]) expect(output).not.toContain(value);
    }
  });

  it('redact() blanks secrets by name and URL passwords, and leaves short values and ordinary settings alone', () => {
    const env = {
      KEY: 'key-value-123',
      DB_PASSWORD: 'p@ss word!',
      REDIS: 'redis://default:redis-pass%2F1@cache:6379',
      STORAGE_S3_SECRET: 's3-secret-value',
      ADMIN_PASSWORD: 'short',
      DB_HOST: 'db.internal',
    };
    expect(redact('key-value-123 p@ss word! redis-pass/1 redis-pass%2F1 s3-secret-value short db.internal', env)).toBe(
      '*** *** *** *** *** short db.internal',
    );
  });
});

describe('the deletion guard policy', () => {
  const change = (kind: PlannedChange['kind'], collection: string, field?: string): PlannedChange => ({
    action: 'delete',
    kind,
    name: field ? `${collection}.${field}` : collection,
    collection,
    field,
    edits: [],
  });
  const risks: Risk[] = [
    { change: change('collection', 'race_notes'), impact: 'table holds 3 rows' },
    { change: change('field', 'events', 'note'), impact: '2 rows hold a value' },
  ];
  const policy = (env: Record<string, string>) => schemaPolicyFromEnv(env);

  it('a collection name allows that collection, collection.field that field; unused names are reported', () => {
    const verdict = judge(risks, policy({ DIRECTUS_SCHEMA_ALLOW_DELETE: 'race_notes, events.other' }));
    expect(verdict.allowed.map((risk) => risk.change.name)).toEqual(['race_notes']);
    expect(verdict.refused.map((risk) => risk.change.name)).toEqual(['events.note']);
    expect(verdict.unused).toEqual(['events.other']);
    expect(judge(risks, policy({ DIRECTUS_SCHEMA_ALLOW_DELETE: 'events' })).allowed.map((risk) => risk.change.name)).toEqual(['events.note']);
  });

  it('a collection named whole also allows the deletion of the permissions on it, and the suggested setting says so', () => {
    const permission: PlannedChange = { ...change('permission', 'race_notes'), name: 'Timekeeping/race_notes.read', allowName: 'permission:Timekeeping/race_notes.read' };
    const withPermission: Risk[] = [...risks, { change: permission, impact: "its policy's users lose read on race_notes" }];
    expect(judge(withPermission, policy({ DIRECTUS_SCHEMA_ALLOW_DELETE: 'race_notes,events.note' })).refused).toEqual([]);
    expect(judge(withPermission, policy({ DIRECTUS_SCHEMA_ALLOW_DELETE: 'events.note' })).refused.map((risk) => risk.change.name)).toEqual(['race_notes', 'Timekeeping/race_notes.read']);
    expect(allowValueFor(withPermission)).toBe('race_notes,events.note');
    expect(allowValueFor([risks[1]!, { change: permission, impact: '' }])).toBe('events.note,permission:Timekeeping/race_notes.read');
    // race_notes kept: its name allows no permission's deletion, and says it names nothing in the plan.
    const kept = judge([risks[1]!, { change: permission, impact: '' }], policy({ DIRECTUS_SCHEMA_ALLOW_DELETE: 'race_notes,events.note' }));
    expect(kept.refused.map((risk) => risk.change.name)).toEqual(['Timekeeping/race_notes.read']);
    expect(kept.unused).toEqual(['race_notes']);
  });

  it('* allows everything outside production; in production only with this plan\'s id', () => {
    expect(judge(risks, policy({ DIRECTUS_SCHEMA_ALLOW_DELETE: '*' })).refused).toEqual([]);
    const inProduction = judge(risks, policy({ DIRECTUS_SCHEMA_ALLOW_DELETE: '*', NODE_ENV: 'production' }));
    expect(inProduction.refused).toHaveLength(2);
    const approved = policy({ DIRECTUS_SCHEMA_ALLOW_DELETE: '*', NODE_ENV: 'production', DIRECTUS_SCHEMA_ALLOW_PLAN: inProduction.planId });
    expect(judge(risks, approved).refused).toEqual([]);
    expect(judge(risks.slice(1), approved).refused).toHaveLength(1);
  });
});
