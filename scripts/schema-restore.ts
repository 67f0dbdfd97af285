// `pnpm run schema:restore <archive id> [item …]`: puts back what a boot archived before applying an
// allowed deletion: every item of the archive not yet restored, or the items named (as
// `pnpm run schema:archives` lists them: race_notes, events.name, role:Press officer). Collections and
// fields come back through Directus's own apply, with their rows, values, relations, permissions and
// history, so the admin app shows them again and `pnpm run schema:snapshot` can capture them. A restore
// that would clash with what the database holds now refuses and changes nothing.
import { addBootSettings } from './boot/directus-settings.ts';
import { restoreArchive } from './archive/restore.ts';
import { requireArchiveSchema } from './archive/store.ts';
import { connectWithRetry } from './lib/connect.ts';
import { dbConfigFromEnv, describeTarget } from './lib/db-config.ts';
import { directusCli } from './lib/directus-install.ts';
import { numberEnv, resolveConfiguration } from './lib/env.ts';
import { error, info, setLogPrefix } from './lib/log.ts';
import { registerModuleScopeCache } from './lib/module-scope-cache.ts';

setLogPrefix('[schema]');
// Directus loads into this process for the restore: some 30 % faster (module-scope-cache.ts).
registerModuleScopeCache();

async function main(): Promise<number> {
  const [first, ...names] = process.argv.slice(2);
  const archiveId = Number(first);
  if (!Number.isInteger(archiveId) || archiveId <= 0) {
    error('usage: pnpm run schema:restore <archive id> [item …]   (pnpm run schema:archives lists archives and items)');
    return 2;
  }
  resolveConfiguration();
  // The worker's Directus reads exactly the boot's configuration, tables the boot owns hidden.
  await addBootSettings();
  directusCli();
  const config = dbConfigFromEnv();
  const client = await connectWithRetry(config, numberEnv('DB_WAIT_TIMEOUT', 60));
  try {
    await requireArchiveSchema(client);
    const result = await restoreArchive(client, { archiveId, names });
    if ('refused' in result) {
      error(`restore from archive ${archiveId} refused: ${result.refused}`);
      return 1;
    }
    info(`restored into ${describeTarget(config)} from archive ${archiveId}:`);
    for (const line of result.restored) info(line);
    info('They are in the database, not in snapshots/: capture them (pnpm run schema:snapshot), commit and deploy. Until then a boot');
    info('with these files refuses to start, since it would delete them again; one whose DIRECTUS_SCHEMA_ALLOW_DELETE still names them');
    info('deletes them again (into a new archive): remove that setting now. Instances sharing a Redis (REDIS) see them at once;');
    info('others once restarted, with DIRECTUS_SCHEMA_APPLY_MODE=skip until the snapshot holds them.');
    return 0;
  } finally {
    await client.end();
  }
}

// Directus's modules, loaded in this process, keep it alive: it ends here.
try {
  process.exit(await main());
} catch (err) {
  error(`schema:restore failed: ${(err as Error).message}`);
  process.exit(1);
}
