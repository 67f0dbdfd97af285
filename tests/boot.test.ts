import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownedTables } from '../scripts/lib/owned-tables.ts';
import { answersPing } from '../scripts/lib/ping.ts';
import { createDatabase, useBootedDatabase, useDatabase, withClient, type TestDatabase } from './support/databases.ts';
import { bootFully, login } from './support/directus.ts';
import { processGroupMembers, repoDir, run } from './support/run.ts';
import { committedSqlFiles, sqlFolder } from './support/sql-folder.ts';

const PRE = await committedSqlFiles('db-init');
const POST = await committedSqlFiles('db-init-post');

// Enough for Directus to bootstrap; these tests never log in.
const directusSecrets = { KEY: 'k', SECRET: 's', ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'p' };

// One fresh database taken through the pipeline in order, as a first deploy and its restarts would.
describe('the five-step boot on a fresh database', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const admin = { email: 'admin@example.com', password: 'first-deploy-password' };

  beforeAll(async () => {
    db = await createDatabase();
    const secrets = await mkdtemp(path.join(tmpdir(), 'trm-secrets-'));
    await writeFile(path.join(secrets, 'admin_password'), admin.password);
    env = {
      ...db.env,
      KEY: 'test-key-0123456789abcdef0123456789',
      SECRET: 'test-secret-0123456789abcdef0123456789',
      ADMIN_EMAIL: admin.email,
      // Read through entrypoint.sh's *_FILE support: the login below proves it was.
      ADMIN_PASSWORD_FILE: path.join(secrets, 'admin_password'),
    };
  });
  afterAll(async () => {
    await db.drop();
  });

  const dryRun = (extra: Record<string, string> = {}) => run('./entrypoint.sh', ['dry-run'], { ...env, ...extra });
  const guardRows = () => db.query('SELECT folder, filename, checksum, applied_at FROM migrations_applied ORDER BY filename');

  it('dry-run runs steps 1–4, one timed line each, and exits 0', async () => {
    const result = await dryRun();
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`step 1/5 db-init \\(pre-schema SQL\\): db-init/: applied ${PRE.length} files, 0 already applied; positions storage set: compression after 2 days \\(policy added\\), retention off \\(\\d+\\.\\d\\d s\\)`),
    );
    expect(result.stdout).toMatch(/step 2\/5 directus bootstrap: installed Directus 12\.4\.0 system tables and the first admin \(\d+\.\d\d s\)/);
    expect(result.stdout).toMatch(/step 3\/5 directus schema apply: schema\.yaml: applied 134 changes \(134 created\); config\.yaml: applied \d+ changes \(\d+ created, 1 changed\) \(\d+\.\d\d s\)/);
    expect(result.stdout).toContain(`step 4/5 db-init-post (post-schema SQL): db-init-post/: applied ${POST.length} files, 0 already applied`);
    expect(result.stdout).toContain('dry run: steps 1–4 succeeded');
    expect(result.stdout).not.toContain('step 5/5');
    expect(result.output).not.toContain('ERROR');
    const guard = await guardRows();
    expect(guard.filter((row) => row['folder'] === 'db-init').map((row) => row['filename'])).toEqual(PRE);
    expect(guard.filter((row) => row['folder'] === 'db-init-post').map((row) => row['filename'])).toEqual(POST);
    const [faulty] = await db.query(
      `SELECT is_nullable, column_default FROM information_schema.columns
        WHERE table_name = 'positions' AND column_name = 'faulty'`,
    );
    expect(faulty).toEqual({ is_nullable: 'NO', column_default: 'false' });
    const collections = await db.query("SELECT collection FROM directus_collections WHERE collection NOT LIKE 'directus_%' ORDER BY 1");
    expect(collections).toHaveLength(12);
  });

  it('a second dry-run applies no SQL file again and skips the Directus commands that would change nothing', async () => {
    const before = await guardRows();
    const result = await dryRun();
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`db-init/: applied 0 files, ${PRE.length} already applied; positions storage unchanged: compression after 2 days, retention off`);
    expect(result.stdout).toContain('step 2/5 directus bootstrap: skipped');
    expect(result.stdout).toContain('step 3/5 directus schema apply: skipped');
    expect(await guardRows()).toEqual(before);
    // What was applied, readable by an operator: the committed snapshot's sha256 and the Directus version.
    const sha256 = createHash('sha256').update(await readFile(path.join(repoDir, 'snapshots', 'schema.yaml'))).digest('hex');
    expect(result.stdout).toContain(`skipped: schema.yaml (sha256 ${sha256.slice(0, 12)}) already applied with Directus 12.4.0`);
    expect(await db.query('SELECT key, directus_version, snapshot_sha256 FROM boot_state ORDER BY key')).toEqual([
      { key: 'bootstrap', directus_version: '12.4.0', snapshot_sha256: null },
      { key: 'schema', directus_version: '12.4.0', snapshot_sha256: sha256 },
    ]);
  });

  it('a schema edited behind the snapshot sends the next boot through apply, which restores the snapshot', async () => {
    await db.query("UPDATE directus_collections SET icon = 'bug_report' WHERE collection = 'organizations'");
    const result = await dryRun();
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('step 2/5 directus bootstrap: skipped');
    expect(result.stdout).toContain('step 3/5 directus schema apply: schema.yaml: applied');
    expect(await db.query("SELECT icon FROM directus_collections WHERE collection = 'organizations'")).toEqual([
      { icon: 'corporate_fare' },
    ]);
    expect((await dryRun()).stdout).toContain('step 3/5 directus schema apply: skipped');
  });

  it('a snapshot Directus cannot apply fails step 3 loudly: non-zero exit, advice, step 4 not run', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'trm-snapshot-'));
    const broken = path.join(dir, 'schema.yaml');
    await writeFile(broken, 'version: 1\ndirectus: 12.4.0\nvendor: postgres\ncollections: not-a-list\n');
    const result = await dryRun({ SNAPSHOT_PATH: broken });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ERROR step 3\/5 directus schema apply failed after \d+\.\d\d s: .*schema\.yaml is not a Directus schema snapshot/);
    expect(result.stderr).toContain('regenerate the snapshot');
    expect(result.stdout).not.toContain('step 4/5');
  });

  it('a broken post-schema file stops the boot at step 4, naming file and line, once; the container ends with 1, the server never started', async () => {
    const post = await sqlFolder('db-init-post', {
      '001_unique.sql': "-- a constraint on a column that does not exist\nALTER TABLE devices\n  ADD CONSTRAINT devices_x_key UNIQUE (no_such_column);",
    });
    // Two instances: the one that fails keeps the boot lock until pm2-runtime ends, so the other never repeats the step.
    const started = performance.now();
    const result = await run('./entrypoint.sh', ['start'], { ...env, DB_INIT_POST_DIR: post, PM2_INSTANCES: '2' }, { ownProcessGroup: true });
    console.log(`start with a failing step 4 ended with ${result.code} after ${((performance.now() - started) / 1000).toFixed(2)} s`);
    expect(result.code, result.output).toBe(1);
    expect(result.stderr.match(/ERROR step 4\/5 db-init-post \(post-schema SQL\) failed/g)).toHaveLength(1);
    // pm2-runtime did not wait for its own auto-exit (exit code 2), and restarted nothing.
    expect(result.output).not.toContain('0 application online');
    expect(result.output).not.toMatch(/App \[directus:\d\] exited/);
    expect(await processGroupMembers(result.pid!)).toBe('');
    // PostgreSQL gives no position for this error: the line is where the statement starts.
    expect(result.stderr).toContain('db-init-post/001_unique.sql:2: SQLSTATE 42703');
    expect(result.output).not.toContain('step 5/5');
    expect(await db.query("SELECT 1 FROM migrations_applied WHERE filename = '001_unique.sql'")).toEqual([]);
  });

  it('positions is a real hypertable with one-day chunks', async () => {
    const rows = await db.query(
      `SELECT column_name, time_interval::text AS chunk FROM timescaledb_information.dimensions WHERE hypertable_name = 'positions'`,
    );
    expect(rows).toEqual([{ column_name: 'ts', chunk: '1 day' }]);
  });

  it('the full boot answers /server/ping, the admin logs in, db-init tables are no collections, SIGTERM stops it cleanly', async () => {
    const boot = await bootFully(env);
    try {
      const token = await login(boot.baseUrl, admin.email, admin.password);
      const response = await fetch(`${boot.baseUrl}/collections`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      const listed = ((await response.json()) as { data: Array<{ collection: string }> }).data.map((c) => c.collection);
      expect(listed).toEqual(expect.arrayContaining(['organizations', 'devices']));
      const owned = await ownedTables();
      expect(owned).toEqual(expect.arrayContaining(['positions', 'migrations_applied', 'boot_state']));
      for (const table of owned) expect(listed).not.toContain(table);
    } finally {
      boot.child.kill('SIGTERM');
    }
    const result = await boot.finished;
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/handing over to pm2-runtime after \d+\.\d\d s/);
    expect(result.stdout).toMatch(/step 5\/5 start: Directus serves on port \d+ \(\d+\.\d\d s; Directus's modules loaded in \d+\.\d\d s before step 1\)/);
    expect(result.output).toContain('Directus shut down OK');
  });
});

