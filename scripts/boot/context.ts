import type pg from 'pg';
import { connectWithRetry } from '../lib/connect.ts';
import { dbConfigFromEnv } from '../lib/db-config.ts';
import { installedDirectusVersion } from '../lib/directus-install.ts';
import { DirectusInternalsError } from '../lib/directus-internals.ts';
import { numberEnv, requireEnv } from '../lib/env.ts';
import type { SchemaPolicy } from '../schema/guard.ts';
import { snapshotPath } from '../schema/snapshot.ts';
import { ensureStateTable } from './boot-state.ts';
import type { StorageSettings } from './steps/positions-storage.ts';

// What every step shares: one database connection and the facts the skip decisions rest on.
export interface BootContext {
  client: pg.Client;
  directusVersion: string;
  snapshotPath: string;
  policy: SchemaPolicy;
  // Step 1's policies on positions (POSITIONS_COMPRESS_AFTER, POSITIONS_DROP_AFTER).
  storage: StorageSettings;
  // BOOT_FULL=true runs bootstrap and schema apply even when the recorded state proves them no-ops.
  full: boolean;
  // Directus's side of steps 2 and 3 (directus-steps.ts), imported into this process when a step
  // first needs it (directusSteps below).
  directus?: Promise<DirectusSteps> | undefined;
  // Step 3 left the database matching the snapshot (applied, or found nothing to apply).
  schemaInSync: boolean;
}

export type DirectusSteps = typeof import('./directus-steps.ts');

// Loads Directus's modules the first time (seconds, and this thread is busy meanwhile). A release that
// lacks an internal the boot calls stops the step before Directus writes anything.
export function directusSteps(ctx: BootContext): Promise<DirectusSteps> {
  ctx.directus ??= import('./directus-steps.ts').catch((err: unknown) => {
    if (!(err instanceof DirectusInternalsError)) throw err;
    throw new StepError(err.message, 'Nothing was written by Directus. The lines above name what is missing and the ways forward.');
  });
  return ctx.directus;
}

// A step's failure with advice of its own, in place of the step's general advice.
export class StepError extends Error {
  readonly advice: string;
  constructor(message: string, advice: string) {
    super(message);
    this.advice = advice;
  }
}

export async function openBootContext(policy: SchemaPolicy, storage: StorageSettings): Promise<BootContext> {
  const cli = requireEnv('DIRECTUS_CLI');
  const client = await connectWithRetry(dbConfigFromEnv(), numberEnv('DB_WAIT_TIMEOUT', 60));
  await ensureStateTable(client);
  return {
    client,
    directusVersion: installedDirectusVersion(cli),
    snapshotPath: snapshotPath(),
    policy,
    storage,
    full: process.env['BOOT_FULL'] === 'true',
    schemaInSync: false,
  };
}
