import pg from 'pg';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../lib/throwaway-database.ts';

const ATTEMPTS = 50;

// A throwaway copy of an existing database on the same server (CREATE DATABASE … TEMPLATE), for the
// rehearsal to upgrade while the source stays as it is. PostgreSQL copies only a database nobody is
// connected to, and TimescaleDB's job scheduler is connected to every database with the extension:
// it is ended just before the copy (its launcher starts it again), and again if it came back first.
// Anyone else connected stops the copy, named.
export async function copyOfDatabase(serverUrl: string, source: string): Promise<ThrowawayDatabase> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    for (let attempt = 1; ; attempt += 1) {
      const { rows } = await client.query<{ who: string; scheduler: boolean }>(
        `SELECT backend_type = 'TimescaleDB Background Worker Scheduler' AS scheduler,
                format('%s (%s, %s)', coalesce(nullif(application_name, ''), backend_type), usename, coalesce(client_addr::text, 'local')) AS who
           FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [source],
      );
      const others = rows.filter((row) => !row.scheduler).map((row) => row.who);
      if (others.length > 0) throw new Error(`${source} has other sessions, and PostgreSQL copies only a database nobody is connected to: ${others.join(', ')}`);
      await client.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'TimescaleDB Background Worker Scheduler'`,
        [source],
      );
      try {
        return await createThrowawayDatabase(serverUrl, 'trm_rehearsal', source);
      } catch (err) {
        // 55006: the source is being accessed by other users (the scheduler was back first).
        if ((err as { code?: string }).code !== '55006' || attempt === ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await client.end();
  }
}
