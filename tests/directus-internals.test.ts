import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareContents, recordContents, type Contents } from '../scripts/upgrade/contents.ts';
import { databaseContents, type DatabaseContents } from './support/database-contents.ts';
import { createDatabase, useBootedDatabase, withClient, type TestDatabase } from './support/databases.ts';
import { directusRelease, type DirectusRelease } from './support/directus-release.ts';
import { run } from './support/run.ts';

const secrets = { KEY: 'internals-key-0123456789abcdef', SECRET: 'internals-secret-0123456789abcdef', ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'internals-password' };

// What a boot must not change when it refuses a release: every row exactly (ids, times and
// fingerprints included: directus_migrations, boot_state), and every definition.
interface Snapshot {
  rows: Contents;
  definitions: Omit<DatabaseContents, 'rows'>;
}

async function snapshotOf(db: TestDatabase): Promise<Snapshot> {
  const { rows: _rows, ...definitions } = await databaseContents(db);
  return { rows: await withClient(db.url, recordContents), definitions };
}

async function expectUnchanged(db: TestDatabase, before: Snapshot): Promise<void> {
  const comparison = await withClient(db.url, (client) => compareContents(client, before.rows));
  expect(comparison).toMatchObject({ changed: [], addedColumns: [], droppedColumns: [], addedTables: [], droppedTables: [] });
  const { rows: _rows, ...definitions } = await databaseContents(db);
  expect(definitions).toEqual(before.definitions);
  // Not vacuous: Directus's tables and the boot's record were there to compare.
  expect(before.rows.get('public.directus_migrations')?.rows.length).toBeGreaterThan(100);
  expect(before.rows.get('public.boot_state')?.rows).toHaveLength(2);
}

const tablesOf = async (db: TestDatabase) =>
  (await db.query<{ name: string }>("SELECT schemaname || '.' || tablename AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")).map((row) => row.name);

// A new Directus release that moved modules the boot imports (as 12.2.0 moved the snapshot functions
// into utils/schema/): the boot refuses it before it connects to the database, naming each.
describe('a Directus release that moved internals the boot imports', () => {
  let release: DirectusRelease;
  const booted = useBootedDatabase(secrets);
  beforeAll(async () => {
    release = await directusRelease('12.99.0', [
      { move: 'utils/schema/get-snapshot.js', to: 'utils/schema/snapshot/get.js' },
      { move: 'utils/schema/get-snapshot-diff.js', to: 'utils/schema/snapshot/diff.js' },
    ]);
  });
  afterAll(async () => {
    await release?.remove();
  });

  const expectNamed = (output: string) => {
    expect(output).toContain(`ERROR refusing to boot: Directus 12.99.0 (${release.cli}) lacks 2 internals the scripts rely on:`);
    expect(output).toContain(
      '  @directus/api/utils/schema/get-snapshot: in none of its known places (looked for @directus/api/utils/schema/get-snapshot, @directus/api/utils/get-snapshot)',
    );
    expect(output).toContain(
      '  @directus/api/utils/schema/get-snapshot-diff: in none of its known places (looked for @directus/api/utils/schema/get-snapshot-diff, @directus/api/utils/get-snapshot-diff)',
    );
    expect(output).toContain('this repository pins 12.4.0; after a bump, pin back to the release before it');
    expect(output).toContain('add that place to scripts/lib/directus-internals.ts and rehearse the upgrade: docs/deploy.md, "Bumping Directus"');
    expect(output).toContain('ERROR Nothing was written to the database.');
    expect(output).not.toContain('step 1/5');
  };

  it('on a fresh database: exits 1 naming them, and the database stays empty', async () => {
    const db = await createDatabase();
    try {
      const result = await run('./entrypoint.sh', ['dry-run'], { ...db.env, ...secrets, DIRECTUS_CLI: release.cli });
      expect(result.code, result.output).toBe(1);
      expectNamed(result.stderr);
      expect(await tablesOf(db)).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('on a database the pinned Directus booted: exits 1 naming them, and leaves every row and definition as it was', async () => {
    const { db, env } = booted();
    const before = await snapshotOf(db);
    const result = await run('./entrypoint.sh', ['dry-run'], { ...env, DIRECTUS_CLI: release.cli });
    expect(result.code, result.output).toBe(1);
    expectNamed(result.stderr);
    await expectUnchanged(db, before);
  });

  it('schema-check, which diffs with one of them, names it too', async () => {
    const { env } = booted();
    const result = await run('./entrypoint.sh', ['schema-check'], { ...env, DIRECTUS_CLI: release.cli });
    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain(`schema:check failed: Directus 12.99.0 (${release.cli}) lacks an internal the scripts rely on:`);
    expect(result.stderr).toContain('  @directus/api/utils/schema/get-snapshot-diff: in none of its known places');
  });
});

// A release that kept the file but renamed what the boot calls in it: the resolve-only check cannot
// see that, the boot does as soon as it has loaded Directus's steps, before step 2 does anything.
describe('a Directus release that renamed an export the boot calls', () => {
  let release: DirectusRelease;
  const booted = useBootedDatabase(secrets);
  beforeAll(async () => {
    release = await directusRelease('12.99.1', [
      { replace: 'utils/schema/apply-snapshot.js', content: (real) => `export { applySnapshot as applySchemaSnapshot } from '${real}';\n` },
    ]);
  });
  afterAll(async () => {
    await release?.remove();
  });

  const expectNamed = (output: string) => {
    expect(output).toContain('ERROR step 2/5 directus bootstrap failed after');
    expect(output).toContain(`: Directus 12.99.1 (${release.cli}) lacks an internal the scripts rely on:`);
    expect(output).toMatch(/\n {2}@directus\/api\/utils\/schema\/apply-snapshot: \S+\/dist\/utils\/schema\/apply-snapshot\.js has no export applySnapshot\n/);
    expect(output).toContain('ERROR Nothing was written by Directus. The lines above name what is missing and the ways forward.');
    expect(output).not.toContain('step 3/5');
  };

  it('on a database the pinned Directus booted: step 2 fails naming it, and every row and definition is as it was', async () => {
    const { db, env } = booted();
    const before = await snapshotOf(db);
    const result = await run('./entrypoint.sh', ['dry-run'], { ...env, DIRECTUS_CLI: release.cli });
    expect(result.code, result.output).toBe(1);
    expectNamed(result.stderr);
    await expectUnchanged(db, before);
  });

  it('on a fresh database: step 2 fails naming it, and no directus_* table exists afterwards', async () => {
    const db = await createDatabase();
    try {
      const result = await run('./entrypoint.sh', ['dry-run'], { ...db.env, ...secrets, DIRECTUS_CLI: release.cli });
      expect(result.code, result.output).toBe(1);
      expectNamed(result.stderr);
      const tables = await tablesOf(db);
      // Step 1 ran (the boot's own SQL); Directus wrote nothing.
      expect(tables).toContain('public.positions');
      expect(tables.filter((table) => table.startsWith('public.directus_'))).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});
