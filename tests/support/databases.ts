import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { createThrowawayDatabase, type DbEnv } from '../../scripts/lib/throwaway-database.ts';
import { bootedTemplate, setFirstAdmin } from './booted-template.ts';
import { withClient } from './with-client.ts';

export { withClient };

// Throwaway databases on the suite's server: each test gets its own, dropped afterwards.
export interface TestDatabase {
  name: string;
  url: string;
  env: DbEnv;
  query: <R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<R[]>;
  drop: () => Promise<void>;
}

// `template`: a copy of that database instead of an empty one.
export async function createDatabase(template?: string): Promise<TestDatabase> {
  const serverUrl = inject('pgUrl');
  const database = await createThrowawayDatabase(serverUrl, 'trm_test', template);
  const url = new URL(serverUrl);
  url.pathname = `/${database.name}`;
  return {
    ...database,
    url: url.toString(),
    query: async (sql, params) => withClient(url.toString(), async (client) => (await client.query(sql, params)).rows),
  };
}

// A database of the describe block's own, created before its tests and dropped after them.
export function useDatabase(create: () => Promise<TestDatabase> = () => createDatabase()): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await create();
  });
  afterAll(async () => {
    await db?.drop();
  });
  return () => {
    if (!db) throw new Error('the test database is created in beforeAll');
    return db;
  };
}

// A database of the describe block's own, as steps 1–4 leave it from the committed files with these
// secrets: a copy of the run's booted template whose first admin has ADMIN_EMAIL and ADMIN_PASSWORD.
export function useBootedDatabase(secrets: Record<string, string> & { ADMIN_EMAIL: string; ADMIN_PASSWORD: string }): () => { db: TestDatabase; env: Record<string, string> } {
  const database = useDatabase(async () => {
    const db = await createDatabase(await bootedTemplate());
    await withClient(db.url, (client) => setFirstAdmin(client, secrets.ADMIN_EMAIL, secrets.ADMIN_PASSWORD));
    return db;
  });
  return () => ({ db: database(), env: { ...database().env, ...secrets } });
}
