import pg from 'pg';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { createThrowawayDatabase, type DbEnv } from '../../scripts/lib/throwaway-database.ts';
import { run } from './run.ts';

// Throwaway databases on the suite's server: each test gets its own, dropped afterwards.
export interface TestDatabase {
  name: string;
  url: string;
  env: DbEnv;
  query: <R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<R[]>;
  drop: () => Promise<void>;
}

export async function createDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('pgUrl');
  const database = await createThrowawayDatabase(serverUrl, 'trm_test');
  const url = new URL(serverUrl);
  url.pathname = `/${database.name}`;
  return {
    ...database,
    url: url.toString(),
    query: async (sql, params) => withClient(url.toString(), async (client) => (await client.query(sql, params)).rows),
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

// A database of the describe block's own, taken through steps 1–4 from the committed files first.
export function useBootedDatabase(secrets: Record<string, string>): () => { db: TestDatabase; env: Record<string, string> } {
  const database = useDatabase();
  const booted = () => ({ db: database(), env: { ...database().env, ...secrets } });
  beforeAll(async () => {
    const boot = await run('./entrypoint.sh', ['dry-run'], booted().env);
    expect(boot.code, boot.output).toBe(0);
  });
  return booted;
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
