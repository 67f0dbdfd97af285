import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { DIRECTUS_ROLE } from '../../scripts/demo/sample.ts';
import type { TestDatabase } from './databases.ts';
import { login, restClient } from './directus.ts';
import { createItem, PASSWORD, type Api } from './tenants.ts';

// Two competing organizations as an attacker meets them: Alpha (the attacker's side) and Bravo (the
// victim), a person in every organization role of each, a stranger with no membership, a former member
// of Bravo, and a vehicle and a device rented to both. Every value of Bravo's own rows carries "bravo"
// (or is one of `secrets`), so a response can be searched for anything of Bravo's; the shared rows
// carry neither name.
export const ORG_ROLES = ['org-admin', 'race-director', 'marshal', 'timekeeper', 'participant', 'viewer'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export interface Person {
  id: string;
  email: string;
  token: string;
  api: Api;
}

export interface Side {
  org: string;
  vehicle: string;
  device: string;
  imei: string;
  event: string;
  klass: string;
  // Entries: one on the shared vehicle and device, one on the side's own.
  sharedEntry: string;
  ownEntry: string;
  crew: string;
  // Rows of each collection that belong to this side only.
  rows: Record<string, string[]>;
  people: Record<OrgRole, Person>;
}

export interface TenantFixture {
  alpha: Side;
  bravo: Side;
  sharedVehicle: string;
  sharedDevice: string;
  sharedImei: string;
  stranger: Person;
  former: Person;
  // What of Bravo's must never reach an attacker: ids of Bravo's own rows and people, and values.
  secrets: string[];
  // Every row id of each collection, and which ones a member of Alpha (any role) may read.
  alphaVisible: Record<string, string[]>;
}

// VINs allow no I, O or Q, so Bravo's cannot say "bravo": it is a secret of its own.
const VINS = { alpha: 'ALPHA000000000001', bravo: 'BRAV0000000000021' };

const WINDOWS = {
  alpha: { starts_at: '2027-06-05T06:00:00Z', ends_at: '2027-06-06T18:00:00Z' },
  bravo: { starts_at: '2027-06-10T06:00:00Z', ends_at: '2027-06-11T18:00:00Z' },
};

export async function seedTenants(baseUrl: string, asAdmin: Api, db: TestDatabase): Promise<TenantFixture> {
  const roles = new Map((await asAdmin<Array<{ id: string; name: string }>>('GET', '/roles?limit=-1')).body!.data!.map((r) => [r.name, r.id]));
  const person = async (email: string, role: string): Promise<Person> => {
    const created = await asAdmin<{ id: string }>('POST', '/users', { email, password: PASSWORD, role: roles.get(role) });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const token = await login(baseUrl, email, PASSWORD);
    return { id: created.body!.data!.id, email, token, api: restClient(baseUrl, token) };
  };

  const sharedVehicle = await createItem(asAdmin, 'vehicles', { make: 'Rental', model: 'Hilux', vin: 'RENTAL00000000001' });
  const sharedImei = '356000000000001';
  const sharedDevice = await createItem(asAdmin, 'devices', { imei: sharedImei, model: 'Teltonika FMB920' });

  const side = async (name: 'alpha' | 'bravo', imei: string): Promise<Side> => {
    const rows: Record<string, string[]> = {};
    const own = async (collection: string, item: Record<string, unknown>) => {
      const id = await createItem(asAdmin, collection, item);
      (rows[collection] ??= []).push(id);
      return id;
    };
    const org = await own('organizations', { name: `${name} racing club`, slug: `${name}-club` });
    const vehicle = await own('vehicles', { make: `${name} motors`, model: `${name} buggy`, vin: VINS[name], plate: `${name}-1` });
    const device = await own('devices', { imei, model: `${name} tracker` });
    for (const [collection, field, target] of [
      ['organization_vehicles', 'vehicle_id', vehicle], ['organization_vehicles', 'vehicle_id', sharedVehicle],
      ['organization_devices', 'device_id', device], ['organization_devices', 'device_id', sharedDevice],
    ] as const) await own(collection, { organization_id: org, [field]: target });
    const event = await own('events', { organization_id: org, name: `${name} rally`, slug: `${name}-rally`, discipline: 'rally', ...WINDOWS[name] });
    const klass = await own('classes', { event_id: event, code: `${name}-t1`, name: `${name} cars` });
    const sharedEntry = await own('entries', { event_id: event, class_id: klass, vehicle_id: sharedVehicle, race_number: `${name}-1`, status: 'registered' });
    const ownEntry = await own('entries', { event_id: event, class_id: klass, vehicle_id: vehicle, race_number: `${name}-2`, status: 'registered' });

    const people = {} as Record<OrgRole, Person>;
    for (const role of ORG_ROLES) {
      people[role] = await person(`${name}.${role}@example.com`, DIRECTUS_ROLE[role]!);
      await own('organization_users', { organization_id: org, user_id: people[role].id, role });
    }
    const crew = await own('entry_crew', { entry_id: sharedEntry, user_id: people.participant.id, role: 'pilot' });
    await own('entry_devices', { entry_id: sharedEntry, device_id: sharedDevice, assigned_user_id: people.participant.id });
    await own('entry_devices', { entry_id: ownEntry, device_id: device });
    for (const [target, command] of [[sharedDevice, `${name}-getver`], [device, `${name}-setdigout 1`]] as const) {
      await own('commands', { organization_id: org, device_id: target, command });
    }
    return { org, vehicle, device, imei, event, klass, sharedEntry, ownEntry, crew, rows, people };
  };

  const alpha = await side('alpha', '356000000000011');
  const bravo = await side('bravo', '356000000000021');

  // A former race director of Bravo, removed again.
  const former = await person('former.director@example.com', DIRECTUS_ROLE['race-director']!);
  const membership = await createItem(asAdmin, 'organization_users', { organization_id: bravo.org, user_id: former.id, role: 'race-director' });
  expect((await asAdmin('DELETE', `/items/organization_users/${membership}`)).status).toBe(204);
  const stranger = await person('stranger@example.com', DIRECTUS_ROLE['viewer']!);

  // Positions of the shared tracker in each side's event, and of each side's own tracker.
  for (const [imei, window] of [[sharedImei, WINDOWS.alpha], [sharedImei, WINDOWS.bravo], [alpha.imei, WINDOWS.alpha], [bravo.imei, WINDOWS.bravo]] as const) {
    await db.query(
      `INSERT INTO positions (device_id, ts, latitude, longitude) SELECT $1, $2::timestamptz + make_interval(mins => i), 41.3, 19.8 FROM generate_series(0, 9) i`,
      [imei, window.starts_at],
    );
  }

  const secrets = [
    'bravo',
    bravo.imei,
    VINS.bravo,
    ...Object.values(bravo.rows).flat(),
    ...Object.values(bravo.people).map((p) => p.id),
  ];
  const alphaVisible: Record<string, string[]> = {};
  for (const [collection, ids] of Object.entries(alpha.rows)) alphaVisible[collection] = [...ids];
  alphaVisible['vehicles']!.push(sharedVehicle);
  alphaVisible['devices']!.push(sharedDevice);
  return { alpha, bravo, sharedVehicle, sharedDevice, sharedImei, stranger, former, secrets, alphaVisible };
}

// The parts of a response that would betray Bravo: any secret, in any letter case.
export function leaks(fixture: TenantFixture, body: unknown): string[] {
  const text = JSON.stringify(body ?? null).toLowerCase();
  return fixture.secrets.filter((secret) => text.includes(secret.toLowerCase()));
}

export const spellings = (id: string) => [id, id.toUpperCase(), id.replace(/[a-f]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c))];
export const unknownId = () => randomUUID();
