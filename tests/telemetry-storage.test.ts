import { describe, expect, it } from 'vitest';
import { insertPositions } from '../scripts/telemetry/insert-positions.ts';
import { WINDOW_READ } from '../scripts/telemetry/processor-reads.ts';
import { useBootedDatabase, withClient, type TestDatabase } from './support/databases.ts';
import { usePlatform } from './support/platform.ts';
import { run } from './support/run.ts';
import { committedSqlFiles } from './support/sql-folder.ts';

// positions on real TimescaleDB chunks: the columnstore and the policies the boot sets from the
// environment, and flagging and processor's reads on uncompressed and on compressed chunks.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const sqlFiles = `db-init/: applied 0 files, ${(await committedSqlFiles('db-init')).length} already applied`;

interface Job {
  job_id: number;
  proc_name: string;
  after: string;
}

const jobs = (db: TestDatabase) =>
  db.query<Job>(
    `SELECT job_id, proc_name, coalesce(config->>'compress_after', config->>'drop_after') AS after
       FROM timescaledb_information.jobs WHERE hypertable_name = 'positions' ORDER BY proc_name`,
  );

const chunksOf = (db: TestDatabase) =>
  db.query<{ range_start: Date; is_compressed: boolean }>(
    `SELECT range_start, is_compressed FROM timescaledb_information.chunks WHERE hypertable_name = 'positions' ORDER BY range_start`,
  );

// What TimescaleDB's job scheduler does when a policy's time comes, done now.
const runJob = (db: TestDatabase, job: Job) => db.query('CALL run_job($1)', [job.job_id]);

