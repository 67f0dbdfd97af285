// `pnpm run bench:telemetry`: what positions cost on disk and in time, uncompressed and compressed, in
// one run on one throwaway database (BENCH_DATABASE_URL, else TEST_DATABASE_URL; real TimescaleDB).
// It applies db-init/ as the boot does, loads BENCH_DEVICES trackers × BENCH_HOURS at 1 Hz the way
// processor writes (multi-row INSERTs of BENCH_BATCH_ROWS), then measures the flag statement of
// POST /positions/faulty (1-hour and 24-hour windows, marking and unmarking) and processor's reads
// (a window, the latest minute), first on the rowstore, then after converting every chunk to the columnstore, each on windows
// no earlier measurement touched: BENCH_HOUR_RUNS 1-hour and BENCH_DAY_RUNS 24-hour windows of each
// kind. BENCH_CHUNK_INTERVAL, BENCH_SEGMENT_BY and BENCH_ORDER_BY try another layout than db-init's
// (how docs/telemetry.md chose it).
import { createHash } from 'node:crypto';
import pg from 'pg';
import { setFaulty, type FaultyWindow } from '../extensions/platform/src/positions/faulty-rows.ts';
import { resolveConfiguration } from './lib/env.ts';
import { info, setLogPrefix } from './lib/log.ts';
import { fromApp } from './lib/paths.ts';
import { createThrowawayDatabase } from './lib/throwaway-database.ts';
import { runSqlFolder } from './sql-runner/run-sql-folder.ts';
import { insertPositions, type Position } from './telemetry/insert-positions.ts';
import { LATEST_READ, WINDOW_READ } from './telemetry/processor-reads.ts';
import { trackers } from './telemetry/tracks.ts';

setLogPrefix('[bench]');
resolveConfiguration();

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// A past week: no policy of the boot's would touch it (the benchmark sets none anyway).
const START = Date.parse('2026-06-01T00:00:00Z');

const serverUrl = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
const devices = whole('BENCH_DEVICES', 16);
const hours = whole('BENCH_HOURS', 48);
const hourRuns = whole('BENCH_HOUR_RUNS', 20);
const dayRuns = whole('BENCH_DAY_RUNS', 5);
const batchRows = whole('BENCH_BATCH_ROWS', 2000);
const layout = {
  chunkInterval: process.env['BENCH_CHUNK_INTERVAL'],
  segmentBy: process.env['BENCH_SEGMENT_BY'],
  orderBy: process.env['BENCH_ORDER_BY'],
};

type Phase = 'uncompressed' | 'compressed';
type Measure = 'flag 1 h' | 'unflag 1 h' | 'flag 24 h' | 'unflag 24 h' | 'read 1 h' | 'read 24 h' | 'read latest 60';
// Reads first: they meet chunks as most chunks are, never flagged since compression.
const MEASURES: Measure[] = ['read 1 h', 'read 24 h', 'read latest 60', 'flag 1 h', 'unflag 1 h', 'flag 24 h', 'unflag 24 h'];
const LATEST = 60;

interface Window {
  imei: string;
  from: Date;
  to: Date;
}

