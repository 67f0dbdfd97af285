// `pnpm run db:init`: apply one SQL folder (DB_INIT_DIR, default db-init/) outside the boot.
import { connectWithRetry, DatabaseUnreachableError } from './lib/connect.ts';
import { dbConfigFromEnv } from './lib/db-config.ts';
import { resolveConfiguration, numberEnv } from './lib/env.ts';
import { error, info, seconds } from './lib/log.ts';
import { fromApp } from './lib/paths.ts';
import { sqlFolder } from './boot/steps/sql-folder.ts';

const started = performance.now();
try {
  resolveConfiguration();
  const client = await connectWithRetry(dbConfigFromEnv(), numberEnv('DB_WAIT_TIMEOUT', 60));
  try {
    info(`db-init ${await sqlFolder(client, process.env['DB_INIT_DIR'] ?? fromApp('db-init'))} (${seconds(started)})`);
  } finally {
    await client.end();
  }
} catch (err) {
  error(`db-init failed after ${seconds(started)}: ${(err as Error).message}`);
  if (err instanceof DatabaseUnreachableError) error(err.advice);
  process.exitCode = 1;
}