describe('positions storage: the columnstore from db-init, its policies from the environment', () => {
  const booted = useBootedDatabase({ KEY: 'storage-key-0123456789abcdef', SECRET: 'storage-secret-0123456789abcdef', ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'storage-password' });
  const boot = (settings: Record<string, string> = {}) => run('./entrypoint.sh', ['dry-run'], { ...booted().env, ...settings });
  const stepOne = (output: string) => /step 1\/5 db-init \(pre-schema SQL\): (.*) \(\d+\.\d\d s\)/.exec(output)?.[1];

  it('segments the columnstore by device and orders it by time; by default chunks are compressed after 2 days and nothing is dropped', async () => {
    const db = booted().db;
    expect(await db.query(`SELECT segmentby, orderby FROM timescaledb_information.hypertable_columnstore_settings WHERE hypertable = 'positions'::regclass`)).toEqual([
      { segmentby: 'device_id', orderby: 'ts DESC' },
    ]);
    expect(await jobs(db)).toEqual([{ job_id: expect.any(Number), proc_name: 'policy_compression', after: '2 days' }]);
  });

  it('a boot with the same settings changes no policy and says so', async () => {
    const before = await jobs(booted().db);
    const result = await boot();
    expect(result.code, result.output).toBe(0);
    expect(stepOne(result.stdout)).toBe(`${sqlFiles}; positions storage unchanged: compression after 2 days, retention off`);
    expect(await jobs(booted().db)).toEqual(before);
  });

  it('changed settings replace the policies, and they do what they say: chunks past POSITIONS_COMPRESS_AFTER are compressed, past POSITIONS_DROP_AFTER dropped', async () => {
    const db = booted().db;
    const now = Date.now();
    // Three chunks: 400 days old, 10 days old, and today's.
    for (const age of [400 * DAY, 10 * DAY, 0]) {
      await db.query(`INSERT INTO positions (device_id, ts, latitude, longitude) VALUES ('356307042441013', $1, 45.1, 7.6)`, [iso(now - age)]);
    }
    const changed = await boot({ POSITIONS_COMPRESS_AFTER: '7 days', POSITIONS_DROP_AFTER: '1 year' });
    expect(changed.code, changed.output).toBe(0);
    expect(stepOne(changed.stdout)).toBe(
      `${sqlFiles}; positions storage set: compression after 7 days (was after 2 days), retention after 1 year (policy added)`,
    );
    expect(changed.stderr).toContain('WARN POSITIONS_DROP_AFTER=1 year: the retention policy\'s next run (daily) drops the 1 positions chunk(s) older than that now');
    const [compression, retention] = await jobs(db);
    expect([compression, retention]).toEqual([
      { job_id: expect.any(Number), proc_name: 'policy_compression', after: '7 days' },
      { job_id: expect.any(Number), proc_name: 'policy_retention', after: '1 year' },
    ]);

    const again = await boot({ POSITIONS_COMPRESS_AFTER: '1 week', POSITIONS_DROP_AFTER: '12 months' });
    expect(stepOne(again.stdout)).toBe(`${sqlFiles}; positions storage unchanged: compression after 1 week, retention after 12 months`);
    expect(await jobs(db)).toEqual([compression, retention]);

    await runJob(db, compression!);
    await runJob(db, retention!);
    expect((await chunksOf(db)).map((chunk) => chunk.is_compressed)).toEqual([true, false]);
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM positions'))[0]!.n).toBe(2);
  });

  it('back to the defaults: the retention policy is removed, the compression policy set to 2 days again', async () => {
    const result = await boot();
    expect(stepOne(result.stdout)).toBe(
      `${sqlFiles}; positions storage set: compression after 2 days (was after 7 days), retention off (was after 1 year, policy removed)`,
    );
    expect(await jobs(booted().db)).toEqual([{ job_id: expect.any(Number), proc_name: 'policy_compression', after: '2 days' }]);
  });

  it('refuses settings it cannot read, or a retention shorter than compression, before it touches the database', async () => {
    const before = await jobs(booted().db);
    for (const [settings, message] of [
      [{ POSITIONS_COMPRESS_AFTER: 'soon' }, 'POSITIONS_COMPRESS_AFTER="soon" is not a duration: use a whole number of hours, days, weeks, months or years ("2 days", "12 hours", "1 year"), or off'],
      [{ POSITIONS_DROP_AFTER: '0 days' }, 'POSITIONS_DROP_AFTER="0 days" is not a duration'],
      [{ POSITIONS_DROP_AFTER: '36 hours' }, 'POSITIONS_DROP_AFTER (36 hours) must be longer than POSITIONS_COMPRESS_AFTER (2 days): positions would be dropped before they are compressed'],
    ] as const) {
      const result = await boot(settings);
      expect(result.code, JSON.stringify(settings)).toBe(1);
      expect(result.stderr).toContain(`ERROR refusing to boot: ${message}`);
      expect(result.stdout).not.toContain('step 1/5');
    }
    expect(await jobs(booted().db)).toEqual(before);
  });

  it('POSITIONS_COMPRESS_AFTER=off removes the compression policy; compressed chunks stay readable', async () => {
    const result = await boot({ POSITIONS_COMPRESS_AFTER: 'off' });
    expect(stepOne(result.stdout)).toBe(`${sqlFiles}; positions storage set: compression off (was after 2 days, policy removed), retention off`);
    expect(await jobs(booted().db)).toEqual([]);
    expect((await booted().db.query<{ n: number }>('SELECT count(*)::int AS n FROM positions WHERE faulty = false'))[0]!.n).toBe(2);
  });
});

// A busy tracker: one position every half second, 172 800 in a day, more than TimescaleDB lets one
// transaction decompress by default (timescaledb.max_tuples_decompressed_per_dml_transaction, 100 000).
const BUSY_DAY_ROWS = 172_800;

