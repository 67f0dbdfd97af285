// `pnpm run bench:api`: what tenant isolation costs the SPA. On a throwaway database of
// BENCH_DATABASE_URL (or TEST_DATABASE_URL), booted by this pipeline, two organizations with an event
// of BENCH_ENTRIES (300) entries each (class, vehicle, two crew members, a tracker); then, alternating
// request by request so both see the same machine, as Alpha's timekeeper (narrowed by the database) and
// as the administrator (not narrowed): the event's entries with class, crew and devices; a status
// change; a WebSocket subscription's first page. Prints p50 and p95 of each and the ratio of the p95s
// (target: at most 1.5). BENCH_RUNS (100) requests per operation and side.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { resolveConfiguration } from './lib/env.ts';
import { fromApp } from './lib/paths.ts';
import { waitForPing } from './lib/ping.ts';
import { freePort } from './lib/ports.ts';
import { createThrowawayDatabase } from './lib/throwaway-database.ts';

resolveConfiguration();
const serverUrl = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
if (!serverUrl) {
  console.error('Set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server where databases may be created.');
  process.exit(1);
}
const runs = Number(process.env['BENCH_RUNS'] ?? 100);
const entriesPerEvent = Number(process.env['BENCH_ENTRIES'] ?? 300);
const ADMIN = { email: 'admin@example.com', password: 'bench-api-password' };
const TIMEKEEPER = { email: 'timekeeper@example.com', password: 'bench-api-timekeeper' };

const database = await createThrowawayDatabase(serverUrl, 'trm_bench_api');
let server: ChildProcess | undefined;
try {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...database.env,
    PORT: String(port),
    KEY: 'bench-api-key-0123456789abcdef0123',
    SECRET: 'bench-api-secret-0123456789abcdef01',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    TELEMETRY: 'false',
    CONFIG_PATH: '/nonexistent/.env',
    WEBSOCKETS_ENABLED: 'true',
    // Measured here: the server, not Directus's back-pressure on a busy machine.
    PRESSURE_LIMITER_ENABLED: 'false',
    PM2_HOME: await mkdtemp(path.join(tmpdir(), 'trm-bench-api-pm2-')),
  };
  await run(spawn(fromApp('entrypoint.sh'), ['dry-run'], { env, stdio: 'ignore' }));
  server = spawn(fromApp('entrypoint.sh'), ['start'], { env, stdio: 'ignore' });
  await waitForPing(baseUrl, server, 180_000);

  const url = new URL(serverUrl);
  url.pathname = `/${database.name}`;
  const { event, entries } = await seed(url.toString(), baseUrl);
  const tokens = { admin: await login(baseUrl, ADMIN), person: await login(baseUrl, TIMEKEEPER) };
  console.log(`seeded 2 organizations × ${entriesPerEvent} entries; ${runs} requests per operation and side\n`);

  const read = `/items/entries?${new URLSearchParams({
    'filter[event_id][_eq]': event,
    fields: '*,class_id.*,vehicle_id.*,crew.*,devices.*,devices.device_id.*',
    limit: '-1',
  })}`;
  const operations: Array<[string, (token: string, i: number) => Promise<void>]> = [
    ['event entries, nested (300 rows)', async (token) => expectRows(await call(baseUrl, token, 'GET', read), entriesPerEvent)],
    ['timekeeper status change', async (token, i) => expectRows(await call(baseUrl, token, 'PATCH', `/items/entries/${entries[i % entries.length]}`, { status: i % 2 ? 'started' : 'finished' }), 1)],
  ];
  const table: string[][] = [];
  for (const [name, operation] of operations) table.push(await measure(name, tokens, operation));
  table.push(await measureSubscriptions(baseUrl, tokens, event));

  console.log(['operation'.padEnd(34), 'admin p50', 'admin p95', 'person p50', 'person p95', 'p95 ratio'].join('  '));
  for (const row of table) console.log([row[0]!.padEnd(34), ...row.slice(1).map((cell) => cell.padStart(9))].join('  '));
} finally {
  server?.kill('SIGTERM');
  if (server) await run(server).catch(() => undefined);
  await database.drop();
}

type Tokens = { admin: string; person: string };

