import { beforeAll, describe, expect, it } from 'vitest';
import { restClient, type RunningBoot } from './support/directus.ts';
import { streamEntries, useTenantPlatform } from './support/platform.ts';
import type { RedisServer } from './support/redis-server.ts';
import { leaks, unknownId, type TenantFixture } from './support/tenant-fixture.ts';
import { createItem, eventually, PASSWORD, type Api } from './support/tenants.ts';
import { graphqlSocket, restSocket } from './support/websocket.ts';

// The findings of the attack that issue 14 reports, one by one, as regressions; and what Alpha's
// people may still do. The generated suite (tenant-isolation.test.ts) covers the same ground from the
// schema; these name the attacks as they were found.
const INGESTION_TOKEN = 'ingestion-static-token-for-findings';
const INSTANCE = 'ingestion-findings-1';

describe('the attacks of issue 14, as regressions', () => {
  // As behind the reverse proxy: the client's address from X-Forwarded-For, so the test can be many.
  const platform = useTenantPlatform('findings', { IP_TRUST_PROXY: 'true' });
  let redis: RedisServer;
  let server: RunningBoot;
  let asAdmin: Api;
  let f: TenantFixture;
  let ingestion: Api;

  beforeAll(async () => {
    ({ redis, server, asAdmin, f } = platform());
    const roles = new Map((await asAdmin<Array<{ id: string; name: string }>>('GET', '/roles?limit=-1')).body!.data!.map((r) => [r.name, r.id]));
    expect((await asAdmin('POST', '/users', { email: 'ingestion@service.example.com', role: roles.get('Ingestion'), token: INGESTION_TOKEN })).status).toBe(200);
    ingestion = restClient(server.baseUrl, INGESTION_TOKEN);
    // Every tracker is online at one ingestion instance, so a command that got through would be appended.
    for (const imei of [f.sharedImei, f.alpha.imei, f.bravo.imei]) await redis.client.set(`ingestion:socket:${imei}`, INSTANCE);
  });

  const db = () => platform().db;
  const count = async (api: Api, collection: string, filter: Record<string, unknown>) => {
    const response = await api<unknown[]>('GET', `/items/${collection}?limit=0&meta=filter_count,total_count&filter=${encodeURIComponent(JSON.stringify(filter))}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return (response.body as { meta: { filter_count: number; total_count: number } }).meta;
  };
  const message = (response: { body?: { errors?: Array<{ message: string }> } }) => response.body?.errors?.[0]?.message;
  const row = async (collection: string, id: string) => (await db().query(`SELECT * FROM ${collection} WHERE id = $1`, [id]))[0];

  describe('1. counts are no oracle', () => {
    it('a stranger walks no prefix of any organization, event or VIN', async () => {
      for (const letter of ['a', 'b', 'B', 'bravo']) {
        expect(await count(f.stranger.api, 'organizations', { name: { _starts_with: letter } })).toEqual({ filter_count: 0, total_count: 0 });
        expect(await count(f.stranger.api, 'events', { name: { _starts_with: letter } })).toEqual({ filter_count: 0, total_count: 0 });
      }
      expect(await count(f.stranger.api, 'vehicles', { vin: { _starts_with: 'BRAVO' } })).toEqual({ filter_count: 0, total_count: 0 });
    });

    it('Alpha’s marshal learns nothing of Bravo’s command texts, and counts Alpha’s', async () => {
      expect(await count(f.alpha.people.marshal.api, 'commands', { command: { _starts_with: 'bravo' } })).toEqual({ filter_count: 0, total_count: 2 });
      expect(await count(f.alpha.people.marshal.api, 'commands', { command: { _starts_with: 'alpha' } })).toEqual({ filter_count: 2, total_count: 2 });
    });

    it('a WebSocket subscription that asks for meta counts Alpha’s rows only', async () => {
      const socket = await restSocket(server.baseUrl, f.alpha.people.viewer.token);
      try {
        socket.send({ type: 'subscribe', collection: 'events', uid: 'e', query: { filter: { name: { _starts_with: 'bravo' } }, meta: ['filter_count', 'total_count'] } });
        const init = await socket.next((m) => m['type'] === 'subscription' && m['event'] === 'init');
        expect(init['meta']).toEqual({ filter_count: 0, total_count: 1 });
      } finally {
        socket.close();
      }
    });
  });

  describe('2. references across organizations are checked on every write', () => {
    it('an entry of Alpha’s event takes no class or vehicle of Bravo’s, created or changed', async () => {
      const director = f.alpha.people['race-director'].api;
      const base = { event_id: f.alpha.event, class_id: f.alpha.klass, race_number: 'alpha-99', status: 'registered' };
      const withClass = await director('POST', '/items/entries', { ...base, class_id: f.bravo.klass });
      expect([withClass.status, message(withClass)]).toEqual([403, "class_id must name a class of the entry's event."]);
      const withVehicle = await director('POST', '/items/entries', { ...base, vehicle_id: f.bravo.vehicle });
      expect([withVehicle.status, message(withVehicle)]).toEqual([403, "vehicle_id must name a vehicle registered with the event's organization."]);
      const moved = await director('PATCH', `/items/entries/${f.alpha.ownEntry}`, { class_id: f.bravo.klass });
      expect(moved.status).toBe(403);
      expect(await row('entries', f.alpha.ownEntry)).toMatchObject({ class_id: f.alpha.klass, vehicle_id: f.alpha.vehicle });
      expect(await db().query('SELECT id FROM entries WHERE race_number = $1', ['alpha-99'])).toEqual([]);
    });

    it('entry devices and crews take no device, member or wearer from outside the event’s organization', async () => {
      const director = f.alpha.people['race-director'].api;
      const device = await director('POST', '/items/entry_devices', { entry_id: f.alpha.ownEntry, device_id: f.bravo.device });
      expect([device.status, message(device)]).toEqual([403, "device_id must name a device registered with the event's organization."]);
      const crew = await director('POST', '/items/entry_crew', { entry_id: f.alpha.ownEntry, user_id: f.bravo.people.participant.id, role: 'pilot' });
      expect([crew.status, message(crew)]).toEqual([403, "user_id must name a member of the event's organization."]);
      const stranger = await director('POST', '/items/entry_crew', { entry_id: f.alpha.ownEntry, user_id: f.stranger.id, role: 'pilot' });
      expect(stranger.status).toBe(403);
      const [ownDevice] = await db().query('SELECT id FROM entry_devices WHERE entry_id = $1', [f.alpha.ownEntry]);
      const wearer = await director('PATCH', `/items/entry_devices/${ownDevice!['id']}`, { assigned_user_id: f.alpha.people.viewer.id });
      expect([wearer.status, message(wearer)]).toEqual([403, 'assigned_user_id must name a crew member of the entry.']);
    });

    it('Alpha’s org-admin cannot register Bravo’s device or vehicle with Alpha, nor take over the shared ones', async () => {
      const orgAdmin = f.alpha.people['org-admin'].api;
      const device = await orgAdmin('POST', '/items/organization_devices', { organization_id: f.alpha.org, device_id: f.bravo.device });
      expect(device.status).toBe(403);
      expect(message(device)).toMatch(/^device_id must name a device you may register/);
      const vehicle = await orgAdmin('POST', '/items/organization_vehicles', { organization_id: f.alpha.org, vehicle_id: f.bravo.vehicle });
      expect(vehicle.status).toBe(403);
      // The shared device is Bravo's too: its identity changes only with every holder's consent.
      const imei = await orgAdmin('PATCH', `/items/devices/${f.sharedDevice}`, { imei: '356000000000099' });
      expect([imei.status, message(imei)]).toEqual([403, 'You may change this device only if you are org-admin of every organization that holds it; an administrator may always.']);
      expect((await orgAdmin('PATCH', `/items/devices/${f.bravo.device}`, { imei: '356000000000098' })).status).toBe(403);
      expect(await row('devices', f.sharedDevice)).toMatchObject({ imei: f.sharedImei });
      expect(await row('devices', f.bravo.device)).toMatchObject({ imei: f.bravo.imei });
      expect(await db().query('SELECT count(*)::int AS n FROM organization_devices WHERE device_id = $1', [f.bravo.device])).toEqual([{ n: 1 }]);
    });

    it('a relational read from Alpha’s row reaches no organization but Alpha, on REST and GraphQL', async () => {
      const viewer = f.alpha.people.viewer.api;
      const rest = await viewer('GET', `/items/entries?fields=class_id.event_id.organization_id.*.*,vehicle_id.*.*&limit=-1`);
      expect(rest.status).toBe(200);
      expect(leaks(f, rest.body)).toEqual([]);
      const graphql = await viewer('POST', '/graphql', { query: '{ entries { class_id { event_id { organization_id { id name members { id } events { id name } devices { device_id { imei } } } } } } }' });
      expect(graphql.body?.errors).toBeUndefined();
      expect(leaks(f, graphql.body)).toEqual([]);
    });

    it('Alpha’s marshal cannot command Bravo’s device: nothing stored, nothing reaches the stream', async () => {
      const marshal = f.alpha.people.marshal.api;
      const refused = await marshal('POST', '/items/commands', { device_id: f.bravo.device, command: 'setdigout 1' });
      expect([refused.status, message(refused)]).toEqual([403, 'You may send commands only to devices registered with an organization where you are org-admin, race-director or marshal.']);
      // Naming Bravo as the organization does not help either.
      expect((await marshal('POST', '/items/commands', { device_id: f.sharedDevice, organization_id: f.bravo.org, command: 'getver' })).status).toBe(403);
      expect(await db().query('SELECT count(*)::int AS n FROM commands WHERE requested_by = $1', [f.alpha.people.marshal.id])).toEqual([{ n: 0 }]);
      // The shared device is Alpha's too: a command for it is sent on Alpha's behalf, and goes out.
      const sent = await marshal<{ id: string }>('POST', '/items/commands', { device_id: f.sharedDevice, command: 'getgps' });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      const stored = await eventually(() => row('commands', sent.body!.data!.id), (r) => r?.['status'] !== 'queued');
      expect(stored).toMatchObject({ organization_id: f.alpha.org, requested_by: f.alpha.people.marshal.id, status: 'routed', routed_to: INSTANCE });
      const entries = await streamEntries(redis.client, `commands:stream:${INSTANCE}`);
      expect(entries.map((e) => [e['imei'], e['command']])).toEqual([[f.sharedImei, 'getgps']]);
    });

    it('Alpha’s timekeeper flags no position of Bravo’s device, and Alpha’s org-admin edits none of it', async () => {
      const flag = await f.alpha.people.timekeeper.api('POST', '/positions/faulty', {
        device_id: f.bravo.device, from: '2027-06-10T06:00:00Z', to: '2027-06-10T07:00:00Z', faulty: true, reason: 'attack',
      });
      expect(flag.status).toBe(403);
      expect(JSON.stringify(flag.body)).not.toContain(f.bravo.imei);
      expect(await db().query('SELECT count(*)::int AS n FROM positions WHERE faulty')).toEqual([{ n: 0 }]);
    });

    it('a person removed from Bravo keeps no way back in', async () => {
      for (const collection of ['organizations', 'events', 'entries', 'organization_users', 'commands', 'devices']) {
        const response = await f.former.api<unknown[]>('GET', `/items/${collection}?limit=-1`);
        expect([200, 403]).toContain(response.status);
        expect(response.body?.data ?? []).toEqual([]);
      }
      const change = await f.former.api('PATCH', `/items/entries/${f.bravo.ownEntry}`, { status: 'withdrawn' });
      expect(change.status).toBe(403);
      const rejoin = await f.former.api('POST', '/items/organization_users', { organization_id: f.bravo.org, user_id: f.former.id, role: 'org-admin' });
      expect(rejoin.status).toBe(403);
    });
  });

  describe('3. shared rows bridge no organizations', () => {
    it('from the shared vehicle, $FOLLOW answers nothing about Bravo’s events, and answers about Alpha’s', async () => {
      const viewer = f.alpha.people.viewer.api;
      const follow = (name: string) => viewer<Array<{ id: string }>>('GET', `/items/vehicles?fields=id&filter=${encodeURIComponent(JSON.stringify({ '$FOLLOW(entries,vehicle_id)': { event_id: { name: { _contains: name } } } }))}`);
      expect((await follow('bravo')).body?.data).toEqual([]);
      expect((await follow('alpha')).body!.data!.map((v) => v.id).sort()).toEqual([f.alpha.vehicle, f.sharedVehicle].sort());
      const chained = await viewer<unknown[]>('GET', `/items/devices?fields=id&filter=${encodeURIComponent(JSON.stringify({ '$FOLLOW(entry_devices,device_id)': { entry_id: { event_id: { organization_id: { id: { _eq: f.bravo.org } } } } } }))}`);
      expect(chained.body?.data).toEqual([]);
    });

    it('Alpha’s marshal reads Alpha’s commands on the shared device, not Bravo’s', async () => {
      const response = await f.alpha.people.marshal.api<Array<{ command: string }>>('GET', `/items/commands?fields=command,requested_by&filter[device_id][_eq]=${f.sharedDevice}&limit=-1`);
      expect(response.body!.data!.map((c) => c.command)).not.toContain('bravo-getver');
      expect(response.body!.data!.map((c) => c.command)).toContain('alpha-getver');
      expect(leaks(f, response.body)).toEqual([]);
    });

    it('Alpha’s viewer reads the shared device’s track in Alpha’s event window; Bravo’s window and Bravo’s device answer like no device', async () => {
      const track = (device: string, from: string, to: string) =>
        f.alpha.people.viewer.api<{ total: number; imei: string; points: Array<{ ts: string }> }>('GET', `/positions/track?device_id=${device}&from=${from}&to=${to}`);
      const inAlpha = await track(f.sharedDevice, '2027-06-05T06:00:00Z', '2027-06-05T07:00:00Z');
      expect(inAlpha.status, JSON.stringify(inAlpha.body)).toBe(200);
      expect([inAlpha.body!.data!.total, inAlpha.body!.data!.points.length, inAlpha.body!.data!.imei]).toEqual([10, 10, f.sharedImei]);
      const inBravo = await track(f.sharedDevice, '2027-06-10T06:00:00Z', '2027-06-10T07:00:00Z');
      const bravoDevice = await track(f.bravo.device, '2027-06-10T06:00:00Z', '2027-06-10T07:00:00Z');
      const noDevice = await track(unknownId(), '2027-06-10T06:00:00Z', '2027-06-10T07:00:00Z');
      expect(inBravo.status).toBe(403);
      expect(bravoDevice).toEqual(noDevice);
      expect(inBravo.body).toEqual(noDevice.body);
      expect(leaks(f, [inBravo.body, bravoDevice.body])).toEqual([]);
    });

    it('Alpha’s timekeeper flags the shared device in Alpha’s event window, not in Bravo’s', async () => {
      const timekeeper = f.alpha.people.timekeeper.api;
      const inBravo = await timekeeper('POST', '/positions/faulty', { device_id: f.sharedDevice, from: '2027-06-10T06:00:00Z', to: '2027-06-10T06:30:00Z', faulty: true, reason: 'attack' });
      expect(inBravo.status).toBe(403);
      const inAlpha = await timekeeper<{ rows_changed: number }>('POST', '/positions/faulty', { device_id: f.sharedDevice, from: '2027-06-05T06:00:00Z', to: '2027-06-05T06:30:00Z', faulty: true, reason: 'multipath' });
      expect(inAlpha.status, JSON.stringify(inAlpha.body)).toBe(200);
      expect(inAlpha.body!.data!.rows_changed).toBe(10);
      const flagged = await db().query<{ ts: Date }>('SELECT ts FROM positions WHERE faulty ORDER BY ts');
      expect(flagged.every((r) => r.ts < new Date('2027-06-07T00:00:00Z'))).toBe(true);
    });
  });

  describe('4. subscriptions do not leak deletions', () => {
    it('Bravo deletes an entry: Alpha’s subscribers of entries hear nothing, on either channel, and hear Alpha’s own change', async () => {
      const watcher = f.alpha.people.viewer.token;
      const rest = await restSocket(server.baseUrl, watcher);
      const graphql = await graphqlSocket(server.baseUrl, watcher);
      try {
        rest.send({ type: 'subscribe', collection: 'entries', uid: 'entries' });
        await rest.next((m) => m['event'] === 'init');
        graphql.send({ id: 'entries', type: 'subscribe', payload: { query: 'subscription { entries_mutated { key event } }' } });
        const bravoDirector = f.bravo.people['race-director'].api;
        const doomed = await createItem(bravoDirector, 'entries', { event_id: f.bravo.event, class_id: f.bravo.klass, race_number: 'bravo-doomed', status: 'registered' });
        expect((await bravoDirector('DELETE', `/items/entries/${doomed}`)).status).toBe(204);
        expect((await f.alpha.people.timekeeper.api('PATCH', `/items/entries/${f.alpha.ownEntry}`, { status: 'accepted' })).status).toBe(200);
        const heard = await rest.next((m) => m['type'] === 'subscription' && m['uid'] === 'entries');
        expect([heard['event'], heard['data'].map((e: { id: string }) => e.id)]).toEqual(['update', [f.alpha.ownEntry]]);
        const gql = await graphql.next((m) => m['type'] === 'next');
        expect(gql['payload'].data.entries_mutated).toEqual({ key: f.alpha.ownEntry, event: 'update' });
      } finally {
        rest.close();
        graphql.close();
      }
    });

    it('collaborative editing: no room of a business collection for Alpha’s people, Bravo’s item or Alpha’s own, with the same answer', async () => {
      expect((await asAdmin('PATCH', '/settings', { collaborative_editing_enabled: true })).status).toBe(200);
      const socket = await restSocket(server.baseUrl, f.alpha.people.viewer.token);
      try {
        const answers = [];
        for (const item of [f.bravo.ownEntry, f.alpha.ownEntry]) {
          socket.send({ type: 'collab', action: 'join', collection: 'entries', item, version: null });
          answers.push(await socket.next((m) => m['status'] === 'error' || m['type'] === 'collab'));
        }
        expect(answers[0]).toEqual(answers[1]);
        expect(answers[0]!['status']).toBe('error');
        expect(answers[0]!['error'].message).toMatch(/^Collaborative editing of entries is for administrators/);
      } finally {
        socket.close();
      }
    });

    it('a person’s subscription to a business collection without a uid is refused with a reason', async () => {
      const socket = await restSocket(server.baseUrl, f.alpha.people.viewer.token);
      try {
        socket.send({ type: 'subscribe', collection: 'entries' });
        const answer = await socket.next((m) => m['status'] === 'error');
        expect(answer['error'].message).toMatch(/^Subscribe to entries with a uid/);
      } finally {
        socket.close();
      }
    });
  });

  describe('5. an id in upper case skips no check', () => {
    const upper = (id: string) => id.toUpperCase();

    it('Alpha’s timekeeper changes no field of Bravo’s entry, on REST one and batch, GraphQL and WebSocket', async () => {
      const timekeeper = f.alpha.people.timekeeper;
      const target = upper(f.bravo.ownEntry);
      const before = await row('entries', f.bravo.ownEntry);
      for (const response of [
        await timekeeper.api('PATCH', `/items/entries/${target}`, { status: 'disqualified' }),
        await timekeeper.api('PATCH', '/items/entries', [{ id: target, status: 'disqualified' }]),
        await timekeeper.api('PATCH', '/items/entries', { keys: [target], data: { status: 'disqualified' } }),
      ]) expect(response.status).toBe(403);
      const graphql = await timekeeper.api('POST', '/graphql', { query: `mutation { update_entries_item(id: "${target}", data: { status: "disqualified" }) { id } }` });
      expect(graphql.body?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const socket = await restSocket(server.baseUrl, timekeeper.token);
      try {
        socket.send({ type: 'items', uid: 'x', collection: 'entries', action: 'update', id: target, data: { status: 'disqualified' } });
        expect((await socket.next((m) => m['uid'] === 'x'))['status']).toBe('error');
      } finally {
        socket.close();
      }
      expect(await row('entries', f.bravo.ownEntry)).toEqual(before);
      expect(await db().query(`SELECT count(*)::int AS n FROM directus_activity WHERE item = $1`, [target])).toEqual([{ n: 0 }]);
    });

    it('Alpha’s org-admin deletes no membership of Bravo, moves none to Bravo, renames not Bravo and moves none of its events', async () => {
      const orgAdmin = f.alpha.people['org-admin'];
      const [bravoMembership] = await db().query('SELECT id FROM organization_users WHERE organization_id = $1 LIMIT 1', [f.bravo.org]);
      const [ownMembership] = await db().query('SELECT id FROM organization_users WHERE user_id = $1', [orgAdmin.id]);
      expect((await orgAdmin.api('DELETE', `/items/organization_users/${upper(String(bravoMembership!['id']))}`)).status).toBe(403);
      expect((await orgAdmin.api('PATCH', `/items/organization_users/${upper(String(ownMembership!['id']))}`, { organization_id: f.bravo.org })).status).toBe(403);
      expect((await orgAdmin.api('PATCH', `/items/organizations/${upper(f.bravo.org)}`, { name: 'bravo, taken' })).status).toBe(403);
      expect((await orgAdmin.api('PATCH', `/items/events/${upper(f.bravo.event)}`, { organization_id: f.alpha.org })).status).toBe(403);
      expect(await row('organization_users', String(bravoMembership!['id']))).toBeDefined();
      expect(await row('organization_users', String(ownMembership!['id']))).toMatchObject({ organization_id: f.alpha.org });
      expect(await row('organizations', f.bravo.org)).toMatchObject({ name: 'bravo racing club' });
      expect(await row('events', f.bravo.event)).toMatchObject({ organization_id: f.bravo.org });
    });

    it('Bravo’s viewer cannot promote their own membership to org-admin', async () => {
      const viewer = f.bravo.people.viewer;
      const [membership] = await db().query('SELECT id FROM organization_users WHERE user_id = $1', [viewer.id]);
      for (const id of [String(membership!['id']), upper(String(membership!['id']))]) {
        const response = await viewer.api('PATCH', `/items/organization_users/${id}`, { role: 'org-admin' });
        expect(response.status).toBe(403);
      }
      expect(await row('organization_users', String(membership!['id']))).toMatchObject({ role: 'viewer' });
    });

    it('a user with no membership changes no row, in any spelling', async () => {
      for (const id of [f.alpha.ownEntry, upper(f.alpha.ownEntry)]) {
        expect((await f.stranger.api('PATCH', `/items/entries/${id}`, { status: 'withdrawn' })).status).toBe(403);
      }
      expect(await row('entries', f.alpha.ownEntry)).not.toMatchObject({ status: 'withdrawn' });
    });
  });

  describe('6. smaller findings', () => {
    it('flagging answers a stranger the same for another organization’s device as for no device, without its IMEI', async () => {
      const body = { from: '2027-06-10T06:00:00Z', to: '2027-06-10T07:00:00Z', faulty: true, reason: 'probe' };
      const theirs = await f.stranger.api('POST', '/positions/faulty', { ...body, device_id: f.bravo.device });
      const nobodys = await f.stranger.api('POST', '/positions/faulty', { ...body, device_id: unknownId() });
      expect(theirs.status).toBe(403);
      expect(theirs).toEqual(nobodys);
      expect(JSON.stringify(theirs.body)).not.toContain(f.bravo.imei);
    });

    it('ingestion’s reports obey the state machine for every field, whatever the payload leaves out', async () => {
      const marshal = f.alpha.people.marshal.api;
      const created = await marshal<{ id: string }>('POST', '/items/commands', { device_id: f.alpha.device, command: 'getver' });
      const id = created.body!.data!.id;
      await eventually(() => row('commands', id), (r) => r?.['status'] === 'routed');
      expect((await ingestion('PATCH', `/items/commands/${id}`, { response: 'forged' })).status).toBe(400);
      expect((await ingestion('PATCH', `/items/commands/${id}`, { sent_at: '2020-01-01T00:00:00Z' })).status).toBe(400);
      expect((await ingestion('PATCH', `/items/commands/${id}`, { status: 'sent', response: 'early' })).status).toBe(400);
      expect((await ingestion('PATCH', `/items/commands/${id}`, { status: 'acknowledged', response: 'Ver:03.28.07' })).status).toBe(200);
      const acknowledged = await row('commands', id);
      expect((await ingestion('PATCH', `/items/commands/${id}`, { status: 'acknowledged', response: 'rewritten' })).status).toBe(400);
      expect((await ingestion('PATCH', `/items/commands/${id}`, { status: 'acknowledged', acknowledged_at: '2020-01-01T00:00:00Z' })).status).toBe(400);
      // A retry of the same report is accepted and changes nothing.
      expect((await ingestion('PATCH', `/items/commands/${id}`, { status: 'acknowledged', response: 'Ver:03.28.07' })).status).toBe(200);
      expect(await row('commands', id)).toMatchObject({ status: 'acknowledged', response: 'Ver:03.28.07', acknowledged_at: acknowledged!['acknowledged_at'] });
      // An id in upper case finds the command and is held to the same rules.
      expect((await ingestion('PATCH', `/items/commands/${id.toUpperCase()}`, { status: 'failed', error: 'late' })).status).toBe(400);
    });

    it('anonymous failed sign-ins lock nobody out, and guessing is throttled per address and per account', async () => {
      const victim = f.alpha.people.participant.email;
      const attempt = (email: string, password: string, ip: string) =>
        fetch(`${server.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ email, password }) });
      const statuses: number[] = [];
      for (let i = 0; i < 11; i += 1) statuses.push((await attempt(victim, `wrong-${i}`, '198.51.100.7')).status);
      // Five failures per account from one address, then 429 for a while.
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429]);
      // An account that does not exist is answered the same way.
      const unknown: number[] = [];
      for (let i = 0; i < 6; i += 1) unknown.push((await attempt('nobody@example.com', 'wrong', '198.51.100.8')).status);
      expect(unknown).toEqual([401, 401, 401, 401, 401, 429]);
      // The account is not suspended: its owner signs in from their own address.
      expect(await db().query('SELECT status FROM directus_users WHERE email = $1', [victim])).toEqual([{ status: 'active' }]);
      expect((await attempt(victim, PASSWORD, '203.0.113.20')).status).toBe(200);
    });

    it('deleting a row that others still reference answers 409 naming them, for people and administrators', async () => {
      const director = await f.alpha.people['race-director'].api('DELETE', `/items/events/${f.alpha.event}`);
      expect(director.status).toBe(409);
      expect(message(director)).toBe(`The events item ${f.alpha.event} is still referenced by 1 classes (event_id), 2 entries (event_id): delete or change those first.`);
      const byAdmin = await asAdmin('DELETE', `/items/organizations/${f.bravo.org}`);
      expect(byAdmin.status).toBe(409);
      expect(message(byAdmin)).toMatch(/^The organizations item .* is still referenced by .*organization_users \(organization_id\)/);
      const member = await asAdmin('DELETE', `/users/${f.alpha.people.participant.id}`);
      expect([member.status, message(member)]).toEqual([409, `The directus_users item ${f.alpha.people.participant.id} is still referenced by 1 entry_crew (user_id), 1 organization_users (user_id): delete or change those first.`]);
    });
  });

  describe('fail closed', () => {
    it('a business collection the database does not protect yet is refused to people, whatever Directus grants', async () => {
      const created = await asAdmin('POST', '/collections', {
        collection: 'lap_notes',
        schema: {},
        fields: [{ field: 'id', type: 'uuid', meta: { special: ['uuid'] }, schema: { is_primary_key: true } }, { field: 'note', type: 'string' }],
      });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const policies = (await asAdmin<Array<{ id: string; name: string }>>('GET', '/policies?limit=-1')).body!.data!;
      const member = policies.find((p) => p.name === 'Member')!.id;
      expect((await asAdmin('POST', '/permissions', { policy: member, collection: 'lap_notes', action: 'read', fields: ['*'] })).status).toBe(200);
      expect((await asAdmin('POST', '/items/lap_notes', { note: 'bravo pace notes' })).status).toBe(200);
      const read = await f.alpha.people.viewer.api('GET', '/items/lap_notes');
      expect([read.status, message(read)]).toEqual([403, 'lap_notes has no tenant rules yet, so only administrators may use it (docs/security.md).']);
    });
  });

  describe('what Alpha may do still works', () => {
    it('Alpha’s people run an event on the shared vehicle and device: create, time, equip, read', async () => {
      const director = f.alpha.people['race-director'].api;
      const event = await createItem(director, 'events', { organization_id: f.alpha.org, name: 'alpha sprint', slug: 'alpha-sprint', discipline: 'time-trial', starts_at: '2027-07-01T08:00:00Z', ends_at: '2027-07-01T18:00:00Z' });
      const klass = await createItem(director, 'classes', { event_id: event, code: 'S1' });
      const entry = await createItem(director, 'entries', { event_id: event, class_id: klass, vehicle_id: f.sharedVehicle, race_number: '11', status: 'registered' });
      await createItem(director, 'entry_crew', { entry_id: entry, user_id: f.alpha.people.marshal.id, role: 'pilot' });
      await createItem(director, 'entry_devices', { entry_id: entry, device_id: f.sharedDevice, assigned_user_id: f.alpha.people.marshal.id });
      expect((await f.alpha.people.timekeeper.api('PATCH', `/items/entries/${entry}`, { status: 'started' })).status).toBe(200);
      const read = await f.alpha.people.viewer.api<{ crew: unknown[]; devices: unknown[] }>('GET', `/items/entries/${entry}?fields=*,crew.*,devices.device_id.imei,vehicle_id.*`);
      expect(read.status).toBe(200);
      expect(read.body!.data!.crew).toHaveLength(1);
      expect(read.body!.data!.devices).toEqual([{ device_id: { imei: f.sharedImei } }]);
    });

    it('Alpha’s org-admin creates a device, sees it until it is registered, registers it, and changes Alpha-only devices', async () => {
      const orgAdmin = f.alpha.people['org-admin'].api;
      const device = await orgAdmin<{ id: string }>('POST', '/items/devices', { imei: '356000000000077', model: 'Teltonika FMC130' });
      expect(device.status, JSON.stringify(device.body)).toBe(200);
      const id = device.body!.data!.id;
      // Nobody else sees it meanwhile.
      expect((await f.bravo.people['org-admin'].api('GET', `/items/devices/${id}`)).status).toBe(403);
      expect((await f.bravo.people['org-admin'].api('POST', '/items/organization_devices', { organization_id: f.bravo.org, device_id: id })).status).toBe(403);
      expect((await orgAdmin('POST', '/items/organization_devices', { organization_id: f.alpha.org, device_id: id })).status).toBe(200);
      expect((await orgAdmin('PATCH', `/items/devices/${f.alpha.device}`, { model: 'Teltonika FMB140' })).status).toBe(200);
      expect((await orgAdmin('PATCH', `/items/organizations/${f.alpha.org}`, { name: 'alpha racing club' })).status).toBe(200);
    });

    it('an administrator shares a device with a second organization', async () => {
      const response = await asAdmin('POST', '/items/organization_devices', { organization_id: f.bravo.org, device_id: f.alpha.device });
      expect(response.status).toBe(200);
      expect((await f.bravo.people.viewer.api('GET', `/items/devices/${f.alpha.device}`)).status).toBe(200);
      expect((await asAdmin('DELETE', `/items/organization_devices/${(response.body!.data as { id: string }).id}`)).status).toBe(204);
    });
  });
});
