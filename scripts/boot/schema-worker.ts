// Step 3's Directus side, in a process of its own: it loads Directus's modules as soon as it starts
// (seconds, so the boot starts it while earlier steps run), then does what `directus schema apply`
// does, in two halves the boot controls over Node's IPC channel:
//   "plan"  work out the diff of the snapshot file against the database, send it back
//   "apply" apply exactly that diff (in one transaction, as Directus does, with the tenant policies
//           lifted and laid down again inside it), then exit
//   "stop"  exit without touching the schema
// The boot decides between them: the deletion guard needs the plan before anything is applied.
import { importFromDirectus } from '../lib/directus-install.ts';
import type { SnapshotDiff } from '../schema/plan.ts';
import { readSnapshotFile, type Snapshot } from '../schema/snapshot.ts';

export type WorkerCommand = { command: 'plan'; snapshotPath: string } | { command: 'apply' } | { command: 'stop' };
export type WorkerReply = { plan: SnapshotDiff } | { applied: true } | { failed: string };

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

const api = <T>(module: string) => importFromDirectus<T>(`@directus/api/${module}`);
const [database, { getSnapshot }, { getSnapshotDiff }, { applySnapshot }, { getLicenseManager }, { loadExtensions }] =
  await Promise.all([
    api<DatabaseModule>('database/index'),
    api<{ getSnapshot: (options: { database: Knex }) => Promise<Snapshot> }>('utils/schema/get-snapshot'),
    api<{ getSnapshotDiff: (current: Snapshot, after: Snapshot) => SnapshotDiff }>('utils/schema/get-snapshot-diff'),
    api<{ applySnapshot: (snapshot: Snapshot, options: { current: Snapshot; diff: SnapshotDiff; database: Knex }) => Promise<void> }>(
      'utils/schema/apply-snapshot',
    ),
    api<{ getLicenseManager: () => { initialize: () => Promise<void> } }>('license/index'),
    api<{ loadExtensions: () => Promise<void> }>('cli/load-extensions'),
  ]);

let planned: { snapshot: Snapshot; current: Snapshot; diff: SnapshotDiff; knex: Knex } | undefined;

async function handle(message: WorkerCommand): Promise<WorkerReply | undefined> {
  switch (message.command) {
    case 'plan': {
      const knex = database.default();
      await database.validateDatabaseConnection(knex);
      if (!(await database.isInstalled())) throw new Error('Directus is not installed on this database (step 2 did not run)');
      // As the Directus CLI does before any command: extension hooks see the schema changes.
      await loadExtensions();
      const snapshot = await readSnapshotFile(message.snapshotPath);
      const current = await getSnapshot({ database: knex });
      planned = { snapshot, current, diff: getSnapshotDiff(current, snapshot), knex };
      return { plan: planned.diff };
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
