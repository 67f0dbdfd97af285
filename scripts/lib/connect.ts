import pg from 'pg';
import type { ClientConfig } from 'pg';
import { describeTarget } from './db-config.ts';
import { info } from './log.ts';

// Why the database could not be reached, in words that say what was tried and why it stopped, and
// what to do about it.
export class DatabaseUnreachableError extends Error {
  readonly advice: string;
  constructor(message: string, advice: string) {
    super(message);
    this.advice = advice;
  }
}

// Compose starts the database and Directus together: wait for it with exponential backoff
// (0.25 s doubling to 5 s) until `timeoutSeconds`, then name host, port and the last error. An error
// that waiting cannot fix (a missing role or database, a wrong password) stops at once.
export async function connectWithRetry(config: ClientConfig, timeoutSeconds: number): Promise<pg.Client> {
  const started = Date.now();
  const deadline = started + timeoutSeconds * 1000;
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
      const reason = describeError(err);
      const target = `database ${describeTarget(config)}`;
      if (!isTransient(err)) {
        throw new DatabaseUnreachableError(`${target} refused the connection: ${reason}; not retried, since waiting does not change that`, adviceFor(err, config));
      }
      if (Date.now() + delay > deadline) {
        const tried = `${attempts} attempt(s) over ${((Date.now() - started) / 1000).toFixed(1)} s`;
        throw new DatabaseUnreachableError(
          `${target} not reachable: ${tried}, then DB_WAIT_TIMEOUT (${timeoutSeconds} s) ran out; last error: ${reason}`,
          'Start the database or correct DB_HOST and DB_PORT (or DB_CONNECTION_STRING); raise DB_WAIT_TIMEOUT if it needs longer to come up.',
        );
      }
      if (attempts === 1) info(`waiting for ${target}: ${reason}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: string }).code;
  const message = err.message || code || err.name;
  return code && /^[0-9A-Z]{5}$/.test(code) ? `${message} (SQLSTATE ${code})` : message;
}

// Refused, reset, unresolvable host and "starting up" are worth waiting for; a wrong password is not.
function isTransient(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  if (code === undefined) return /timeout|terminated/i.test(String((err as Error).message));
  return ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', '57P03'].includes(code);
}

// A fresh machine's PostgreSQL has neither the role nor the database .env.example names: say the
// command that creates them, with this configuration's names (never its password). CREATEROLE: step 4
// makes the role people's statements run as, trm_person, and joins it (db-init-post/010).
function adviceFor(err: unknown, config: ClientConfig): string {
  const { host, port, user, database } = connectionFacts(config);
  const psql = `psql -h ${host} -p ${port} -U postgres`;
  switch ((err as { code?: string }).code) {
    case '28000':
      return `Create the role and its database as a PostgreSQL superuser, e.g.: ${psql} -c "CREATE ROLE ${user} LOGIN CREATEROLE PASSWORD '<DB_PASSWORD>'" -c "CREATE DATABASE ${database} OWNER ${user}"`;
    case '3D000':
      return `Create the database as a PostgreSQL superuser, e.g.: ${psql} -c "CREATE DATABASE ${database} OWNER ${user}"`;
    case '28P01':
      return 'DB_PASSWORD (or the password in DB_CONNECTION_STRING) is not the role\'s password: correct it, then start again.';
    default:
      return 'Set the DB_* variables (see .env.example) and make sure the database accepts connections.';
  }
}

function connectionFacts(config: ClientConfig): { host: string; port: string; user: string; database: string } {
  if (config.connectionString) {
    const url = new URL(config.connectionString);
    return { host: url.hostname, port: url.port || '5432', user: decodeURIComponent(url.username), database: url.pathname.slice(1) };
  }
  return { host: String(config.host), port: String(config.port), user: String(config.user), database: String(config.database) };
}