async function measure(name: string, tokens: Tokens, operation: (token: string, i: number) => Promise<void>): Promise<string[]> {
  const times = { admin: [] as number[], person: [] as number[] };
  for (let i = 0; i < 5; i += 1) for (const side of ['admin', 'person'] as const) await operation(tokens[side], i);
  for (let i = 0; i < runs; i += 1) {
    for (const side of ['admin', 'person'] as const) {
      const started = performance.now();
      await operation(tokens[side], i);
      times[side].push(performance.now() - started);
    }
  }
  return row(name, times);
}

// A subscription's first page: from `subscribe` to Directus's `init` message, on an open connection.
async function measureSubscriptions(baseUrl: string, tokens: Tokens, event: string): Promise<string[]> {
  const sockets = { admin: await socket(baseUrl, tokens.admin), person: await socket(baseUrl, tokens.person) };
  const times = { admin: [] as number[], person: [] as number[] };
  for (let i = -5; i < runs; i += 1) {
    for (const side of ['admin', 'person'] as const) {
      const uid = randomUUID();
      const started = performance.now();
      const init = await sockets[side].ask(
        { type: 'subscribe', collection: 'entries', uid, query: { filter: { event_id: { _eq: event } }, fields: ['*', 'class_id.code', 'crew.user_id'], limit: 50, sort: ['race_number'] } },
        (m) => m['uid'] === uid && m['event'] === 'init',
      );
      if (i >= 0) times[side].push(performance.now() - started);
      if ((init['data'] as unknown[]).length !== 50) throw new Error(`${side}: the first page holds ${(init['data'] as unknown[]).length} entries`);
      sockets[side].send({ type: 'unsubscribe', uid });
    }
  }
  sockets.admin.close();
  sockets.person.close();
  return row('subscription first page (50)', times);
}

function row(name: string, times: { admin: number[]; person: number[] }): string[] {
  const p = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return [name, ms(p(times.admin, 0.5)), ms(p(times.admin, 0.95)), ms(p(times.person, 0.5)), ms(p(times.person, 0.95)), (p(times.person, 0.95) / p(times.admin, 0.95)).toFixed(2)];
}

