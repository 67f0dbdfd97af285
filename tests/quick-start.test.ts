import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dbEnv } from '../scripts/lib/throwaway-database.ts';
import { withClient } from './support/databases.ts';
import { repoDir, run } from './support/run.ts';

// The README's native path, as a newcomer runs it: its psql line, as written but for the names (a test
// may not take the cluster's `directus`), then a boot as that role. Step 4 needs the role to create,
// or join, trm_person, which other databases of the cluster may have made already.
describe("the README's native quick start", () => {
  const suffix = randomBytes(4).toString('hex');
  const role = `trm_readme_${suffix}`;
  const database = `trm_readme_${suffix}`;
  const server = new URL(inject('pgUrl'));

  afterAll(async () => {
    await withClient(inject('pgUrl'), async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.query(`DROP ROLE IF EXISTS ${role}`);
    });
  });

  it('its psql line makes a role and database that boot through steps 1–4', async () => {
    const readme = await readFile(path.join(repoDir, 'README.md'), 'utf8');
    const line = readme.split('\n').find((text) => text.startsWith('psql ') && text.includes('CREATE ROLE directus'));
    expect(line, 'the README has the psql line that creates the role').toBeDefined();
    const password = /PASSWORD '([^']+)'/.exec(line!)![1]!;
    const command = line!
      .replace('-h 127.0.0.1', `-h ${server.hostname} -p ${server.port || '5432'}`)
      .replace('-U postgres', `-U ${decodeURIComponent(server.username) || 'postgres'}`)
      .replace(/\bdirectus\b/g, (_, offset: number, text: string) => (text.slice(0, offset).endsWith('DATABASE ') ? database : role));
    const created = await run('bash', ['-c', command], { PGPASSWORD: decodeURIComponent(server.password) });
    expect(created.code, created.output).toBe(0);
    const booted = await run('./entrypoint.sh', ['dry-run'], {
      ...dbEnv(inject('pgUrl'), database),
      DB_USER: role,
      DB_PASSWORD: password,
      KEY: 'readme-key-0123456789abcdef',
      SECRET: 'readme-secret-0123456789abcdef',
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: 'readme-password',
    });
    expect(booted.code, booted.output).toBe(0);
    expect(booted.stdout).toContain('step 4/5 db-init-post (post-schema SQL): db-init-post/: applied 14 files');
  });
});