describe('flagging and processor’s reads on real chunks, uncompressed and compressed', () => {
  const platform = usePlatform('storage');
  const flag = (body: Record<string, unknown>) => platform().asAdmin<Record<string, unknown>>('POST', '/positions/faulty', body);
  // Processor's windowed read, rows as it receives them.
  const read = async (imei: string, from: number, to: number) =>
    (await platform().db.query(WINDOW_READ, [imei, iso(from), iso(to)])).map((row) => JSON.stringify(row));
  const seed = (imei: string, day: number, everyMs: number, count: number) =>
    platform().db.query(
      `INSERT INTO positions (device_id, ts, latitude, longitude, altitude, angle, speed, satellites, attributes)
       SELECT $1, $2::timestamptz + make_interval(secs => i * $3 / 1000.0), 45 + i / 1e6, 7 + i / 2e6, 600 + i % 50, i % 360, i % 120, 9, jsonb_build_object('239', 1, '66', 13800 + i % 200)
         FROM generate_series(0, $4 - 1) i`,
      [imei, iso(day), everyMs, count],
    );
  const compressDay = async (day: number) => {
    const db = platform().db;
    const chunks = await db.query<{ chunk: string }>(`SELECT show_chunks('positions', newer_than => $1::timestamptz, older_than => $2::timestamptz)::text AS chunk`, [iso(day), iso(day + DAY)]);
    expect(chunks).toHaveLength(1);
    const chunk = chunks[0]!.chunk;
    await db.query('CALL convert_to_columnstore($1::regclass)', [chunk]);
    const [state] = await db.query<{ status: string[] }>('SELECT _timescaledb_functions.chunk_status_text($1::regclass) AS status', [chunk]);
    return state!.status;
  };

  // Future days: no policy of the boot's touches them during the test.
  for (const [storage, day] of [['uncompressed', Date.parse('2027-06-05T00:00:00Z')], ['compressed', Date.parse('2027-06-12T00:00:00Z')]] as const) {
    it(`${storage}: a day of ${BUSY_DAY_ROWS} positions is flagged whole and unflagged by the hour, exactly; processor's reads follow, and compression changes none of them`, async () => {
      const { A, B } = platform();
      await seed(A.imei, day, 500, BUSY_DAY_ROWS);
      await seed(B.imei, day, 1000, 86_400);
      const dayOf = (imei: string) => read(imei, day, day + DAY);
      const before = { A: await dayOf(A.imei), B: await dayOf(B.imei) };
      expect([before.A.length, before.B.length]).toEqual([BUSY_DAY_ROWS, 86_400]);
      if (storage === 'compressed') {
        expect(await compressDay(day)).toEqual(['COMPRESSED']);
        expect({ A: await dayOf(A.imei), B: await dayOf(B.imei) }).toEqual(before);
      }

      const whole = await flag({ device_id: A.device, from: iso(day), to: iso(day + DAY), faulty: true, reason: 'tracker mounted loose all day' });
      expect(whole.status, JSON.stringify(whole.body)).toBe(200);
      expect(whole.body!.data!['rows_changed']).toBe(BUSY_DAY_ROWS);
      expect(await dayOf(A.imei)).toEqual([]);
      expect(await dayOf(B.imei)).toEqual(before.B);

      const hour = { from: day + 10 * HOUR, to: day + 11 * HOUR - 500 };
      const back = await flag({ device_id: A.device, from: iso(hour.from), to: iso(hour.to), faulty: false, reason: 'that hour was good' });
      expect(back.body!.data!['rows_changed']).toBe(7_200);
      const hourOf = (rows: string[]) => rows.filter((row) => {
        const ts = Date.parse(JSON.parse(row).ts);
        return ts >= hour.from && ts <= hour.to;
      });
      expect(await dayOf(A.imei)).toEqual(hourOf(before.A));
      expect(await read(A.imei, hour.from, hour.to)).toEqual(hourOf(before.A));

      if (storage === 'compressed') {
        // The flag left the chunk partly in the rowstore; the policy's next run compresses it again.
        expect(await compressDay(day)).toEqual(['COMPRESSED']);
        expect(await dayOf(A.imei)).toEqual(hourOf(before.A));
        expect(await dayOf(B.imei)).toEqual(before.B);
      }
    });
  }

  it('processor’s writes into a compressed chunk: a late position lands, a re-sent one is dropped', async () => {
    const { A } = platform();
    const day = Date.parse('2027-06-12T00:00:00Z');
    // Within the hour the compressed test left unflagged.
    const at = day + 10 * HOUR;
    const position = (ms: number) => ({ device_id: A.imei, ts: iso(ms), latitude: 45, longitude: 7, altitude: 600, angle: 0, speed: 0, satellites: 9, priority: 0, attributes: {} });
    expect((await platform().db.query(`SELECT is_compressed FROM timescaledb_information.chunks WHERE hypertable_name = 'positions' AND range_start = $1`, [iso(day)]))).toEqual([{ is_compressed: true }]);
    const written = await withClient(platform().db.url, (client) => insertPositions(client, [position(at + 1000), position(at + 1250)]));
    expect(written).toBe(1);
    expect((await read(A.imei, at + 1000, at + 1500)).map((row) => JSON.parse(row).ts)).toEqual([iso(at + 1000), iso(at + 1250), iso(at + 1500)]);
  });
});
