import { readFileSync } from 'node:fs';
import type { ClientConfig } from 'pg';
import { ConfigError, requireEnv } from './env.ts';

// The connection Directus itself would open: DB_CONNECTION_STRING, or DB_HOST/PORT/DATABASE/USER/PASSWORD,
// plus DB_SSL / DB_SSL__* (nested keys, camel-cased, *_FILE read from disk) exactly as Directus maps them.
export function dbConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const client = env['DB_CLIENT'] ?? 'pg';
  if (client !== 'pg' && client !== 'postgres') {
    throw new ConfigError(`DB_CLIENT is "${client}"; this platform runs on PostgreSQL only (DB_CLIENT=pg)`);
  }
  const ssl = sslFromEnv(env);
  const base: ClientConfig = { application_name: 'trm-directus-boot', ...(ssl === undefined ? {} : { ssl }) };
  const connectionString = env['DB_CONNECTION_STRING'];
  if (connectionString) return { ...base, connectionString };
  return {
    ...base,
    host: requireEnv('DB_HOST', env),
    port: Number(env['DB_PORT'] ?? 5432),
    database: requireEnv('DB_DATABASE', env),
    user: requireEnv('DB_USER', env),
    password: env['DB_PASSWORD'] ?? '',
  };
}

// "host:port/database" for messages; never includes a password.
export function describeTarget(config: ClientConfig): string {
  if (config.connectionString) {
    const url = new URL(config.connectionString);
    return `${url.hostname}:${url.port || 5432}${url.pathname}`;
  }
  return `${config.host}:${config.port}/${config.database}`;
}

function sslFromEnv(env: NodeJS.ProcessEnv): ClientConfig['ssl'] {
  const nested: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('DB_SSL__') || raw === undefined) continue;
    let name = key.slice('DB_SSL__'.length);
    let value: unknown = cast(raw);
    if (name.endsWith('_FILE')) {
      name = name.slice(0, -'_FILE'.length);
      value = readFileSync(raw, 'utf8');
    }
    nested[camelCase(name)] = value;
  }
  if (Object.keys(nested).length > 0) return nested;
  const flag = env['DB_SSL'];
  return flag === undefined ? undefined : cast(flag) === true;
}

function cast(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw !== '' && !Number.isNaN(Number(raw))) return Number(raw);
  return raw;
}

function camelCase(name: string): string {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
