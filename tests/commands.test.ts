import { beforeAll, describe, expect, it } from 'vitest';
import { appendOnce } from '../extensions/platform/src/shared/append-once.ts';
import { streamEntries, usePlatform } from './support/platform.ts';
import type { RedisServer } from './support/redis-server.ts';
import { createPeople, createServiceAccount, eventually, type Api, type Org } from './support/tenants.ts';

// Outbound device commands end to end (docs/contracts/commands.md): real Directus with the built
// extension, real PostgreSQL, and a real Redis of the test's own that it stops and starts. The test
// plays the ingestion instance: it registers the device's socket, reads its stream, reports back.
const INGESTION_TOKEN = 'ingestion-static-token-for-commands';
const EXPIRE_SECONDS = 6;
const INSTANCE = 'ingestion-test-1';
const STREAM = `commands:stream:${INSTANCE}`;

describe('outbound commands: routed over Redis to the ingestion instance that holds the device', () => {
  const platform = usePlatform('commands', { COMMANDS_EXPIRE_SECONDS: String(EXPIRE_SECONDS), COMMANDS_SWEEP_SCHEDULE: '* * * * * *' });
  let redis: RedisServer;
  let A: Org;
  let B: Org;
  let marshal: Api;
  let ingestion: Api;
  let marshalId: string;

  beforeAll(async () => {
    const { server, asAdmin } = platform();
    ({ redis, A, B } = platform());
    const people = await createPeople(server.baseUrl, asAdmin, { marshal: ['Marshal', [[A, 'marshal']]] });
    marshal = people.marshal!.api;
    marshalId = people.marshal!.id;
    ingestion = await createServiceAccount(server.baseUrl, asAdmin, 'ingestion', 'Ingestion', INGESTION_TOKEN);
  });

  const holdSocket = (imei: string) => redis.client.set(`ingestion:socket:${imei}`, INSTANCE, 'EX', 60);
  const command = async (device: string, text: string) => {
    const created = await marshal<{ id: string; status: string }>('POST', '/items/commands', { device_id: device, command: text });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    return created.body!.data!;
  };
  const row = async (id: string) => (await platform().db.query('SELECT status, routed_to, error, sent_at, acknowledged_at, response FROM commands WHERE id = $1', [id]))[0]!;
  const settled = (id: string) => eventually(() => row(id), (r) => r['status'] !== 'queued');
  const entries = () => streamEntries(redis.client, STREAM);

  it('queued → routed → sent → acknowledged, with the test playing the ingestion instance', async () => {
    await holdSocket(A.imei);
    const created = await command(A.device, 'getver');
    // The row is stored queued; routing runs once it is committed, so the API's answer, read back
    // right after, may already say routed.
    expect(['queued', 'routed']).toContain(created.status);
    expect(await settled(created.id)).toMatchObject({ status: 'routed', routed_to: INSTANCE, error: null });

    const [entry] = (await entries()).filter((e) => e['command_id'] === created.id);
    expect(entry).toMatchObject({ command_id: created.id, imei: A.imei, codec: 'codec12', command: 'getver' });
    expect(Date.parse(entry!['expires_at']!) - Date.parse(entry!['requested_at']!)).toBeGreaterThanOrEqual(EXPIRE_SECONDS * 1000 - 1000);

    const sent = await ingestion('PATCH', `/items/commands/${created.id}`, { status: 'sent' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(await row(created.id)).toMatchObject({ status: 'sent', sent_at: expect.any(Date), acknowledged_at: null });
    const acknowledged = await ingestion('PATCH', `/items/commands/${created.id}`, { status: 'acknowledged', response: 'Ver:03.28.07' });
    expect(acknowledged.status, JSON.stringify(acknowledged.body)).toBe(200);
    expect(await row(created.id)).toMatchObject({ status: 'acknowledged', response: 'Ver:03.28.07', acknowledged_at: expect.any(Date) });
    // The marshal follows it through Directus.
    const seen = await marshal<{ status: string }>('GET', `/items/commands/${created.id}?fields=status`);
    expect(seen.body?.data?.status).toBe('acknowledged');
    // Directus's activity log and revisions hold who asked (queued) and what ingestion reported; the
    // routing outcome is on the row itself (routed_to, routed_at, error), written without a user.
    const history = await platform().db.query(
      `SELECT a.action, u.email, r.delta->>'status' AS status FROM directus_activity a
         JOIN directus_users u ON u.id = a."user" JOIN directus_revisions r ON r.activity = a.id
        WHERE a.collection = 'commands' AND a.item = $1 ORDER BY a.id`,
      [created.id],
    );
    expect(history).toEqual([
      { action: 'create', email: 'marshal@example.com', status: 'queued' },
      { action: 'update', email: 'ingestion@service.example.com', status: 'sent' },
      { action: 'update', email: 'ingestion@service.example.com', status: 'acknowledged' },
    ]);
  });

  it('a report that would move a command backwards or skip routing is refused, and a repeated report is accepted', async () => {
    await holdSocket(A.imei);
    const created = await command(A.device, 'getgps');
    await settled(created.id);
    const acknowledged = await ingestion('PATCH', `/items/commands/${created.id}`, { status: 'acknowledged', response: 'GPS:1' });
    expect(acknowledged.status).toBe(200);
    expect((await ingestion('PATCH', `/items/commands/${created.id}`, { status: 'acknowledged', response: 'GPS:1' })).status).toBe(200);
    const backwards = await ingestion('PATCH', `/items/commands/${created.id}`, { status: 'sent' });
    expect(backwards.status).toBe(400);
    expect(backwards.body?.errors?.[0]?.message).toBe(`Command ${created.id} is acknowledged; it cannot be reported sent (only from routed, sent, failed, expired).`);
    const rerouted = await ingestion('PATCH', `/items/commands/${created.id}`, { status: 'routed' });
    expect(rerouted.body?.errors?.[0]?.message).toBe('A command report names its status, one of sent, acknowledged, failed; not routed.');
    const rewritten = await ingestion('PATCH', `/items/commands/${created.id}`, { command: 'cpureset' });
    expect(rewritten.body?.errors?.[0]?.message).toContain('not command');
    // People do not report at all.
    expect((await marshal('PATCH', `/items/commands/${created.id}`, { status: 'failed' })).status).toBe(403);
    expect(await row(created.id)).toMatchObject({ status: 'acknowledged', response: 'GPS:1' });
  });

  it('a device no ingestion instance holds: the command fails as "device offline" and nothing is appended', async () => {
    await redis.client.del(`ingestion:socket:${A.imei}`);
    const before = await redis.client.xlen(STREAM);
    const created = await command(A.device, 'getinfo');
    expect(await settled(created.id)).toMatchObject({
      status: 'failed',
      routed_to: null,
      error: `device offline: no ingestion instance holds the socket of device ${A.imei}`,
    });
    expect(await redis.client.xlen(STREAM)).toBe(before);
  });

  it('Redis stopped mid-test: the command is stored and fails as "Redis unavailable"; once Redis is back, commands route again', async () => {
    await holdSocket(A.imei);
    await redis.stop();
    const created = await command(A.device, 'getstatus');
    const failed = await settled(created.id);
    expect(failed['status']).toBe('failed');
    expect(failed['error']).toMatch(/^Redis unavailable: /);

    await redis.start();
    // The restarted Redis kept nothing: the instance registers its socket again.
    await holdSocket(A.imei);
    const next = await command(A.device, 'getstatus');
    expect(await settled(next.id)).toMatchObject({ status: 'routed', routed_to: INSTANCE });
    // The failed one stays failed: a command is not sent to a device minutes after it was asked for.
    expect(await row(created.id)).toMatchObject({ status: 'failed' });
    expect((await entries()).map((e) => e['command_id'])).toEqual([next.id]);
  });

  it('a command for another organization’s device is refused and leaves no row and no stream entry', async () => {
    await redis.client.set(`ingestion:socket:${B.imei}`, INSTANCE, 'EX', 60);
    const before = await redis.client.xlen(STREAM);
    const foreign = await marshal('POST', '/items/commands', { device_id: B.device, command: 'cpureset' });
    expect(foreign.status).toBe(403);
    expect(foreign.body?.errors?.[0]?.message).toBe('You may send commands only to devices registered with an organization where you are org-admin, race-director or marshal.');
    expect(await platform().db.query('SELECT id FROM commands WHERE device_id = $1', [B.device])).toEqual([]);
    expect(await redis.client.xlen(STREAM)).toBe(before);
  });

  it('the sweep routes a command a stopped process left queued, once, and expires one no instance reported on', async () => {
    await holdSocket(A.imei);
    // As if Directus stopped between storing the row and routing it, after having appended it once.
    const [stuck] = await platform().db.query<{ id: string }>(
      `INSERT INTO commands (id, device_id, command, status, requested_by, requested_at)
       VALUES (gen_random_uuid(), $1, 'setdigout 1', 'queued', $2, now() - interval '2 minutes') RETURNING id`,
      [A.device, marshalId],
    );
    const first = await appendOnce(redis.client, {
      marker: `commands:routed:${stuck!.id}`,
      stream: STREAM,
      markerSeconds: 60,
      maxLength: 0,
      fields: { command_id: stuck!.id, imei: A.imei, codec: 'codec12', command: 'setdigout 1' },
    });
    expect(first.appended).toBe(true);
    expect(await settled(stuck!.id)).toMatchObject({ status: 'routed', routed_to: INSTANCE });
    expect((await entries()).filter((e) => e['command_id'] === stuck!.id)).toHaveLength(1);
    // Nobody reports on it: after COMMANDS_EXPIRE_SECONDS the sweep marks it expired.
    const expired = await eventually(() => row(stuck!.id), (r) => r['status'] !== 'routed', (EXPIRE_SECONDS + 10) * 1000);
    expect(expired).toMatchObject({ status: 'expired', error: `no ingestion instance reported it sent within ${EXPIRE_SECONDS} s of routing` });
  });
});

