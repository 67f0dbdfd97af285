import path from 'node:path';
import type pg from 'pg';
import { installedDirectusVersion, pinnedDirectusVersion } from '../lib/directus-install.ts';
import { fromApp } from '../lib/paths.ts';
import { runStreamed } from '../lib/streamed.ts';
import { loadDemo } from '../demo/load.ts';
import { compareContents, recordContents, rowCount } from './contents.ts';
import { ensurePreviousDirectus, previousDirectusDir } from './previous-directus.ts';
import { dryRun, previousEnv, startServer, stepOutcome, withDatabase, type Check, type Rehearsal } from './rehearsal.ts';
import { login, readBackThroughApi, rehearsalSample, writeThroughApi } from './rehearsal-data.ts';

// The upgrade rehearsal's checks (scripts/upgrade-rehearsal.ts), in order: each returns what it
// found, or throws what is wrong.

const pinned = pinnedDirectusVersion();

export const PREVIOUS: Check[] = [
  {
    title: 'the previous Directus is installed',
    async run(rehearsal) {
      const previous = await ensurePreviousDirectus();
      rehearsal.previousCli = previous.cli;
      const where = path.relative(fromApp(), previousDirectusDir);
      return previous.installSeconds === undefined
        ? `Directus ${previous.version} in ${where}`
        : `Directus ${previous.version} installed in ${where} in ${previous.installSeconds.toFixed(1)} s (pnpm install --frozen-lockfile)`;
    },
  },
  {
    title: 'it boots a fresh database',
    async run(rehearsal) {
      const output = await dryRun(previousEnv(rehearsal));
      return `${stepOutcome(output, 2)}; ${stepOutcome(output, 3)}`;
    },
  },
  {
    title: 'every collection gets data, through SQL and through its API',
    async run(rehearsal) {
      const counts = await withDatabase(rehearsal, (client) => loadDemo(client, rehearsalSample()));
      const server = await startServer(rehearsal, previousEnv(rehearsal));
      try {
        rehearsal.written = await writeThroughApi(server.baseUrl, await login(server.baseUrl, rehearsal.env['ADMIN_EMAIL']!, rehearsal.env['ADMIN_PASSWORD']!));
      } catch (err) {
        throw new Error(`writing through Directus ${installedDirectusVersion(rehearsal.previousCli)}'s API: ${(err as Error).message}`);
      } finally {
        await server.stop();
      }
      const filled = await collectionRows(rehearsal);
      rehearsal.recorded = await withDatabase(rehearsal, recordContents);
      const directusRows = await withDatabase(rehearsal, directusOwnRows);
      return (
        `demo sample: ${counts['positions']} positions and ${Object.values(counts).reduce((sum, n) => sum + n, 0) - (counts['positions'] ?? 0)} rows; ` +
        `through the API: 1 each of organization, folder, file, comment, bookmark, dashboard, panel, translation; ${filled}; ` +
        `Directus's own tables ${directusRows}; recorded ${rowCount(rehearsal.recorded)} rows of ${rehearsal.recorded.size} tables`
      );
    },
  },
];

export function copiedSource(source: string): Check {
  return {
    title: `the copy of ${source}`,
    async run(rehearsal) {
      const filled = await collectionRows(rehearsal, { requireAll: false });
      const booted = await withDatabase(rehearsal, async (client) => {
        const { rows } = await client.query<{ version: string | null }>("SELECT directus_version AS version FROM boot_state WHERE key = 'bootstrap'").catch(() => ({ rows: [] }));
        return rows[0]?.version ?? 'an unrecorded version';
      });
      rehearsal.recorded = await withDatabase(rehearsal, recordContents);
      return `last booted by Directus ${booted}; ${filled}; recorded ${rowCount(rehearsal.recorded)} rows of ${rehearsal.recorded.size} tables`;
    },
  };
}

