import { beforeAll, describe, expect, it } from 'vitest';
import { appendOnce } from '../extensions/platform/src/shared/append-once.ts';
import { streamEntries, usePlatform } from './support/platform.ts';
import type { RedisServer } from './support/redis-server.ts';
import { createPeople, eventually, type Api, type Org, type Person } from './support/tenants.ts';

// POST /positions/faulty (docs/contracts/recompute-requests.md) against real Directus, PostgreSQL and a
// Redis of the test's own; the test reads recompute:requests as processor would.
const STREAM = 'recompute:requests';
const MAX_WINDOW_HOURS = 6;
// 60 positions per device, one every 10 s from 08:00:00 to 08:09:50.
const START = Date.parse('2027-06-05T08:00:00Z');
const at = (seconds: number) => new Date(START + seconds * 1000).toISOString();
const REFUSED =
  'You may flag positions only of a device in a window that belongs to an organization where you are org-admin, ' +
  'race-director or timekeeper: within one of its events the device served, or any time for a device only it holds.';

describe('faulty-position flagging: one audited request, one recompute request for processor', () => {
  const platform = usePlatform('faulty', { POSITIONS_FLAG_MAX_WINDOW_HOURS: String(MAX_WINDOW_HOURS), RECOMPUTE_OUTBOX_SCHEDULE: '* * * * * *' });
  let redis: RedisServer;
  let A: Org;
  let B: Org;
  let people: Record<string, Person>;

  beforeAll(async () => {
    const { server, asAdmin, db } = platform();
    ({ redis, A, B } = platform());
    people = await createPeople(server.baseUrl, asAdmin, {
      timekeeper: ['Timekeeper', [[A, 'timekeeper']]],
      director: ['Race director', [[A, 'race-director']]],
      viewer: ['Viewer', [[A, 'viewer']]],
      marshal: ['Marshal', [[A, 'marshal']]],
      timekeeperB: ['Timekeeper', [[B, 'timekeeper']]],
    });
    for (const device of [A.imei, B.imei]) {
      await db.query(
        `INSERT INTO positions (device_id, ts, latitude, longitude) SELECT $1, $2::timestamptz + make_interval(secs => i * 10), 45.1, 7.6 FROM generate_series(0, 59) i`,
        [device, at(0)],
      );
    }
  });

  const flag = (api: Api, body: Record<string, unknown>) => api<Record<string, any>>('POST', '/positions/faulty', body);
  // What processor reads: every query of its filters `faulty = false`.
  const valid = async (imei: string) =>
    (await platform().db.query<{ ts: Date }>('SELECT ts FROM positions WHERE device_id = $1 AND faulty = false ORDER BY ts', [imei])).map((r) => r.ts.toISOString());
  const requests = () => streamEntries(redis.client, STREAM);
  const activity = (imei: string) =>
    platform().db.query(
      `SELECT a.action, a."user", r.data FROM directus_activity a JOIN directus_revisions r ON r.activity = a.id
        WHERE a.collection = 'positions' AND a.item = $1 ORDER BY a.id`,
      [imei],
    );
  const everything = async () => ({
    faulty: await platform().db.query('SELECT device_id, count(*)::int AS n FROM positions WHERE faulty GROUP BY device_id ORDER BY device_id'),
    outbox: await platform().db.query('SELECT count(*)::int AS n FROM recompute_outbox'),
    activity: await platform().db.query(`SELECT count(*)::int AS n FROM directus_activity WHERE collection = 'positions'`),
    stream: await redis.client.xlen(STREAM),
  });

  it('a timekeeper marks a window faulty: the rows change, processor’s reads skip them, one recompute request, one activity entry', async () => {
    const response = await flag(people.timekeeper!.api, { device_id: A.device, from: at(60), to: at(120), faulty: true, reason: 'multipath near the cliffs' });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const requestId = response.body!.data!['recompute_request'].id;
    expect(response.body!.data).toEqual({
      device_id: A.device,
      imei: A.imei,
      from: at(60),
      to: at(120),
      faulty: true,
      rows_changed: 7,
      recompute_request: { id: requestId, status: 'published' },
    });
    const remaining = await valid(A.imei);
    expect(remaining).toHaveLength(53);
    for (let s = 60; s <= 120; s += 10) expect(remaining).not.toContain(at(s));
    expect(await valid(B.imei)).toHaveLength(60);

    expect(await requests()).toEqual([
      {
        id: expect.any(String),
        request_id: requestId,
        device_id: A.imei,
        from: at(60),
        to: at(120),
        faulty: 'true',
        reason: 'multipath near the cliffs',
        user: people.timekeeper!.id,
        rows_changed: '7',
        requested_at: expect.any(String),
      },
    ]);
    expect(await activity(A.imei)).toEqual([
      {
        action: 'update',
        user: people.timekeeper!.id,
        data: { device_id: A.imei, from: at(60), to: at(120), faulty: true, reason: 'multipath near the cliffs', rows_changed: 7, recompute_request: requestId },
      },
    ]);
  });

  it('a race director unmarks part of it: those rows are valid again, and processor gets a second request', async () => {
    const response = await flag(people.director!.api, { device_id: A.device, from: at(100), to: at(150), faulty: false, reason: 'fix was good after all' });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body!.data).toMatchObject({ rows_changed: 3, faulty: false, recompute_request: { status: 'published' } });
    expect(await valid(A.imei)).toHaveLength(56);
    const [, second] = await requests();
    expect(second).toMatchObject({ device_id: A.imei, from: at(100), to: at(150), faulty: 'false', user: people.director!.id, rows_changed: '3' });
  });

  it('refuses, with a clear 4xx and nothing changed: other roles, another organization’s device, no sign-in, bad windows, an unknown device', async () => {
    const before = await everything();
    const window = { from: at(0), to: at(30), faulty: true, reason: 'test' };
    const cases: Array<[string, Promise<{ status: number; body?: { errors?: Array<{ message: string }> } }>, number, string]> = [
      ['viewer', flag(people.viewer!.api, { device_id: A.device, ...window }), 403, REFUSED],
      ['marshal', flag(people.marshal!.api, { device_id: A.device, ...window }), 403, REFUSED],
      ['timekeeper of B on A’s device', flag(people.timekeeperB!.api, { device_id: A.device, ...window }), 403, REFUSED],
      ['timekeeper of A on B’s device', flag(people.timekeeper!.api, { device_id: B.device, ...window }), 403, REFUSED],
      ['no sign-in', fetch(`${platform().server.baseUrl}/positions/faulty`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ device_id: A.device, ...window }) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { errors?: Array<{ message: string }> } })), 401, 'Sign in to flag positions.'],
      ['reversed window', flag(people.timekeeper!.api, { device_id: A.device, ...window, from: at(30), to: at(0) }), 400, `The window is reversed: from (${at(30)}) is after to (${at(0)}).`],
      ['too wide', flag(people.timekeeper!.api, { device_id: A.device, ...window, to: at(7 * 3600) }), 400, `The window is 7 h wide; at most ${MAX_WINDOW_HOURS} h may be flagged at once (POSITIONS_FLAG_MAX_WINDOW_HOURS).`],
      ['no time zone', flag(people.timekeeper!.api, { device_id: A.device, ...window, from: '2027-06-05T08:00:00' }), 400, 'from must be an ISO 8601 timestamp with a time zone'],
      ['no reason', flag(people.timekeeper!.api, { device_id: A.device, ...window, reason: ' ' }), 400, 'reason is required'],
      // The same answer as for another organization's device.
      ['unknown device', flag(people.timekeeper!.api, { device_id: '00000000-0000-4000-8000-000000000000', ...window }), 403, REFUSED],
    ];
    for (const [name, pending, status, message] of cases) {
      const response = await pending;
      expect(response.status, `${name}: ${JSON.stringify(response.body)}`).toBe(status);
      expect(response.body?.errors?.[0]?.message, name).toContain(message);
    }
    expect(await everything()).toEqual(before);
  });

  it('Redis stopped mid-test: the flag is applied and its request kept; once Redis is back it is published exactly once', async () => {
    await redis.stop();
    const response = await flag(people.timekeeper!.api, { device_id: A.device, from: at(300), to: at(330), faulty: true, reason: 'cold start' });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const request = response.body!.data!['recompute_request'];
    expect(response.body!.data!['rows_changed']).toBe(4);
    expect(request.status).toBe('pending');
    expect(request.error).toMatch(/^Redis unavailable: .*; it is kept and published once Redis is back$/);
    expect(await valid(A.imei)).not.toContain(at(300));
    expect(await platform().db.query('SELECT published_at FROM recompute_outbox WHERE id = $1', [request.id])).toEqual([{ published_at: null }]);

    // The restarted Redis is empty; the scheduled relay (every second here) publishes what waited.
    await redis.start();
    const published = await eventually(requests, (entries) => entries.length > 0);
    expect(published).toMatchObject([{ request_id: request.id, device_id: A.imei, from: at(300), to: at(330), faulty: 'true', rows_changed: '4' }]);
    // More relay runs publish nothing more.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await requests()).toHaveLength(1);
    const [row] = await platform().db.query('SELECT published_at, stream_entry_id FROM recompute_outbox WHERE id = $1', [request.id]);
    expect(row).toEqual({ published_at: expect.any(Date), stream_entry_id: published[0]!.id });
  });

  it('a relay that appended a request and stopped before marking it published does not append it again', async () => {
    // The appended-but-unmarked state: the entry and its marker are in Redis, the row is still pending.
    const [{ id }] = (await platform().db.query<{ id: string }>(`SELECT nextval(pg_get_serial_sequence('recompute_outbox', 'id'))::text AS id`)) as [{ id: string }];
    const first = await appendOnce(redis.client, {
      marker: `recompute:published:${id}`,
      stream: STREAM,
      markerSeconds: 60,
      maxLength: 0,
      fields: { request_id: id, device_id: A.imei },
    });
    await platform().db.query(
      `INSERT INTO recompute_outbox (id, device_id, window_from, window_to, faulty, reason, rows_changed)
       OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, true, 'crash test', 0)`,
      [id, A.imei, at(400), at(410)],
    );
    const [row] = await eventually(
      () => platform().db.query('SELECT published_at, stream_entry_id FROM recompute_outbox WHERE id = $1', [id]),
      (rows) => rows[0]?.['published_at'] != null,
    );
    expect(row!['stream_entry_id']).toBe(first.entryId);
    expect((await requests()).filter((entry) => entry['request_id'] === id)).toHaveLength(1);
  });
});

