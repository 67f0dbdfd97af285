// `pnpm run upgrade:rehearse [server-url] [--source DATABASE | --database DATABASE]`: a Directus
// upgrade, rehearsed. Proves that the Directus this repository pins takes over a database an older
// release booted and filled, as the first boot of a new image does, on a database of the given
// PostgreSQL server (argument, CI_DATABASE_URL or TEST_DATABASE_URL; it needs TimescaleDB):
//   1. the previous release (tests/upgrade/previous-directus) is installed, or is installed now;
//   2. it boots a fresh database through steps 1–4 (./entrypoint.sh dry-run with its DIRECTUS_CLI);
//   3. every business collection gets rows (the demo sample, by SQL), and its server gets items
//      through its API (scripts/upgrade/rehearsal-data.ts); every row of the database is recorded;
//   4. the pinned release boots it: Directus's migrations run, the snapshot and the configuration
//      apply or have nothing to do;
//   5. a second boot has nothing to do: the migrations ran once;
//   6. every recorded row is still there, as it was;
//   7. the pinned server starts, the admin logs in and reads back what the old API wrote;
//   8. the database matches snapshots/ (./entrypoint.sh schema-check).
// One line per check with what it found. --source DATABASE rehearses on a copy of that database (a
// copy of stage's, restored on that server) in place of 1–3; ADMIN_EMAIL and ADMIN_PASSWORD name its
// admin. --database DATABASE rehearses in that empty database and leaves it as the rehearsal leaves it.
// Otherwise the database is a throwaway one, dropped at the end, or kept after a failure for a look.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { installedDirectusVersion, pinnedDirectusVersion } from './lib/directus-install.ts';
import { error, info, seconds, setLogPrefix } from './lib/log.ts';
import { createThrowawayDatabase, dbEnv, type ThrowawayDatabase } from './lib/throwaway-database.ts';
import { copiedSource, PREVIOUS, UPGRADE } from './upgrade/checks.ts';
import { rehearsalEnv, type Rehearsal } from './upgrade/rehearsal.ts';
import { copyOfDatabase } from './upgrade/source-copy.ts';

setLogPrefix('[rehearsal]');

const pinned = pinnedDirectusVersion();

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { source: { type: 'string' }, database: { type: 'string' } }, allowPositionals: true });
  const serverUrl = positionals[0] ?? process.env['CI_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
  if (!serverUrl || positionals.length > 1 || (values.source && values.database)) {
    error('usage: pnpm run upgrade:rehearse [server-url] [--source DATABASE | --database DATABASE] (server-url or CI_DATABASE_URL, TEST_DATABASE_URL)');
    return 2;
  }
  if (values.source && !(process.env['ADMIN_EMAIL'] && process.env['ADMIN_PASSWORD'])) {
    error(`--source ${values.source}: set ADMIN_EMAIL and ADMIN_PASSWORD to the credentials of an administrator of that database: the rehearsal logs in as them`);
    return 2;
  }
  const started = performance.now();
  const database: ThrowawayDatabase = values.database
    ? { name: values.database, env: dbEnv(serverUrl, values.database), drop: async () => undefined }
    : values.source
      ? await copyOfDatabase(serverUrl, values.source)
      : await createThrowawayDatabase(serverUrl, 'trm_rehearsal');
  info(`database ${database.name} on ${database.env.DB_HOST}:${database.env.DB_PORT}${values.source ? `, a copy of ${values.source}` : ''}; Directus ${pinned} takes it over`);
  const scratch = await mkdtemp(path.join(tmpdir(), 'trm-rehearsal-'));
  const rehearsal: Rehearsal = { env: await rehearsalEnv(database, scratch), scratch };
  const checks = values.source ? [copiedSource(values.source), ...UPGRADE] : [...PREVIOUS, ...UPGRADE];
  try {
    for (const [index, check] of checks.entries()) {
      const checkStarted = performance.now();
      const label = `${index + 1}/${checks.length} ${check.title}`;
      try {
        info(`${label}: ${await check.run(rehearsal)} (${seconds(checkStarted)})`);
      } catch (err) {
        error(`${label}: FAILED after ${seconds(checkStarted)}: ${(err as Error).message}`);
        if (!values.database) error(`kept database ${database.name} for a look; drop it afterwards: DROP DATABASE ${database.name}`);
        return 1;
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await database.drop();
  const from = rehearsal.previousCli ? `Directus ${installedDirectusVersion(rehearsal.previousCli)}` : `the copy of ${values.source}`;
  info(`passed in ${seconds(started)}: ${from} → Directus ${pinned}, every row kept`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  error(`upgrade:rehearse could not run: ${(err as Error).message}`);
  process.exitCode = 2;
}
