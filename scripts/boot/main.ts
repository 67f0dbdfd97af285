// The boot sequence. entrypoint.sh execs this; it resolves the configuration once (environment over
// .env) and runs steps 1–4 on the one database it names, loading Directus into this process when a
// step needs it; step 5 serves from the process that ran them, so Directus loads once.
//   node scripts/boot/main.ts dry-run   steps 1–4, exit 0 on success (the CI gate)
//   node scripts/boot/main.ts start     checks the settings and becomes pm2-runtime (PID 1), whose
//                                       instances each boot in `serve` mode (pm2-instance.js)
//   serve                               one pm2 instance: loads Directus, runs steps 1–4 under the
//                                       boot lock (a later instance finds nothing left to do), then
//                                       step 5, Directus's server in this process
import { LockTimeoutError, withBootLock } from '../lib/boot-lock.ts';
import { DatabaseUnreachableError } from '../lib/connect.ts';
import { requireDirectusInternals } from '../lib/directus-install.ts';
import { DirectusInternalsError } from '../lib/directus-internals.ts';
import { environmentSettings } from '../config/environment-settings.ts';
import { ConfigError, numberEnv, resolveConfiguration } from '../lib/env.ts';
import { error, info, seconds, setLogPrefix } from '../lib/log.ts';
import { registerModuleScopeCache } from '../lib/module-scope-cache.ts';
import { fromApp } from '../lib/paths.ts';
import { schemaPolicyFromEnv, type SchemaPolicy } from '../schema/guard.ts';
import { requireBuiltExtensions } from './built-extensions.ts';
import { openBootContext, StepError, type BootContext } from './context.ts';
import type { DirectusServer } from './directus-server.ts';
import { addBootSettings } from './directus-settings.ts';
import { becomePm2Runtime, endContainer, pm2Home, pm2RuntimeScript } from './pm2-runtime.ts';
import { refuseUnsafeProduction } from './production-safety.ts';
import { bootstrap } from './steps/bootstrap.ts';
import { positionsStorage, storageSettingsFromEnv, type StorageSettings } from './steps/positions-storage.ts';
import { recordSchemaState, schemaApply } from './steps/schema-apply.ts';
import { sqlFolder } from './steps/sql-folder.ts';
import { start } from './steps/start.ts';

const TOTAL = 5;
const steps: Array<{ name: string; run: (ctx: BootContext) => Promise<string>; advice: string }> = [
  {
    // The SQL files, then the storage policies on the positions table they created.
    name: 'db-init (pre-schema SQL)',
    run: async (ctx) => `${await sqlFolder(ctx.client, process.env['DB_INIT_PRE_DIR'] ?? fromApp('db-init'))}; ${await positionsStorage(ctx.client, ctx.storage)}`,
    advice: 'Fix the named SQL file or setting, then start again; later steps did not run.',
  },
  {
    name: 'directus bootstrap',
    run: bootstrap,
    advice:
      'Check the DB_* variables, KEY, SECRET, ADMIN_EMAIL and ADMIN_PASSWORD, then start again. A boot stopped in the middle of installing ' +
      "Directus on a new database leaves its tables half made (Directus's install is not one transaction): drop and create that database, which holds nothing yet, then start again.",
  },
  {
    name: 'directus schema apply',
    run: schemaApply,
    advice: 'The snapshot does not apply to this database: fix the conflict it names, or regenerate the snapshot from a database that boots (docs/schema.md, "Changing the schema").',
  },
  {
    name: 'db-init-post (post-schema SQL)',
    run: (ctx) => sqlFolder(ctx.client, process.env['DB_INIT_POST_DIR'] ?? fromApp('db-init-post')),
    advice: 'Fix the named SQL file (or the rows it names), then start again; the server was not started.',
  },
];

type Mode = 'dry-run' | 'start' | 'serve';

