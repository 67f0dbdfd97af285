import { createHash } from 'node:crypto';
import { seededRandom } from '../lib/seeded-random.ts';
import type { Position } from '../telemetry/insert-positions.ts';
import { drive } from './track.ts';

// The demo sample, as rows of the business tables: two organizations with a person in every
// organization role, a rally of the first one with four classes and 30 entries (crews, vehicles,
// trackers), a time trial of the second one, one tracker registered with both, commands in the
// states that stay put, and each tracker's positions along the stage.
//
// Everything is fixed: ids are derived from names, times are absolute, the tracks come from seeded
// generators. So a second load finds every row already there, and removal knows exactly what is
// the demo's and touches nothing else.
export type Row = Record<string, unknown>;

export interface Login {
  email: string;
  role: string;
  organization: string;
}

export interface DemoSample {
  // In the order they are inserted (parents first); removal runs backwards.
  tables: Array<{ table: string; rows: Row[] }>;
  // The trackers' IMEIs and the window their positions lie in.
  positions: { imeis: string[]; from: Date; to: Date; generate: () => Position[] };
  logins: Login[];
  password: string;
}

export interface DemoOptions {
  // Seconds between two fixes of one tracker (1: 1 Hz).
  interval?: number;
}

// Published in the README: demo users must never exist in production (the CLI refuses there).
export const DEMO_PASSWORD = 'demo-password';
export const DEMO_EMAIL_DOMAIN = 'demo.example.com';

