import { bootstrapFingerprint, readState, writeState } from '../boot-state.ts';
import type { BootContext } from '../context.ts';
import { runDirectusCli } from '../directus-cli.ts';

// Step 2: Directus's system tables and migrations, and the first admin on an empty database.
// Skipped when this Directus version already bootstrapped this database and its migrations are
// exactly as that run left them: `directus bootstrap` would only find nothing to migrate. When step 3
// runs too, its worker (already loading Directus) does it; otherwise the Directus CLI does.
export async function bootstrap(ctx: BootContext): Promise<string> {
  const before = await bootstrapFingerprint(ctx.client, ctx.directusVersion);
  if (!ctx.full && before !== undefined && before === (await readState(ctx.client, 'bootstrap'))) {
    return `skipped: Directus ${ctx.directusVersion} already bootstrapped this database, migrations unchanged`;
  }
  const outcome = ctx.schemaWorker ? await ctx.schemaWorker.bootstrap() : await bootstrapWithCli();
  const after = await bootstrapFingerprint(ctx.client, ctx.directusVersion);
  if (after === undefined) throw new Error('directus bootstrap succeeded but left no directus_migrations rows');
  await writeState(ctx.client, 'bootstrap', after, { directusVersion: ctx.directusVersion });
  const by = ctx.schemaWorker ? ' (in the schema worker)' : '';
  return outcome === 'installed'
    ? `installed Directus ${ctx.directusVersion} system tables and the first admin${by}`
    : `Directus ${ctx.directusVersion} migrations brought to latest${by}`;
}

async function bootstrapWithCli(): Promise<'installed' | 'migrated'> {
  const { messages } = await runDirectusCli(['bootstrap']);
  return messages.some((msg) => msg.startsWith('Installing Directus system tables')) ? 'installed' : 'migrated';
}
