import pg from 'pg';
import { call, login } from './api-calls.ts';

export const TIMEKEEPER = { email: 'timekeeper@example.com', password: 'bench-api-timekeeper' };

// Two organizations, straight into the tables (the owner is not narrowed): Alpha is measured, Bravo
// is there so that the database has something to keep out.
export async function seedApiBench(databaseUrl: string, baseUrl: string, admin: { email: string; password: string }, entriesPerEvent: number): Promise<{ event: string; entries: string[] }> {
  const adminToken = await login(baseUrl, admin);
  const roles = (await (await call(baseUrl, adminToken, 'GET', '/roles?limit=-1')).json()) as { data: Array<{ id: string; name: string }> };
  const timekeeperRole = roles.data.find((r) => r.name === 'Timekeeper')!.id;
  const created = (await (await call(baseUrl, adminToken, 'POST', '/users', { ...TIMEKEEPER, role: timekeeperRole })).json()) as { data: { id: string } };
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

