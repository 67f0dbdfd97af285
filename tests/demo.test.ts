import { describe, expect, it } from 'vitest';
import { loadDemo } from '../scripts/demo/load.ts';
import { DEMO_PASSWORD, demoId, demoSample } from '../scripts/demo/sample.ts';
import { useBootedDatabase, withClient, type TestDatabase } from './support/databases.ts';
import { bootFully, login, restClient } from './support/directus.ts';
import { node } from './support/run.ts';

const secrets = { KEY: 'demo-key-0123456789abcdef0123', SECRET: 'demo-secret-0123456789abcdef01', ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'demo-admin-password' };

// Every table of the database, as a row count and an order-independent hash of its rows. Left out:
// the audit log, where Directus records the demo users' logins (removal does not rewrite it), and
// boot_state, which the server's own boot in the middle of the test records.
async function fingerprint(db: TestDatabase): Promise<Record<string, string>> {
  const tables = await db.query<{ name: string }>(
    `SELECT format('%I', table_name) AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('directus_activity', 'boot_state') ORDER BY 1`,
  );
  const sums = await Promise.all(tables.map(async ({ name }) => {
    const [row] = await db.query<{ n: string; h: string | null }>(`SELECT count(*)::text AS n, sum(hashtext(t::text)::bigint)::text AS h FROM ${name} t`);
    return [name, `${row!.n}:${row!.h}`] as const;
  }));
  return Object.fromEntries(sums);
}

// Someone else's rows: an organization with a tracker whose fixes lie in the demo's window.
async function someoneElses(db: TestDatabase): Promise<void> {
  await db.query(`INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), 'Other club', 'other-club')`);
  await db.query(`INSERT INTO devices (id, imei, model) VALUES (gen_random_uuid(), '356307042441013', 'Teltonika FMB920')`);
  await db.query(
    `INSERT INTO positions (device_id, ts, latitude, longitude)
     SELECT '356307042441013', timestamptz '2026-06-08 07:00:00+00' + make_interval(secs => s), 41.3, 19.8 FROM generate_series(0, 599) AS s`,
  );
}

const demo = (db: TestDatabase, args: string[] = []) => node('scripts/demo.ts', args, { ...db.env });

describe('pnpm run demo', () => {
  const booted = useBootedDatabase(secrets);

  it('loads the sample, changes nothing the second time, serves it to its users, and --remove leaves the database as it was', async () => {
    const { db, env } = booted();
    await someoneElses(db);
    const before = await fingerprint(db);

    const first = await demo(db);
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toMatch(/added to .*: 2 organizations, 58 directus_users, 58 organization_users, 2 events, 5 classes, 30 vehicles, 30 organization_vehicles, 33 devices, 34 organization_devices, 30 entries, 46 entry_crew, 30 entry_devices, 8 commands, \d+ positions/);
    expect(first.stdout).toContain(`log in with password ${DEMO_PASSWORD} as any of:`);
    const loaded = await fingerprint(db);
    const [positions] = await db.query<{ trackers: number; per_tracker: number; bad: number; hours: number }>(
      `SELECT count(DISTINCT device_id)::int AS trackers, (count(*) / count(DISTINCT device_id))::int AS per_tracker,
              count(*) FILTER (WHERE satellites = 0 AND latitude = 0)::int AS bad,
              max(extract(epoch FROM last - first) / 3600)::int AS hours
         FROM (SELECT device_id, satellites, latitude, min(ts) OVER w AS first, max(ts) OVER w AS last FROM positions
                WHERE device_id LIKE '3500000%' WINDOW w AS (PARTITION BY device_id)) p`,
    );
    // 30 trackers at 1 Hz for a few hours each, each with its cold-start fix at 0°/0°.
    expect(positions).toMatchObject({ trackers: 30, bad: 30 });
    expect(positions!.per_tracker).toBeGreaterThan(3 * 3600);
    expect(await db.query(`SELECT count(*)::int AS n FROM organization_devices WHERE device_id = $1`, [demoId('device:1')])).toEqual([{ n: 2 }]);
    expect(await db.query(`SELECT status, count(*)::int AS n FROM commands GROUP BY 1 ORDER BY 1`)).toEqual([
      { status: 'acknowledged', n: 3 }, { status: 'expired', n: 1 }, { status: 'failed', n: 2 }, { status: 'sent', n: 2 },
    ]);

    const second = await demo(db);
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toContain('already holds the whole demo sample: nothing added');
    expect(await fingerprint(db)).toEqual(loaded);

    // Through Directus, as the demo's people: the tenant scope shows each their organization's rows.
    const server = await bootFully(env);
    try {
      const asDirector = restClient(server.baseUrl, await login(server.baseUrl, 'elira.shehu@demo.example.com', DEMO_PASSWORD));
      const entries = await asDirector<Array<{ race_number: string }>>('GET', '/items/entries?limit=-1&fields=race_number');
      expect(entries.status).toBe(200);
      expect(entries.body!.data!).toHaveLength(30);
      const asViewerB = restClient(server.baseUrl, await login(server.baseUrl, 'sara.juric@demo.example.com', DEMO_PASSWORD));
      const devices = await asViewerB<Array<{ imei: string }>>('GET', '/items/devices?limit=-1&fields=imei&sort=imei');
      expect(devices.body!.data!.map((d) => d.imei)).toEqual(['350000000000001', '350000000000041', '350000000000042', '350000000000043']);
      expect((await asViewerB<unknown[]>('GET', '/items/entries?limit=-1')).body!.data!).toEqual([]);
    } finally {
      server.child.kill('SIGTERM');
      await server.finished;
    }

    const removed = await demo(db, ['--remove']);
    expect(removed.code, removed.output).toBe(0);
    expect(removed.stdout).toMatch(/removed from .*: \d+ positions, 8 commands, .* 58 directus_users, 2 organizations/);
    expect(await fingerprint(db)).toEqual(before);
    const again = await demo(db, ['--remove']);
    expect(again.stdout).toContain('holds no demo rows');
  });

  it('refuses a database where a row of someone else\'s holds a demo e-mail, and loads nothing', async () => {
    const { db } = booted();
    await db.query(`INSERT INTO directus_users (id, email) VALUES (gen_random_uuid(), 'teuta.leka@demo.example.com')`);
    const before = await fingerprint(db);
    const result = await demo(db);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('directus_users: a row that is not the demo\'s already holds (email)=(teuta.leka@demo.example.com) (directus_users_email_unique); nothing was changed');
    expect(await fingerprint(db)).toEqual(before);
    await db.query(`DELETE FROM directus_users WHERE email = 'teuta.leka@demo.example.com'`);
  });
});

// commands.organization_id is the organization on whose behalf a command was sent (docs/security.md);
// the demo fills it.
describe('the demo module and commands.organization_id', () => {
  const booted = useBootedDatabase(secrets);

  it('sets it for every command, and loads at a lower rate when a benchmark or test asks', async () => {
    const { db } = booted();
    const counts = await withClient(db.url, (client) => loadDemo(client, demoSample({ interval: 10 })));
    expect(counts['commands']).toBe(8);
    expect(await db.query(`SELECT organization_id, count(*)::int AS n FROM commands GROUP BY 1 ORDER BY 2`)).toEqual([
      { organization_id: demoId('organization:demo-adriatic-timing'), n: 1 },
      { organization_id: demoId('organization:demo-dune-rally-club'), n: 7 },
    ]);
    expect(counts['positions']).toBeLessThan(50_000);
  });
});
