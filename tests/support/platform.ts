import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { useBootedDatabase, type TestDatabase } from './databases.ts';
import { bootFully, login, restClient, type RunningBoot } from './directus.ts';
import { startRedisServer, type RedisServer } from './redis-server.ts';
import { seedTenants, type TenantFixture } from './tenant-fixture.ts';
import { seedOrganization, type Api, type Org } from './tenants.ts';

// The platform as the extensions see it: a database booted from the repository, Directus started by
// entrypoint.sh with the built extension bundle, and a Redis of the test's own as STREAMS_REDIS; then
// what `seed` puts in it through the administrator's API.
export interface Served {
  db: TestDatabase;
  server: RunningBoot;
  redis: RedisServer;
  asAdmin: Api;
  adminToken: string;
}

export function useSeededPlatform<T>(name: string, settings: Record<string, string>, seed: (served: Served) => Promise<T>): () => Served & T {
  const admin = { email: 'admin@example.com', password: `${name}-test-password` };
  const booted = useBootedDatabase({
    KEY: `${name}-test-key-0123456789abcdef`,
    SECRET: `${name}-test-secret-0123456789abcdef`,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  });
  let redis: RedisServer | undefined;
  let server: RunningBoot | undefined;
  let platform: (Served & T) | undefined;

  beforeAll(async () => {
    redis = await startRedisServer();
    server = await bootFully({ ...booted().env, STREAMS_REDIS: redis.url, ...settings });
    const adminToken = await login(server.baseUrl, admin.email, admin.password);
    const served = { db: booted().db, server, redis, asAdmin: restClient(server.baseUrl, adminToken), adminToken };
    platform = { ...served, ...(await seed(served)) };
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

// Two organizations A and B, each with an event, a class, an entry, a vehicle and a device.
export interface Platform extends Served {
  A: Org;
  B: Org;
}

export function usePlatform(name: string, settings: Record<string, string> = {}): () => Platform {
  return useSeededPlatform(name, settings, async ({ asAdmin }) => ({
    A: await seedOrganization(asAdmin, 'a', '356307042441013'),
    B: await seedOrganization(asAdmin, 'b', '356307042441021'),
  }));
}

// The competing organizations of the tenant fixture (tenant-fixture.ts); both WebSocket channels are
// on by the boot's default.
export function useTenantPlatform(name: string, settings: Record<string, string> = {}): () => Served & { f: TenantFixture } {
  return useSeededPlatform(name, settings, async ({ server, asAdmin, db }) => ({ f: await seedTenants(server.baseUrl, asAdmin, db) }));
}

// A stream's entries as processor or ingestion would read them: the entry id and its fields.
export async function streamEntries(client: Redis, stream: string): Promise<Array<Record<string, string>>> {
  return (await client.xrange(stream, '-', '+')).map(([id, fields]) => {
    const entry: Record<string, string> = { id };
    for (let i = 0; i < fields.length; i += 2) entry[fields[i]!] = fields[i + 1]!;
    return entry;
  });
}
