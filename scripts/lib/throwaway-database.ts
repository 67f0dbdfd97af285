import { randomBytes } from 'node:crypto';
import pg from 'pg';

// The DB_* variables Directus and the boot read to reach a database.
export interface DbEnv {
  DB_CLIENT: string;
  DB_HOST: string;
  DB_PORT: string;
  DB_DATABASE: string;
  DB_USER: string;
  DB_PASSWORD: string;
}

// A database of its own on a given server (the CI gate, the tests, the boot benchmark), dropped afterwards.
export interface ThrowawayDatabase {
  name: string;
  env: DbEnv;
  drop: () => Promise<void>;
}

// `template`: a copy of that database (CREATE DATABASE … TEMPLATE) instead of an empty one.
export async function createThrowawayDatabase(serverUrl: string, prefix: string, template?: string): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  return { name, env: dbEnv(serverUrl, name), drop: () => onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export function dbEnv(serverUrl: string, database: string): DbEnv {
  const url = new URL(serverUrl);
  return {
    DB_CLIENT: 'pg',
    DB_HOST: url.hostname,
    DB_PORT: url.port || '5432',
    DB_DATABASE: database,
    DB_USER: decodeURIComponent(url.username),
    DB_PASSWORD: decodeURIComponent(url.password),
  };
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
