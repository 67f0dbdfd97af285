import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { inject } from 'vitest';
import { importFromDirectus } from '../../scripts/lib/directus-install.ts';
import { dbEnv } from '../../scripts/lib/throwaway-database.ts';
import { run } from './run.ts';
import { withClient } from './with-client.ts';

// A fresh boot (Directus's migrations, the full schema and config apply) costs about ten seconds, and
// most describe blocks need a booted database only to test what comes after the boot. They get a copy
// (CREATE DATABASE … TEMPLATE) of one database that this run booted from the committed files through
// `./entrypoint.sh dry-run`, the first time a test file asks for it. The boot itself is tested on
// fresh databases (boot.test.ts, ci-gate.test.ts).
export const templateName = () => `trm_template_${randomBytes(4).toString('hex')}`;

const templateSecrets = {
  KEY: 'template-key-0123456789abcdef0123456789',
  SECRET: 'template-secret-0123456789abcdef0123456789',
  ADMIN_EMAIL: 'template-admin@example.com',
  ADMIN_PASSWORD: randomBytes(16).toString('hex'),
};

let ready: Promise<string> | undefined;

// The template's name once it is booted. Test files run in parallel workers: one boots it under an
// advisory lock, the others wait and find it marked as a template (which it is only once booted).
export function bootedTemplate(): Promise<string> {
  ready ??= withClient(inject('pgUrl'), async (client) => {
    const name = inject('bootedTemplate');
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    try {
      const { rows } = await client.query<{ datistemplate: boolean }>('SELECT datistemplate FROM pg_database WHERE datname = $1', [name]);
      if (rows[0]?.datistemplate) return name;
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${name}`);
      const boot = await run('./entrypoint.sh', ['dry-run'], { ...dbEnv(inject('pgUrl'), name), ...templateSecrets });
      if (boot.code !== 0) throw new Error(`booting the template database ${name} failed (exit ${boot.code}):\n${boot.output}`);
      // Copying needs a database nobody is connected to: no new connections, and TimescaleDB's job
      // scheduler (a background worker connected to every database with the extension) ended.
      await client.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      await endConnections(client, name);
      return name;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    }
  });
  return ready;
}

async function endConnections(client: pg.Client, database: string): Promise<void> {
  const connected = 'SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()';
  for (let attempt = 0; (await client.query(connected, [database])).rowCount !== 0; attempt += 1) {
    if (attempt === 100) throw new Error(`connections to ${database} did not end within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// The first admin as `directus bootstrap` would have created it from the test's ADMIN_EMAIL and
// ADMIN_PASSWORD: the template's admin, given them (hashed by Directus's own argon2).
export async function setFirstAdmin(client: pg.Client, email: string, password: string): Promise<void> {
  const argon2 = await importFromDirectus<{ hash: (plain: string) => Promise<string> }>('argon2');
  const { rowCount } = await client.query('UPDATE directus_users SET email = $1, password = $2 WHERE email = $3', [
    email,
    await argon2.hash(password),
    templateSecrets.ADMIN_EMAIL,
  ]);
  if (rowCount !== 1) throw new Error(`the template database holds ${rowCount} first admins instead of 1`);
}

export async function dropTemplate(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, async (client) => {
    const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rows.length === 0) return;
    await client.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE false`);
    await client.query(`DROP DATABASE ${name}`);
  });
}
