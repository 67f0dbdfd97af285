import type { LiveConfig } from '../../config/live.ts';
import { archiveItems } from '../../archive/collect.ts';
import { describeItem } from '../../archive/model.ts';
import { completeArchive, forgetItems, writeArchive, type ArchiveSummary } from '../../archive/store.ts';
import { info, warn } from '../../lib/log.ts';
import type { Verdict } from '../../schema/guard.ts';
import type { Snapshot } from '../../schema/snapshot.ts';
import type { BootContext } from '../context.ts';

// Step 3, before it applies what DIRECTUS_SCHEMA_ALLOW_DELETE allowed to delete or lose: exactly that
// is copied into schema_archive and committed (scripts/archive/), so the operator's "yes" can still
// be taken back with `pnpm run schema:restore`. Nothing allowed, nothing archived.
export async function archiveAllowed(ctx: BootContext, verdict: Verdict, current: Snapshot | undefined, live: LiveConfig): Promise<ArchiveSummary | undefined> {
  if (verdict.allowed.length === 0) return undefined;
  const specs = await archiveItems(ctx.client, verdict.allowed, current, live);
  const archive = await writeArchive(ctx.client, verdict.planId, ctx.directusVersion, specs);
  info(
    `archived before applying: archive ${archive.id} (plan ${archive.planId}, ${archive.rows} row${archive.rows === 1 ? '' : 's'}, ${kilobytes(archive.bytes)}): ` +
      `${archive.items.map((item) => describeItem(item)).join('; ')}. Undo with: pnpm run schema:restore ${archive.id} (./entrypoint.sh schema-restore ${archive.id} in the image)`,
  );
  return archive;
}

// After the apply: the archive is complete when everything it holds was dropped. A part that failed
// and rolled back dropped nothing, so the archive forgets its items (and itself when none is left).
// A failure here must not hide the apply's own: the archive then stays pending, which the listing says.
export async function settleArchive(ctx: BootContext, archive: ArchiveSummary | undefined, applied: 'nothing' | 'schema' | 'everything'): Promise<void> {
  if (!archive) return;
  try {
    if (applied === 'everything') return await completeArchive(ctx.client, archive.id);
    const schemaKinds = ['collection', 'field', 'relation', 'system field'];
    const left = await forgetItems(ctx.client, archive.id, (item) => applied === 'schema' && schemaKinds.includes(item.kind));
    if (left > 0) await completeArchive(ctx.client, archive.id);
    warn(left > 0 ? `archive ${archive.id} keeps only the schema items: the configuration was not applied` : `archive ${archive.id} removed: nothing it held was dropped`);
  } catch (err) {
    warn(`archive ${archive.id} could not be settled (${(err as Error).message}); it stays pending: pnpm run schema:archives shows it`);
  }
}

function kilobytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
