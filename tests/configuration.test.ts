import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, NO_CONFIG_FILE, resolveConfiguration } from '../scripts/lib/env.ts';
import { answersPing } from '../scripts/lib/ping.ts';
import { freePort } from '../scripts/lib/ports.ts';
import { createDatabase, type TestDatabase } from './support/databases.ts';
import { bootFully, login } from './support/directus.ts';
import { run } from './support/run.ts';

async function envFile(lines: Record<string, string>, name = '.env'): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'trm-config-')), name);
  await writeFile(file, Object.entries(lines).map(([key, value]) => `${key}=${value}\n`).join(''));
  return file;
}

describe('the configuration of one boot: the environment over the env file', () => {
  it('fills what the environment lacks from the file, keeps what it has, and then points Directus at no file', async () => {
    const env: NodeJS.ProcessEnv = { CONFIG_PATH: await envFile({ DB_DATABASE: 'from_file', DB_HOST: 'db.file', PORT: '8055' }), DB_DATABASE: 'from_env', PORT: '8081' };
    resolveConfiguration(env);
    expect(env).toEqual({ CONFIG_PATH: NO_CONFIG_FILE, DB_DATABASE: 'from_env', DB_HOST: 'db.file', PORT: '8081' });
    // Resolved once: a second call (a script the boot runs) reads nothing more.
    resolveConfiguration(env);
    expect(env['CONFIG_PATH']).toBe(NO_CONFIG_FILE);
  });

  it('reads NAME_FILE entries of the file, without trailing newlines; a NAME in the environment beats the file in either form', async () => {
    const secrets = await mkdtemp(path.join(tmpdir(), 'trm-secrets-'));
    await writeFile(path.join(secrets, 'url'), 'postgres://u@file-host/from_secret\n');
    await writeFile(path.join(secrets, 'password'), 'from-secret-file\n');
    const file = await envFile({ DB_CONNECTION_STRING_FILE: path.join(secrets, 'url'), DB_PASSWORD_FILE: path.join(secrets, 'password'), DB_SSL__CA_FILE: '/ca.pem' });
    const env: NodeJS.ProcessEnv = { CONFIG_PATH: file, DB_PASSWORD: 'from-env' };
    resolveConfiguration(env);
    expect(env).toEqual({ CONFIG_PATH: NO_CONFIG_FILE, DB_CONNECTION_STRING: 'postgres://u@file-host/from_secret', DB_PASSWORD: 'from-env', DB_SSL__CA_FILE: '/ca.pem' });
  });

  it('refuses a file that sets NAME and NAME_FILE, an unreadable NAME_FILE, and a format the boot cannot read', async () => {
    const both = await envFile({ KEY: 'a', KEY_FILE: '/run/secrets/key' });
    expect(() => resolveConfiguration({ CONFIG_PATH: both })).toThrow(new ConfigError(`${both} sets both KEY and KEY_FILE; keep one`));
    const missing = await envFile({ SECRET_FILE: '/nonexistent/secret' });
    expect(() => resolveConfiguration({ CONFIG_PATH: missing })).toThrow(`SECRET_FILE in ${missing} names /nonexistent/secret, which cannot be read: ENOENT`);
    const json = await envFile({}, 'config.json');
    expect(() => resolveConfiguration({ CONFIG_PATH: json })).toThrow('the boot reads dotenv files only');
  });
});

// The bug this guards against: Directus's loader let .env override the environment, so step 1 ran on
// the environment's database and `directus bootstrap` on the file's, and the server listened on the
// file's PORT.
describe('a boot configured by a mix of environment and .env', () => {
  let fileDb: TestDatabase;
  let envDb: TestDatabase;
  beforeAll(async () => {
    [fileDb, envDb] = await Promise.all([createDatabase(), createDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([fileDb?.drop(), envDb?.drop()]);
  });

  it('acts on the one database the environment names in every step, and serves on the environment\'s PORT', async () => {
    const admin = { email: 'admin@example.com', password: 'mixed-config-password' };
    const filePort = await freePort();
    const { DB_DATABASE: _, ...connection } = fileDb.env;
    const dotEnv = await envFile({
      ...connection,
      DB_DATABASE: fileDb.name,
      PORT: String(filePort),
      KEY: 'mixed-key-0123456789abcdef0123456789',
      SECRET: 'mixed-secret-0123456789abcdef012345',
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
    });
    // bootFully sets PORT in the environment, on another free port than the file's.
    const boot = await bootFully({ CONFIG_PATH: dotEnv, DB_DATABASE: envDb.name });
    try {
      expect(new URL(boot.baseUrl).port).not.toBe(String(filePort));
      expect(await answersPing(`http://127.0.0.1:${filePort}`)).toBe(false);
      await login(boot.baseUrl, admin.email, admin.password);
      // The server, like steps 1–4, works on the environment's database: the login's session is there.
      expect(await envDb.query('SELECT count(*)::int AS n FROM directus_sessions')).toEqual([{ n: 1 }]);
    } finally {
      boot.child.kill('SIGTERM');
    }
    const result = await boot.finished;
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('step 2/5 directus bootstrap: installed Directus 12.4.0 system tables and the first admin');
    const [booted] = await envDb.query(
      `SELECT (SELECT count(*)::int FROM migrations_applied) AS sql_files, (SELECT count(*)::int FROM directus_migrations) > 0 AS directus,
              (SELECT count(*)::int FROM boot_state) AS states, (SELECT count(*)::int FROM directus_collections WHERE collection NOT LIKE 'directus_%') AS collections`,
    );
    expect(booted).toEqual({ sql_files: expect.any(Number), directus: true, states: 2, collections: 12 });
    expect(booted!['sql_files']).toBeGreaterThan(0);
    // The file's database was never touched: no table, no extension.
    expect(await fileDb.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")).toEqual([{ n: 0 }]);
    expect(await fileDb.query("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")).toEqual([]);
  });
});

// What a newcomer meets first when .env names a role or database the server does not have.
describe('a database that refuses the connection', () => {
  it('stops at once, saying why it did not retry and the command that creates what is missing', async () => {
    const role = 'trm_no_such_role';
    const server = new URL(inject('pgUrl'));
    const result = await run('./entrypoint.sh', ['dry-run'], {
      DB_HOST: server.hostname, DB_PORT: server.port || '5432', DB_DATABASE: 'trm_no_such_database', DB_USER: role, DB_PASSWORD: 'irrelevant-password',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`refused the connection: role "${role}" does not exist (SQLSTATE 28000); not retried, since waiting does not change that`);
    expect(result.stderr).toContain(`-c "CREATE ROLE ${role} LOGIN CREATEROLE PASSWORD '<DB_PASSWORD>'" -c "CREATE DATABASE trm_no_such_database OWNER ${role}"`);
    expect(result.output).not.toContain('attempt(s)');
    expect(result.output).not.toContain('irrelevant-password');
  });
});
