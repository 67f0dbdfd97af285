// `pnpm run ci:dry-run [server-url]`: the image workflow's dry-run gate without Docker. On a
// throwaway database of the given PostgreSQL server (argument, CI_DATABASE_URL or TEST_DATABASE_URL;
// it needs TimescaleDB), it proves in order that
//   1. a fresh database boots through steps 1–4;
//   2. a second boot changes nothing (no SQL file, no storage policy, no bootstrap, no apply);
//   3. the database equals snapshots/schema.yaml and config.yaml: applying them would create, change or delete nothing;
//   4. the full boot answers /server/ping on a port nobody else holds, and stops cleanly on SIGTERM.
// These caught a port collision, an ERROR that exited 0 and a ghost-collection conflict on the
// original project before they reached stage.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { error, info, seconds, setLogPrefix } from './lib/log.ts';
import { fromApp } from './lib/paths.ts';
import { answersPing, waitForPing } from './lib/ping.ts';
import { freePort } from './lib/ports.ts';
import { runStreamed, spawnStreamed, type Outcome } from './lib/streamed.ts';
import { createThrowawayDatabase } from './lib/throwaway-database.ts';

setLogPrefix('[gate]');

class GateFailure extends Error {}

const checks: Array<{ title: string; run: (env: NodeJS.ProcessEnv) => Promise<string> }> = [
  { title: 'a fresh database boots through steps 1–4', run: firstDryRun },
  { title: 'a second boot changes nothing', run: secondDryRun },
  { title: 'the database equals snapshots/schema.yaml and config.yaml', run: schemaCheck },
  { title: 'the full boot answers /server/ping and stops cleanly', run: fullBoot },
];

async function main(): Promise<number> {
  const serverUrl = process.argv[2] ?? process.env['CI_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
  if (!serverUrl) {
    error('name a PostgreSQL server: pnpm run ci:dry-run postgres://user@host:5432/postgres (or CI_DATABASE_URL)');
    return 2;
  }
  const started = performance.now();
  const database = await createThrowawayDatabase(serverUrl, 'trm_gate');
  info(`throwaway database ${database.name} on ${database.env.DB_HOST}:${database.env.DB_PORT}`);
  // Hermetic: no developer .env, no DB_* of the caller's shell. Fresh secrets for this run only,
  // the same for every boot of it, as in production.
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('DB_'))),
    CONFIG_PATH: path.join(tmpdir(), 'trm-gate-no-env-file'),
    ...database.env,
    KEY: randomBytes(32).toString('hex'),
    SECRET: randomBytes(32).toString('hex'),
    ADMIN_EMAIL: 'gate@example.com',
    ADMIN_PASSWORD: randomBytes(16).toString('hex'),
    TELEMETRY: 'false',
  };
  try {
    for (const [index, check] of checks.entries()) {
      const checkStarted = performance.now();
      const label = `${index + 1}/${checks.length} ${check.title}`;
      try {
        info(`${label}: ${await check.run(env)} (${seconds(checkStarted)})`);
      } catch (err) {
        if (!(err instanceof GateFailure)) throw err;
        error(`${label}: FAILED after ${seconds(checkStarted)}: ${err.message}`);
        return 1;
      }
    }
    info(`passed in ${seconds(started)}: the image may be published`);
    return 0;
  } finally {
    await database.drop();
  }
}

async function firstDryRun(env: NodeJS.ProcessEnv): Promise<string> {
  const { output } = await dryRun(env);
  return `exit 0; ${countApplied(output)} SQL file(s) applied`;
}

async function secondDryRun(env: NodeJS.ProcessEnv): Promise<string> {
  const { output } = await dryRun(env);
  const changed = [
    countApplied(output) > 0 && `${countApplied(output)} SQL file(s) applied again`,
    !/positions storage unchanged/.test(output) && 'the positions storage policies were set again',
    !/step 2\/5 directus bootstrap: skipped/.test(output) && 'directus bootstrap ran again',
    !/step 3\/5 directus schema apply: (skipped: [^;]*|[^;]*: no changes);/.test(output) && 'the snapshot was applied again',
    !/step 3\/5 directus schema apply: .*; config\.yaml: no changes/.test(output) && 'the configuration was applied again',
  ].filter(Boolean);
  if (changed.length > 0) throw new GateFailure(`the boot is not idempotent: ${changed.join('; ')}`);
  return 'nothing applied, storage policies unchanged, bootstrap and apply skipped';
}

async function schemaCheck(env: NodeJS.ProcessEnv): Promise<string> {
  const check = await runStreamed(fromApp('entrypoint.sh'), ['schema-check'], env);
  if (check.code !== 0) {
    throw new GateFailure('the database differs from the files it was booted from (listed above): applying them again would change or delete that');
  }
  return 'no collection, field, relation, role, policy, permission, flow or setting to create, change or delete';
}

async function fullBoot(env: NodeJS.ProcessEnv): Promise<string> {
  const port = Number(env['PORT'] ?? (await freePort()));
  const baseUrl = `http://127.0.0.1:${port}`;
  // A server already answering there would make the ping below prove nothing.
  if (await answersPing(baseUrl)) throw new GateFailure(`port ${port} is already in use by another server; free it or set PORT`);
  const server = spawnStreamed(fromApp('entrypoint.sh'), ['start'], {
    ...env,
    PORT: String(port),
    PUBLIC_URL: baseUrl,
    PM2_HOME: await mkdtemp(path.join(tmpdir(), 'trm-gate-pm2-')),
  });
  try {
    await waitForPing(baseUrl, server.child, 120_000);
  } catch (err) {
    server.child.kill('SIGKILL');
    await server.finished;
    throw new GateFailure((err as Error).message);
  }
  server.child.kill('SIGTERM');
  const { code } = await server.finished;
  if (code !== 0) throw new GateFailure(`the server exited with ${code} after SIGTERM instead of shutting down cleanly`);
  return `pong on port ${port}, clean shutdown`;
}

async function dryRun(env: NodeJS.ProcessEnv): Promise<Outcome> {
  const outcome = await runStreamed(fromApp('entrypoint.sh'), ['dry-run'], env);
  if (outcome.code !== 0) throw new GateFailure(`./entrypoint.sh dry-run exited with ${outcome.code} (its output is above)`);
  if (/\bERROR\b/.test(outcome.output)) throw new GateFailure('./entrypoint.sh dry-run printed ERROR and still exited 0');
  return outcome;
}

function countApplied(output: string): number {
  return [...output.matchAll(/db-init(?:-post)?\/: applied (\d+) files?/g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

try {
  process.exitCode = await main();
} catch (err) {
  error(`ci:dry-run could not run: ${(err as Error).message}`);
  process.exitCode = 2;
}
