import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';

// Throwaway databases on the suite's server: each test gets its own, dropped afterwards.
export interface TestDatabase {
  name: string;
  url: string;
  env: { DB_CLIENT: string; DB_HOST: string; DB_PORT: string; DB_DATABASE: string; DB_USER: string; DB_PASSWORD: string };
  query: <R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<R[]>;
  drop: () => Promise<void>;
}

export async function createDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('pgUrl');
  const name = `trm_test_${randomBytes(5).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const env = {
    DB_CLIENT: 'pg',
    DB_HOST: url.hostname,
    DB_PORT: url.port || '5432',
    DB_DATABASE: name,
    DB_USER: decodeURIComponent(url.username),
    DB_PASSWORD: decodeURIComponent(url.password),
  };
  return {
    name,
    url: url.toString(),
    env,
    query: async (sql, params) => withClient(url.toString(), async (client) => (await client.query(sql, params)).rows),
    drop: () => withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

// A database of the describe block's own, created before its tests and dropped after them.
export function useDatabase(): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  return () => {
    if (!db) throw new Error('the test database is created in beforeAll');
    return db;
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
