import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readState, schemaFingerprint, writeState } from '../boot-state.ts';
import type { BootContext } from '../context.ts';
import { runDirectusCli } from '../directus-cli.ts';

// Step 3: the collections, fields and relations of snapshots/schema.yaml. Skipped when the snapshot,
// the Directus version and the whole schema catalogue are exactly what the last successful boot
// left: the apply would find no difference.
export async function schemaApply(ctx: BootContext): Promise<string> {
  const name = path.basename(ctx.snapshotPath);
  if (!ctx.full && (await currentSchemaFingerprint(ctx)) === (await readState(ctx.client, 'schema'))) {
    return `skipped: ${name} and the database are as the last boot left them`;
  }
  const { messages } = await runDirectusCli(['schema', 'apply', '--yes', ctx.snapshotPath]);
  return messages.includes('No changes to apply.') ? `${name}: no changes` : `${name}: applied`;
}

// Called once steps 3 and 4 have both succeeded, so the next boot compares against their result.
export async function recordSchemaState(ctx: BootContext): Promise<void> {
  await writeState(ctx.client, 'schema', await currentSchemaFingerprint(ctx));
}

async function currentSchemaFingerprint(ctx: BootContext): Promise<string> {
  return schemaFingerprint(ctx.client, ctx.directusVersion, await readFile(ctx.snapshotPath, 'utf8'));
}
