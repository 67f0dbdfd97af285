import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBootedDatabase } from './support/databases.ts';
import { bootFully, login, restClient, type RunningBoot } from './support/directus.ts';
import { streamEntries } from './support/platform.ts';
import { startRedisServer, type RedisServer } from './support/redis-server.ts';
import { leaks, seedTenants, unknownId, type TenantFixture } from './support/tenant-fixture.ts';
import { createItem, PASSWORD, type Api } from './support/tenants.ts';
import { graphqlSocket, restSocket, type Socket } from './support/websocket.ts';

// Red team of issue 14's tenant isolation: attacks by Alpha's people (and anyone on the internet) on
// Bravo, on the surfaces the database does not narrow (WebSocket events, collaborative editing,
// sign-in), on the business rules of shared devices, and on how the database's errors reach people.
// Each test passed only once its attack was refused; the `held` block keeps attacks that were refused
// from the start.
const admin = { email: 'admin@example.com', password: 'redteam-test-password' };
const secrets = { KEY: 'redteam-test-key-0123456789abcdef', SECRET: 'redteam-test-secret-0123456789abcdef', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password };
const INSTANCE = 'ingestion-redteam-1';

describe('red team: tenant isolation attacked where SQL does not reach', () => {
  const booted = useBootedDatabase(secrets);
  let redis: RedisServer;
  let server: RunningBoot;
  let asAdmin: Api;
  let f: TenantFixture;
  let viewerRole: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    // The native boot of .env.example: REDIS unset (STREAMS_REDIS only); behind a proxy that sets
    // X-Forwarded-For, so that the test can come from many addresses.
    server = await bootFully({
      ...booted().env,
      STREAMS_REDIS: redis.url,
      WEBSOCKETS_ENABLED: 'true',
      WEBSOCKETS_GRAPHQL_ENABLED: 'true',
      PRESSURE_LIMITER_ENABLED: 'false',
      IP_TRUST_PROXY: 'true',
    });
    asAdmin = restClient(server.baseUrl, await login(server.baseUrl, admin.email, admin.password));
    f = await seedTenants(server.baseUrl, asAdmin, booted().db);
    viewerRole = (await asAdmin<Array<{ id: string; name: string }>>('GET', '/roles?limit=-1')).body!.data!.find((r) => r.name === 'Viewer')!.id;
    for (const imei of [f.sharedImei, f.alpha.imei, f.bravo.imei]) await redis.client.set(`ingestion:socket:${imei}`, INSTANCE);
  });

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.finished;
    await redis?.close();
  });

  const db = () => booted().db;
  const message = (response: { body?: { errors?: Array<{ message: string }> } }) => response.body?.errors?.[0]?.message;

  // What reached `socket` before the message `barrier` says ends it (excluded): `write` makes a change
  // the socket is subscribed to hear, after the writes under test, so that their messages, had there
  // been any, arrived first. No waiting on a clock.
  async function heardBefore(socket: Socket, write: () => Promise<void>, barrier: (m: Record<string, any>) => boolean): Promise<Array<Record<string, any>>> {
    await write();
    const heard: Array<Record<string, any>> = [];
    for (;;) {
      const message = await socket.next();
      if (barrier(message)) return heard;
      heard.push(message);
    }
  }

  // A sign-in from `ip` (X-Forwarded-For), answered with its status.
  const signIn = async (path: string, email: string, password: string, ip: string) =>
    (await fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ email, password }) })).status;
  let people = 0;
  // A user of its own per test, so that the counters of one test do not leak into another.
  const freshUser = async (): Promise<string> => {
    const email = `redteam.user${(people += 1)}@example.com`;
    expect((await asAdmin('POST', '/users', { email, password: PASSWORD, role: viewerRole })).status).toBe(200);
    return email;
  };

  describe('R1 WebSocket subscriptions that ask for one event are checked like a first page', () => {
    it('a former member of Bravo cannot subscribe to the deletion of an entry they knew, nor hear of it', async () => {
      const director = f.bravo.people['race-director'].api;
      // An entry of Bravo's, with an id the former race director learned while still a member.
      const entry = await createItem(director, 'entries', { event_id: f.bravo.event, class_id: f.bravo.klass, race_number: 'bravo-known', status: 'registered' });
      const attacker = await restSocket(server.baseUrl, f.former.token);
      const witness = await restSocket(server.baseUrl, f.bravo.people.viewer.token);
      try {
        attacker.send({ type: 'subscribe', collection: 'entries', item: entry, event: 'delete', uid: 'known' });
        const refused = await attacker.next((m) => m['uid'] === 'known' || m['status'] === 'error');
        expect([refused['status'], refused['error']?.code]).toEqual(['error', 'FORBIDDEN']);
        witness.send({ type: 'subscribe', collection: 'entries', uid: 'bravo', event: 'delete' });
        await witness.next((m) => m['uid'] === 'bravo');
        expect((await director('DELETE', `/items/entries/${entry}`)).status).toBe(204);
        // Bravo's own subscriber hears it: the event was dispatched.
        expect((await witness.next((m) => m['uid'] === 'bravo' && m['event'] === 'delete'))['data']).toEqual([entry]);
        // The barrier: the former member may read nothing to hear, so the answer to one more request,
        // sent after the deletion was dispatched, ends what the socket was told.
        const heard = await heardBefore(
          attacker,
          async () => attacker.send({ type: 'subscribe', collection: 'entries', item: entry, event: 'delete', uid: 'probe' }),
          (m) => m['uid'] === 'probe' || (m['status'] === 'error' && m['error']?.code === 'FORBIDDEN'),
        );
        expect(heard, 'the former member heard of Bravo deleting the entry').toEqual([]);
      } finally {
        attacker.close();
        witness.close();
      }
    });

    it('Alpha’s viewer cannot subscribe to rows or collections they may not read, and learns nothing of Bravo’s writes', async () => {
      const attacker = await restSocket(server.baseUrl, f.alpha.people.viewer.token);
      const witness = await restSocket(server.baseUrl, f.bravo.people.marshal.token);
      try {
        // Bravo's entry (id known), commands (Alpha's viewer may not read any), every audit record.
        attacker.send({ type: 'subscribe', collection: 'entries', item: f.bravo.ownEntry, event: 'update', uid: 'entry' });
        attacker.send({ type: 'subscribe', collection: 'commands', event: 'create', uid: 'commands' });
        attacker.send({ type: 'subscribe', collection: 'directus_activity', event: 'create', uid: 'activity' });
        attacker.send({ type: 'subscribe', collection: 'directus_revisions', event: 'create', uid: 'revisions' });
        for (let i = 0; i < 4; i += 1) {
          const answer = await attacker.next((m) => m['status'] === 'error' || ['entry', 'commands', 'activity', 'revisions'].includes(m['uid']));
          expect([answer['status'], answer['error']?.code], JSON.stringify(answer)).toEqual(['error', 'FORBIDDEN']);
        }
        // The barrier: Alpha's viewer hears Alpha's new entries.
        attacker.send({ type: 'subscribe', collection: 'entries', event: 'create', uid: 'mine' });
        await attacker.next((m) => m['uid'] === 'mine');
        witness.send({ type: 'subscribe', collection: 'commands', event: 'create', uid: 'bravo' });
        await witness.next((m) => m['uid'] === 'bravo');

        expect((await f.bravo.people.timekeeper.api('PATCH', `/items/entries/${f.bravo.ownEntry}`, { status: 'accepted' })).status).toBe(200);
        expect((await f.bravo.people.marshal.api('POST', '/items/commands', { device_id: f.bravo.device, command: 'bravo-getio' })).status).toBe(200);
        await witness.next((m) => m['uid'] === 'bravo' && m['event'] === 'create');
        const heard = await heardBefore(
          attacker,
          async () => void (await createItem(f.alpha.people['race-director'].api, 'entries', { event_id: f.alpha.event, class_id: f.alpha.klass, race_number: 'alpha-barrier', status: 'registered' })),
          (m) => m['uid'] === 'mine' && m['event'] === 'create',
        );
        expect(heard, 'Alpha’s viewer was told of Bravo’s write').toEqual([]);
      } finally {
        attacker.close();
        witness.close();
      }
    });
  });

  describe('R2 collaborative editing of business collections is for administrators', () => {
    it('Alpha’s and Bravo’s org-admins cannot share the room of the shared vehicle, nor a member the room of an entry', async () => {
      expect((await asAdmin('PATCH', '/settings', { collaborative_editing_enabled: true })).status).toBe(200);
      for (const [person, collection, item] of [
        [f.bravo.people['org-admin'], 'vehicles', f.sharedVehicle],
        [f.alpha.people['org-admin'], 'vehicles', f.sharedVehicle],
        [f.bravo.people.viewer, 'entries', f.bravo.ownEntry],
      ] as const) {
        const socket = await restSocket(server.baseUrl, person.token);
        try {
          socket.send({ type: 'collab', action: 'join', collection, item, version: null });
          const answer = await socket.next((m) => m['type'] === 'collab' || m['status'] === 'error');
          expect([answer['status'], answer['error']?.message]).toEqual([
            'error',
            `Collaborative editing of ${collection} is for administrators: a room shares unsaved edits across organizations (docs/security.md).`,
          ]);
        } finally {
          socket.close();
        }
      }
    });
  });

  describe('R3 sign-in', () => {
    it('an account that exists and one that does not get the same answers on every spelling of /auth/login', async () => {
      for (const [n, path] of ['/auth/login', '/AUTH/LOGIN', '/Auth/Login'].entries()) {
        const existing = await freshUser();
        const answers = async (email: string, ip: string) => {
          const statuses: number[] = [];
          for (let i = 0; i < 7; i += 1) statuses.push(await signIn(path, email, 'wrong', ip));
          return statuses;
        };
        const forExisting = await answers(existing, `198.51.100.${10 + n}`);
        const forNobody = await answers(`nobody${n}@example.com`, `198.51.100.${20 + n}`);
        expect(forExisting, `${path}: an existing account answers ${forExisting}, a missing one ${forNobody}`).toEqual(forNobody);
      }
    });

    it('failed guesses from elsewhere do not lock the owner out of the address they always sign in from', async () => {
      const victim = await freshUser();
      const home = '203.0.113.9';
      expect(await signIn('/auth/login', victim, PASSWORD, home)).toBe(200);
      // Two addresses, under the per-address and per-pair limits: eleven wrong passwords in all.
      for (let i = 0; i < 11; i += 1) await signIn('/auth/login', victim, 'wrong', `198.18.${i % 2}.1`);
      expect(await signIn('/auth/login', victim, PASSWORD, home), 'the owner, from their usual address, is refused').toBe(200);
    });

    it('someone behind the same address (a venue’s Wi-Fi) does not lock out the people who sign in from it', async () => {
      const victim = await freshUser();
      const venue = '192.0.2.77';
      expect(await signIn('/auth/login', victim, PASSWORD, venue)).toBe(200);
      for (let i = 0; i < 21; i += 1) await signIn('/auth/login', `guess${i}@example.com`, 'wrong', venue);
      expect(await signIn('/auth/login', victim, PASSWORD, venue), 'a person who signs in from the venue every day is refused').toBe(200);
    });

    it('password-reset requests for one account are throttled, so its mailbox cannot be flooded', async () => {
      const victim = await freshUser();
      const statuses: number[] = [];
      for (let i = 0; i < 25; i += 1) statuses.push((await fetch(`${server.baseUrl}/auth/password/request`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `100.64.0.${i}` }, body: JSON.stringify({ email: victim }) })).status);
      expect(statuses, `25 reset mails requested: ${statuses}`).toContain(429);
    });
  });

  describe('R4 positions of a shared device', () => {
    const bravoWindow = { from: '2027-06-10T06:00:00Z', to: '2027-06-10T07:00:00Z' };
    const track = (api: Api, device: string) => api<{ total: number }>('GET', `/positions/track?device_id=${device}&from=${bravoWindow.from}&to=${bravoWindow.to}`);

    it('an event of Alpha’s over Bravo’s dates does not take Bravo’s own track away from Bravo', async () => {
      const director = f.alpha.people['race-director'].api;
      const event = await createItem(director, 'events', { organization_id: f.alpha.org, name: 'alpha shadow', slug: 'alpha-shadow', discipline: 'rally', starts_at: '2027-06-09T00:00:00Z', ends_at: '2027-06-12T00:00:00Z' });
      const klass = await createItem(director, 'classes', { event_id: event, code: 'SH' });
      const entry = await createItem(director, 'entries', { event_id: event, class_id: klass, vehicle_id: f.sharedVehicle, race_number: 'alpha-shadow-1', status: 'registered' });
      try {
        // The shared tracker serves Bravo's rally then: Alpha cannot book it over it.
        const booked = await director('POST', '/items/entry_devices', { entry_id: entry, device_id: f.sharedDevice });
        expect([booked.status, message(booked)]).toEqual([403, "device_id: the device serves another organization's event during this event; a shared device serves one organization at a time."]);
        // Nor move an event that has it onto Bravo's dates.
        const moved = await director('PATCH', `/items/events/${f.alpha.event}`, { starts_at: '2027-06-09T00:00:00Z', ends_at: '2027-06-12T00:00:00Z' });
        expect([moved.status, message(moved)]).toEqual([403, "The new dates overlap another organization's event that one of this event's devices serves; a shared device serves one organization at a time."]);
        const read = await track(f.bravo.people.viewer.api, f.sharedDevice);
        expect([read.status, read.body?.data?.total]).toEqual([200, 10]);
      } finally {
        for (const [collection, id] of [['entries', entry], ['classes', klass], ['events', event]] as const) await director('DELETE', `/items/${collection}/${id}`);
      }
    });

    it('a device created with an IMEI Bravo used before reads and flags none of Bravo’s history', async () => {
      const orgAdmin = f.alpha.people['org-admin'].api;
      // A device's identity is an administrator's to change, not even its only holder's.
      const swapped = await f.bravo.people['org-admin'].api('PATCH', `/items/devices/${f.bravo.device}`, { imei: '356000000000029' });
      expect([swapped.status, message(swapped)]).toEqual([403, 'Your role in this organization lets you change only model of devices; not imei.']);
      // Positions Bravo's tracker sent a minute ago; then an administrator puts a new tracker in
      // Bravo's device row, and the old IMEI is free.
      const recorded = { from: new Date(Date.now() - 120_000).toISOString(), to: new Date(Date.now() - 30_000).toISOString() };
      await db().query(`INSERT INTO positions (device_id, ts, latitude, longitude) SELECT $1, now() - make_interval(secs => 60 + i), 41.3, 19.8 FROM generate_series(0, 9) i`, [f.bravo.imei]);
      expect((await asAdmin('PATCH', `/items/devices/${f.bravo.device}`, { imei: '356000000000029' })).status).toBe(200);
      let claimed: string | undefined;
      try {
        claimed = await createItem(orgAdmin, 'devices', { imei: f.bravo.imei, model: 'claimed' });
        await createItem(orgAdmin, 'organization_devices', { organization_id: f.alpha.org, device_id: claimed });
        // Alpha holds that IMEI from now on, not before.
        const read = await f.alpha.people.viewer.api('GET', `/positions/track?device_id=${claimed}&from=${recorded.from}&to=${recorded.to}`);
        expect(read.status, 'Alpha reads what Bravo’s tracker sent before Alpha had the IMEI').toBe(403);
        const flag = await f.alpha.people.timekeeper.api('POST', '/positions/faulty', { device_id: claimed, ...recorded, faulty: true, reason: 'attack' });
        expect(flag.status, 'Alpha flagged Bravo’s positions').toBe(403);
        expect(await db().query('SELECT count(*)::int AS n FROM positions WHERE device_id = $1 AND faulty', [f.bravo.imei])).toEqual([{ n: 0 }]);
      } finally {
        await db().query('DELETE FROM positions WHERE device_id = $1 AND ts > now() - interval \'1 hour\'', [f.bravo.imei]);
        if (claimed) {
          await db().query('DELETE FROM organization_devices WHERE device_id = $1', [claimed]);
          await db().query('DELETE FROM devices WHERE id = $1', [claimed]);
        }
        await db().query('UPDATE devices SET imei = $1 WHERE id = $2', [f.bravo.imei, f.bravo.device]);
      }
    });

    it('Alpha’s marshal does not command the shared tracker while it serves a race of Bravo’s', async () => {
      const director = f.bravo.people['race-director'].api;
      const now = Date.now();
      const event = await createItem(director, 'events', { organization_id: f.bravo.org, name: 'bravo live', slug: 'bravo-live', discipline: 'rally', starts_at: new Date(now - 3_600_000).toISOString(), ends_at: new Date(now + 3_600_000).toISOString() });
      const klass = await createItem(director, 'classes', { event_id: event, code: 'LIVE' });
      const entry = await createItem(director, 'entries', { event_id: event, class_id: klass, vehicle_id: f.sharedVehicle, race_number: 'bravo-live-1', status: 'started' });
      await createItem(director, 'entry_devices', { entry_id: entry, device_id: f.sharedDevice });
      // The positions it sends now are Bravo's: Alpha may not read them.
      const nowTrack = await f.alpha.people.viewer.api('GET', `/positions/track?device_id=${f.sharedDevice}&from=${new Date(now - 600_000).toISOString()}&to=${new Date(now).toISOString()}`);
      expect(nowTrack.status).toBe(403);
      const sent = await f.alpha.people.marshal.api('POST', '/items/commands', { device_id: f.sharedDevice, command: 'getgps' });
      expect([sent.status, message(sent)], 'Alpha’s marshal commanded (getgps: its answer is where Bravo’s car is) the tracker in Bravo’s race').not.toEqual([200, undefined]);
      expect(sent.status).toBe(403);
      const routed = (await streamEntries(redis.client, `commands:stream:${INSTANCE}`)).filter((e) => e['imei'] === f.sharedImei && e['command'] === 'getgps');
      expect(routed).toEqual([]);
    });
  });

  describe('R5 the database’s errors reach people as Directus’s own answers', () => {
    it('a duplicate that people may make by mistake, or an IMEI that is taken elsewhere, answers 400 like for an administrator', async () => {
      const duplicate = await f.alpha.people['race-director'].api('POST', '/items/entries', { event_id: f.alpha.event, class_id: f.alpha.klass, race_number: 'alpha-2', status: 'registered' });
      expect([duplicate.status, duplicate.body?.errors?.[0]?.extensions?.code], 'a second entry with race number alpha-2').toEqual([400, 'RECORD_NOT_UNIQUE']);
      // docs/security.md: "creating a device with an IMEI that exists elsewhere is refused as taken".
      const taken = await f.alpha.people['org-admin'].api('POST', '/items/devices', { imei: f.bravo.imei, model: 'probe' });
      expect([taken.status, taken.body?.errors?.[0]?.extensions?.code], 'an IMEI Bravo holds').toEqual([400, 'RECORD_NOT_UNIQUE']);
      const noUser = await f.alpha.people['org-admin'].api('POST', '/items/organization_users', { organization_id: f.alpha.org, user_id: unknownId(), role: 'viewer' });
      expect(noUser.status, 'a membership for a user that does not exist').toBe(400);
    });

    it('deleting one’s own row that only another organization still references answers 409, not 500', async () => {
      const orgAdmin = f.alpha.people['org-admin'].api;
      const device = await createItem(orgAdmin, 'devices', { imei: '356000000000055', model: 'lent out' });
      const registration = await createItem(orgAdmin, 'organization_devices', { organization_id: f.alpha.org, device_id: device });
      // Lent to Bravo for a while, used there, given back.
      const lent = await createItem(asAdmin, 'organization_devices', { organization_id: f.bravo.org, device_id: device });
      await createItem(f.bravo.people['race-director'].api, 'entry_devices', { entry_id: f.bravo.ownEntry, device_id: device });
      expect((await asAdmin('DELETE', `/items/organization_devices/${lent}`)).status).toBe(204);
      expect((await orgAdmin('DELETE', `/items/organization_devices/${registration}`)).status).toBe(204);
      const refused = await orgAdmin('DELETE', `/items/devices/${device}`);
      expect([refused.status, message(refused)]).toEqual([409, `The devices item ${device} is still referenced by rows of other organizations; an administrator can help.`]);
    });
  });

  describe('held: attacks that were refused, kept as regressions', () => {
    it('GraphQL signs in once per request, a WebSocket never with a password', async () => {
      const email = await freshUser();
      const aliased = await fetch(`${server.baseUrl}/graphql/system`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '100.65.0.1' },
        body: JSON.stringify({ query: `mutation { a: auth_login(email: "${email}", password: "x") { access_token } b: auth_login(email: "${email}", password: "y") { access_token } }` }),
      });
      expect(aliased.status).toBe(400);
      const socket = new WebSocket(`${server.baseUrl.replace(/^http/, 'ws')}/websocket`);
      const answer = await new Promise<Record<string, any>>((resolve, reject) => {
        socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'auth', email, password: PASSWORD })));
        socket.addEventListener('message', (event) => resolve(JSON.parse(String(event.data)) as Record<string, any>));
        socket.addEventListener('error', () => reject(new Error('socket failed')));
      });
      socket.close();
      expect(answer['status']).toBe('error');
    });

    it('content versions, revisions, activity, comments, shares, users and exports give Alpha nothing of Bravo', async () => {
      const orgAdmin = f.alpha.people['org-admin'].api;
      for (const [method, route, body] of [
        ['GET', `/items/entries/${f.bravo.ownEntry}?version=draft`],
        ['POST', '/versions', { key: 'x', name: 'x', collection: 'entries', item: f.bravo.ownEntry }],
        ['GET', '/revisions?limit=-1'],
        ['GET', '/activity?limit=-1'],
        ['POST', '/comments', { collection: 'entries', item: f.bravo.ownEntry, comment: 'hello' }],
        ['POST', '/shares', { collection: 'entries', item: f.bravo.ownEntry }],
        ['GET', `/users/${f.bravo.people.viewer.id}`],
        ['POST', '/utils/revert/1'],
      ] as const) {
        const response = await orgAdmin(method, route, body);
        expect(response.status, `${method} ${route}`).toBe(403);
        expect(leaks(f, response.body)).toEqual([]);
      }
      const exported = await orgAdmin('GET', '/items/entries?export=json&limit=-1&fields=*.*');
      expect(leaks(f, exported.body)).toEqual([]);
    });

    it('item permissions and collaborative rooms answer Bravo’s row like no row, in any spelling', async () => {
      const viewer = f.alpha.people.viewer.api;
      expect(await viewer('GET', `/permissions/me/entries/${f.bravo.ownEntry}`)).toEqual(await viewer('GET', `/permissions/me/entries/${unknownId()}`));
      expect((await asAdmin('PATCH', '/settings', { collaborative_editing_enabled: true })).status).toBe(200);
      const socket = await restSocket(server.baseUrl, f.alpha.people.viewer.token);
      try {
        socket.send({ type: 'collab', action: 'join', collection: 'entries', item: f.bravo.ownEntry.toUpperCase(), version: null });
        expect((await socket.next((m) => m['status'] === 'error' || m['type'] === 'collab'))['status']).toBe('error');
      } finally {
        socket.close();
      }
    });

    it('GraphQL subscriptions tell Alpha nothing of Bravo’s commands or entries', async () => {
      const socket = await graphqlSocket(server.baseUrl, f.alpha.people.marshal.token);
      const witness = await restSocket(server.baseUrl, f.bravo.people.marshal.token);
      try {
        socket.send({ id: 'c', type: 'subscribe', payload: { query: 'subscription { commands_mutated { key event data { command } } }' } });
        socket.send({ id: 'e', type: 'subscribe', payload: { query: 'subscription { entries_mutated { key event } }' } });
        witness.send({ type: 'subscribe', collection: 'commands', event: 'create', uid: 'bravo' });
        await witness.next((m) => m['uid'] === 'bravo');
        expect((await f.bravo.people.marshal.api('POST', '/items/commands', { device_id: f.bravo.device, command: 'bravo-getver2' })).status).toBe(200);
        expect((await f.bravo.people.timekeeper.api('PATCH', `/items/entries/${f.bravo.ownEntry}`, { status: 'started' })).status).toBe(200);
        await witness.next((m) => m['uid'] === 'bravo' && m['event'] === 'create');
        const heard = await heardBefore(
          socket,
          async () => expect((await f.alpha.people.marshal.api('POST', '/items/commands', { device_id: f.alpha.device, command: 'alpha-barrier' })).status).toBe(200),
          (m) => m['type'] === 'next' && m['id'] === 'c' && m['payload']?.data?.commands_mutated?.data?.command === 'alpha-barrier',
        );
        expect(heard, 'a GraphQL subscription of Alpha’s heard of Bravo').toEqual([]);
      } finally {
        socket.close();
        witness.close();
      }
    });
  });
});
