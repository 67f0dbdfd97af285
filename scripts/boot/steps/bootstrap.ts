import { bootstrapFingerprint, readState, writeState } from '../boot-state.ts';
import type { BootContext } from '../context.ts';
import { runDirectusCli } from '../directus-cli.ts';

// Step 2: Directus's system tables and migrations, and the first admin on an empty database.
// Skipped when this Directus version already bootstrapped this database and its migrations are
// exactly as that run left them: `directus bootstrap` would only find nothing to migrate.
export async function bootstrap(ctx: BootContext): Promise<string> {
  const before = await bootstrapFingerprint(ctx.client, ctx.directusVersion);
  if (!ctx.full && before !== undefined && before === (await readState(ctx.client, 'bootstrap'))) {
    return `skipped: Directus ${ctx.directusVersion} already bootstrapped this database, migrations unchanged`;
  }
  const { messages } = await runDirectusCli(['bootstrap']);
  const after = await bootstrapFingerprint(ctx.client, ctx.directusVersion);
  if (after === undefined) throw new Error('directus bootstrap succeeded but left no directus_migrations rows');
  await writeState(ctx.client, 'bootstrap', after, { directusVersion: ctx.directusVersion });
  return messages.some((msg) => msg.startsWith('Installing Directus system tables'))
    ? `installed Directus ${ctx.directusVersion} system tables and the first admin`
    : `Directus ${ctx.directusVersion} migrations brought to latest`;
}
