import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBootedDatabase } from './support/databases.ts';
import { bootFully, login, restClient, type RunningBoot } from './support/directus.ts';
import { startRedisServer, type RedisServer } from './support/redis-server.ts';
import { seedTenants, type TenantFixture } from './support/tenant-fixture.ts';
import { createItem, PASSWORD } from './support/tenants.ts';
import { restSocket } from './support/websocket.ts';

// Two Directus instances behind one Redis, as a scaled stack runs: sign-in throttling counts the attempts
// an attacker spreads over both instances and both APIs (REST, GraphQL) together, the account's owner
// still signs in from their own address, and a WebSocket never signs in with a password; a deletion made
// through one instance reaches the subscribers of the other only if they could see the row.
const admin = { email: 'admin@example.com', password: 'throttle-test-password' };
const secrets = { KEY: 'throttle-test-key-0123456789abcdef', SECRET: 'throttle-test-secret-0123456789abcdef', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password };

describe('two instances behind one Redis', () => {
  const booted = useBootedDatabase(secrets);
  let redis: RedisServer;
  const instances: RunningBoot[] = [];
  const victim = 'victim@example.com';
  const spreadVictim = 'spread-victim@example.com';
  const socketVictim = 'socket-victim@example.com';
  let f: TenantFixture;

  beforeAll(async () => {
    redis = await startRedisServer();
    // As behind the reverse proxy: the client's address from X-Forwarded-For, so the test can be many.
    const env = { ...booted().env, REDIS: redis.url, WEBSOCKETS_ENABLED: 'true', PRESSURE_LIMITER_ENABLED: 'false', IP_TRUST_PROXY: 'true' };
    for (let i = 0; i < 2; i += 1) instances.push(await bootFully(env));
    const asAdmin = restClient(instances[0]!.baseUrl, await login(instances[0]!.baseUrl, admin.email, admin.password));
    const roles = (await asAdmin<Array<{ id: string; name: string }>>('GET', '/roles?limit=-1')).body!.data!;
    for (const email of [victim, spreadVictim, socketVictim]) {
      const created = await asAdmin('POST', '/users', { email, password: PASSWORD, role: roles.find((r) => r.name === 'Viewer')!.id });
      expect(created.status).toBe(200);
    }
    f = await seedTenants(instances[0]!.baseUrl, asAdmin, booted().db);
  });

  afterAll(async () => {
    for (const instance of instances) instance.child.kill('SIGTERM');
    await Promise.all(instances.map((instance) => instance.finished));
    await redis?.close();
  });

  const rest = (instance: RunningBoot, email: string, password: string, ip: string) =>
    fetch(`${instance.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ email, password }) }).then((r) => r.status);
  const graphql = (instance: RunningBoot, email: string, password: string, ip: string) =>
    fetch(`${instance.baseUrl}/graphql/system`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ query: 'mutation($email: String!, $password: String!) { auth_login(email: $email, password: $password) { access_token } }', variables: { email, password } }),
    }).then(async (r) => {
      const body = (await r.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      return r.status === 200 && !body.errors ? 200 : body.errors?.[0]?.extensions?.code === 'REQUESTS_EXCEEDED' || r.status === 429 ? 429 : 401;
    });

  it('failures spread over both instances and both APIs count together, then both answer 429', async () => {
    const [one, two] = instances as [RunningBoot, RunningBoot];
    const answers = [
      await rest(one, victim, 'guess-1', '192.0.2.10'),
      await graphql(two, victim, 'guess-2', '192.0.2.10'),
      await rest(two, victim, 'guess-3', '192.0.2.10'),
      await graphql(one, victim, 'guess-4', '192.0.2.10'),
      await rest(one, victim, 'guess-5', '192.0.2.10'),
      await rest(two, victim, 'guess-6', '192.0.2.10'),
      await graphql(one, victim, PASSWORD, '192.0.2.10'),
    ];
    // Five failures for the account from this address; then even the right password waits.
    expect(answers).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(await redis.client.keys('trm:login:pair*')).toHaveLength(1);
  });

  it('the owner signs in from elsewhere meanwhile, and the address they used is trusted from then on', async () => {
    const [one, two] = instances as [RunningBoot, RunningBoot];
    expect(await rest(two, spreadVictim, PASSWORD, '192.0.2.77')).toBe(200);
    // Guessing from many other addresses reaches the per-account limit for untrusted addresses …
    const spread: number[] = [];
    for (let i = 0; i < 12; i += 1) spread.push(await rest(i % 2 ? one : two, spreadVictim, `spread-${i}`, `198.51.100.${100 + i}`));
    expect(spread).toEqual([...Array(10).fill(401), 429, 429]);
    // … and the owner's trusted address is not held to it.
    expect(await rest(one, spreadVictim, PASSWORD, '192.0.2.77')).toBe(200);
  });

  it('a WebSocket signs in with an access token, never with a password (a sign-in without a client address)', async () => {
    const socketAuth = async (auth: Record<string, string>) => {
      const ws = new WebSocket(`${instances[0]!.baseUrl.replace(/^http/, 'ws')}/websocket`);
      await new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
      const answer = new Promise<Record<string, any>>((resolve) => ws.addEventListener('message', (e) => resolve(JSON.parse(String(e.data))), { once: true }));
      ws.send(JSON.stringify({ type: 'auth', ...auth }));
      const message = await answer;
      ws.close();
      return message['status'] as string;
    };
    expect(await socketAuth({ email: socketVictim, password: PASSWORD })).toBe('error');
    expect(await socketAuth({ access_token: await login(instances[1]!.baseUrl, socketVictim, PASSWORD) })).toBe('ok');
  });
  it('a deletion through one instance reaches the other instance’s subscribers only if they could see the row', async () => {
    const [one, two] = instances as [RunningBoot, RunningBoot];
    const watcher = await restSocket(two.baseUrl, f.alpha.people.viewer.token);
    try {
      watcher.send({ type: 'subscribe', collection: 'classes', uid: 'classes', query: { fields: ['id'] } });
      await watcher.next((m) => m['uid'] === 'classes' && m['event'] === 'init');
      const asBravo = restClient(one.baseUrl, f.bravo.people['race-director'].token);
      const asAlpha = restClient(one.baseUrl, f.alpha.people['race-director'].token);
      const bravoClass = await createItem(asBravo, 'classes', { event_id: f.bravo.event, code: 'bravo-gone' });
      expect((await asBravo('DELETE', `/items/classes/${bravoClass}`)).status).toBe(204);
      const alphaClass = await createItem(asAlpha, 'classes', { event_id: f.alpha.event, code: 'alpha-gone' });
      expect((await asAlpha('DELETE', `/items/classes/${alphaClass}`)).status).toBe(204);
      const created = await watcher.next((m) => m['uid'] === 'classes');
      const deleted = await watcher.next((m) => m['uid'] === 'classes');
      expect([created['event'], created['data'].map((c: { id: string }) => c.id)]).toEqual(['create', [alphaClass]]);
      expect([deleted['event'], deleted['data']]).toEqual(['delete', [alphaClass]]);
    } finally {
      watcher.close();
    }
  });
});
