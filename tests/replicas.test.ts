import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBootedDatabase } from './support/databases.ts';
import { bootFully, login, restClient, type RunningBoot } from './support/directus.ts';
import { startRedisServer, type RedisServer } from './support/redis-server.ts';
import { repoDir } from './support/run.ts';

const admin = { email: 'admin@example.com', password: 'replicas-admin-password' };
const secrets = { KEY: 'replicas-key-0123456789abcdef', SECRET: 'replicas-secret-0123456789abcdef', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password };

// The multi-instance settings exactly as .env.example documents them, pointed at the test's Redis.
async function documentedMultiInstanceSettings(redisUrl: string): Promise<Record<string, string>> {
  const example = await readFile(path.join(repoDir, '.env.example'), 'utf8');
  const block = /^# BEGIN multi-instance\n([\s\S]*?)^# END multi-instance$/m.exec(example)?.[1];
  if (!block) throw new Error('.env.example has no BEGIN/END multi-instance block');
  const settings = parseEnv(block.replace(/^# /gm, '')) as Record<string, string>;
  return { ...settings, REDIS: redisUrl };
}

// Two instances on one database, a collection created through the first, read through the second:
// with the documented settings the second knows it within moments; without them it keeps its own schema.
async function createThenReadElsewhere(env: Record<string, string>): Promise<{ created: number; readElsewhere: number; body: string }> {
  const instances: RunningBoot[] = [];
  try {
    for (let i = 0; i < 2; i += 1) instances.push(await bootFully(env));
    const [first, second] = instances.map((instance) => instance.baseUrl) as [string, string];
    const viaFirst = restClient(first, await login(first, admin.email, admin.password));
    const viaSecond = restClient(second, await login(second, admin.email, admin.password));
    // The second has loaded its schema before the change.
    expect((await viaSecond('GET', '/items/organizations?limit=1')).status).toBe(200);
    const collection = `lap_notes_${randomUUID().slice(0, 8)}`;
    const created = await viaFirst('POST', '/collections', {
      collection,
      schema: {},
      fields: [{ field: 'id', type: 'integer', schema: { is_primary_key: true, has_auto_increment: true } }],
    });
    // The change travels over Redis pub/sub: give it up to three seconds, then take the last answer.
    let read = await viaSecond('GET', `/items/${collection}`);
    for (let wait = 0; read.status !== 200 && wait < 30; wait += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      read = await viaSecond('GET', `/items/${collection}`);
    }
    return { created: created.status, readElsewhere: read.status, body: JSON.stringify(read.body) };
  } finally {
    for (const instance of instances) instance.child.kill('SIGTERM');
    await Promise.all(instances.map((instance) => instance.finished));
  }
}

describe('more than one Directus instance on one database', () => {
  const booted = useBootedDatabase(secrets);

  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('with the settings .env.example documents, a collection created through one is known to the other within moments', async () => {
    const settings = await documentedMultiInstanceSettings(redis.url);
    expect(Object.keys(settings).sort()).toEqual(['CACHE_AUTO_PURGE', 'CACHE_ENABLED', 'CACHE_STORE', 'REDIS', 'SYNCHRONIZATION_STORE']);
    const result = await createThenReadElsewhere({ ...booted().env, ...settings });
    expect(result.created).toBe(200);
    expect(result.readElsewhere, result.body).toBe(200);
  });

  it('without them, the other instance does not know the collection (why the settings are needed)', async () => {
    const result = await createThenReadElsewhere(booted().env);
    expect(result.created).toBe(200);
    expect(result.readElsewhere).toBe(403);
    expect(result.body).toContain('does not exist');
  });
});
