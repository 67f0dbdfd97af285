import { bootstrapFingerprint, readState, writeState } from '../boot-state.ts';
import { directusSteps, type BootContext } from '../context.ts';

// Step 2: Directus's system tables and migrations, and the first admin on an empty database.
// Skipped when this Directus version already bootstrapped this database and its migrations are
// exactly as that run left them: `directus bootstrap` would only find nothing to migrate. Directus's
// own bootstrap runs in this process (directus-steps.ts), which may have loaded it during step 1.
export async function bootstrap(ctx: BootContext): Promise<string> {
  const before = await bootstrapFingerprint(ctx.client, ctx.directusVersion);
  if (!ctx.full && before !== undefined && before === (await readState(ctx.client, 'bootstrap'))) {
    return `skipped: Directus ${ctx.directusVersion} already bootstrapped this database, migrations unchanged`;
  }
  const outcome = await (await directusSteps(ctx)).installOrMigrate();
  const after = await bootstrapFingerprint(ctx.client, ctx.directusVersion);
  if (after === undefined) throw new Error('directus bootstrap succeeded but left no directus_migrations rows');
  await writeState(ctx.client, 'bootstrap', after, { directusVersion: ctx.directusVersion });
  return outcome === 'installed'
    ? `installed Directus ${ctx.directusVersion} system tables and the first admin`
    : `Directus ${ctx.directusVersion} migrations brought to latest`;
}