// Two organizations, straight into the tables (the owner is not narrowed): Alpha is measured, Bravo
// is there so that the database has something to keep out.
async function seed(databaseUrl: string, baseUrl: string): Promise<{ event: string; entries: string[] }> {
  const admin = await login(baseUrl, ADMIN);
  const roles = (await (await call(baseUrl, admin, 'GET', '/roles?limit=-1')).json()) as { data: Array<{ id: string; name: string }> };
  const timekeeperRole = roles.data.find((r) => r.name === 'Timekeeper')!.id;
  const created = (await (await call(baseUrl, admin, 'POST', '/users', { ...TIMEKEEPER, role: timekeeperRole })).json()) as { data: { id: string } };
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let alphaEvent = '';
    let alphaEntries: string[] = [];
    for (const name of ['alpha', 'bravo']) {
      const { rows: [org] } = await client.query(`INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), $1, $1) RETURNING id`, [name]);
      const members = (await client.query(
        `INSERT INTO directus_users (id, email, status) SELECT gen_random_uuid(), $1 || '-member-' || i || '@example.com', 'active' FROM generate_series(1, 20) i RETURNING id`,
        [name],
      )).rows.map((r) => r.id as string);
      await client.query(`INSERT INTO organization_users (id, organization_id, user_id, role) SELECT gen_random_uuid(), $1, unnest($2::uuid[]), 'participant'`, [org.id, members]);
      if (name === 'alpha') await client.query(`INSERT INTO organization_users (id, organization_id, user_id, role) VALUES (gen_random_uuid(), $1, $2, 'timekeeper')`, [org.id, created.data.id]);
      const { rows: [event] } = await client.query(
        `INSERT INTO events (id, organization_id, name, slug, discipline, starts_at, ends_at) VALUES (gen_random_uuid(), $1, $2 || ' rally', 'rally', 'rally', '2027-06-05T06:00:00Z', '2027-06-12T18:00:00Z') RETURNING id`,
        [org.id, name],
      );
      const classes = (await client.query(`INSERT INTO classes (id, event_id, code) SELECT gen_random_uuid(), $1, 'T' || i FROM generate_series(1, 3) i RETURNING id`, [event.id])).rows.map((r) => r.id as string);
      const { rows: entries } = await client.query(
        `WITH v AS (INSERT INTO vehicles (id, make, model) SELECT gen_random_uuid(), 'Toyota', 'Hilux ' || i FROM generate_series(1, $2::int) i RETURNING id),
              d AS (INSERT INTO devices (id, imei, model) SELECT gen_random_uuid(), lpad(($3::bigint + i)::text, 15, '3'), 'FMB920' FROM generate_series(1, $2::int) i RETURNING id),
              vn AS (SELECT id, row_number() OVER () AS n FROM v), dn AS (SELECT id, row_number() OVER () AS n FROM d),
              ov AS (INSERT INTO organization_vehicles (id, organization_id, vehicle_id) SELECT gen_random_uuid(), $1, id FROM vn),
              od AS (INSERT INTO organization_devices (id, organization_id, device_id) SELECT gen_random_uuid(), $1, id FROM dn)
         SELECT vn.id AS vehicle, dn.id AS device, vn.n FROM vn JOIN dn USING (n)`,
        [org.id, entriesPerEvent, name === 'alpha' ? 100000 : 200000],
      );
      const ids: string[] = [];
      for (const entry of entries) {
        const { rows: [inserted] } = await client.query(
          `INSERT INTO entries (id, event_id, class_id, vehicle_id, race_number, status) VALUES (gen_random_uuid(), $1, $2, $3, $4, 'registered') RETURNING id`,
          [event.id, classes[Number(entry.n) % 3], entry.vehicle, String(entry.n)],
        );
        await client.query(`INSERT INTO entry_crew (id, entry_id, user_id, role) VALUES (gen_random_uuid(), $1, $2, 'pilot'), (gen_random_uuid(), $1, $3, 'co-pilot')`, [
          inserted.id, members[Number(entry.n) % 20], members[(Number(entry.n) + 1) % 20],
        ]);
        await client.query(`INSERT INTO entry_devices (id, entry_id, device_id) VALUES (gen_random_uuid(), $1, $2)`, [inserted.id, entry.device]);
        ids.push(inserted.id);
      }
      if (name === 'alpha') [alphaEvent, alphaEntries] = [event.id, ids];
    }
    return { event: alphaEvent, entries: alphaEntries };
  } finally {
    await client.end();
  }
}

async function login(baseUrl: string, credentials: { email: string; password: string }): Promise<string> {
  const response = await fetch(`${baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
  if (!response.ok) throw new Error(`login ${credentials.email}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: { access_token: string } }).data.access_token;
}

function call(baseUrl: string, token: string, method: string, route: string, body?: unknown): Promise<Response> {
  return fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function expectRows(response: Response, count: number): Promise<void> {
  const body = (await response.json()) as { data?: unknown };
  const rows = Array.isArray(body.data) ? body.data.length : body.data ? 1 : 0;
  if (!response.ok || rows !== count) throw new Error(`${response.status}: ${rows} rows, expected ${count}: ${JSON.stringify(body).slice(0, 300)}`);
}

interface BenchSocket {
  send: (message: unknown) => void;
  ask: (message: unknown, done: (m: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>;
  close: () => void;
}

async function socket(baseUrl: string, token: string): Promise<BenchSocket> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/websocket`);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  let waiting: { done: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void } | undefined;
  ws.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as Record<string, unknown>;
    if (message['type'] === 'ping') return ws.send(JSON.stringify({ type: 'pong' }));
    if (waiting?.done(message)) waiting.resolve(message);
  });
  const ask = (message: unknown, done: (m: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      waiting = { done, resolve };
      ws.send(JSON.stringify(message));
    });
  const auth = await ask({ type: 'auth', access_token: token }, (m) => m['type'] === 'auth');
  if (auth['status'] !== 'ok') throw new Error(`WebSocket auth: ${JSON.stringify(auth)}`);
  return { send: (message) => ws.send(JSON.stringify(message)), ask, close: () => ws.close() };
}

function run(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode === 0 || child.signalCode === 'SIGTERM' ? resolve() : reject(new Error(`exited ${child.exitCode}`));
    child.on('close', (code, signal) => (code === 0 || signal === 'SIGTERM' ? resolve() : reject(new Error(`exited with ${code ?? signal}`))));
  });
}
