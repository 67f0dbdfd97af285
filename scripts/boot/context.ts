import type pg from 'pg';
import { connectWithRetry } from '../lib/connect.ts';
import { dbConfigFromEnv } from '../lib/db-config.ts';
import { installedDirectusVersion } from '../lib/directus-install.ts';
import { numberEnv, requireEnv } from '../lib/env.ts';
import { snapshotPath } from '../schema/snapshot.ts';
import { ensureStateTable } from './boot-state.ts';
import type { PendingCli } from './directus-cli.ts';

// What every step shares: one database connection and the facts the skip decisions rest on.
export interface BootContext {
  client: pg.Client;
  directusVersion: string;
  snapshotPath: string;
  // BOOT_FULL=true runs bootstrap and schema apply even when the recorded state proves them no-ops.
  full: boolean;
  // Step 3's CLI, started during step 2 when step 3 is certain to run.
  applyAhead?: PendingCli | undefined;
}

export async function openBootContext(): Promise<BootContext> {
  const cli = requireEnv('DIRECTUS_CLI');
  const client = await connectWithRetry(dbConfigFromEnv(), numberEnv('DB_WAIT_TIMEOUT', 60));
  await ensureStateTable(client);
  return {
    client,
    directusVersion: installedDirectusVersion(cli),
    snapshotPath: snapshotPath(),
    full: process.env['BOOT_FULL'] === 'true',
  };
}
