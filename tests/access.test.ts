import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBootedDatabase } from './support/databases.ts';
import { bootFully, login, restClient, type RunningBoot } from './support/directus.ts';
import { createPeople, createServiceAccount, eventually, seedOrganization, type Api, type Org } from './support/tenants.ts';

// The access rules of snapshots/config.yaml and extensions/platform/src/tenant-scope, as people and service
// accounts meet them: real users, real tokens, the real REST API of a database booted from the files.
const admin = { email: 'admin@example.com', password: 'access-test-password' };
const directusEnv = { KEY: 'access-test-key-0123456789abcdef', SECRET: 'access-test-secret-0123456789abcdef', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password };
const PROCESSOR_TOKEN = 'processor-static-token-for-tests';
const INGESTION_TOKEN = 'ingestion-static-token-for-tests';

const COLLECTIONS = [
  'organizations', 'organization_users', 'organization_vehicles', 'organization_devices', 'vehicles', 'devices',
  'events', 'classes', 'entries', 'entry_crew', 'entry_devices', 'commands',
];


describe('access control through the REST API: two organizations, one user per role', () => {
  const booted = useBootedDatabase(directusEnv);
  let server: RunningBoot;
  let asAdmin: Api;
  let A: Org;
  let B: Org;
  const as: Record<string, Api> = {};
  const users: Record<string, string> = {};

  beforeAll(async () => {
    server = await bootFully(booted().env);
    asAdmin = restClient(server.baseUrl, await login(server.baseUrl, admin.email, admin.password));
    A = await seedOrganization(asAdmin, 'a', '356307042441013');
    B = await seedOrganization(asAdmin, 'b', '356307042441021');
    // name: Directus role, memberships (organization role per organization)
    const people = await createPeople(server.baseUrl, asAdmin, {
      timekeeper: ['Timekeeper', [[A, 'timekeeper']]],
      viewer: ['Viewer', [[A, 'viewer']]],
      marshal: ['Marshal', [[A, 'marshal']]],
      director: ['Race director', [[A, 'race-director'], [B, 'viewer']]],
      orgadmin: ['Organization admin', [[A, 'org-admin']]],
      stranger: ['Viewer', []],
    });
    for (const [name, person] of Object.entries(people)) {
      users[name] = person.id;
      as[name] = person.api;
    }
    as.processor = await createServiceAccount(server.baseUrl, asAdmin, 'processor', 'Processor', PROCESSOR_TOKEN);
    as.ingestion = await createServiceAccount(server.baseUrl, asAdmin, 'ingestion', 'Ingestion', INGESTION_TOKEN);
  });

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.finished;
  });

  const ids = async (api: Api, collection: string) => {
    const response = await api<Array<{ id: string }>>('GET', `/items/${collection}?fields=id&limit=-1`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body!.data!.map((item) => item.id).sort();
  };

  it('a timekeeper of A reads A’s entries and not B’s, and times A’s entries only', async () => {
    expect(await ids(as.timekeeper!, 'entries')).toEqual([A.entry]);
    // GraphQL reads through the same services, so the same scope.
    const graphql = await as.timekeeper!<{ entries: Array<{ id: string }> }>('POST', '/graphql', { query: '{ entries { id } }' });
    expect(graphql.body?.data?.entries).toEqual([{ id: A.entry }]);
    expect((await as.timekeeper!('GET', `/items/entries/${B.entry}`)).status).toBe(403);
    expect((await as.timekeeper!('PATCH', `/items/entries/${A.entry}`, { status: 'started' })).status).toBe(200);
    expect((await as.timekeeper!('PATCH', `/items/entries/${B.entry}`, { status: 'started' })).status).toBe(403);
    // A timekeeper times; the race number is the race director's.
    const renumber = await as.timekeeper!('PATCH', `/items/entries/${A.entry}`, { race_number: '99' });
    expect(renumber.status).toBe(403);
    expect(renumber.body?.errors?.[0]?.message).toContain('change only status');
    const [entryA] = await booted().db.query('SELECT status, race_number FROM entries WHERE id = $1', [A.entry]);
    expect(entryA).toEqual({ status: 'started', race_number: '7' });
    const [entryB] = await booted().db.query('SELECT status FROM entries WHERE id = $1', [B.entry]);
    expect(entryB).toEqual({ status: 'registered' });
  });

  it('a timekeeper cannot delete an organization, not even their own', async () => {
    for (const org of [A, B]) expect((await as.timekeeper!('DELETE', `/items/organizations/${org.id}`)).status).toBe(403);
    expect(await ids(asAdmin, 'organizations')).toEqual([A.id, B.id].sort());
  });

  it('a viewer reads their organization and writes nothing', async () => {
    expect(await ids(as.viewer!, 'events')).toEqual([A.event]);
    const writes = [
      await as.viewer!('POST', '/items/events', { organization_id: A.id, name: 'X', slug: 'x', discipline: 'rally', starts_at: '2027-01-01T00:00:00Z', ends_at: '2027-01-02T00:00:00Z' }),
      await as.viewer!('PATCH', `/items/entries/${A.entry}`, { status: 'retired' }),
      await as.viewer!('PATCH', `/items/organizations/${A.id}`, { name: 'Renamed' }),
      await as.viewer!('DELETE', `/items/classes/${A.klass}`),
      await as.viewer!('POST', '/items/commands', { device_id: A.device, command: 'getinfo' }),
    ];
    expect(writes.map((response) => response.status)).toEqual([403, 403, 403, 403, 403]);
    expect(await booted().db.query('SELECT count(*)::int AS n FROM events')).toEqual([{ n: 2 }]);
  });

  it('the public gets 403 on every collection', async () => {
    for (const collection of COLLECTIONS) {
      const response = await fetch(`${server.baseUrl}/items/${collection}`);
      expect(response.status, collection).toBe(403);
    }
  });

  it('a user without membership sees nothing in any collection', async () => {
    for (const collection of COLLECTIONS.filter((c) => c !== 'commands')) expect(await ids(as.stranger!, collection), collection).toEqual([]);
    expect((await as.stranger!('GET', `/items/entries/${A.entry}`)).status).toBe(403);
    // Not even through a filter of their own, or an aggregate.
    const count = await as.stranger!<Array<{ count: string }>>('GET', '/items/entries?aggregate[count]=*');
    expect(Number(count.body?.data?.[0]?.count)).toBe(0);
  });

  it('a marshal commands their organization’s device; a command for another organization’s device is refused and nothing is stored', async () => {
    const own = await as.marshal!<Record<string, unknown>>('POST', '/items/commands', { device_id: A.device, command: 'getinfo' });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    // Stored as queued; routing may already have moved it on when the API reads it back.
    expect(own.body?.data).toMatchObject({ device_id: A.device, requested_by: users.marshal });

    const foreign = await as.marshal!('POST', '/items/commands', { device_id: B.device, command: 'getinfo' });
    expect(foreign.status).toBe(403);
    expect(foreign.body?.errors?.[0]?.message).toBe('You may send commands only to devices registered with an organization where you are org-admin, race-director or marshal.');
    // Not by naming someone else as requester or a status either.
    const forged = await as.marshal!('POST', '/items/commands', { device_id: A.device, command: 'cpureset', status: 'acknowledged' });
    expect(forged.status).toBe(403);
    // Routing (tests/commands.test.ts) moves it on; without a Redis here it fails, and stays stored.
    const stored = () => booted().db.query('SELECT device_id, status, requested_by FROM commands');
    expect(await eventually(stored, (rows) => rows[0]?.['status'] !== 'queued')).toEqual([
      { device_id: A.device, status: 'failed', requested_by: users.marshal },
    ]);
    expect(await ids(as.marshal!, 'commands')).toEqual([own.body!.data!['id']]);
    expect((await as.timekeeper!('GET', '/items/commands')).status).toBe(403);
  });

  it('a race director of A sets up A’s event; in B, where they are a viewer, they read and change nothing', async () => {
    expect(await ids(as.director!, 'entries')).toEqual([A.entry, B.entry].sort());
    expect((await as.director!('PATCH', `/items/entries/${B.entry}`, { status: 'retired' })).status).toBe(403);
    expect((await as.director!('PATCH', `/items/entries/${A.entry}`, { race_number: '8' })).status).toBe(200);
    const inA = await as.director!<{ id: string }>('POST', '/items/classes', { event_id: A.event, code: 'T2', name: 'Trucks' });
    expect(inA.status, JSON.stringify(inA.body)).toBe(200);
    const inB = await as.director!('POST', '/items/classes', { event_id: B.event, code: 'T2', name: 'Trucks' });
    expect(inB.status).toBe(403);
    expect(inB.body?.errors?.[0]?.message).toContain('where you are org-admin or race-director');
    const moveToB = await as.director!('PATCH', `/items/classes/${inA.body!.data!.id}`, { event_id: B.event });
    expect(moveToB.status).toBe(403);
    expect(await booted().db.query('SELECT event_id FROM classes WHERE code = $1', ['T2'])).toEqual([{ event_id: A.event }]);
  });

  it('an org admin manages A’s members and cannot add anyone to B', async () => {
    const add = await as.orgadmin!('POST', '/items/organization_users', { organization_id: A.id, user_id: users.stranger, role: 'viewer' });
    expect(add.status, JSON.stringify(add.body)).toBe(200);
    const addToB = await as.orgadmin!('POST', '/items/organization_users', { organization_id: B.id, user_id: users.stranger, role: 'org-admin' });
    expect(addToB.status).toBe(403);
    expect(await ids(as.stranger!, 'events')).toEqual([A.event]);
  });

  it('the processor service account reads every organization; ingestion reports on commands and reads no entries', async () => {
    expect(await ids(as.processor!, 'entries')).toEqual([A.entry, B.entry].sort());
    expect(await ids(as.processor!, 'organization_users')).toHaveLength((await booted().db.query('SELECT id FROM organization_users')).length);
    expect((await as.processor!('PATCH', `/items/entries/${A.entry}`, { status: 'retired' })).status).toBe(403);
    const [command] = await booted().db.query<{ id: string }>('SELECT id FROM commands');
    const report = await as.ingestion!('PATCH', `/items/commands/${command!.id}`, { status: 'sent', sent_at: '2027-06-05T07:00:00Z' });
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect((await as.ingestion!('GET', '/items/entries')).status).toBe(403);
  });
});
