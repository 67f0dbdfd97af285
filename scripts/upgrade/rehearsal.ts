import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { dbConfigFromEnv } from '../lib/db-config.ts';
import { installedDirectusVersion } from '../lib/directus-install.ts';
import { fromApp } from '../lib/paths.ts';
import { waitForPing } from '../lib/ping.ts';
import { freePort } from '../lib/ports.ts';
import { runStreamed, spawnStreamed } from '../lib/streamed.ts';
import type { ThrowawayDatabase } from '../lib/throwaway-database.ts';
import type { Contents } from './contents.ts';
import type { Written } from './rehearsal-data.ts';

// The upgrade rehearsal's plumbing (scripts/upgrade-rehearsal.ts): its environment, the boots and
// servers it runs through entrypoint.sh, its connections to the database.

// What the checks learn and hand on.
export interface Rehearsal {
  env: NodeJS.ProcessEnv;
  // The rehearsal's own folder (uploads, pm2 homes), removed at the end.
  scratch: string;
  previousCli?: string;
  written?: Written;
  recorded?: Contents;
  migrationsBefore?: string[];
  migrationsAdded?: string[];
}

export interface Check {
  title: string;
  run: (rehearsal: Rehearsal) => Promise<string>;
}

// Hermetic, as the CI gate's: no developer .env, no DB_* or DIRECTUS_CLI of the caller's shell; fresh
// secrets, the same for every boot; uploads in a folder of the rehearsal's own.
export async function rehearsalEnv(database: ThrowawayDatabase, scratch: string): Promise<NodeJS.ProcessEnv> {
  const uploads = path.join(scratch, 'uploads');
  await mkdir(uploads);
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('DB_') && key !== 'DIRECTUS_CLI')),
    CONFIG_PATH: path.join(tmpdir(), 'trm-rehearsal-no-env-file'),
    ...database.env,
    KEY: randomBytes(32).toString('hex'),
    SECRET: randomBytes(32).toString('hex'),
    ADMIN_EMAIL: process.env['ADMIN_EMAIL'] ?? 'rehearsal@example.com',
    ADMIN_PASSWORD: process.env['ADMIN_PASSWORD'] ?? randomBytes(16).toString('hex'),
    TELEMETRY: 'false',
    STORAGE_LOCAL_ROOT: uploads,
    // The rehearsal's servers answer the rehearsal only: a busy machine must not turn a request into 503.
    PRESSURE_LIMITER_ENABLED: 'false',
  };
}

export function previousEnv(rehearsal: Rehearsal): NodeJS.ProcessEnv {
  return { ...rehearsal.env, DIRECTUS_CLI: rehearsal.previousCli };
}

export async function dryRun(env: NodeJS.ProcessEnv): Promise<string> {
  const { code, output } = await runStreamed(fromApp('entrypoint.sh'), ['dry-run'], env);
  const version = installedDirectusVersion(env['DIRECTUS_CLI'] ?? fromApp('node_modules', 'directus', 'cli.js'));
  if (code !== 0) throw new Error(`./entrypoint.sh dry-run with Directus ${version} exited with ${code} (its output is above)`);
  if (/\bERROR\b/.test(output)) throw new Error(`./entrypoint.sh dry-run with Directus ${version} printed ERROR and still exited 0`);
  return output;
}

// What the boot's line for that step says it did, without its timing.
export function stepOutcome(output: string, step: number): string {
  const line = output.split('\n').find((entry) => entry.includes(`step ${step}/5 `));
  return line?.replace(/^.*step \d\/5 [^:]+: /, '').replace(/ \(\d+\.\d\d s\)$/, '') ?? `no step ${step} line`;
}

export async function startServer(rehearsal: Rehearsal, env: NodeJS.ProcessEnv): Promise<{ baseUrl: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = spawnStreamed(fromApp('entrypoint.sh'), ['start'], {
    ...env,
    PORT: String(port),
    PUBLIC_URL: baseUrl,
    PM2_HOME: await mkdtemp(path.join(rehearsal.scratch, 'pm2-')),
  });
  try {
    await waitForPing(baseUrl, server.child, 120_000);
  } catch (err) {
    // pm2-runtime stops Directus with it on SIGTERM; SIGKILL would leave Directus running.
    server.child.kill('SIGTERM');
    await server.finished;
    throw err;
  }
  return {
    baseUrl,
    async stop() {
      server.child.kill('SIGTERM');
      const { code } = await server.finished;
      if (code !== 0) throw new Error(`the server exited with ${code} after SIGTERM instead of shutting down cleanly`);
    },
  };
}

export async function withDatabase<T>(rehearsal: Rehearsal, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(dbConfigFromEnv(rehearsal.env));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
