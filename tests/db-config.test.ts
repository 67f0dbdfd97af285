import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbConfigFromEnv, describeTarget } from '../scripts/lib/db-config.ts';

// The runner must open the connection Directus opens from the same variables.
describe('database configuration from the Directus variables', () => {
  it('reads DB_HOST, DB_PORT, DB_DATABASE, DB_USER, DB_PASSWORD', () => {
    const config = dbConfigFromEnv({
      DB_CLIENT: 'pg', DB_HOST: 'db', DB_PORT: '6543', DB_DATABASE: 'trm', DB_USER: 'directus', DB_PASSWORD: 's3cret',
    });
    expect(config).toMatchObject({ host: 'db', port: 6543, database: 'trm', user: 'directus', password: 's3cret' });
    expect(config.ssl).toBeUndefined();
    expect(describeTarget(config)).toBe('db:6543/trm');
  });

  it('prefers DB_CONNECTION_STRING and never names the password', () => {
    const config = dbConfigFromEnv({ DB_CONNECTION_STRING: 'postgres://directus:s3cret@db.internal:5433/trm', DB_HOST: 'ignored' });
    expect(config.connectionString).toBe('postgres://directus:s3cret@db.internal:5433/trm');
    expect(describeTarget(config)).toBe('db.internal:5433/trm');
  });

  it('maps DB_SSL__* the way Directus does: nested, camel-cased, typed, *_FILE read from disk', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'trm-ssl-'));
    await writeFile(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----');
    const config = dbConfigFromEnv({
      DB_CONNECTION_STRING: 'postgres://u@h/d',
      DB_SSL__REJECT_UNAUTHORIZED: 'false',
      DB_SSL__CA_FILE: path.join(dir, 'ca.pem'),
    });
    expect(config.ssl).toEqual({ rejectUnauthorized: false, ca: '-----BEGIN CERTIFICATE-----' });
    expect(dbConfigFromEnv({ DB_CONNECTION_STRING: 'postgres://u@h/d', DB_SSL: 'true' }).ssl).toBe(true);
  });

  it('refuses a client other than PostgreSQL and a missing host, naming the variable', () => {
    expect(() => dbConfigFromEnv({ DB_CLIENT: 'mysql' })).toThrow('DB_CLIENT is "mysql"');
    expect(() => dbConfigFromEnv({ DB_CLIENT: 'pg', DB_DATABASE: 'x', DB_USER: 'u' })).toThrow('DB_HOST is not set');
  });
});
