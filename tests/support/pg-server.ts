import pg from 'pg';

// The PostgreSQL server the suite runs on, in the order the README gives: TEST_DATABASE_URL, else a
// real TimescaleDB (with PostGIS) in a container through testcontainers, else a clear failure.
export const TIMESCALEDB_IMAGE = 'timescale/timescaledb-ha:pg17.10-ts2.29.2';

export interface PgServer {
  url: string;
  timescale: 'real' | 'stand-in';
  description: string;
  stop: () => Promise<void>;
}

export async function startPgServer(): Promise<PgServer> {
  const fromEnv = process.env['TEST_DATABASE_URL'];
  if (fromEnv) return describe(fromEnv, 'TEST_DATABASE_URL', async () => undefined);
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  let container;
  try {
    container = await new PostgreSqlContainer(TIMESCALEDB_IMAGE).start();
  } catch (err) {
    throw new Error(
      'No PostgreSQL for the integration tests. Either set TEST_DATABASE_URL to a server where the suite may ' +
        'create and drop databases (with TimescaleDB, or the stand-in from tests/support/install-timescaledb-standin.sh ' +
        `where TimescaleDB cannot be installed), or make Docker available so testcontainers can run ${TIMESCALEDB_IMAGE}.\n` +
        `testcontainers said: ${(err as Error).message}`,
    );
  }
  const started = container;
  return describe(started.getConnectionUri(), `testcontainers ${TIMESCALEDB_IMAGE}`, async () => {
    await started.stop();
  });
}

async function describe(url: string, source: string, stop: () => Promise<void>): Promise<PgServer> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ default_version: string; comment: string; server: string }>(
      `SELECT default_version, comment, current_setting('server_version') AS server
         FROM pg_available_extensions WHERE name = 'timescaledb'`,
    );
    const row = rows[0];
    if (!row) {
      throw new Error(
        `${source}: the server offers no timescaledb extension. Install TimescaleDB, or where it cannot be ` +
          'installed, the stand-in: bash tests/support/install-timescaledb-standin.sh',
      );
    }
    const standIn = row.comment.includes('STAND-IN');
    return {
      url,
      timescale: standIn ? 'stand-in' : 'real',
      description: `PostgreSQL ${row.server} from ${source}, ${
        standIn ? 'TimescaleDB STAND-IN (hypertable behaviour NOT tested)' : `real TimescaleDB ${row.default_version}`
      }`,
      stop,
    };
  } finally {
    await client.end();
  }
}
