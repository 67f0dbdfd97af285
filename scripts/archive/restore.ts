import type pg from 'pg';
import { withBootLock } from '../lib/boot-lock.ts';
import { numberEnv } from '../lib/env.ts';
import type { RestoreRequest } from './restore-directus.ts';
import { RestoreRefused } from './restore-plan.ts';

export type RestoreResult = { restored: string[] } | { refused: string };

// Puts archived items back (restore-directus.ts, which loads Directus into this process), holding the
// boot lock so that no replica boots, and no step 3 applies, while it runs.
export async function restoreArchive(client: pg.Client, request: RestoreRequest): Promise<RestoreResult> {
  return withBootLock(client, numberEnv('BOOT_LOCK_TIMEOUT', 600), async () => {
    const { restoreItems } = await import('./restore-directus.ts');
    try {
      return { restored: await restoreItems(request) };
    } catch (err) {
      if (err instanceof RestoreRefused) return { refused: err.message };
      throw new Error(`nothing was restored: ${(err as Error).message}`);
    }
  });
}