async function main(): Promise<number> {
  if (!serverUrl) {
    console.error('Set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server with TimescaleDB where databases may be created.');
    return 2;
  }
  const fleet = trackers(devices);
  const windows = planWindows(fleet.imeis);
  const database = await createThrowawayDatabase(serverUrl, 'trm_bench_telemetry');
  const url = new URL(serverUrl);
  url.pathname = `/${database.name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await runSqlFolder(client, fromApp('db-init'));
    await applyLayout(client);
    const shape = await describeLayout(client);
    info(`positions: ${devices} trackers × ${hours} h at 1 Hz; chunk interval ${shape.chunkInterval}, segment by ${shape.segmentBy}, order by ${shape.orderBy}`);

    const load = await loadPositions(client, fleet.next);
    await client.query('VACUUM ANALYZE positions');
    const rowstore = await sizeOf(client);

    // The windows the unflag measurements clear are marked first (not timed).
    for (const window of [...windows.uncompressed['unflag 1 h'], ...windows.uncompressed['unflag 24 h'], ...windows.compressed['unflag 1 h'], ...windows.compressed['unflag 24 h']]) {
      await flag(client, window, true);
    }
    await client.query('VACUUM ANALYZE positions');

    const timings = { uncompressed: await measure(client, windows.uncompressed), compressed: undefined as Timings | undefined };
    const readsBefore = await readDigests(client, windows.readSample);

    const converted = performance.now();
    const chunks = (await client.query<{ chunk: string }>(`SELECT show_chunks('positions')::text AS chunk`)).rows;
    for (const { chunk } of chunks) await client.query('CALL convert_to_columnstore($1::regclass)', [chunk]);
    const conversionSeconds = (performance.now() - converted) / 1000;
    await client.query('ANALYZE positions');
    const columnstore = await sizeOf(client);

    const readsAfter = await readDigests(client, windows.readSample);
    timings.compressed = await measure(client, windows.compressed);
    // The flags left chunks partly in the rowstore, which the statistics taken before them know nothing
    // of until the next (auto)ANALYZE.
    const latestReads = windows.compressed['read latest 60'];
    const partial = { stale: await timeLatest(client, latestReads), analyzed: [] as number[] };
    await client.query('ANALYZE positions');
    partial.analyzed = await timeLatest(client, latestReads);

    report(load, rowstore, columnstore, conversionSeconds, chunks.length, timings as Record<Phase, Timings>, readsBefore, readsAfter);
    info(
      `read latest 60 on chunks the flags left partly in the rowstore: p50 / p95 ${ms(percentile(partial.stale, 50))} / ${ms(percentile(partial.stale, 95))} ms ` +
        `before ANALYZE, ${ms(percentile(partial.analyzed, 50))} / ${ms(percentile(partial.analyzed, 95))} ms after`,
    );
    return 0;
  } finally {
    await client.end();
    await database.drop();
  }
}

// Each measurement gets windows of its own, so that every flag changes the same number of rows and
// every compressed one meets batches still compressed: 24-hour windows are whole device-days, 1-hour
// windows are every other hour of the device-days after them; processor's reads use the rest.
function planWindows(imeis: string[]) {
  const days = Math.floor(hours / 24);
  const deviceDays = Array.from({ length: devices * days }, (_, k) => ({ imei: imeis[k % devices]!, day: Math.floor(k / devices) }));
  // Two phases × flag and unflag, each its own windows.
  const slots = 4 * dayRuns;
  const hourDays = Math.ceil((4 * hourRuns) / 12);
  if (deviceDays.length < slots + hourDays + 1) {
    throw new Error(
      `BENCH_DEVICES × BENCH_HOURS / 24 = ${deviceDays.length} device-days; BENCH_DAY_RUNS=${dayRuns} and BENCH_HOUR_RUNS=${hourRuns} need ${slots + hourDays + 1}`,
    );
  }
  const dayWindow = ({ imei, day }: { imei: string; day: number }): Window => ({ imei, from: new Date(START + day * DAY), to: new Date(START + (day + 1) * DAY - 1000) });
  const hourWindows = deviceDays.slice(slots, slots + hourDays).flatMap(({ imei, day }) =>
    Array.from({ length: 12 }, (_, h): Window => ({ imei, from: new Date(START + day * DAY + 2 * h * HOUR), to: new Date(START + day * DAY + (2 * h + 1) * HOUR - 1000) })),
  );
  const readDays = deviceDays.slice(slots + hourDays);
  const reads = (index: number): { hour: Window; day: Window } => {
    const deviceDay = readDays[index % readDays.length]!;
    const day = dayWindow(deviceDay);
    const hour = new Date(day.from.getTime() + ((index * 7) % 24) * HOUR);
    return { day, hour: { imei: day.imei, from: hour, to: new Date(hour.getTime() + HOUR - 1000) } };
  };
  const phaseWindows = (offset: number): Record<Measure, Window[]> => {
    const pick = (list: Window[], count: number, kind: number) => Array.from({ length: count }, (_, i) => list[i * 4 + offset * 2 + kind]!);
    const days = deviceDays.slice(0, slots).map(dayWindow);
    return {
      'flag 1 h': pick(hourWindows, hourRuns, 0),
      'unflag 1 h': pick(hourWindows, hourRuns, 1),
      'flag 24 h': pick(days, dayRuns, 0),
      'unflag 24 h': pick(days, dayRuns, 1),
      'read 1 h': Array.from({ length: hourRuns }, (_, i) => reads(i).hour),
      'read 24 h': Array.from({ length: dayRuns }, (_, i) => reads(i).day),
      'read latest 60': Array.from({ length: hourRuns }, (_, i) => reads(i).day),
    };
  };
  const uncompressed = phaseWindows(0);
  return { uncompressed, compressed: phaseWindows(1), readSample: [...uncompressed['read 1 h'], ...uncompressed['read 24 h']] };
}

async function applyLayout(client: pg.Client): Promise<void> {
  if (layout.chunkInterval) await client.query(`SELECT set_chunk_time_interval('positions', $1::interval)`, [layout.chunkInterval]);
  const options = [
    layout.segmentBy !== undefined && `timescaledb.segmentby = ${literal(layout.segmentBy)}`,
    layout.orderBy !== undefined && `timescaledb.orderby = ${literal(layout.orderBy)}`,
  ].filter(Boolean);
  if (options.length > 0) await client.query(`ALTER TABLE positions SET (${options.join(', ')})`);
}

async function describeLayout(client: pg.Client): Promise<{ chunkInterval: string; segmentBy: string; orderBy: string }> {
  const { rows } = await client.query<{ chunk_interval: string; segment_by: string | null; order_by: string | null }>(
    `SELECT d.time_interval::text AS chunk_interval, s.segmentby AS segment_by, s.orderby AS order_by
       FROM timescaledb_information.dimensions d
       JOIN timescaledb_information.hypertable_columnstore_settings s ON s.hypertable = 'positions'::regclass
      WHERE d.hypertable_name = 'positions'`,
  );
  const row = rows[0]!;
  return { chunkInterval: row.chunk_interval, segmentBy: row.segment_by || '(none)', orderBy: row.order_by || '(none)' };
}

// Time-ordered, every tracker's position of each second in turn, as the stream delivers them; the next
// batch is generated while the previous one is written.
async function loadPositions(client: pg.Client, next: (ts: Date) => Position[]): Promise<{ rows: number; seconds: number }> {
  const started = performance.now();
  let batch: Position[] = [];
  let writing: Promise<number> = Promise.resolve(0);
  let rows = 0;
  for (let second = 0; second < hours * 3600; second += 1) {
    batch.push(...next(new Date(START + second * 1000)));
    if (batch.length >= batchRows) {
      rows += await writing;
      writing = insertPositions(client, batch);
      batch = [];
    }
  }
  rows += await writing;
  if (batch.length > 0) rows += await insertPositions(client, batch);
  return { rows, seconds: (performance.now() - started) / 1000 };
}

interface Size {
  table: number;
  indexes: number;
  toast: number;
  total: number;
}

async function sizeOf(client: pg.Client): Promise<Size> {
  const { rows } = await client.query<Record<'table_bytes' | 'index_bytes' | 'toast_bytes' | 'total_bytes', string>>(`SELECT * FROM hypertable_detailed_size('positions')`);
  const row = rows[0]!;
  return { table: Number(row.table_bytes), indexes: Number(row.index_bytes), toast: Number(row.toast_bytes), total: Number(row.total_bytes) };
}

// The endpoint's transaction, minus its audit and outbox rows, whose cost does not depend on storage.
async function flag(client: pg.Client, window: Window, faulty: boolean): Promise<number> {
  await client.query('BEGIN');
  try {
    const changed = await setFaulty(async (sql, bindings) => (await client.query(numbered(sql), bindings)).rowCount ?? 0, { ...window, faulty } satisfies FaultyWindow);
    await client.query('COMMIT');
    return changed;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

type Timings = Record<Measure, { ms: number[]; rows: number[] }>;

async function measure(client: pg.Client, windows: Record<Measure, Window[]>): Promise<Timings> {
  const timings = Object.fromEntries(MEASURES.map((name) => [name, { ms: [] as number[], rows: [] as number[] }])) as Timings;
  for (const name of MEASURES) {
    for (const window of windows[name]) {
      const started = performance.now();
      const rows = name === 'read latest 60' ? (await latest(client, window.imei)).length
        : name.startsWith('read') ? (await read(client, window)).length
        : await flag(client, window, name.startsWith('flag'));
      timings[name].ms.push(performance.now() - started);
      timings[name].rows.push(rows);
    }
  }
  return timings;
}

async function timeLatest(client: pg.Client, windows: Window[]): Promise<number[]> {
  const times: number[] = [];
  for (const window of windows) {
    const started = performance.now();
    await latest(client, window.imei);
    times.push(performance.now() - started);
  }
  return times;
}

const read = (client: pg.Client, window: Window) => asText(client, WINDOW_READ, [window.imei, window.from, window.to]);
const latest = (client: pg.Client, imei: string) => asText(client, LATEST_READ, [imei, LATEST]);

// Rows as text, as they come off the wire: the figure is the database's, not JSON parsing in Node.
async function asText(client: pg.Client, text: string, values: unknown[]): Promise<string[][]> {
  return (await client.query<string[]>({ text, values, rowMode: 'array', types: { getTypeParser: () => (value: string) => value } })).rows;
}

async function readDigests(client: pg.Client, windows: Window[]): Promise<string[]> {
  const digests: string[] = [];
  for (const window of windows) digests.push(createHash('sha256').update(JSON.stringify(await read(client, window))).digest('hex'));
  return digests;
}

function report(
  load: { rows: number; seconds: number },
  rowstore: Size,
  columnstore: Size,
  conversionSeconds: number,
  chunks: number,
  timings: Record<Phase, Timings>,
  readsBefore: string[],
  readsAfter: string[],
): void {
  const perRow = (bytes: number) => bytes / load.rows;
  const size = (label: string, { table, indexes, toast, total }: Size) =>
    info(
      `size ${label}: ${mb(total)} MB = ${perRow(total).toFixed(1)} B/row = ${((perRow(total) * 3600) / 1024).toFixed(1)} KiB per device-hour ` +
        `(table ${mb(table)} MB, indexes ${mb(indexes)} MB, TOAST ${mb(toast)} MB)`,
    );
  const ratio = rowstore.total / columnstore.total;
  info(`load: ${grouped(load.rows)} rows in ${load.seconds.toFixed(1)} s = ${grouped(Math.round(load.rows / load.seconds))} rows/s (multi-row INSERT of ${batchRows} rows, one connection)`);
  size('uncompressed', rowstore);
  size('compressed  ', columnstore);
  info(`compression ratio: ${ratio.toFixed(1)}x (target >= 10x); ${chunks} chunks converted in ${conversionSeconds.toFixed(1)} s`);
  info(`p50 / p95 in ms (rows per run; runs: 24 h ${dayRuns}, the others ${hourRuns})  uncompressed        compressed          compressed / uncompressed`);
  const ratios: number[] = [];
  for (const name of MEASURES) {
    const [before, after] = [timings.uncompressed[name], timings.compressed[name]];
    const [b50, b95, a50, a95] = [percentile(before.ms, 50), percentile(before.ms, 95), percentile(after.ms, 50), percentile(after.ms, 95)];
    ratios.push(a50 / b50, a95 / b95);
    const rows = [...new Set([...before.rows, ...after.rows])].join('/');
    info(`  ${`${name} (${rows})`.padEnd(45)} ${ms(b50)} / ${ms(b95)}   ${ms(a50)} / ${ms(a95)}   ${(a50 / b50).toFixed(2)}x, ${(a95 / b95).toFixed(2)}x`);
  }
  const same = readsBefore.every((digest, i) => digest === readsAfter[i]);
  info(`processor's reads of ${readsBefore.length} windows return the same rows before and after compression: ${same ? 'yes' : 'NO'}`);
  info(`targets: ratio >= 10x ${ratio >= 10 ? 'met' : 'NOT met'}; every compressed p50 and p95 <= 2x uncompressed ${ratios.every((r) => r <= 2) ? 'met' : 'NOT met'}`);
}

const numbered = (sql: string) => {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
};
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
const grouped = (n: number) => n.toLocaleString('en-US');
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const ms = (value: number) => value.toFixed(1).padStart(7);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function whole(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, got "${raw}"`);
  return value;
}

process.exitCode = await main();