// A stable UUID (version 5 layout) for a name within the demo.
export function demoId(name: string): string {
  const hex = createHash('sha1').update(`trm-demo:${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const CREATED = '2026-05-02T09:00:00.000Z';
const RALLY = { starts: '2026-06-06T06:00:00.000Z', ends: '2026-06-13T18:00:00.000Z' };
// Stage 3 of the rally: the first car starts at 07:00 UTC, one a minute.
const STAGE_START = Date.parse('2026-06-08T07:00:00.000Z');

// The Directus role each organization role's person gets (snapshots/config.yaml).
export const DIRECTUS_ROLE: Record<string, string> = {
  'org-admin': 'Organization admin',
  'race-director': 'Race director',
  marshal: 'Marshal',
  timekeeper: 'Timekeeper',
  participant: 'Participant',
  viewer: 'Viewer',
};

const ORGANIZATIONS = [
  { slug: 'demo-dune-rally-club', name: 'Dune Rally Club (demo)', people: ['Arben Hoxha', 'Elira Shehu', 'Gent Krasniqi', 'Mira Dervishi', 'Ilir Basha', 'Teuta Leka'] },
  { slug: 'demo-adriatic-timing', name: 'Adriatic Timing (demo)', people: ['Luka Horvat', 'Ana Marić', 'Ivan Kovačević', 'Petra Novak', 'Marko Babić', 'Sara Jurić'] },
];

const CLASSES = [
  { code: 'T1', name: 'Cars', numbers: 200, crew: ['pilot', 'co-pilot'], kmh: 62, makes: [['Toyota', 'Hilux', 2021, 2755], ['Mitsubishi', 'Pajero', 2018, 3200], ['Nissan', 'Navara', 2020, 2298]] },
  { code: 'T3', name: 'Lightweight prototypes', numbers: 300, crew: ['pilot', 'navigator'], kmh: 58, makes: [['Can-Am', 'Maverick X3', 2023, 900], ['Polaris', 'RZR Pro R', 2024, 1997]] },
  { code: 'M', name: 'Motorcycles', numbers: 0, crew: ['rider'], kmh: 55, makes: [['KTM', '450 Rally', 2023, 450], ['Husqvarna', 'FR 450', 2022, 450], ['Honda', 'CRF450 Rally', 2023, 450]] },
  { code: 'Q', name: 'Quads', numbers: 60, crew: ['rider'], kmh: 48, makes: [['Yamaha', 'Raptor 700', 2021, 686], ['Can-Am', 'Renegade', 2020, 976]] },
] as const;
// 30 entries: 10 cars, 6 prototypes, 10 motorcycles, 4 quads.
const ENTRIES_PER_CLASS = [10, 6, 10, 4];
const FIRST_NAMES = ['Besnik', 'Dorina', 'Fatmir', 'Jonida', 'Klodian', 'Lindita', 'Ardit', 'Blerta', 'Erion', 'Olta', 'Sokol', 'Vjosa', 'Drilon', 'Rea', 'Alban', 'Megi'];
const LAST_NAMES = ['Gashi', 'Berisha', 'Kelmendi', 'Rama', 'Hysa', 'Çela', 'Duka', 'Muça', 'Prifti', 'Zeqiri', 'Tafa', 'Bregu'];
const NATIONALITIES = ['AL', 'XK', 'IT', 'HR', 'DE', 'FR'];
// Entries that did not finish the stage, and where they stopped; one disqualified after it.
const RETIRED: Record<number, number> = { 4: 0.55, 17: 0.3 };
const DISQUALIFIED = 23;
// Crew names: every first name with every last name, in a fixed shuffled order, so none repeats.
const CREW_NAMES = FIRST_NAMES.flatMap((first) => LAST_NAMES.map((last) => `${first} ${last}`)).sort(
  (a, b) => demoId(a).localeCompare(demoId(b)),
);

const email = (name: string) => `${name.toLowerCase().normalize('NFD').replace(/[^a-z ]/g, '').replace(/ /g, '.')}@${DEMO_EMAIL_DOMAIN}`;

export function demoSample({ interval = 1 }: DemoOptions = {}): DemoSample {
  const rows: Record<string, Row[]> = {};
  const add = (table: string, row: Row) => (rows[table] ??= []).push(row);
  const logins: Login[] = [];
  const roleOf = (orgRole: string) => ({ $role: DIRECTUS_ROLE[orgRole]! });

  const orgIds = ORGANIZATIONS.map((org) => demoId(`organization:${org.slug}`));
  const people: Record<string, string[]> = {};
  ORGANIZATIONS.forEach((org, o) => {
    add('organizations', { id: orgIds[o], name: org.name, slug: org.slug, date_created: CREATED });
    people[org.slug] = org.people.map((name, r) => {
      const orgRole = Object.keys(DIRECTUS_ROLE)[r]!;
      const id = demoId(`user:${name}`);
      const [first, last] = name.split(' ');
      add('directus_users', { id, first_name: first, last_name: last, email: email(name), ...roleOf(orgRole), status: 'active', nationality: o === 0 ? 'AL' : 'HR', phone: `+355 69 ${String(1_000_000 + r * 7_919 + o * 131).slice(1)}` });
      add('organization_users', { id: demoId(`member:${org.slug}:${name}`), organization_id: orgIds[o], user_id: id, role: orgRole, date_created: CREATED });
      logins.push({ email: email(name), role: orgRole, organization: org.name });
      return id;
    });
  });

  // Org B, the timing partner: its own time trial, and four trackers, one of which (the first) it
  // also registers with the rally club, which uses it on entry 1.
  const [orgA, orgB] = orgIds as [string, string];
  const rally = demoId('event:rally');
  const trial = demoId('event:time-trial');
  add('events', { id: rally, organization_id: orgA, name: 'Rally of the Albanian Hills (demo)', slug: 'albanian-hills', discipline: 'rally', starts_at: RALLY.starts, ends_at: RALLY.ends, date_created: CREATED });
  add('events', { id: trial, organization_id: orgB, name: 'Učka Hill Climb (demo)', slug: 'ucka-hill-climb', discipline: 'time-trial', starts_at: '2026-07-11T07:00:00.000Z', ends_at: '2026-07-12T16:00:00.000Z', date_created: CREATED });
  add('classes', { id: demoId('class:trial:E1'), event_id: trial, code: 'E1', name: 'Production cars' });

  const imei = (n: number) => `35000000${String(n).padStart(7, '0')}`;
  const device = (n: number, org: string[]) => {
    const id = demoId(`device:${n}`);
    add('devices', { id, imei: imei(n), model: n % 3 === 0 ? 'Teltonika FMB140' : 'Teltonika FMB920', date_created: CREATED });
    for (const orgId of org) add('organization_devices', { id: demoId(`registration:${orgId}:${n}`), organization_id: orgId, device_id: id, registered_at: CREATED });
    return id;
  };
  const shared = device(1, [orgB, orgA]);
  for (let n = 41; n <= 43; n++) device(n, [orgB]);

  const drives: Array<Parameters<typeof drive>[0]> = [];
  let number = 0;
  let crewCount = 0;
  CLASSES.forEach((klass, c) => {
    const classId = demoId(`class:rally:${klass.code}`);
    add('classes', { id: classId, event_id: rally, code: klass.code, name: klass.name });
    for (let k = 0; k < ENTRIES_PER_CLASS[c]!; k++) {
      number += 1;
      const pick = seededRandom(number * 7_919);
      const [make, model, year, cc] = klass.makes[k % klass.makes.length]!;
      const vehicle = demoId(`vehicle:${number}`);
      add('vehicles', { id: vehicle, make, model, year, engine_cc: cc, plate: `DEMO-${String(number).padStart(3, '0')}`, date_created: CREATED });
      add('organization_vehicles', { id: demoId(`fleet:${number}`), organization_id: orgA, vehicle_id: vehicle, registered_at: CREATED });
      const entry = demoId(`entry:${number}`);
      const retiredAt = RETIRED[number];
      const status = retiredAt ? 'retired' : number === DISQUALIFIED ? 'disqualified' : 'finished';
      add('entries', { id: entry, event_id: rally, class_id: classId, vehicle_id: vehicle, race_number: String(klass.numbers + k + 1), status, date_created: CREATED });
      const crew = klass.crew.map((role, m) => {
        const name = CREW_NAMES[crewCount++]!;
        const id = demoId(`crew:${number}:${m}`);
        const [first, last] = name.split(' ');
        add('directus_users', { id, first_name: first, last_name: last, email: email(name), ...roleOf('participant'), status: 'active', nationality: NATIONALITIES[Math.floor(pick() * NATIONALITIES.length)], birth_date: `19${70 + Math.floor(pick() * 30)}-0${1 + Math.floor(pick() * 9)}-1${Math.floor(pick() * 9)}` });
        add('organization_users', { id: demoId(`member:crew:${number}:${m}`), organization_id: orgA, user_id: id, role: 'participant', date_created: CREATED });
        add('entry_crew', { id: demoId(`crew-row:${number}:${m}`), entry_id: entry, user_id: id, role });
        return id;
      });
      const tracker = number === 1 ? shared : device(number, [orgA]);
      // A rider wears the tracker's panic button; a car's tracker is fixed to the car.
      add('entry_devices', { id: demoId(`fitting:${number}`), entry_id: entry, device_id: tracker, assigned_user_id: crew.length === 1 ? crew[0] : null });
      drives.push({ imei: imei(number), start: new Date(STAGE_START + (number - 1) * 60_000), averageKmh: klass.kmh * (0.9 + pick() * 0.2), share: retiredAt ?? 1, seed: number, interval });
    }
  });

  addCommands(add, { orgA, orgB, shared, people: { a: people[ORGANIZATIONS[0]!.slug]!, b: people[ORGANIZATIONS[1]!.slug]! } });

  const to = new Date(STAGE_START + 6 * 3_600_000);
  return {
    tables: TABLE_ORDER.map((table) => ({ table, rows: rows[table] ?? [] })),
    positions: { imeis: drives.map((d) => d.imei), from: new Date(STAGE_START), to, generate: () => drives.flatMap(drive) },
    logins,
    password: DEMO_PASSWORD,
  };
}

const TABLE_ORDER = ['organizations', 'directus_users', 'organization_users', 'events', 'classes', 'vehicles', 'organization_vehicles', 'devices', 'organization_devices', 'entries', 'entry_crew', 'entry_devices', 'commands'];

// Commands in the states no sweep moves on (sent, acknowledged, failed, expired), asked by the
// people whose organization role may send them; organization_id is the organization on whose behalf.
function addCommands(add: (table: string, row: Row) => void, { orgA, orgB, shared, people }: { orgA: string; orgB: string; shared: string; people: { a: string[]; b: string[] } }): void {
  const at = (minutes: number) => new Date(STAGE_START + minutes * 60_000).toISOString();
  const marshalA = people.a[2]!;
  const directorA = people.a[1]!;
  const marshalB = people.b[2]!;
  const commands: Array<[number, string, string, string, number, Row]> = [
    // [device number, command, by, organization, minute, outcome]
    [2, 'getgps', marshalA, orgA, -20, { status: 'acknowledged', response: 'GPS:1 Sat:12 Lat:40.705800 Long:19.952200 Alt:60 Speed:0 Dir:0' }],
    [5, 'getinfo', marshalA, orgA, -15, { status: 'acknowledged', response: 'INI:2026/6/8 6:40 RTC:2026/6/8 6:45 RST:0 ERR:0 SR:0 BR:0 CF:0 FG:0 FL:0 TU:0/0 UT:0 SMS:0 NOGPS:0:0 GPS:1 SAT:11' }],
    [9, 'getver', directorA, orgA, 35, { status: 'sent' }],
    [12, 'setdigout 1', directorA, orgA, 62, { status: 'failed', error: 'device offline: no ingestion instance holds the socket of device 350000000000012' }],
    [18, 'getgps', marshalA, orgA, 80, { status: 'expired', error: 'no ingestion instance reported it sent within 300 s of routing' }],
    [1, 'getstatus', marshalB, orgB, -45, { status: 'acknowledged', response: 'Data Link: 1 GPRS: 1 Phone: 0 SIM: 0 OP: 27601 Signal: 4 NewSMS: 0 Roaming: 0 SMSFull: 0 LAC: 12 Cell ID: 3401' }],
    [1, 'getgps', marshalA, orgA, 95, { status: 'sent' }],
    [25, 'cpureset', directorA, orgA, 110, { status: 'failed', error: 'Redis unavailable: Connection is closed.' }],
  ];
  commands.forEach(([n, command, by, organization, minute, outcome], i) => {
    const requested = Date.parse(at(minute));
    const routed = outcome['status'] === 'failed' ? {} : { routed_to: 'ingestion-1', routed_at: new Date(requested + 400).toISOString() };
    const sent = ['sent', 'acknowledged'].includes(String(outcome['status'])) ? { sent_at: new Date(requested + 900).toISOString() } : {};
    const acknowledged = outcome['status'] === 'acknowledged' ? { acknowledged_at: new Date(requested + 2_600).toISOString() } : {};
    add('commands', {
      id: demoId(`command:${i}`),
      device_id: n === 1 ? shared : demoId(`device:${n}`),
      codec: 'codec12',
      command,
      requested_by: by,
      organization_id: organization,
      requested_at: new Date(requested).toISOString(),
      ...routed,
      ...sent,
      ...acknowledged,
      ...outcome,
    });
  });
}
