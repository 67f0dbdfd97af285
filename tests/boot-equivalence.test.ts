import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseContents, type DatabaseContents } from './support/database-contents.ts';
import { createDatabase, type TestDatabase } from './support/databases.ts';
import { run } from './support/run.ts';

const secrets = { KEY: 'equivalence-key-0123456789abcdef', SECRET: 'equivalence-secret-0123456789abcdef', ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'equivalence-password' };

// Steps 2 and 3 share one process that loads Directus once (boot/schema-worker.ts), where they used to
// be `directus bootstrap` and then the worker. The database that comes out must be the one that came
// out before: the old way is still the boot's own path when step 3 does not run (apply mode skip),
// so one database is booted that way first (steps 1, 2 by the CLI, no step 3, no step 4), then booted
// again normally; the other is booted once, the new way. They are compared table by table.
describe('steps 2 and 3 in one process', () => {
  let oneProcess: TestDatabase;
  let twoProcesses: TestDatabase;
  const outputs: Record<string, string> = {};

  beforeAll(async () => {
    [oneProcess, twoProcesses] = await Promise.all([createDatabase(), createDatabase()]);
    const boot = async (db: TestDatabase, name: string, env: Record<string, string> = {}) => {
      const result = await run('./entrypoint.sh', ['dry-run'], { ...db.env, ...secrets, ...env });
      expect(result.code, result.output).toBe(0);
      outputs[name] = result.stdout;
    };
    await boot(twoProcesses, 'cli', { DIRECTUS_SCHEMA_APPLY_MODE: 'skip', DB_INIT_POST_DIR: await mkdtemp(path.join(tmpdir(), 'trm-no-post-')) });
    await boot(twoProcesses, 'after cli');
    await boot(oneProcess, 'worker');
  });
  afterAll(async () => {
    await Promise.all([oneProcess?.drop(), twoProcesses?.drop()]);
  });

  it('each boot took the path it should', () => {
    expect(outputs['cli']).toContain('step 2/5 directus bootstrap: installed Directus 12.4.0 system tables and the first admin (');
    expect(outputs['cli']).not.toContain('(in the schema worker)');
    expect(outputs['after cli']).toContain('step 2/5 directus bootstrap: skipped');
    expect(outputs['after cli']).toContain('step 3/5 directus schema apply: schema.yaml: applied');
    expect(outputs['worker']).toContain('step 2/5 directus bootstrap: installed Directus 12.4.0 system tables and the first admin (in the schema worker)');
  });

  it('leaves the same database, table by table: definitions, and rows apart from ids and times', async () => {
    const [a, b] = await Promise.all([databaseContents(oneProcess), databaseContents(twoProcesses)]);
    for (const part of ['columns', 'constraints', 'indexes', 'triggers', 'policies', 'functions'] as const) expect([part, a[part]]).toEqual([part, b[part]]);
    expect(Object.keys(a.rows).sort()).toEqual(Object.keys(b.rows).sort());
    const differing = Object.keys(a.rows).filter((table) => JSON.stringify(a.rows[table]) !== JSON.stringify(b.rows[table]));
    expect(Object.fromEntries(differing.map((table) => [table, { oneProcess: a.rows[table], twoProcesses: b.rows[table] }]))).toEqual({});
    // Not vacuous: Directus's own tables and the business schema are there, with their rows.
    const counted = (contents: DatabaseContents, table: string) => contents.rows[table]?.length ?? 0;
    for (const table of ['public.directus_migrations', 'public.directus_users', 'public.directus_permissions', 'public.directus_fields', 'tenant.rules']) expect(counted(a, table)).toBeGreaterThan(0);
    // The first admin is this environment's in both.
    for (const db of [oneProcess, twoProcesses]) expect(await db.query('SELECT email FROM directus_users')).toEqual([{ email: secrets.ADMIN_EMAIL }]);
  });
});