export const UPGRADE: Check[] = [
  {
    title: `Directus ${pinned} boots it`,
    async run(rehearsal) {
      rehearsal.migrationsBefore = await withDatabase(rehearsal, migrations);
      const output = await dryRun(rehearsal.env);
      const bootstrap = stepOutcome(output, 2);
      const after = await withDatabase(rehearsal, migrations);
      rehearsal.migrationsAdded = after.filter((migration) => !rehearsal.migrationsBefore!.includes(migration));
      // A copy of a database this release already booted has nothing to migrate; any other has.
      const migrated = bootstrap.startsWith(`Directus ${pinned} migrations brought to latest`);
      if (!migrated && !(rehearsal.previousCli === undefined && bootstrap.startsWith('skipped'))) {
        throw new Error(`step 2 should have run Directus's migrations on the installed database; it says: ${bootstrap}`);
      }
      const added = rehearsal.migrationsAdded.length > 0 ? `: ${rehearsal.migrationsAdded.join(', ')}` : '';
      return `step 2: ${bootstrap}, directus_migrations ${rehearsal.migrationsBefore.length} → ${after.length} rows${added}; step 3: ${stepOutcome(output, 3)}`;
    },
  },
  {
    title: 'a second boot has nothing to do',
    async run(rehearsal) {
      const before = await withDatabase(rehearsal, migrations);
      const output = await dryRun(rehearsal.env);
      const [bootstrap, apply] = [stepOutcome(output, 2), stepOutcome(output, 3)];
      const after = await withDatabase(rehearsal, migrations);
      const ran = [
        !bootstrap.startsWith('skipped') && `step 2 ran again (${bootstrap})`,
        after.length !== before.length && `directus_migrations ${before.length} → ${after.length} rows`,
        !/^skipped[^;]*; config\.yaml: no changes$/.test(apply) && `step 3 did something (${apply})`,
      ].filter(Boolean);
      if (ran.length > 0) throw new Error(`the migrations or the apply did not run once only: ${ran.join('; ')}`);
      return `step 2: ${bootstrap}; step 3: ${apply}`;
    },
  },
  {
    title: 'the data is intact',
    async run(rehearsal) {
      const comparison = await withDatabase(rehearsal, (client) => compareContents(client, rehearsal.recorded!));
      const expected = (table: string, lost: number, added: number) =>
        table === 'public.boot_state' || (table === 'public.directus_migrations' && lost === 0 && added === rehearsal.migrationsAdded!.length);
      const unexpected = comparison.changed.filter((change) => !expected(change.table, change.lost, change.added));
      const problems = [
        ...unexpected.map((change) => `${change.table}: ${change.lost} row(s) gone or changed, ${change.added} new`),
        ...comparison.droppedTables.map((table) => `${table} dropped`),
        ...comparison.droppedColumns.map((column) => `column ${column} dropped`),
      ];
      if (problems.length > 0) throw new Error(problems.join('; '));
      const migrationsAdded = comparison.changed.find((change) => change.table === 'public.directus_migrations')?.added ?? 0;
      const added = [
        comparison.addedColumns.length > 0 && `columns ${comparison.addedColumns.join(', ')}`,
        comparison.addedTables.length > 0 && `tables ${comparison.addedTables.join(', ')}`,
        migrationsAdded > 0 && `${migrationsAdded} directus_migrations rows`,
      ].filter(Boolean);
      const rewritten = comparison.changed.find((change) => change.table === 'public.boot_state');
      return (
        `${comparison.keptRows} of ${rowCount(rehearsal.recorded!)} rows in ${comparison.tables} tables as they were` +
        `${rewritten ? ` (the other ${rewritten.lost}: boot_state, rewritten by the new boots)` : ''}` +
        `${added.length > 0 ? `; the migrations added ${added.join(', ')}` : ''}`
      );
    },
  },
  {
    title: 'the server starts and the admin logs in',
    async run(rehearsal) {
      const server = await startServer(rehearsal, rehearsal.env);
      try {
        const email = rehearsal.env['ADMIN_EMAIL']!;
        const token = await login(server.baseUrl, email, rehearsal.env['ADMIN_PASSWORD']!);
        const readBack = rehearsal.written ? `; ${await readBackThroughApi(server.baseUrl, token, rehearsal.written)}` : '';
        return `${email} logged in on Directus ${pinned}${readBack}`;
      } finally {
        await server.stop();
      }
    },
  },
  {
    title: 'the database matches snapshots/ (schema-check)',
    async run(rehearsal) {
      const { code } = await runStreamed(fromApp('entrypoint.sh'), ['schema-check'], rehearsal.env);
      if (code !== 0) throw new Error(`./entrypoint.sh schema-check exited with ${code}: the differences are listed above`);
      return 'exit 0: nothing to create, change or delete';
    },
  },
];

// Directus's applied migrations, as "version name".
async function migrations(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ migration: string }>("SELECT version || ' ' || name AS migration FROM directus_migrations ORDER BY version");
  return rows.map((row) => row.migration);
}

// Rows in each business collection (every collection of directus_collections that is not Directus's).
async function collectionRows(rehearsal: Rehearsal, { requireAll = true } = {}): Promise<string> {
  const counts = await withDatabase(rehearsal, async (client) => {
    const { rows } = await client.query<{ collection: string }>(
      "SELECT collection FROM directus_collections WHERE collection NOT LIKE 'directus\\_%' AND to_regclass(format('%I', collection)) IS NOT NULL ORDER BY 1",
    );
    const result: Array<[string, number]> = [];
    for (const { collection } of rows) {
      const counted = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${collection}"`);
      result.push([collection, counted.rows[0]?.n ?? 0]);
    }
    return result;
  });
  const empty = counts.filter(([, n]) => n === 0).map(([collection]) => collection);
  if (requireAll && empty.length > 0) throw new Error(`no rows in ${empty.join(', ')}: the demo sample (scripts/demo/sample.ts) must fill every collection`);
  const least = [...counts].sort((a, b) => a[1] - b[1])[0];
  return `${counts.length - empty.length} of ${counts.length} collections hold rows${least ? ` (the fewest: ${least[1]} in ${least[0]})` : ''}`;
}

async function directusOwnRows(client: pg.Client): Promise<string> {
  const tables = ['directus_users', 'directus_files', 'directus_folders', 'directus_comments', 'directus_presets', 'directus_dashboards', 'directus_panels', 'directus_translations', 'directus_activity', 'directus_revisions'];
  const counts: string[] = [];
  for (const table of tables) {
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    counts.push(`${table.replace('directus_', '')} ${rows[0]?.n ?? 0}`);
  }
  return counts.join(', ');
}
