import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { fromApp } from './paths.ts';

export class ConfigError extends Error {}

// What Directus is told to read once the configuration is resolved: a file that is always there and
// always empty.
export const NO_CONFIG_FILE = '/dev/null';

// The effective configuration of one boot or command, resolved once, into process.env: the
// environment, and below it the env file (CONFIG_PATH, default .env in the app folder). A setting is
// NAME or NAME_FILE (the value read from that file); the environment's wins over the file's, in
// either form. Afterwards CONFIG_PATH names no file, so every Directus process started from here
// (the boot's own steps and server under pm2-runtime, the Directus CLI) reads exactly this environment:
// Directus's own loader (@directus/env createEnv) spreads the file over the environment, so the
// file would win there, and one boot could act on two databases.
export function resolveConfiguration(env: NodeJS.ProcessEnv = process.env): void {
  const file = env['CONFIG_PATH'] || fromApp('.env');
  if (file !== NO_CONFIG_FILE && existsSync(file)) {
    for (const [name, value] of Object.entries(settingsFromFile(file, env))) env[name] = value;
  }
  env['CONFIG_PATH'] = NO_CONFIG_FILE;
}

// The file's settings that the environment does not already give, NAME_FILE entries read.
function settingsFromFile(file: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const format = path.extname(file).toLowerCase();
  if (['.js', '.cjs', '.mjs', '.json', '.yaml', '.yml'].includes(format)) {
    throw new ConfigError(`CONFIG_PATH names a ${format} file (${file}); the boot reads dotenv files only: write it as NAME=value lines`);
  }
  const entries = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) {
    const name = settingName(key);
    if (env[name] !== undefined || env[`${name}_FILE`] !== undefined) continue;
    if (key !== name && entries[name] !== undefined) throw new ConfigError(`${file} sets both ${name} and ${key}; keep one`);
    settings[name] = key === name ? value : readSecretFile(value, key, file);
  }
  return settings;
}

// NAME_FILE names the file that holds NAME. DB_SSL__CA_FILE and its kind are settings of their own
// (the certificate's path), read by Directus and db-config.ts.
function settingName(key: string): string {
  return key.endsWith('_FILE') && !key.includes('__') ? key.slice(0, -'_FILE'.length) : key;
}

// Without trailing newlines, as entrypoint.sh's $(< file) reads the environment's NAME_FILE.
function readSecretFile(secretPath: string, key: string, file: string): string {
  try {
    return readFileSync(secretPath, 'utf8').replace(/\n+$/, '');
  } catch (err) {
    throw new ConfigError(`${key} in ${file} names ${secretPath}, which cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError(`${name} is not set (see .env.example)`);
  return value;
}

export function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}
