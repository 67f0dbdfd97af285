import pg from 'pg';

// The PostgreSQL server the suite runs on, in the order the README gives: TEST_DATABASE_URL, else a
// real TimescaleDB (with PostGIS) in a container through testcontainers, else a clear failure. Either
// way it offers the real TimescaleDB: positions is tested on real chunks, compressed and not.
export const TIMESCALEDB_IMAGE = 'timescale/timescaledb-ha:pg17.10-ts2.29.2';

export interface PgServer {
  url: string;
  description: string;
  stop: () => Promise<void>;
}

const NO_TIMESCALEDB =
  'Install TimescaleDB there (on these machines: bash ../shared/timescaledb/install.sh, as .ci/run does), ' +
  `or unset TEST_DATABASE_URL where Docker is available so that testcontainers runs ${TIMESCALEDB_IMAGE}.`;

export async function startPgServer(): Promise<PgServer> {
  const fromEnv = process.env['TEST_DATABASE_URL'];
  if (fromEnv) return describe(fromEnv, 'TEST_DATABASE_URL', async () => undefined);
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  let container;
  try {
    container = await new PostgreSqlContainer(TIMESCALEDB_IMAGE).start();
  } catch (err) {
    throw new Error(
      'No PostgreSQL for the integration tests. Either set TEST_DATABASE_URL to a server with TimescaleDB where the ' +
        'suite may create and drop databases (on these machines: bash ../shared/timescaledb/install.sh installs it), ' +
        `or make Docker available so testcontainers can run ${TIMESCALEDB_IMAGE}.\n` +
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
    const { rows } = await client.query<{ default_version: string; server: string; preloaded: boolean }>(
      `SELECT default_version, current_setting('server_version') AS server,
              current_setting('shared_preload_libraries') ~ '\\mtimescaledb\\M' AS preloaded
         FROM pg_available_extensions WHERE name = 'timescaledb'`,
    );
    const row = rows[0];
    if (!row) throw new Error(`${source}: the server offers no timescaledb extension. ${NO_TIMESCALEDB}`);
    if (!row.preloaded) throw new Error(`${source}: TimescaleDB ${row.default_version} is installed but not in shared_preload_libraries. ${NO_TIMESCALEDB}`);
    return { url, description: `PostgreSQL ${row.server} from ${source}, real TimescaleDB ${row.default_version}`, stop };
  } finally {
    await client.end();
  }
}
