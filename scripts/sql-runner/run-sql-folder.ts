import type pg from 'pg';
import { numberEnv } from '../lib/env.ts';
import { applyFolder, type FolderResult } from './apply-folder.ts';
import { withBootLock } from '../lib/boot-lock.ts';

// One folder under the boot lock: what steps 1 and 4 and `pnpm run db:init` share.
export async function runSqlFolder(client: pg.Client, dir: string): Promise<FolderResult> {
  return withBootLock(client, numberEnv('BOOT_LOCK_TIMEOUT', 600), () =>
    applyFolder(client, dir, { acceptChanged: acceptedChanges() }),
  );
}

function acceptedChanges(): Set<string> {
  const raw = process.env['DB_INIT_ACCEPT_CHANGED'] ?? '';
  return new Set(raw.split(',').map((name) => name.trim()).filter(Boolean));
}
