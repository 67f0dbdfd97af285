import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseContents, type DatabaseContents } from './support/database-contents.ts';
import { createDatabase, type TestDatabase } from './support/databases.ts';
import { bootFully } from './support/directus.ts';
import { run } from './support/run.ts';

const secrets = { KEY: 'equivalence-key-0123456789abcdef', SECRET: 'equivalence-secret-0123456789abcdef', ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'equivalence-password' };

// The boot runs Directus's own bootstrap, snapshot, diff and apply in its own process, and under
// pm2 that same process then serves (boot/directus-steps.ts, boot/main.ts serve). The database that
// comes out must be the one the Directus CLI makes: one database is bootstrapped by the stock
// `directus bootstrap` and then booted (steps 1–4, `dry-run`); the other is booted once, fresh, by
// `./entrypoint.sh start` to /server/ping. They are compared table by table.
describe('a fresh boot in one process', () => {
  let oneProcess: TestDatabase;
  let directusCli: TestDatabase;
  const outputs: Record<string, string> = {};

  beforeAll(async () => {
    [oneProcess, directusCli] = await Promise.all([createDatabase(), createDatabase()]);
    const cli = await run(process.execPath, ['node_modules/directus/cli.js', 'bootstrap'], { ...directusCli.env, ...secrets });
    expect(cli.code, cli.output).toBe(0);
    const dryRun = await run('./entrypoint.sh', ['dry-run'], { ...directusCli.env, ...secrets });
    expect(dryRun.code, dryRun.output).toBe(0);
    outputs['after cli'] = dryRun.stdout;
    const boot = await bootFully({ ...oneProcess.env, ...secrets });
    boot.child.kill('SIGTERM');
    const served = await boot.finished;
    expect(served.code, served.output).toBe(0);
    outputs['start'] = served.stdout;
  });
  afterAll(async () => {
    await Promise.all([oneProcess?.drop(), directusCli?.drop()]);
  });

  it('each boot took the path it should', () => {
    expect(outputs['after cli']).toContain('step 2/5 directus bootstrap: Directus 12.4.0 migrations brought to latest');
    expect(outputs['after cli']).toContain('step 3/5 directus schema apply: schema.yaml: applied');
    expect(outputs['start']).toContain('step 2/5 directus bootstrap: installed Directus 12.4.0 system tables and the first admin');
    expect(outputs['start']).toMatch(/step 5\/5 start: Directus serves on port \d+/);
  });

  it('leaves the same database, table by table: definitions, and rows apart from ids and times', async () => {
    const [a, b] = await Promise.all([databaseContents(oneProcess), databaseContents(directusCli)]);
    for (const part of ['columns', 'constraints', 'indexes', 'triggers', 'policies', 'functions'] as const) expect([part, a[part]]).toEqual([part, b[part]]);
    expect(Object.keys(a.rows).sort()).toEqual(Object.keys(b.rows).sort());
    const differing = Object.keys(a.rows).filter((table) => JSON.stringify(a.rows[table]) !== JSON.stringify(b.rows[table]));
    expect(Object.fromEntries(differing.map((table) => [table, { oneProcess: a.rows[table], directusCli: b.rows[table] }]))).toEqual({});
    // Not vacuous: Directus's own tables and the business schema are there, with their rows.
    const counted = (contents: DatabaseContents, table: string) => contents.rows[table]?.length ?? 0;
    for (const table of ['public.directus_migrations', 'public.directus_users', 'public.directus_permissions', 'public.directus_fields', 'tenant.rules']) expect(counted(a, table)).toBeGreaterThan(0);
    // The first admin is this environment's in both.
    for (const db of [oneProcess, directusCli]) expect(await db.query('SELECT email FROM directus_users')).toEqual([{ email: secrets.ADMIN_EMAIL }]);
  });
});
