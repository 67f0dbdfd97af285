import { expect } from 'vitest';
import { login, restClient } from './directus.ts';

// Organizations and people, created through the admin's REST API as an operator would.
export type Api = ReturnType<typeof restClient>;
export interface Org {
  id: string;
  event: string;
  klass: string;
  entry: string;
  device: string;
  imei: string;
  vehicle: string;
}

export const PASSWORD = 'p4ssword-for-tests';

export async function createItem(asAdmin: Api, collection: string, item: Record<string, unknown>): Promise<string> {
  const response = await asAdmin<{ id: string }>('POST', `/items/${collection}`, item);
  expect(response.status, `${collection}: ${JSON.stringify(response.body)}`).toBe(200);
  return response.body!.data!.id;
}

// An organization with one event, class, vehicle, entry and device (IMEI `imei`).
export async function seedOrganization(asAdmin: Api, slug: string, imei: string): Promise<Org> {
  const id = await createItem(asAdmin, 'organizations', { name: `Org ${slug}`, slug });
  const event = await createItem(asAdmin, 'events', { organization_id: id, name: `Rally ${slug}`, slug: 'rally', discipline: 'rally', starts_at: '2027-06-05T06:00:00Z', ends_at: '2027-06-12T18:00:00Z' });
  const klass = await createItem(asAdmin, 'classes', { event_id: event, code: 'T1', name: 'Cars' });
  const vehicle = await createItem(asAdmin, 'vehicles', { make: 'Toyota', model: 'Hilux' });
  await createItem(asAdmin, 'organization_vehicles', { organization_id: id, vehicle_id: vehicle });
  const entry = await createItem(asAdmin, 'entries', { event_id: event, class_id: klass, vehicle_id: vehicle, race_number: '7', status: 'registered' });
  const device = await createItem(asAdmin, 'devices', { imei, model: 'Teltonika FMB920' });
  await createItem(asAdmin, 'organization_devices', { organization_id: id, device_id: device });
  await createItem(asAdmin, 'entry_devices', { entry_id: entry, device_id: device });
  return { id, event, klass, entry, device, imei, vehicle };
}

export interface Person {
  id: string;
  api: Api;
}

// Creates users: `people` maps a name to its Directus role and its role in each organization.
export async function createPeople(baseUrl: string, asAdmin: Api, people: Record<string, [string, Array<[Org, string]>]>): Promise<Record<string, Person>> {
  const roles = await roleIds(asAdmin);
  const created: Record<string, Person> = {};
  for (const [name, [role, memberships]] of Object.entries(people)) {
    const email = `${name}@example.com`;
    const response = await asAdmin<{ id: string }>('POST', '/users', { email, password: PASSWORD, role: roles.get(role) });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const id = response.body!.data!.id;
    for (const [org, orgRole] of memberships) await createItem(asAdmin, 'organization_users', { organization_id: org.id, user_id: id, role: orgRole });
    created[name] = { id, api: restClient(baseUrl, await login(baseUrl, email, PASSWORD)) };
  }
  return created;
}

// A service account (Processor, Ingestion) with its static token, as the runbook sets one up.
export async function createServiceAccount(baseUrl: string, asAdmin: Api, name: string, role: string, token: string): Promise<Api> {
  const response = await asAdmin('POST', '/users', { email: `${name}@service.example.com`, role: (await roleIds(asAdmin)).get(role), token });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return restClient(baseUrl, token);
}

async function roleIds(asAdmin: Api): Promise<Map<string, string>> {
  return new Map((await asAdmin<Array<{ id: string; name: string }>>('GET', '/roles?limit=-1')).body!.data!.map((r) => [r.name, r.id]));
}

// Polls until `read` returns something `done` accepts, and returns it; fails with the last value.
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
