import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from '../lib/env.ts';
import { fromApp } from '../lib/paths.ts';

// Directus signs every token with SECRET and KEY: in production a missing one, or the placeholder
// from .env.example that anyone can read, hands out admin access. The passwords are checked for the
// placeholder only (they may be set elsewhere, or unused after the first boot). Names only, never values.
const REQUIRED = ['KEY', 'SECRET'];
const NOT_THE_EXAMPLE = ['KEY', 'SECRET', 'ADMIN_PASSWORD', 'DB_PASSWORD'];

export function refuseUnsafeProduction(env: NodeJS.ProcessEnv = process.env, exampleFile = fromApp('.env.example')): void {
  if (env['NODE_ENV'] !== 'production') return;
  const example = existsSync(exampleFile) ? parseEnv(readFileSync(exampleFile, 'utf8')) : {};
  const problems = [
    ...REQUIRED.filter((name) => !env[name]).map((name) => `${name} is not set`),
    ...NOT_THE_EXAMPLE.filter((name) => env[name] && env[name] === example[name]).map(
      (name) => `${name} is the placeholder value from .env.example`,
    ),
  ];
  if (problems.length > 0) {
    throw new ConfigError(
      `NODE_ENV=production and ${problems.join(', ')}. Set generated values (openssl rand -hex 32), directly or as NAME_FILE secrets`,
    );
  }
}
