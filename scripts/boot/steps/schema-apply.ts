import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readState, schemaFingerprint, writeState } from '../boot-state.ts';
import type { BootContext } from '../context.ts';
import { startDirectusCli } from '../directus-cli.ts';

// Step 3: the collections, fields and relations of snapshots/schema.yaml. Skipped when the snapshot,
// the Directus version and the whole schema catalogue are exactly what the last successful boot
// left: the apply would find no difference.
export async function schemaApply(ctx: BootContext): Promise<string> {
  const name = path.basename(ctx.snapshotPath);
  if (!ctx.applyAhead && (await schemaUnchanged(ctx))) {
    return `skipped: ${name} and the database are as the last boot left them`;
  }
  const apply = ctx.applyAhead ?? startDirectusCli(applyArgs(ctx), { ahead: false });
  ctx.applyAhead = undefined;
  const { messages } = await apply.result();
  return messages.includes('No changes to apply.') ? `${name}: no changes` : `${name}: applied`;
}

// When step 3 will run whatever step 2 does (a fresh database, a new snapshot, BOOT_FULL), its CLI
// loads Directus during step 2 and saves the boot a CLI start-up.
// (A snapshot that cannot be read fails step 3 itself, with the step's message.)
export async function startSchemaApplyAhead(ctx: BootContext): Promise<void> {
  const unchanged = await schemaUnchanged(ctx).catch(() => false);
  if (!unchanged) ctx.applyAhead = startDirectusCli(applyArgs(ctx), { ahead: true });
}

// Called once steps 3 and 4 have both succeeded, so the next boot compares against their result.
export async function recordSchemaState(ctx: BootContext): Promise<void> {
  const fingerprint = await currentFingerprint(ctx);
  if (fingerprint !== undefined) await writeState(ctx.client, 'schema', fingerprint);
}

async function schemaUnchanged(ctx: BootContext): Promise<boolean> {
  if (ctx.full) return false;
  const current = await currentFingerprint(ctx);
  return current !== undefined && current === (await readState(ctx.client, 'schema'));
}

function currentFingerprint(ctx: BootContext): Promise<string | undefined> {
  return readFile(ctx.snapshotPath, 'utf8').then((snapshot) =>
    schemaFingerprint(ctx.client, ctx.directusVersion, snapshot),
  );
}

function applyArgs(ctx: BootContext): string[] {
  return ['schema', 'apply', '--yes', ctx.snapshotPath];
}
