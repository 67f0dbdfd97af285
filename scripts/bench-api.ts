// `pnpm run bench:api`: what tenant isolation costs the SPA, and what processor's authorization call
// costs. On a throwaway database of BENCH_DATABASE_URL (or TEST_DATABASE_URL), booted by this pipeline,
// two organizations with an event of BENCH_ENTRIES (300) entries each (class, vehicle, two crew members,
// a tracker); then, alternating so both see the same machine, as Alpha's timekeeper (narrowed by the
// database) and as the administrator (not narrowed):
// - one request at a time, BENCH_RUNS (100) each: the event's entries with class, crew and devices; a
//   status change; a WebSocket subscription's first page; a status change until a subscriber of the
//   same organization hears of it. p50 and p95 of each and the ratio of the p95s (target: at most 1.5);
// - GET /telemetry/authorize for the event, BENCH_AUTHORIZE_REQUESTS (4000) each from
//   BENCH_CONCURRENCY (50) concurrent clients: requests per second, p50 and p95 (target: p95 at most
//   50 ms for the timekeeper), next to the same load on GET /positions/limits: what any authenticated
//   Directus request costs on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { call, expectRows, login } from './bench/api-calls.ts';
import { seedApiBench, TIMEKEEPER } from './bench/api-seed.ts';
import { benchSocket } from './bench/bench-socket.ts';
import type { LoadResult, LoadSpec } from './bench/http-load.ts';
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
const authorizeRequests = Number(process.env['BENCH_AUTHORIZE_REQUESTS'] ?? 4000);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 50);
const ADMIN = { email: 'admin@example.com', password: 'bench-api-password' };

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
    // Measured here: the server, not Directus's back-pressure on a busy machine.
    PRESSURE_LIMITER_ENABLED: 'false',
    PM2_HOME: await mkdtemp(path.join(tmpdir(), 'trm-bench-api-pm2-')),
  };
  await run(spawn(fromApp('entrypoint.sh'), ['dry-run'], { env, stdio: 'ignore' }));
  server = spawn(fromApp('entrypoint.sh'), ['start'], { env, stdio: 'ignore' });
  await waitForPing(baseUrl, server, 180_000);

  const url = new URL(serverUrl);
  url.pathname = `/${database.name}`;
  const { event, entries } = await seedApiBench(url.toString(), baseUrl, ADMIN, entriesPerEvent);
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
  table.push(await measureDelivery(baseUrl, tokens, event, entries));

  console.log(['operation'.padEnd(34), 'admin p50', 'admin p95', 'person p50', 'person p95', 'p95 ratio'].join('  '));
  for (const row of table) console.log([row[0]!.padEnd(34), ...row.slice(1).map((cell) => cell.padStart(9))].join('  '));

  console.log(`\nGET /telemetry/authorize?event_id= (${entriesPerEvent} entries), ${concurrency} concurrent clients, ${authorizeRequests} requests per side`);
  console.log(['caller'.padEnd(34), '    req/s', '      p50', '      p95'].join('  '));
  for (const row of await measureAuthorization(baseUrl, tokens, event)) console.log([row[0]!.padEnd(34), ...row.slice(1).map((cell) => cell.padStart(9))].join('  '));
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
  const sockets = { admin: await benchSocket(baseUrl, tokens.admin), person: await benchSocket(baseUrl, tokens.person) };
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
  const p = percentile;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return [name, ms(p(times.admin, 0.5)), ms(p(times.admin, 0.95)), ms(p(times.person, 0.5)), ms(p(times.person, 0.95)), (p(times.person, 0.95) / p(times.admin, 0.95)).toFixed(2)];
}

function percentile(values: number[], q: number): number {
  return [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;
}

// A status change as the SPA makes it, until a subscriber of the same organization hears of it: from
// the PATCH to the subscriber's update event carrying the new status. Each side changes entries of its
// own, so that neither hears the other's change.
async function measureDelivery(baseUrl: string, tokens: Tokens, event: string, entries: string[]): Promise<string[]> {
  const sockets = { admin: await benchSocket(baseUrl, tokens.admin), person: await benchSocket(baseUrl, tokens.person) };
  for (const side of ['admin', 'person'] as const) {
    await sockets[side].ask(
      { type: 'subscribe', collection: 'entries', uid: 'delivery', query: { filter: { event_id: { _eq: event } }, fields: ['id', 'status'] } },
      (m) => m['uid'] === 'delivery' && m['event'] === 'init',
    );
  }
  const times = { admin: [] as number[], person: [] as number[] };
  for (let i = -5; i < runs; i += 1) {
    for (const [n, side] of (['admin', 'person'] as const).entries()) {
      const entry = entries[(2 * (i + 5) + n) % entries.length]!;
      const status = i % 2 ? 'started' : 'finished';
      const started = performance.now();
      const heard = sockets[side].next((m) => m['uid'] === 'delivery' && m['event'] === 'update' &&
        (m['data'] as Array<{ id: string; status: string }>).some((row) => row.id === entry && row.status === status));
      await expectRows(await call(baseUrl, tokens[side], 'PATCH', `/items/entries/${entry}`, { status }), 1);
      await heard;
      if (i >= 0) times[side].push(performance.now() - started);
    }
  }
  sockets.admin.close();
  sockets.person.close();
  return row('status change → subscriber', times);
}

// Processor's question at a rally's start: the event's devices and windows, from many clients at once,
// next to Directus's own floor: the cheapest authenticated request there is (GET /positions/limits:
// authentication, Directus's middleware, a constant answer), from the same clients.
// The load runs in a process of its own (bench/http-load.ts); the three take turns, twice.
async function measureAuthorization(baseUrl: string, tokens: Tokens, event: string): Promise<string[][]> {
  const path = `/telemetry/authorize?event_id=${event}`;
  const answer = (await (await call(baseUrl, tokens.person, 'GET', path)).json()) as { data?: { access?: string; devices?: unknown[] } };
  if (answer.data?.access !== 'organization' || answer.data.devices?.length !== entriesPerEvent) {
    throw new Error(`the timekeeper's authorization: ${JSON.stringify(answer).slice(0, 300)}`);
  }
  const callers = [
    ['administrator', path, tokens.admin],
    ["Alpha's timekeeper", path, tokens.person],
    ['floor: timekeeper, /positions/limits', '/positions/limits', tokens.person],
  ] as const;
  const results = callers.map(() => [] as LoadResult[]);
  for (let round = 0; round < 2; round += 1) {
    for (const [i, [, route, token]] of callers.entries()) {
      results[i]!.push(await load({ origin: baseUrl, path: route, token, requests: Math.ceil(authorizeRequests / 2), concurrency }));
    }
  }
  return callers.map(([name], i) => {
    const latencies = results[i]!.flatMap((result) => result.latencies);
    const seconds = results[i]!.reduce((sum, result) => sum + result.seconds, 0);
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    return [name, (latencies.length / seconds).toFixed(0), ms(percentile(latencies, 0.5)), ms(percentile(latencies, 0.95))];
  });
}

function load(spec: LoadSpec): Promise<LoadResult> {
  const child = spawn(process.execPath, [fromApp('scripts/bench/http-load.ts'), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return run(child).then(() => JSON.parse(output) as LoadResult);
}

function run(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode === 0 || child.signalCode === 'SIGTERM' ? resolve() : reject(new Error(`exited ${child.exitCode}`));
    child.on('close', (code, signal) => (code === 0 || signal === 'SIGTERM' ? resolve() : reject(new Error(`exited with ${code ?? signal}`))));
  });
}
