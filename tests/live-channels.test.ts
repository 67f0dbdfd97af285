import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBootedDatabase } from './support/databases.ts';
import { bootFully, login, restClient, type RunningBoot } from './support/directus.ts';
import { startRedisServer, type RedisServer } from './support/redis-server.ts';
import { leaks, ORG_ROLES, seedTenants, spellings, unknownId, type Person, type TenantFixture } from './support/tenant-fixture.ts';
import { createItem, createServiceAccount, eventually, type Api } from './support/tenants.ts';
import { graphqlSocket, restSocket, type Socket } from './support/websocket.ts';

// The two live channels of docs/contracts/telemetry-access.md, on two instances behind one Redis, as a
// scaled stack runs them. Directus's own WebSocket (on by the boot's default: nothing here switches it
// on) carries entry states and command states to the people of the organization they belong to, and
// to nobody else; GET /telemetry/authorize answers processor's question with the same tenant rules.
const admin = { email: 'admin@example.com', password: 'live-test-password' };
const secrets = { KEY: 'live-test-key-0123456789abcdef01', SECRET: 'live-test-secret-0123456789abcdef', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password };
const INGESTION_TOKEN = 'ingestion-static-token-for-live-channels';
const PROCESSOR_TOKEN = 'processor-static-token-for-live-channels';
const INGESTION_INSTANCE = 'ingestion-live-1';
const TTL_SECONDS = 900;
const CACHE_SECONDS = 2;
// The fixture's event windows (tenant-fixture.ts), as the answers state them: inclusive, to the µs.
const EVENT_WINDOWS = {
  alpha: { from: '2027-06-05T06:00:00.000000Z', to: '2027-06-06T18:00:00.000000Z' },
  bravo: { from: '2027-06-10T06:00:00.000000Z', to: '2027-06-11T18:00:00.000000Z' },
};

interface Window {
  from: string;
  to: string | null;
}
interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, any>; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