describe('a fresh database whose pre-schema SQL fails', () => {
  const database = useDatabase();

  it('stops at step 1 naming file and line: Directus never touches the database, nothing is left running', async () => {
    const pre = await sqlFolder('db-init', {
      '001_extension.sql': 'CREATE EXTENSION IF NOT EXISTS timescaledb;',
      '002_typo.sql': 'CREATE TABLE positions (device_id text);\nALTER TABLE positions ADD COLUMN faulty boolen;',
    });
    const db = database();
    const result = await run('./entrypoint.sh', ['dry-run'], { ...db.env, ...directusSecrets, DB_INIT_PRE_DIR: pre }, { ownProcessGroup: true });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('ERROR step 1/5 db-init (pre-schema SQL) failed');
    expect(result.stderr).toContain('db-init/002_typo.sql:2: SQLSTATE 42704: type "boolen" does not exist');
    expect(result.output).not.toContain('step 2/5');
    expect(await db.query("SELECT to_regclass('directus_migrations') AS t, to_regclass('positions') AS p")).toEqual([
      { t: null, p: null },
    ]);
    // Nothing of this boot's process group is left (other checkouts' boots on the machine are not this
    // test's business).
    expect(await processGroupMembers(result.pid!)).toBe('');
  });
});

describe('extensions that are not built, or older than their sources', () => {
  const database = useDatabase();

  it('refuse the boot before it touches the database, naming the file and `pnpm run build`', async () => {
    const extensions = await mkdtemp(path.join(tmpdir(), 'trm-extensions-'));
    const bundle = path.join(extensions, 'platform');
    await mkdir(path.join(bundle, 'src'), { recursive: true });
    await copyFile(path.join(repoDir, 'extensions/platform/package.json'), path.join(bundle, 'package.json'));
    await writeFile(path.join(bundle, 'src', 'index.ts'), 'export default () => {};\n');
    const db = database();
    const dryRun = () => run('./entrypoint.sh', ['dry-run'], { ...db.env, ...directusSecrets, EXTENSIONS_PATH: extensions });

    const unbuilt = await dryRun();
    expect(unbuilt.code).toBe(1);
    expect(unbuilt.stderr).toContain(`refusing to boot: ${bundle}/dist/app.js is missing: build the extensions with \`pnpm run build\``);

    await mkdir(path.join(bundle, 'dist'));
    for (const output of ['app.js', 'api.js']) {
      await writeFile(path.join(bundle, 'dist', output), 'export default {};\n');
      await utimes(path.join(bundle, 'dist', output), new Date('2026-01-01'), new Date('2026-01-01'));
    }
    const stale = await dryRun();
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`refusing to boot: ${bundle}/dist/app.js is older than ${bundle}/src: rebuild it with \`pnpm run build\``);
    expect(stale.output).not.toContain('step 1/5');
    expect(await db.query("SELECT to_regclass('migrations_applied') AS guard")).toEqual([{ guard: null }]);
  });
});

