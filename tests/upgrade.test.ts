import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadDemo } from '../scripts/demo/load.ts';
import { compareContents, recordContents, rowCount, type Contents } from '../scripts/upgrade/contents.ts';
import { ensurePreviousDirectus } from '../scripts/upgrade/previous-directus.ts';
import { API_WRITES, rehearsalSample } from '../scripts/upgrade/rehearsal-data.ts';
import { useDatabase, withClient } from './support/databases.ts';
import { bootFully, login, restClient } from './support/directus.ts';
import { repoDir, run, type RunResult } from './support/run.ts';

const rehearsalLines = (result: RunResult) => result.stdout.split('\n').filter((line) => line.startsWith('[rehearsal]')).join('\n');
const admin = { ADMIN_EMAIL: 'rehearsal-admin@example.com', ADMIN_PASSWORD: 'rehearsal-admin-password' };

// Issue 18: bumping Directus is rehearsed, not hoped. `pnpm run upgrade:rehearse` boots a database
// with the previous release (tests/upgrade/previous-directus: 12.0.2, the oldest Directus 12 that
// installs from the registry; installed by the rehearsal when missing), fills it, and hands it to the
// pinned release; this runs it exactly as docs/deploy.md ("Bumping Directus") does, in a database of
// the test's own, then checks that database itself rather than the script's words.
describe('a Directus upgrade, rehearsed (pnpm run upgrade:rehearse)', () => {
  const database = useDatabase();
  let result: RunResult;

  beforeAll(async () => {
    const started = performance.now();
    result = await run(process.execPath, ['scripts/upgrade-rehearsal.ts', inject('pgUrl'), '--database', database().name], admin);
    // Figures, not assertions: the previous release's install (when it ran) and each check's time.
    console.log(`upgrade:rehearse took ${((performance.now() - started) / 1000).toFixed(1)} s:\n${rehearsalLines(result)}`);
  }, 900_000);

  it('passes every check, one line each, with what it found', () => {
    expect(result.code, result.output).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => /^\[rehearsal\] \d\/8 /.test(line));
    expect(lines.map((line) => line.match(/^\[rehearsal\] (\d)\/8 /)?.[1])).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(lines[0]).toMatch(/1\/8 the previous Directus is installed: Directus 12\.0\.2 (installed )?in tests\/upgrade\/previous-directus/);
    expect(lines[1]).toContain('2/8 it boots a fresh database: installed Directus 12.0.2 system tables and the first admin');
    expect(lines[2]).toMatch(/3\/8 every collection gets data, through SQL and through its API: .*12 of 12 collections hold rows/);
    expect(lines[3]).toMatch(/4\/8 Directus 12\.4\.0 boots it: step 2: Directus 12\.4\.0 migrations brought to latest, directus_migrations \d+ → \d+ rows: .*; step 3: schema\.yaml: no changes; config\.yaml: no changes/);
    expect(lines[4]).toMatch(/5\/8 a second boot has nothing to do: step 2: skipped: .*; step 3: skipped: .*; config\.yaml: no changes/);
    expect(lines[5]).toMatch(/6\/8 the data is intact: (\d+) of \d+ rows in \d+ tables as they were \(the other 2: boot_state, rewritten by the new boots\)/);
    expect(lines[6]).toContain(`7/8 the server starts and the admin logs in: ${admin.ADMIN_EMAIL} logged in on Directus 12.4.0; read back the 8 items`);
    expect(lines[7]).toContain('8/8 the database matches snapshots/ (schema-check): exit 0');
    expect(result.stdout).toMatch(/passed in \d+\.\d\d s: Directus 12\.0\.2 → Directus 12\.4\.0, every row kept/);
  });

  it("Directus's migrations ran once each: the database holds exactly the pinned release's, and both boots' state names 12.4.0", async () => {
    const db = database();
    const pinnedApi = await realpath(path.join(await realpath(path.join(repoDir, 'node_modules', 'directus')), '..', '@directus', 'api'));
    const files = (await readdir(path.join(pinnedApi, 'dist', 'database', 'migrations'))).filter((file) => /^\d{8}[A-Z]-.*\.js$/.test(file));
    const applied = await db.query<{ version: string }>('SELECT version FROM directus_migrations ORDER BY version');
    expect(applied.map((row) => row.version)).toEqual(files.map((file) => file.split('-')[0]).sort());
    expect(await db.query('SELECT key, directus_version FROM boot_state ORDER BY key')).toEqual([
      { key: 'bootstrap', directus_version: '12.4.0' },
      { key: 'schema', directus_version: '12.4.0' },
    ]);
  });

  it('every row the demo sample put in is there as it was put in, positions included', async () => {
    const sample = rehearsalSample();
    await withClient(database().url, async (client) => {
      const intact = async (table: string, key: string[], rows: Array<Record<string, unknown>>) => {
        // The values the sample gave (not the role it names by name, nor the password Directus hashed).
        const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((column) => !column.startsWith('$') && column !== 'password').map((column) => `"${column}"`);
        const { rows: found } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM json_populate_recordset(NULL::${table}, $1) AS s
             JOIN ${table} AS t ON ${key.map((column) => `t.${column} = s.${column}`).join(' AND ')}
            WHERE (${columns.map((column) => `t.${column}`).join(', ')}) IS NOT DISTINCT FROM (${columns.map((column) => `s.${column}`).join(', ')})`,
          [JSON.stringify(rows)],
        );
        return [table, found[0]?.n];
      };
      for (const { table, rows } of sample.tables) expect(await intact(table, ['id'], rows)).toEqual([table, rows.length]);
      const positions = sample.positions.generate();
      expect(positions.length).toBeGreaterThan(40_000);
      expect(await intact('positions', ['device_id', 'ts'], positions as unknown as Array<Record<string, unknown>>)).toEqual(['positions', positions.length]);
    });
  });

  it("what the old release's API wrote is in Directus's own tables, with the activity and revisions it left", async () => {
    const db = database();
    const [organization] = await db.query<{ id: string }>('SELECT id FROM organizations WHERE slug = $1 AND name = $2', [API_WRITES.organization.slug, API_WRITES.organization.name]);
    expect(organization).toBeDefined();
    const [folder] = await db.query<{ id: string }>('SELECT id FROM directus_folders WHERE name = $1', [API_WRITES.folder.name]);
    expect(await db.query('SELECT title, filename_download, type, filesize::int AS size FROM directus_files WHERE folder = $1', [folder?.id])).toEqual([
      { title: API_WRITES.file.title, filename_download: API_WRITES.file.filename, type: API_WRITES.file.type, size: API_WRITES.file.content.length },
    ]);
    expect(await db.query('SELECT comment FROM directus_comments WHERE collection = $1 AND item = $2', ['organizations', organization?.id])).toEqual([{ comment: API_WRITES.comment }]);
    expect(await db.query('SELECT search, layout FROM directus_presets WHERE bookmark = $1', [API_WRITES.preset.bookmark])).toEqual([{ search: API_WRITES.preset.search, layout: API_WRITES.preset.layout }]);
    expect(
      await db.query('SELECT p.type, p.options FROM directus_panels p JOIN directus_dashboards d ON d.id = p.dashboard WHERE d.name = $1', [API_WRITES.dashboard.name]),
    ).toEqual([{ type: API_WRITES.panel.type, options: API_WRITES.panel.options }]);
    expect(await db.query('SELECT value FROM directus_translations WHERE key = $1', [API_WRITES.translation.key])).toEqual([{ value: API_WRITES.translation.value }]);
    const [{ n: revisions } = { n: 0 }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM directus_revisions WHERE collection = $1 AND item = $2', ['organizations', organization?.id]);
    expect(revisions).toBe(1);
    // The folder the migration 20260818A-add-flow-folders gave a type: files, its default.
    expect(await db.query('SELECT type FROM directus_folders WHERE id = $1', [folder?.id])).toEqual([{ type: 'files' }]);
  });

  describe('the upgraded database, booted and checked by the test itself', () => {
    let server: Awaited<ReturnType<typeof bootFully>> | undefined;
    afterAll(async () => {
      server?.child.kill('SIGTERM');
      await server?.finished;
    });

    it('the pinned Directus starts on it, the admin logs in and reads what the old API wrote', async () => {
      const env = { ...database().env, ...admin, KEY: 'upgrade-key-0123456789abcdef0123', SECRET: 'upgrade-secret-0123456789abcdef0123' };
      server = await bootFully(env);
      const request = restClient(server.baseUrl, await login(server.baseUrl, admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD));
      const organizations = await request<Array<{ name: string }>>('GET', `/items/organizations?filter[slug][_eq]=${API_WRITES.organization.slug}`);
      expect(organizations).toEqual({ status: 200, body: { data: [expect.objectContaining({ name: API_WRITES.organization.name })] } });
    });

    it('schema-check is clean', async () => {
      const check = await run('./entrypoint.sh', ['schema-check'], { ...database().env });
      expect(check.code, check.output).toBe(0);
      expect(check.stdout).toMatch(/matches schema\.yaml \(.*\) and config\.yaml/);
    });
  });
});

// The same rehearsal on a copy of an existing database (a restored copy of stage's, in practice): here
// one the previous release booted and the demo filled. The copy takes the upgrade; the source must
// come out exactly as it went in, and the copy must be gone afterwards.
describe('a Directus upgrade rehearsed on a copy of an existing database (--source)', () => {
  const source = useDatabase();
  let before: Contents;
  let result: RunResult;

  beforeAll(async () => {
    const previous = await ensurePreviousDirectus();
    const secrets = { ...admin, KEY: 'source-key-0123456789abcdef0123', SECRET: 'source-secret-0123456789abcdef0123' };
    const boot = await run('./entrypoint.sh', ['dry-run'], { ...source().env, ...secrets, DIRECTUS_CLI: previous.cli });
    expect(boot.code, boot.output).toBe(0);
    before = await withClient(source().url, async (client) => {
      await loadDemo(client, rehearsalSample());
      return recordContents(client);
    });
    const started = performance.now();
    result = await run(process.execPath, ['scripts/upgrade-rehearsal.ts', inject('pgUrl'), '--source', source().name], admin);
    console.log(`upgrade:rehearse --source took ${((performance.now() - started) / 1000).toFixed(1)} s:\n${rehearsalLines(result)}`);
  }, 900_000);

  it('passes every check on the copy: migrations once, nothing to do the second time, every row kept, the admin logs in, schema-check clean', () => {
    expect(result.code, result.output).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => /^\[rehearsal\] \d\/6 /.test(line));
    expect(lines).toHaveLength(6);
    expect(lines[0]).toContain(`1/6 the copy of ${source().name}: last booted by Directus 12.0.2; 12 of 12 collections hold rows`);
    expect(lines[0]).toContain(`; recorded ${rowCount(before)} rows of ${before.size} tables`);
    expect(lines[1]).toMatch(/2\/6 Directus 12\.4\.0 boots it: step 2: Directus 12\.4\.0 migrations brought to latest, directus_migrations \d+ → \d+ rows: .*; step 3: schema\.yaml: no changes; config\.yaml: no changes/);
    expect(lines[2]).toMatch(/3\/6 a second boot has nothing to do: step 2: skipped/);
    expect(lines[3]).toMatch(/4\/6 the data is intact: \d+ of \d+ rows in \d+ tables as they were \(the other 2: boot_state, rewritten by the new boots\)/);
    expect(lines[4]).toContain(`5/6 the server starts and the admin logs in: ${admin.ADMIN_EMAIL} logged in on Directus 12.4.0 (`);
    expect(lines[5]).toContain('6/6 the database matches snapshots/ (schema-check): exit 0');
    expect(result.stdout).toMatch(new RegExp(`passed in \\d+\\.\\d\\d s: the copy of ${source().name} → Directus 12\\.4\\.0, every row kept`));
  });

  it('leaves the source exactly as it was, on 12.0.2, and drops its copy', async () => {
    const comparison = await withClient(source().url, (client) => compareContents(client, before));
    expect(comparison).toMatchObject({ changed: [], addedColumns: [], droppedColumns: [], addedTables: [], droppedTables: [] });
    expect(comparison.keptRows).toBeGreaterThan(40_000);
    expect(await source().query("SELECT directus_version FROM boot_state WHERE key = 'bootstrap'")).toEqual([{ directus_version: '12.0.2' }]);
    const copy = result.stdout.match(/database (trm_rehearsal_[0-9a-f]+) on /)?.[1];
    expect(copy).toBeDefined();
    expect(await source().query('SELECT datname FROM pg_database WHERE datname = $1', [copy])).toEqual([]);
  });
});