describe('live channels on two instances behind one Redis', () => {
  const booted = useBootedDatabase(secrets);
  let redis: RedisServer;
  const instances: RunningBoot[] = [];
  let one: RunningBoot;
  let two: RunningBoot;
  let asAdmin: Api;
  let ingestion: Api;
  let f: TenantFixture;

  beforeAll(async () => {
    redis = await startRedisServer();
    const env = { ...booted().env, REDIS: redis.url, TELEMETRY_EVENT_CACHE_SECONDS: String(CACHE_SECONDS) };
    for (let i = 0; i < 2; i += 1) instances.push(await bootFully(env));
    [one, two] = instances as [RunningBoot, RunningBoot];
    asAdmin = restClient(one.baseUrl, await login(one.baseUrl, admin.email, admin.password));
    f = await seedTenants(one.baseUrl, asAdmin, booted().db);
    ingestion = await createServiceAccount(one.baseUrl, asAdmin, 'ingestion', 'Ingestion', INGESTION_TOKEN);
    await createServiceAccount(one.baseUrl, asAdmin, 'processor', 'Processor', PROCESSOR_TOKEN);
    for (const imei of [f.sharedImei, f.alpha.imei, f.bravo.imei]) await redis.client.set(`ingestion:socket:${imei}`, INGESTION_INSTANCE);
  });

  afterAll(async () => {
    for (const instance of instances) instance.child.kill('SIGTERM');
    await Promise.all(instances.map((instance) => instance.finished));
    await redis?.close();
  });

  const as = (instance: RunningBoot, person: Person) => restClient(instance.baseUrl, person.token);

  describe("Directus's channel", () => {
    const subscribeEntries = async (socket: Socket) => {
      socket.send({ type: 'subscribe', collection: 'entries', uid: 'entries', query: { fields: ['id', 'status'] } });
      await socket.next((m) => m['uid'] === 'entries' && m['event'] === 'init');
    };
    const subscribeEntriesGraphql = async (socket: Socket) => {
      socket.send({ id: 'entries', type: 'subscribe', payload: { query: 'subscription { entries_mutated { key event data { id status } } }' } });
      // graphql-transport-ws confirms nothing; a first change (the barrier below) proves it is listening.
    };
    // The next change a subscriber hears of, as [entry id, status].
    const heardRest = async (socket: Socket) => {
      const m = await socket.next((message) => message['uid'] === 'entries' && message['event'] !== 'init');
      return (m['data'] as Array<{ id: string; status: string }>).map((row) => [row.id, row.status]);
    };
    const heardGraphql = async (socket: Socket) => {
      const m = await socket.next((message) => message['type'] === 'next' && message['id'] === 'entries');
      const mutated = m['payload'].data.entries_mutated as { key: string; data: { id: string; status: string } };
      return [[mutated.data.id, mutated.data.status]];
    };

    it("a timekeeper's status change reaches Alpha's subscribers on both instances and both channels, and none of Bravo's", async () => {
      const sockets = {
        alphaRestOne: await restSocket(one.baseUrl, f.alpha.people.viewer.token),
        alphaRestTwo: await restSocket(two.baseUrl, f.alpha.people['race-director'].token),
        alphaGraphqlTwo: await graphqlSocket(two.baseUrl, f.alpha.people.marshal.token),
        bravoRestTwo: await restSocket(two.baseUrl, f.bravo.people.viewer.token),
        bravoGraphqlOne: await graphqlSocket(one.baseUrl, f.bravo.people['org-admin'].token),
      };
      try {
        for (const socket of [sockets.alphaRestOne, sockets.alphaRestTwo, sockets.bravoRestTwo]) await subscribeEntries(socket);
        for (const socket of [sockets.alphaGraphqlTwo, sockets.bravoGraphqlOne]) await subscribeEntriesGraphql(socket);
        // GraphQL subscribers answer once they listen: a change of each side's other entry, made first.
        expect((await as(one, f.alpha.people.timekeeper)('PATCH', `/items/entries/${f.alpha.sharedEntry}`, { status: 'started' })).status).toBe(200);
        expect(await heardGraphql(sockets.alphaGraphqlTwo)).toEqual([[f.alpha.sharedEntry, 'started']]);
        expect((await as(two, f.bravo.people.timekeeper)('PATCH', `/items/entries/${f.bravo.sharedEntry}`, { status: 'started' })).status).toBe(200);
        expect(await heardGraphql(sockets.bravoGraphqlOne)).toEqual([[f.bravo.sharedEntry, 'started']]);
        for (const socket of [sockets.alphaRestOne, sockets.alphaRestTwo]) expect(await heardRest(socket)).toEqual([[f.alpha.sharedEntry, 'started']]);
        expect(await heardRest(sockets.bravoRestTwo)).toEqual([[f.bravo.sharedEntry, 'started']]);

        const started = performance.now();
        const change = await as(one, f.alpha.people.timekeeper)('PATCH', `/items/entries/${f.alpha.ownEntry}`, { status: 'finished' });
        expect(change.status, JSON.stringify(change.body)).toBe(200);
        const latencies: string[] = [];
        const timed = async <T>(name: string, heard: Promise<T>) => {
          const value = await heard;
          latencies.push(`${name} ${(performance.now() - started).toFixed(0)} ms`);
          return value;
        };
        const [restOne, restTwo, graphqlTwo] = await Promise.all([
          timed('REST-style, same instance', heardRest(sockets.alphaRestOne)),
          timed('REST-style, other instance', heardRest(sockets.alphaRestTwo)),
          timed('GraphQL, other instance', heardGraphql(sockets.alphaGraphqlTwo)),
        ]);
        for (const heard of [restOne, restTwo, graphqlTwo]) expect(heard).toEqual([[f.alpha.ownEntry, 'finished']]);
        console.log(`status change → Alpha's subscribers (PATCH through instance one): ${latencies.join(', ')}`);

        // Bravo's next message is Bravo's own next change: Alpha's was never sent to them.
        expect((await as(two, f.bravo.people.timekeeper)('PATCH', `/items/entries/${f.bravo.ownEntry}`, { status: 'finished' })).status).toBe(200);
        expect(await heardRest(sockets.bravoRestTwo)).toEqual([[f.bravo.ownEntry, 'finished']]);
        expect(await heardGraphql(sockets.bravoGraphqlOne)).toEqual([[f.bravo.ownEntry, 'finished']]);
      } finally {
        for (const socket of Object.values(sockets)) socket.close();
      }
    });

    it("a command's states (queued, routed, sent, acknowledged) reach the marshal who sent it, on the other instance, and nobody of Bravo's", async () => {
      const watch = async (instance: RunningBoot, person: Person) => {
        const socket = await restSocket(instance.baseUrl, person.token);
        socket.send({ type: 'subscribe', collection: 'commands', uid: 'commands', query: { fields: ['id', 'status'] } });
        await socket.next((m) => m['uid'] === 'commands' && m['event'] === 'init');
        return socket;
      };
      const marshal = await watch(two, f.alpha.people.marshal);
      const bravoMarshal = await watch(two, f.bravo.people.marshal);
      const bravoAdmin = await watch(one, f.bravo.people['org-admin']);
      const heard = async (socket: Socket, id: string) => {
        const m = await socket.next((message) => message['uid'] === 'commands' && message['event'] !== 'init');
        const rows = m['data'] as Array<{ id: string; status: string }>;
        expect(rows.map((row) => row.id)).toEqual([id]);
        return `${String(m['event'])}:${rows[0]!.status}`;
      };
      try {
        const created = await as(one, f.alpha.people.marshal)<{ id: string }>('POST', '/items/commands', { device_id: f.alpha.device, command: 'getver' });
        expect(created.status, JSON.stringify(created.body)).toBe(200);
        const id = created.body!.data!.id;
        // Directus reads the row back for its subscribers once it is committed: routing may already
        // have happened by then; its own update follows either way.
        expect(['create:queued', 'create:routed']).toContain(await heard(marshal, id));
        expect(await heard(marshal, id)).toBe('update:routed');
        expect((await ingestion('PATCH', `/items/commands/${id}`, { status: 'sent' })).status).toBe(200);
        expect(await heard(marshal, id)).toBe('update:sent');
        expect((await ingestion('PATCH', `/items/commands/${id}`, { status: 'acknowledged', response: 'Ver:03.28.07' })).status).toBe(200);
        expect(await heard(marshal, id)).toBe('update:acknowledged');

        const own = await as(two, f.bravo.people.marshal)<{ id: string }>('POST', '/items/commands', { device_id: f.bravo.device, command: 'getgps' });
        expect(own.status, JSON.stringify(own.body)).toBe(200);
        for (const socket of [bravoMarshal, bravoAdmin]) expect(await heard(socket, own.body!.data!.id)).toMatch(/^create:/);
      } finally {
        for (const socket of [marshal, bravoMarshal, bravoAdmin]) socket.close();
      }
    });
  });

  describe("processor's question: GET /telemetry/authorize", () => {
    const authorize = async (instance: RunningBoot, query: string, token?: string, headers: Record<string, string> = {}): Promise<Answer> => {
      const response = await fetch(`${instance.baseUrl}/telemetry/authorize?${query}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
      return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
    };
    const tokenExpiry = (token: string) => new Date((JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000).toISOString();

    it('answers every member of the organization with its devices, entries, race numbers, crews and windows, and nothing of Bravo’s', async () => {
      for (const role of ORG_ROLES) {
        const person = f.alpha.people[role];
        const answer = await authorize(one, `event_id=${f.alpha.event}`, person.token);
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        const data = answer.body.data!;
        expect(data['access']).toBe('organization');
        expect(data['event']).toMatchObject({ id: f.alpha.event, organization_id: f.alpha.org, name: 'alpha rally', public_tracking: false });
        expect(data['devices']).toEqual([
          {
            imei: f.sharedImei,
            device_id: f.sharedDevice,
            model: 'Teltonika FMB920',
            assigned_user_id: f.alpha.people.participant.id,
            entry: {
              id: f.alpha.sharedEntry,
              race_number: 'alpha-1',
              status: expect.any(String),
              class: { id: f.alpha.klass, code: 'alpha-t1', name: 'alpha cars' },
              vehicle: { id: f.sharedVehicle, make: 'Rental', model: 'Hilux', plate: null },
              crew: [{ user_id: f.alpha.people.participant.id, first_name: null, last_name: null, role: 'pilot' }],
            },
            windows: [EVENT_WINDOWS.alpha],
          },
          expect.objectContaining({ imei: f.alpha.imei, device_id: f.alpha.device, entry: expect.objectContaining({ id: f.alpha.ownEntry, race_number: 'alpha-2', crew: [] }), windows: [EVENT_WINDOWS.alpha] }),
        ]);
        // Until the person's own token expires (it does before TELEMETRY_AUTHORIZATION_TTL_SECONDS).
        expect(data['expires_at']).toBe(tokenExpiry(person.token));
        expect(leaks(f, answer.body)).toEqual([]);
      }
      // Bravo's people get Bravo's event, the shared tracker in Bravo's window only.
      const bravo = await authorize(two, `event_id=${f.bravo.event.toUpperCase()}`, f.bravo.people.timekeeper.token);
      expect(bravo.status).toBe(200);
      expect((bravo.body.data!['devices'] as Array<{ imei: string; windows: Window[] }>).map((d) => [d.imei, d.windows])).toEqual([
        [f.sharedImei, [EVENT_WINDOWS.bravo]],
        [f.bravo.imei, [EVENT_WINDOWS.bravo]],
      ]);
    });

    it('the platform (processor’s own token, administrators) watches any event, for at most TELEMETRY_AUTHORIZATION_TTL_SECONDS', async () => {
      const before = Date.now();
      const answer = await authorize(one, `event_id=${f.bravo.event}`, PROCESSOR_TOKEN);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.data!['access']).toBe('platform');
      expect((answer.body.data!['devices'] as unknown[]).length).toBe(2);
      // A static token does not expire: the answer does.
      const expires = Date.parse(answer.body.data!['expires_at'] as string);
      expect(expires).toBeGreaterThanOrEqual(before + TTL_SECONDS * 1000 - 1000);
      expect(expires).toBeLessThanOrEqual(Date.now() + TTL_SECONDS * 1000);
      const device = await authorize(two, `device_id=${f.sharedImei}`, PROCESSOR_TOKEN);
      expect(device.body.data).toMatchObject({ access: 'platform', device: { id: f.sharedDevice, imei: f.sharedImei }, windows: [{ from: null, to: null, event: null }] });
    });

    it('“not yours” and “does not exist” get the same 403, in any spelling of the id; without a token it is 401', async () => {
      const refusals: Answer[] = [];
      const attackers = [...Object.values(f.alpha.people), f.stranger, f.former];
      for (const person of attackers) {
        for (const event of [...spellings(f.bravo.event), unknownId()]) refusals.push(await authorize(person === f.former ? two : one, `event_id=${event}`, person.token));
      }
      for (const refusal of refusals) {
        expect(refusal.status).toBe(403);
        expect(refusal.body).toEqual(refusals[0]!.body);
        expect(leaks(f, refusal.body)).toEqual([]);
      }
      expect(refusals[0]!.body.errors![0]).toMatchObject({ message: expect.stringContaining('events of your organizations'), extensions: { code: 'FORBIDDEN' } });
      const anonymous = [await authorize(one, `event_id=${f.bravo.event}`), await authorize(one, `event_id=${unknownId()}`), await authorize(two, `device_id=${f.bravo.imei}`)];
      for (const refusal of anonymous) expect(refusal.status).toBe(401);
      expect(anonymous[0]!.body).toEqual(anonymous[1]!.body);
      // A token altered, or not one at all: 401 too (Directus itself would answer the first with 403).
      const altered = await authorize(one, `event_id=${f.alpha.event}`, `${f.alpha.people.viewer.token.slice(0, -4)}AAAA`);
      expect([altered.status, altered.body.errors?.[0]?.extensions?.code]).toEqual([401, 'INVALID_TOKEN']);
      const garbage = await authorize(two, `event_id=${f.alpha.event}`, 'not-a-token');
      expect([garbage.status, garbage.body.errors?.[0]?.extensions?.code]).toEqual([401, 'INVALID_CREDENTIALS']);
      // Devices: Bravo's own tracker and one that does not exist, alike.
      const devices = [await authorize(one, `device_id=${f.bravo.imei}`, f.alpha.people['org-admin'].token), await authorize(one, 'device_id=359999999999999', f.alpha.people['org-admin'].token)];
      for (const refusal of devices) expect([refusal.status, refusal.body]).toEqual([403, devices[0]!.body]);
      expect(leaks(f, devices[0]!.body)).toEqual([]);
    });

    it('a malformed question gets 400 and says what to ask', async () => {
      const token = f.alpha.people.viewer.token;
      const cases: Array<[string, string]> = [
        ['', 'Ask for one of event_id=<events.id> or device_id=<IMEI>.'],
        [`event_id=${f.alpha.event}&device_id=${f.alpha.imei}`, 'Ask for one of event_id=<events.id> or device_id=<IMEI>.'],
        ['event_id=not-a-uuid', 'event_id must be the id (a UUID) of an event.'],
        [`event_id[]=${f.alpha.event}`, 'event_id must be the id (a UUID) of an event.'],
        ['device_id=35600000000001', "device_id must be a device's IMEI: 15 digits."],
        [`event_id=${f.alpha.event}&fields=*`, 'Unknown parameter fields. Ask for one of event_id=<events.id> or device_id=<IMEI>.'],
        // Names the query parser drops are still names the question does not know.
        [`event_id=${f.alpha.event}&constructor=x&__proto__=x`, 'Unknown parameter constructor, __proto__. Ask for one of event_id=<events.id> or device_id=<IMEI>.'],
      ];
      for (const [query, message] of cases) {
        const answer = await authorize(one, query, token);
        expect([query, answer.status, answer.body.errors?.[0]?.message]).toEqual([query, 400, message]);
      }
    });

    it('a device’s windows are those of the events it served the person’s organizations, and of the time since a device only they hold was registered', async () => {
      const windows = async (person: Person, imei: string) => {
        const answer = await authorize(one, `device_id=${imei}`, person.token);
        if (answer.status === 403) return [];
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        expect(answer.body.data!['access']).toBe('organization');
        return answer.body.data!['windows'] as Array<Window & { event: { id: string } | null }>;
      };
      const shared = await windows(f.alpha.people.marshal, f.sharedImei);
      expect(shared).toEqual([{ ...EVENT_WINDOWS.alpha, event: { id: f.alpha.event, name: 'alpha rally', organization_id: f.alpha.org } }]);
      const registered = (await booted().db.query('SELECT registered_at FROM organization_devices WHERE organization_id = $1 AND device_id = $2', [f.alpha.org, f.alpha.device]))[0]!['registered_at'] as Date;
      expect((await windows(f.alpha.people.viewer, f.alpha.imei)).map((w) => [w.event?.id ?? null, w.to])).toEqual([
        [null, null],
        [f.alpha.event, EVENT_WINDOWS.alpha.to],
      ]);
      expect(Date.parse((await windows(f.alpha.people.viewer, f.alpha.imei))[0]!.from)).toBe(registered.getTime());
      expect(await windows(f.bravo.people.viewer, f.sharedImei)).toEqual([{ ...EVENT_WINDOWS.bravo, event: { id: f.bravo.event, name: 'bravo rally', organization_id: f.bravo.org } }]);
      expect(await windows(f.former, f.bravo.imei)).toEqual([]);
    });

    it('the windows agree, to the millisecond, with what each person may read of each track', async () => {
      const people = [...Object.values(f.alpha.people), ...Object.values(f.bravo.people), f.stranger, f.former];
      const devices = [[f.sharedDevice, f.sharedImei], [f.alpha.device, f.alpha.imei], [f.bravo.device, f.bravo.imei]] as const;
      const hour = 3_600_000;
      const probes: Array<[number, number]> = [[Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T01:00:00Z')]];
      for (const { from, to } of Object.values(EVENT_WINDOWS)) {
        const start = Date.parse(from);
        const end = Date.parse(to);
        probes.push([start, start + hour], [start - 1, start + hour], [end - hour, end], [end - hour, end + 1]);
      }
      const outcomes = { allowed: 0, refused: 0 };
      for (const person of people) {
        const api = as(one, person);
        for (const [device, imei] of devices) {
          const answer = await authorize(one, `device_id=${imei}`, person.token);
          const windows = answer.status === 200 ? (answer.body.data!['windows'] as Window[]) : [];
          for (const [from, to] of probes) {
            const covered = windows.some((w) => Date.parse(w.from) <= from && (w.to === null || to <= Date.parse(w.to)));
            const track = await api('GET', `/positions/track?device_id=${device}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`);
            expect([person.email, imei, new Date(from).toISOString(), track.status]).toEqual([person.email, imei, new Date(from).toISOString(), covered ? 200 : 403]);
            outcomes[covered ? 'allowed' : 'refused'] += 1;
          }
        }
      }
      expect(outcomes.allowed).toBeGreaterThan(50);
      expect(outcomes.refused).toBeGreaterThan(50);
    });

    it('an event open to the public answers anyone with public labels only, until it is closed again', async () => {
      const director = as(one, f.alpha.people['race-director']);
      for (const [person, instance] of [[f.alpha.people.viewer, one], [f.bravo.people['org-admin'], two]] as const) {
        const refused = await as(instance, person)('PATCH', `/items/events/${f.alpha.event}`, { public_tracking: true });
        expect(refused.status).toBe(403);
      }
      expect((await authorize(one, `event_id=${f.alpha.event}`)).status).toBe(401);
      expect((await director('PATCH', `/items/events/${f.alpha.event}`, { public_tracking: true })).status).toBe(200);

      for (const [token, instance] of [[undefined, one], [f.bravo.people.viewer.token, one], [f.stranger.token, two]] as const) {
        const answer = await eventually(() => authorize(instance, `event_id=${f.alpha.event}`, token), (a) => a.status === 200, (CACHE_SECONDS + 5) * 1000);
        expect(answer.body.data!['access']).toBe('public');
        expect(answer.body.data!['event']).toEqual({ id: f.alpha.event, name: 'alpha rally', discipline: 'rally', starts_at: '2027-06-05T06:00:00.000Z', ends_at: '2027-06-06T18:00:00.000Z' });
        expect(answer.body.data!['devices']).toEqual([
          { device_id: f.sharedDevice, entry: { race_number: 'alpha-1', status: expect.any(String), class: { code: 'alpha-t1', name: 'alpha cars' } }, windows: [EVENT_WINDOWS.alpha] },
          { device_id: f.alpha.device, entry: { race_number: 'alpha-2', status: expect.any(String), class: { code: 'alpha-t1', name: 'alpha cars' } }, windows: [EVENT_WINDOWS.alpha] },
        ]);
        const text = JSON.stringify(answer.body);
        for (const hidden of [f.sharedImei, f.alpha.imei, f.alpha.org, f.alpha.people.participant.id, 'Hilux']) expect(text).not.toContain(hidden);
      }
      // Public tracking opens this answer only, not the API.
      expect((await fetch(`${one.baseUrl}/items/events/${f.alpha.event}`)).status).toBe(403);
      // Members still get everything.
      expect((await authorize(two, `event_id=${f.alpha.event}`, f.alpha.people.viewer.token)).body.data!['access']).toBe('organization');

      expect((await director('PATCH', `/items/events/${f.alpha.event}`, { public_tracking: false })).status).toBe(200);
      // At once on the instance that made the change; within TELEMETRY_EVENT_CACHE_SECONDS on the other.
      expect((await authorize(one, `event_id=${f.alpha.event}`)).status).toBe(401);
      expect((await authorize(one, `event_id=${f.alpha.event}`, f.bravo.people.viewer.token)).status).toBe(403);
      await eventually(() => authorize(two, `event_id=${f.alpha.event}`, f.stranger.token), (a) => a.status === 403, (CACHE_SECONDS + 5) * 1000);
    });

    it('answers as the data is now: a status change, and a member removed, show in the next answer', async () => {
      const timekeeper = f.alpha.people.timekeeper;
      const statusOf = async (instance: RunningBoot) =>
        ((await authorize(instance, `event_id=${f.alpha.event}`, timekeeper.token)).body.data!['devices'] as Array<{ entry: { id: string; status: string } }>).find((d) => d.entry.id === f.alpha.ownEntry)!.entry.status;
      for (const status of ['retired', 'disqualified']) {
        expect((await as(one, timekeeper)('PATCH', `/items/entries/${f.alpha.ownEntry}`, { status })).status).toBe(200);
        expect(await statusOf(one)).toBe(status);
        await eventually(() => statusOf(two), (seen) => seen === status, (CACHE_SECONDS + 5) * 1000);
      }

      // The stranger joins Alpha and is removed again by Alpha's org-admin.
      const membership = await createItem(asAdmin, 'organization_users', { organization_id: f.alpha.org, user_id: f.stranger.id, role: 'viewer' });
      await eventually(() => authorize(two, `event_id=${f.alpha.event}`, f.stranger.token), (a) => a.status === 200, (CACHE_SECONDS + 5) * 1000);
      expect((await authorize(one, `event_id=${f.alpha.event}`, f.stranger.token)).status).toBe(200);
      expect((await as(one, f.alpha.people['org-admin'])('DELETE', `/items/organization_users/${membership}`)).status).toBe(204);
      expect((await authorize(one, `event_id=${f.alpha.event}`, f.stranger.token)).status).toBe(403);
      expect((await authorize(one, `device_id=${f.sharedImei}`, f.stranger.token)).status).toBe(403);
      await eventually(() => authorize(two, `event_id=${f.alpha.event}`, f.stranger.token), (a) => a.status === 403, (CACHE_SECONDS + 5) * 1000);
    });

    it('an event dated back before its organization held a shared tracker claims none of the tracker’s earlier positions', async () => {
      const bravoAdmin = as(one, f.bravo.people['org-admin']);
      const created: Array<[string, string]> = [];
      const create = async (collection: string, item: Record<string, unknown>) => {
        const response = await bravoAdmin<{ id: string }>('POST', `/items/${collection}`, item);
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        created.unshift([collection, response.body!.data!.id]);
        return response.body!.data!.id;
      };
      try {
        const event = await create('events', { organization_id: f.bravo.org, name: 'bravo back-dated', slug: 'bravo-back-dated', discipline: 'rally', starts_at: '2026-01-01T00:00:00Z', ends_at: '2026-12-31T23:59:59Z' });
        const klass = await create('classes', { event_id: event, code: 'bravo-bd', name: 'bravo back-dated' });
        const entry = await create('entries', { event_id: event, class_id: klass, race_number: 'bravo-bd-1', status: 'registered' });
        // Put on the entry with Bravo's own tracker first, then moved to the shared one: the stamp moves.
        const assignment = await create('entry_devices', { entry_id: entry, device_id: f.bravo.device });
        const stamp = async () => ((await booted().db.query('SELECT date_created FROM entry_devices WHERE id = $1', [assignment]))[0]!['date_created'] as Date).getTime();
        const first = await stamp();
        expect((await bravoAdmin('PATCH', `/items/entry_devices/${assignment}`, { device_id: f.sharedDevice })).status).toBe(200);
        expect(await stamp()).toBeGreaterThan(first);

        const registered = (await booted().db.query('SELECT registered_at FROM organization_devices WHERE organization_id = $1 AND device_id = $2', [f.bravo.org, f.sharedDevice]))[0]!['registered_at'] as Date;
        const answer = await authorize(one, `device_id=${f.sharedImei}`, f.bravo.people.viewer.token);
        const windows = (answer.body.data!['windows'] as Array<Window & { event: { id: string } | null }>).filter((w) => w.event?.id === event);
        expect(windows).toHaveLength(1);
        expect(Date.parse(windows[0]!.from)).toBe(registered.getTime());
        expect(windows[0]!.to).toBe('2026-12-31T23:59:59.000000Z');
        const before = await as(one, f.bravo.people.viewer)('GET', `/positions/track?device_id=${f.sharedDevice}&from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z`);
        expect(before.status).toBe(403);
      } finally {
        for (const [collection, id] of created) expect((await asAdmin('DELETE', `/items/${collection}/${id}`)).status).toBe(204);
      }
    });

    it('sends the same answer compressed to a client that takes gzip', async () => {
      const token = f.alpha.people.viewer.token;
      const plain = await fetch(`${one.baseUrl}/telemetry/authorize?event_id=${f.alpha.event}`, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' } });
      expect(plain.headers.get('content-encoding')).toBeNull();
      const plainBody = await plain.text();
      // fetch asks for gzip and decompresses it.
      const gzipped = await fetch(`${one.baseUrl}/telemetry/authorize?event_id=${f.alpha.event}`, { headers: { authorization: `Bearer ${token}` } });
      expect(gzipped.headers.get('content-encoding')).toBe('gzip');
      expect(gzipped.headers.get('vary')).toMatch(/accept-encoding/i);
      // A person's answer: no cache in front may keep it for someone else.
      for (const response of [plain, gzipped]) expect(response.headers.get('cache-control')).toBe('no-store');
      expect(Number(gzipped.headers.get('content-length'))).toBeLessThan(Buffer.byteLength(plainBody));
      expect(await gzipped.json()).toEqual(JSON.parse(plainBody));
    });
  });
});
