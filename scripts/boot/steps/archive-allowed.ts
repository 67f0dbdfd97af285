import type { LiveConfig } from '../../config/live.ts';
import { archiveItems } from '../../archive/collect.ts';
import { describeItem, type SqlClient } from '../../archive/model.ts';
import { archiveWithin, readArchive } from '../../archive/store.ts';
import { info } from '../../lib/log.ts';
import type { Verdict } from '../../schema/guard.ts';
import type { Snapshot } from '../../schema/snapshot.ts';
import type { BootContext } from '../context.ts';

// Step 3, when DIRECTUS_SCHEMA_ALLOW_DELETE allowed it to delete or lose something: exactly that is
// copied into schema_archive (scripts/archive/) inside each apply's own transaction, right before the
// apply (Directus's for the schema, the boot's for the configuration). Copy and loss commit together:
// no row written between them is lost, and an apply that fails leaves no archive of what it kept.
export interface Archiver {
  // What an apply runs first in its transaction; undefined when it drops nothing.
  schema: ((sql: SqlClient) => Promise<void>) | undefined;
  config: ((sql: SqlClient) => Promise<void>) | undefined;
  // The boot's line on what the archive holds, once the applies are over (whatever they did).
  report: () => Promise<string | undefined>;
}

export function archiver(ctx: BootContext, verdict: Verdict, current: Snapshot | undefined, live: LiveConfig): Archiver {
  let archiveId: number | undefined;
  const part = (which: 'schema' | 'config') => async (sql: SqlClient) => {
    const specs = await archiveItems(sql, verdict.allowed, current, live, which);
    archiveId = await archiveWithin(sql, archiveId, verdict.planId, ctx.directusVersion, specs);
  };
  const allows = (which: 'schema' | 'config') => verdict.allowed.some(({ change }) => ['collection', 'field', 'relation', 'system field'].includes(change.kind) === (which === 'schema'));
  return {
    schema: allows('schema') ? part('schema') : undefined,
    config: allows('config') ? part('config') : undefined,
    report: async () => {
      // Made in a transaction that rolled back, it is not there.
      const archive = archiveId === undefined ? undefined : await readArchive(ctx.client, archiveId);
      if (!archive) return undefined;
      info(
        `archived what the apply dropped, in its transaction: archive ${archive.id} (plan ${archive.planId}, ${archive.rows} row${archive.rows === 1 ? '' : 's'}, ${kilobytes(archive.bytes)}): ` +
          `${archive.items.map((item) => describeItem(item)).join('; ')}. Undo with: pnpm run schema:restore ${archive.id} (./entrypoint.sh schema-restore ${archive.id} in the image)`,
      );
      return `what it dropped is in archive ${archive.id}`;
    },
  };
}

function kilobytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
