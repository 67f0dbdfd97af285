// Steps 2 and 3's Directus side, in one process of its own: it loads Directus's modules as soon as it
// starts (seconds, so the boot starts it while step 1 runs), then does what `directus bootstrap` and
// `directus schema apply` do, in parts the boot controls over Node's IPC channel:
//   "bootstrap" install Directus's system tables and the first admin on an empty database, or bring
//               its migrations to latest, exactly as `directus bootstrap` does
//   "plan"      work out the diff of the snapshot file against the database, send it back with the
//               database's own snapshot (what the archive keeps of anything allowed to be dropped)
//   "apply"     apply exactly that diff (in one transaction, as Directus does, with the tenant policies
//               lifted and laid down again inside it), then exit
//   "stop"      exit without touching the schema
// The boot decides between them: the deletion guard needs the plan before anything is applied. One
// process for both steps loads Directus once instead of twice.
import { importFromDirectus } from '../lib/directus-install.ts';
import type { SnapshotDiff } from '../schema/plan.ts';
import { readSnapshotFile, type Snapshot } from '../schema/snapshot.ts';

export type WorkerCommand = { command: 'bootstrap' } | { command: 'plan'; snapshotPath: string } | { command: 'apply' } | { command: 'stop' };
export type WorkerReply = { bootstrapped: 'installed' | 'migrated' } | { plan: SnapshotDiff; current: Snapshot } | { applied: true } | { failed: string };

interface Knex {
  destroy: () => Promise<void>;
  raw: (sql: string) => Promise<{ rows: Array<Record<string, unknown>> }>;
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

let planned: { snapshot: Snapshot; current: Snapshot; diff: SnapshotDiff; knex: Knex } | undefined;

async function handle(message: WorkerCommand): Promise<WorkerReply | undefined> {
  switch (message.command) {
    case 'bootstrap':
      return { bootstrapped: await bootstrap() };
    case 'plan': {
      const knex = database.default();
      await database.validateDatabaseConnection(knex);
      if (!(await database.isInstalled())) throw new Error('Directus is not installed on this database (step 2 did not run)');
      // As the Directus CLI does before any command: extension hooks see the schema changes.
      await loadExtensions();
      const snapshot = await readSnapshotFile(message.snapshotPath);
      const current = await getSnapshot({ database: knex });
      planned = { snapshot, current, diff: getSnapshotDiff(current, snapshot), knex };
      return { plan: planned.diff, current };
    }
    case 'apply': {
      if (!planned) throw new Error('apply before plan');
      await getLicenseManager().initialize();
      const { snapshot, current, diff } = planned;
      // PostgreSQL refuses to change the type of a column a tenant policy names, and Directus changes a
      // column's type to change its index, default or nullability: the policies are lifted and laid down
      // again around the apply, in its one transaction, so no other session sees the tables without
      // them (db-init-post/012_tenant_policies.sql; absent until step 4 first ran).
      await planned.knex.transaction(async (trx) => {
        const { rows } = await trx.raw("SELECT to_regproc('tenant.unprotect') IS NOT NULL AS tenant");
        const tenant = rows[0]?.['tenant'] === true;
        if (tenant) await trx.raw('SELECT tenant.unprotect()');
        await applySnapshot(snapshot, { current, diff, database: trx });
        if (tenant) await trx.raw('SELECT tenant.protect_all()');
      });
      return { applied: true };
    }
    case 'stop':
      return undefined;
  }
}

function finish(code: number): void {
  void (planned?.knex.destroy() ?? Promise.resolve()).finally(() => process.exit(code));
}

// The boot gone (crashed, or cancelled this step ahead of time): nothing to do but leave.
process.on('disconnect', () => finish(0));
process.on('message', (message: WorkerCommand) => {
  handle(message).then(
    (reply) => {
      if (reply === undefined) return finish(0);
      process.send?.(reply, () => {
        if (message.command === 'apply') finish(0);
      });
    },
    (err: unknown) => {
      process.send?.({ failed: err instanceof Error ? err.message : String(err) }, () => finish(1));
    },
  );
});
