// Steps 2 and 3's Directus side, in the boot's own process: Directus's own bootstrap, snapshot, diff and
// apply functions, the ones `directus bootstrap` and `directus schema apply` call. Importing this
// module loads Directus's modules (seconds), so the boot imports it ahead, while step 1 runs; under
// pm2 the same process then serves (directus-server.ts), and a fresh boot loads Directus once.
//   installOrMigrate() install Directus's system tables and the first admin on an empty database, or
//                      bring its migrations to latest, exactly as `directus bootstrap` does
//   planSchema(file)   the diff of the snapshot file against the database, and apply() for exactly that
//                      diff (in one transaction, as Directus does, with the tenant policies lifted and
//                      laid down again inside it, and the archive of what it drops written first)
//   clearCaches()      what `directus cache clear` does
// The boot decides between them: the deletion guard needs the plan before anything is applied.
import { importFromDirectus, loadDirectusInternals } from '../lib/directus-install.ts';
import { sqlOnKnex, type KnexRaw, type SqlClient } from '../lib/knex-sql.ts';
import type { SnapshotDiff } from '../schema/plan.ts';
import { readSnapshotFile, type Snapshot } from '../schema/snapshot.ts';

interface Knex extends KnexRaw {
  destroy: () => Promise<void>;
  transaction: <T>(work: (trx: Knex) => Promise<T>) => Promise<T>;
}
interface DatabaseModule {
  default: () => Knex;
  isInstalled: () => Promise<boolean>;
  validateDatabaseConnection: (database: Knex) => Promise<void>;
}

interface BootstrapModules {
  runSeed: (database: Knex) => Promise<void>;
  runMigrations: (database: Knex, direction: 'latest') => Promise<void>;
  getSchema: () => Promise<unknown>;
  getEntitlementManager: () => unknown;
  createAdmin: (schema: unknown) => Promise<void>;
  SettingsService: new (options: { schema: unknown }) => {
    upsertSingleton: (data: Record<string, unknown>) => Promise<unknown>;
    setOwner: (data: Record<string, unknown>) => Promise<unknown>;
  };
  env: Record<string, unknown>;
  isEmail: (value: unknown) => boolean;
}

// Every Directus internal the scripts call (scripts/lib/directus-internals.ts), loaded and checked
// before step 2 does anything: a release that moved or renamed one fails here, naming each
// (context.ts turns that into the step's error).
await loadDirectusInternals();
const api = <T>(module: string) => importFromDirectus<T>(`@directus/api/${module}`);
const bootstrapModules = async (): Promise<BootstrapModules> => {
  const [seed, migrations, { getSchema }, { getEntitlementManager }, { createAdmin }, { SettingsService }, { useEnv }, { email }] = await Promise.all([
    api<{ default: BootstrapModules['runSeed'] }>('database/seeds/run'),
    api<{ default: BootstrapModules['runMigrations'] }>('database/migrations/run'),
    api<Pick<BootstrapModules, 'getSchema'>>('utils/get-schema'),
    api<Pick<BootstrapModules, 'getEntitlementManager'>>('license/entitlements/manager'),
    api<Pick<BootstrapModules, 'createAdmin'>>('utils/create-admin'),
    api<Pick<BootstrapModules, 'SettingsService'>>('services/settings'),
    importFromDirectus<{ useEnv: () => Record<string, unknown> }>('@directus/env'),
    importFromDirectus<{ email: () => { safeParse: (value: unknown) => { success: boolean } } }>('zod'),
  ]);
  const isEmail = (value: unknown) => email().safeParse(value).success;
  return { runSeed: seed.default, runMigrations: migrations.default, getSchema, getEntitlementManager, createAdmin, SettingsService, env: useEnv(), isEmail };
};
const [database, { getSnapshot }, { getSnapshotDiff }, { applySnapshot }, { getLicenseManager }, { loadExtensions }, directus] =
  await Promise.all([
    api<DatabaseModule>('database/index'),
    api<{ getSnapshot: (options: { database: Knex }) => Promise<Snapshot> }>('utils/schema/get-snapshot'),
    api<{ getSnapshotDiff: (current: Snapshot, after: Snapshot) => SnapshotDiff }>('utils/schema/get-snapshot-diff'),
    api<{ applySnapshot: (snapshot: Snapshot, options: { current: Snapshot; diff: SnapshotDiff; database: Knex }) => Promise<void> }>(
      'utils/schema/apply-snapshot',
    ),
    api<{ getLicenseManager: () => { initialize: () => Promise<void> } }>('license/index'),
    api<{ loadExtensions: () => Promise<void> }>('cli/load-extensions'),
    bootstrapModules(),
  ]);