async function main(mode: Mode): Promise<number | 'serving'> {
  const bootStarted = performance.now();
  // Instances after the first (PM2_INSTANCES) say which they are.
  const instance = Number(process.env['NODE_APP_INSTANCE'] ?? 0);
  if (mode === 'serve' && instance > 0) setLogPrefix(`[boot:${instance}]`);
  // Settings that would stop the boot anyway stop it before it touches the database.
  let settings: { policy: SchemaPolicy; storage: StorageSettings };
  try {
    settings = await checkSettings();
    if (mode === 'start') {
      const pm2Runtime = pm2RuntimeScript();
      info(`handing over to pm2-runtime after ${seconds(bootStarted)} (PM2_HOME ${pm2Home()}): each instance loads Directus, runs steps 1–4 and serves`);
      becomePm2Runtime(pm2Runtime);
    }
  } catch (err) {
    if (!(err instanceof ConfigError || err instanceof DirectusInternalsError)) throw err;
    error(`refusing to boot: ${err.message}`);
    error(`Nothing was written to the database.${err instanceof ConfigError ? ' Fix what it names (settings: see .env.example), then start again.' : ''}`);
    return 1;
  }
  // pm2 restarted this instance after it served (a crash, PM2_MAX_MEMORY_RESTART): steps 1–4 ran when
  // the container booted, and running them again on a live system would apply the files over it.
  if (mode === 'serve' && Number(process.env['restart_time'] ?? 0) > 0) return serve(undefined, bootStarted, 'steps 1–4 ran when the container booted');
  let ctx: BootContext;
  try {
    ctx = await openBootContext(settings.policy, settings.storage);
  } catch (err) {
    error(`cannot start the boot: ${(err as Error).message}`);
    error(err instanceof DatabaseUnreachableError ? err.advice : 'Set the DB_* variables (see .env.example) and make sure the database accepts connections.');
    return 1;
  }
  // An instance loads Directus's server before it takes the lock: seconds that keep this thread busy.
  const loading = performance.now();
  const server = mode === 'serve' ? await loadServer() : undefined;
  if (server === null) return 1;
  const loaded = seconds(loading);
  try {
    const booted = await withBootLock(ctx.client, numberEnv('BOOT_LOCK_TIMEOUT', 600), async () => {
      const succeeded = await runSteps(ctx);
      // A failed instance keeps the lock until PID 1 ends the container: no other one repeats the failure.
      if (!succeeded && mode === 'serve') await endContainer(1);
      return succeeded;
    });
    if (!booted) return 1;
  } catch (err) {
    error(`steps 1–4 could not run: ${(err as Error).message}`);
    error(err instanceof LockTimeoutError ? 'Another instance holds the boot lock: let it finish (or end it), or raise BOOT_LOCK_TIMEOUT, then start again.' : 'Check that the database is reachable, then start again.');
    return 1;
  } finally {
    await ctx.client.end().catch(() => undefined);
  }
  if (server === undefined) {
    info(`dry run: steps 1–4 succeeded in ${seconds(bootStarted)}; step 5 skipped`);
    return 0;
  }
  return serve({ ctx, server }, performance.now(), `Directus's modules loaded in ${loaded} before step 1`);
}

async function loadServer(): Promise<DirectusServer | null> {
  try {
    return await import('./directus-server.ts');
  } catch (err) {
    error(`cannot load Directus's server from ${process.env['DIRECTUS_CLI']}: ${(err as Error).message}`);
    return null;
  }
}

// Step 5, after steps 1–4 in this process, or at once in an instance pm2 restarted.
async function serve(booted: { ctx: BootContext; server: DirectusServer } | undefined, started: number, note: string): Promise<number | 'serving'> {
  const label = `step ${TOTAL}/${TOTAL} start`;
  const server = booted?.server ?? (await loadServer());
  if (server === null) return 1;
  try {
    info(`${label}: ${await start(booted?.ctx, server)} (${seconds(started)}; ${note})`);
    return 'serving';
  } catch (err) {
    error(`${label} failed after ${seconds(started)}: ${(err as Error).message}`);
    return 1;
  }
}

async function checkSettings(): Promise<{ policy: SchemaPolicy; storage: StorageSettings }> {
  resolveConfiguration();
  await addBootSettings();
  refuseUnsafeProduction();
  environmentSettings();
  const settings = { policy: schemaPolicyFromEnv(), storage: storageSettingsFromEnv() };
  await requireBuiltExtensions();
  // Milliseconds: every Directus internal the boot calls is where the list says (nothing loaded yet).
  requireDirectusInternals();
  return settings;
}

// Steps 1–4, each logged with its number, outcome and seconds; false after the first failure.
async function runSteps(ctx: BootContext): Promise<boolean> {
  for (const [index, step] of steps.entries()) {
    const started = performance.now();
    const label = `step ${index + 1}/${TOTAL} ${step.name}`;
    // Directus, running in this process, ends it itself on some failures (an extension that must load
    // and does not, a database it cannot reach): the step still says it failed.
    const exiting = (code: number) => code !== 0 && error(`${label} failed after ${seconds(started)}: Directus ended the process with code ${code} (its log is above)`);
    process.once('exit', exiting);
    try {
      info(`${label}: ${await step.run(ctx)} (${seconds(started)})`);
    } catch (err) {
      error(`${label} failed after ${seconds(started)}: ${(err as Error).message}`);
      error(err instanceof StepError ? err.advice : step.advice);
      return false;
    } finally {
      process.off('exit', exiting);
    }
  }
  await recordSchemaState(ctx);
  return true;
}

// Directus's modules, loaded in this process, keep it alive: a boot that does not serve ends here.
export async function boot(mode: string | undefined): Promise<void> {
  if (mode !== 'dry-run' && mode !== 'start' && mode !== 'serve') {
    error(`unknown mode "${mode ?? ''}"; use dry-run or start`);
    process.exit(2);
  }
  // Directus loads some 30 % faster (module-scope-cache.ts).
  registerModuleScopeCache();
  const outcome = await main(mode).catch((err: unknown) => {
    error(`the boot failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  });
  if (outcome === 'serving') return;
  if (mode === 'serve') await endContainer(outcome);
  process.exit(outcome);
}

if (import.meta.main) await boot(process.argv[2]);
