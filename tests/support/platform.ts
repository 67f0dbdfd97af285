import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { useBootedDatabase, type TestDatabase } from './databases.ts';
import { bootFully, login, restClient, type RunningBoot } from './directus.ts';
import { startRedisServer, type RedisServer } from './redis-server.ts';
import { seedOrganization, type Api, type Org } from './tenants.ts';

// The platform as the extensions see it: a database booted from the repository, Directus started by
// entrypoint.sh with the built extension bundle, a Redis of the test's own as STREAMS_REDIS, and two
// organizations A and B, each with a device.
export interface Platform {
  db: TestDatabase;
  server: RunningBoot;
  redis: RedisServer;
  asAdmin: Api;
  A: Org;
  B: Org;
}

export function usePlatform(name: string, settings: Record<string, string> = {}): () => Platform {
  const admin = { email: 'admin@example.com', password: `${name}-test-password` };
  const booted = useBootedDatabase({
    KEY: `${name}-test-key-0123456789abcdef`,
    SECRET: `${name}-test-secret-0123456789abcdef`,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  });
  let redis: RedisServer | undefined;
  let server: RunningBoot | undefined;
  let platform: Platform | undefined;

  beforeAll(async () => {
    redis = await startRedisServer();
    server = await bootFully({ ...booted().env, STREAMS_REDIS: redis.url, ...settings });
    const asAdmin = restClient(server.baseUrl, await login(server.baseUrl, admin.email, admin.password));
    const A = await seedOrganization(asAdmin, 'a', '356307042441013');
    const B = await seedOrganization(asAdmin, 'b', '356307042441021');
    platform = { db: booted().db, server, redis, asAdmin, A, B };
  });

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.finished;
    await redis?.close();
  });

  return () => {
    if (!platform) throw new Error('the platform did not start (see beforeAll)');
    return platform;
  };
}

// A stream's entries as processor or ingestion would read them: the entry id and its fields.
export async function streamEntries(client: Redis, stream: string): Promise<Array<Record<string, string>>> {
  return (await client.xrange(stream, '-', '+')).map(([id, fields]) => {
    const entry: Record<string, string> = { id };
    for (let i = 0; i < fields.length; i += 2) entry[fields[i]!] = fields[i + 1]!;
    return entry;
  });
}
