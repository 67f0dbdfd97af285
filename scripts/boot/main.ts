// The boot sequence. entrypoint.sh execs this; it resolves the configuration once (environment over
// .env), runs steps 1–4 on the one database it names, and for step 5 becomes pm2-runtime with that
// same configuration.
//   node scripts/boot/main.ts dry-run   steps 1–4, exit 0 on success (the CI gate)
//   node scripts/boot/main.ts start     steps 1–5
import { withBootLock } from '../lib/boot-lock.ts';
import { DatabaseUnreachableError } from '../lib/connect.ts';
import { requireDirectusInternals } from '../lib/directus-install.ts';
import { DirectusInternalsError } from '../lib/directus-internals.ts';
import { environmentSettings } from '../config/environment-settings.ts';
import { ConfigError, numberEnv, resolveConfiguration } from '../lib/env.ts';
import { error, info, seconds } from '../lib/log.ts';
import { fromApp } from '../lib/paths.ts';
import { schemaPolicyFromEnv, type SchemaPolicy } from '../schema/guard.ts';
import { requireBuiltExtensions } from './built-extensions.ts';
import { openBootContext, StepError, type BootContext } from './context.ts';
import { addBootSettings } from './directus-settings.ts';
import { becomePm2Runtime, pm2Home, pm2RuntimePath } from './pm2-runtime.ts';
import { refuseUnsafeProduction } from './production-safety.ts';
import { bootstrap } from './steps/bootstrap.ts';
import { positionsStorage, storageSettingsFromEnv, type StorageSettings } from './steps/positions-storage.ts';
import { recordSchemaState, schemaApply, startSchemaApplyAhead } from './steps/schema-apply.ts';
import { sqlFolder } from './steps/sql-folder.ts';

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
    advice: 'Check the DB_* variables, KEY, SECRET, ADMIN_EMAIL and ADMIN_PASSWORD, then start again.',
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

async function main(mode: string | undefined): Promise<number> {
  if (mode !== 'dry-run' && mode !== 'start') {
    error(`unknown mode "${mode ?? ''}"; use dry-run or start`);
    return 2;
  }
  const bootStarted = performance.now();
  // Settings that would stop the boot anyway stop it before it touches the database.
  let policy: SchemaPolicy;
  let storage: StorageSettings;
  let pm2Runtime: string | undefined;
  try {
    resolveConfiguration();
    await addBootSettings();
    refuseUnsafeProduction();
    environmentSettings();
    policy = schemaPolicyFromEnv();
    storage = storageSettingsFromEnv();
    await requireBuiltExtensions();
    requireDirectusInternals();
    if (mode === 'start') pm2Runtime = pm2RuntimePath();
  } catch (err) {
    if (!(err instanceof ConfigError || err instanceof DirectusInternalsError)) throw err;
    error(`refusing to boot: ${err.message}`);
    error(`Nothing was written to the database.${err instanceof ConfigError ? ' Fix what it names (settings: see .env.example), then start again.' : ''}`);
    return 1;
  }
  let ctx: BootContext;
  try {
    ctx = await openBootContext(policy, storage);
  } catch (err) {
    error(`cannot start the boot: ${(err as Error).message}`);
    error(err instanceof DatabaseUnreachableError ? err.advice : 'Set the DB_* variables (see .env.example) and make sure the database accepts connections.');
    return 1;
  }
  const booted = await withBootLock(ctx.client, numberEnv('BOOT_LOCK_TIMEOUT', 600), () => runSteps(ctx)).finally(
    () => ctx.client.end(),
  );
  if (!booted) return 1;
  if (pm2Runtime === undefined) {
    info(`dry run: steps 1–4 succeeded in ${seconds(bootStarted)}; step 5 skipped`);
    return 0;
  }
  const home = pm2Home();
  info(`step ${TOTAL}/${TOTAL} start: handing over to pm2-runtime after ${seconds(bootStarted)} (PM2_HOME ${home})`);
  becomePm2Runtime(pm2Runtime);
}

// Steps 1–4, each logged with its number, outcome and seconds; false after the first failure.
async function runSteps(ctx: BootContext): Promise<boolean> {
  try {
    await startSchemaApplyAhead(ctx);
    for (const [index, step] of steps.entries()) {
      const started = performance.now();
      const label = `step ${index + 1}/${TOTAL} ${step.name}`;
      try {
        info(`${label}: ${await step.run(ctx)} (${seconds(started)})`);
      } catch (err) {
        error(`${label} failed after ${seconds(started)}: ${(err as Error).message}`);
        error(err instanceof StepError ? err.advice : step.advice);
        return false;
      }
    }
    await recordSchemaState(ctx);
    return true;
  } finally {
    ctx.schemaWorker?.cancel();
  }
}

process.exitCode = await main(process.argv[2]);
