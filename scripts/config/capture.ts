import pg from 'pg';
import { dbConfigFromEnv } from '../lib/db-config.ts';
import { composeExec, type SchemaSource } from '../schema/capture.ts';
import { readLiveConfig } from './live.ts';
import { parseConfigYaml, type ConfigFile } from './model.ts';

// The configuration of the database the schema commands work on: the DB_* database (native), or the
// one behind compose.dev.yaml's directus service, read there by scripts/config-export.ts.
export async function captureLiveConfig(source: SchemaSource): Promise<ConfigFile> {
  if (source === 'compose') return parseConfigYaml(await composeExec('node scripts/config-export.ts'), 'the directus container');
  return (await withDatabase(readLiveConfig)).config;
}

export async function withDatabase<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(dbConfigFromEnv());
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