// What `directus bootstrap` does (cli/commands/bootstrap), without its exit: the CLI loads no
// extensions before it either, on a database that is not installed or has migrations to run.
async function bootstrap(): Promise<'installed' | 'migrated'> {
  const knex = database.default();
  await database.validateDatabaseConnection(knex);
  if (await database.isInstalled()) {
    await directus.runMigrations(knex, 'latest');
    return 'migrated';
  }
  await directus.runSeed(knex);
  await directus.runMigrations(knex, 'latest');
  const schema = await directus.getSchema();
  directus.getEntitlementManager();
  await directus.createAdmin(schema);
  const settings = new directus.SettingsService({ schema });
  const { PROJECT_NAME: name, PROJECT_OWNER: owner } = directus.env;
  if (typeof name === 'string' && name.length > 0) await settings.upsertSingleton({ project_name: name });
  if (directus.isEmail(owner)) {
    await settings.setOwner({ project_owner: owner, org_name: null, project_usage: null, product_updates: false });
  }
  return 'installed';
}

export interface SchemaPlan {
  diff: SnapshotDiff;
  // The database's own snapshot: what the archive keeps of anything allowed to be dropped.
  current: Snapshot;
  // `first` runs in the apply's transaction before Directus applies (the archive of what it drops).
  apply: (first?: (sql: SqlClient) => Promise<void>) => Promise<void>;
}

async function plan(snapshotPath: string): Promise<SchemaPlan> {
  const knex = database.default();
  await database.validateDatabaseConnection(knex);
  if (!(await database.isInstalled())) throw new Error('Directus is not installed on this database (step 2 did not run)');
  // As the Directus CLI does before any command: extension hooks see the schema changes.
  await loadExtensions();
  const snapshot = await readSnapshotFile(snapshotPath);
  const current = await getSnapshot({ database: knex });
  const diff = getSnapshotDiff(current, snapshot);
  return {
    diff,
    current,
    apply: (first) => quietly(async () => {
      await getLicenseManager().initialize();
      // PostgreSQL refuses to change the type of a column a tenant policy names, and Directus changes a
      // column's type to change its index, default or nullability: the policies are lifted and laid down
      // again around the apply, in its one transaction, so no other session sees the tables without
      // them (db-init-post/012_tenant_policies.sql; absent until step 4 first ran).
      await knex.transaction(async (trx) => {
        const { rows } = await trx.raw("SELECT to_regproc('tenant.unprotect') IS NOT NULL AS tenant");
        const tenant = rows[0]?.['tenant'] === true;
        if (tenant) await trx.raw('SELECT tenant.unprotect()');
        await first?.(sqlOnKnex(trx));
        await applySnapshot(snapshot, { current, diff, database: trx });
        if (tenant) await trx.raw('SELECT tenant.protect_all()');
      });
    }),
  };
}

const [{ flushCaches }, { getEntitlementManager }, { useLogger }] = await Promise.all([
  api<{ flushCaches: (forced: boolean) => Promise<void> }>('cache'),
  api<{ getEntitlementManager: () => { clearCache: () => Promise<void> } }>('license/entitlements/manager'),
  api<{ useLogger: () => { level: string; levelVal: number } }>('logger/index'),
]);

// `directus cache clear`: the system and data caches, shared in Redis when CACHE_STORE=redis (replicas
// already running read them), and this process's own; other instances drop their in-memory schema.
async function clearSystemAndDataCaches(): Promise<void> {
  await flushCaches(true);
  await getEntitlementManager().clearCache();
}

const PINO_WARN = 40;

// Directus logs each of its ~110 migrations, and more, at info level, as its CLI does; the step's own
// line says what happened. Its warnings and errors still show.
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const logger = useLogger();
  const level = logger.level;
  if (logger.levelVal < PINO_WARN) logger.level = 'warn';
  try {
    return await work();
  } finally {
    logger.level = level;
  }
}

export const installOrMigrate = () => quietly(bootstrap);
export const planSchema = (snapshotPath: string) => quietly(() => plan(snapshotPath));
export const clearCaches = () => quietly(clearSystemAndDataCaches);
