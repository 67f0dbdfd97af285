import { existsSync } from 'node:fs';
import { fromApp } from './paths.ts';

// Directus reads CONFIG_PATH (default .env in its working directory); the scripts read the same file
// so that an operator configures the database once. Variables already set in the environment win.
export function loadDotEnv(): void {
  const file = process.env['CONFIG_PATH'] || fromApp('.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

export class ConfigError extends Error {}

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
