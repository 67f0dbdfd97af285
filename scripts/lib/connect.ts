import pg from 'pg';
import type { ClientConfig } from 'pg';
import { describeTarget } from './db-config.ts';
import { info } from './log.ts';

export class DatabaseUnreachableError extends Error {}

// Compose starts the database and Directus together: wait for it with exponential backoff
// (0.25 s doubling to 5 s) until `timeoutSeconds`, then name host, port and the last error.
export async function connectWithRetry(config: ClientConfig, timeoutSeconds: number): Promise<pg.Client> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let delay = 250;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const client = new pg.Client({ ...config, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      const reason = err instanceof Error ? err.message || (err as NodeJS.ErrnoException).code || err.name : String(err);
      if (!isTransient(err) || Date.now() + delay > deadline) {
        throw new DatabaseUnreachableError(
          `database ${describeTarget(config)} not reachable after ${attempts} attempt(s) over ${timeoutSeconds} s ` +
            `(DB_WAIT_TIMEOUT): ${reason}`,
        );
      }
      if (attempts === 1) info(`waiting for database ${describeTarget(config)}: ${reason}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

// Refused, reset, unresolvable host and "starting up" are worth waiting for; a wrong password is not.
function isTransient(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  if (code === undefined) return /timeout|terminated/i.test(String((err as Error).message));
  return ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', '57P03'].includes(code);
}