describe('three replicas booting at once on one fresh database', () => {
  const database = useDatabase();

  it('all exit 0; the boot lock lets one install Directus and the others find nothing to do', async () => {
    const db = database();
    const env = { ...db.env, ...directusSecrets };
    const results = await Promise.all([1, 2, 3].map(() => run('./entrypoint.sh', ['dry-run'], env)));
    for (const result of results) expect(result.code, result.output).toBe(0);
    const outputs = results.map((result) => result.stdout);
    expect(outputs.filter((out) => out.includes('installed Directus 12.4.0 system tables'))).toHaveLength(1);
    expect(outputs.filter((out) => out.includes('step 2/5 directus bootstrap: skipped'))).toHaveLength(2);
    expect(outputs.filter((out) => out.includes('schema.yaml: applied'))).toHaveLength(1);
    const guard = await db.query('SELECT folder, filename, count(*)::int AS n FROM migrations_applied GROUP BY 1, 2');
    expect(guard).toHaveLength(PRE.length + POST.length);
    for (const row of guard) expect(row['n']).toBe(1);
    expect(await db.query('SELECT count(*)::int AS admins FROM directus_users')).toEqual([{ admins: 1 }]);
  });
});

describe('a boot that cannot take the boot lock in time', () => {
  const booted = useBootedDatabase({ ...directusSecrets, KEY: 'lock-key-0123456789abcdef', SECRET: 'lock-secret-0123456789abcdef' });

  it('dry-run and start each end with the ERROR and exit 1, the server never started, nothing left running', async () => {
    // Another instance's boot, holding the lock (scripts/lib/boot-lock.ts) for longer than BOOT_LOCK_TIMEOUT.
    await withClient(booted().db.url, async (holder) => {
      await holder.query('SELECT pg_advisory_lock(7631469, 1)');
      for (const mode of ['dry-run', 'start']) {
        const result = await run('./entrypoint.sh', [mode], { ...booted().env, BOOT_LOCK_TIMEOUT: '1' }, { ownProcessGroup: true });
        expect(result.code, result.output).toBe(1);
        expect(result.stderr).toContain('ERROR steps 1–4 could not run: boot lock still held after 1 s (BOOT_LOCK_TIMEOUT) by backend pid');
        expect(result.stderr).toContain('ERROR Another instance holds the boot lock');
        expect(result.output).not.toContain('unhandledRejection');
        expect(result.output).not.toContain('step 1/5');
        expect(await processGroupMembers(result.pid!)).toBe('');
      }
    });
  });
});

describe('an instance pm2 restarts after it served', () => {
  const booted = useBootedDatabase({ ...directusSecrets, KEY: 'restart-key-0123456789abcdef', SECRET: 'restart-secret-0123456789abcdef' });

  it('serves again without running steps 1–4 over the live database; the container stays up', async () => {
    const { db, env } = booted();
    const boot = await bootFully(env);
    try {
      // Drift a new boot would refuse (a role config.yaml lacks): the restart must not apply the files.
      await db.query(`INSERT INTO directus_roles (id, name) VALUES (gen_random_uuid(), 'Made in the admin app')`);
      const workers = (await run('pgrep', ['-P', String(boot.child.pid)], {})).stdout.trim().split('\n').filter(Boolean);
      expect(workers).toHaveLength(1);
      process.kill(Number(workers[0]), 'SIGKILL');
      for (let waited = 0; !boot.output().includes('steps 1–4 ran when the container booted'); waited += 100) {
        if (waited > 90_000 || boot.child.exitCode !== null) throw new Error(`the restarted instance did not serve:\n${boot.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await answersPing(boot.baseUrl)).toBe(true);
      expect(await db.query(`SELECT name FROM directus_roles WHERE name = 'Made in the admin app'`)).toHaveLength(1);
    } finally {
      boot.child.kill('SIGTERM');
    }
    const result = await boot.finished;
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/step 5\/5 start: Directus serves on port \d+ \(\d+\.\d\d s; steps 1–4 ran when the container booted\)/);
    expect(result.output.match(/step 3\/5/g)).toHaveLength(1);
    expect(result.output).not.toContain('refused by the deletion guard');
  });
});
