// `pnpm run ci:dry-run [server-url]`: the image workflow's dry-run gate without Docker. On a
// throwaway database of the given PostgreSQL server (argument, CI_DATABASE_URL or TEST_DATABASE_URL;
// it needs TimescaleDB), it proves in order that
//   1. a fresh database boots through steps 1–4 and the server answers /server/ping, on a port nobody
//      else holds;
//   2. a second boot (`dry-run`, beside the running server) changes nothing: no SQL file, no storage
//      policy, no bootstrap, no schema apply, and config.yaml compared with the database finds no change;
//   3. the database equals snapshots/schema.yaml: Directus's own diff, asked of the running server
//      (POST /schema/diff, as the first admin), finds nothing to create, change or delete;
//   4. the server stops cleanly on SIGTERM.
// One Directus load for all of it: the server of check 1 ran steps 1–4 and answers check 3.
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
import { describeChanges, planFromDiff, type SnapshotDiff } from './schema/plan.ts';
import { readSnapshotFile, snapshotPath } from './schema/snapshot.ts';

setLogPrefix('[gate]');

class GateFailure extends Error {}

// The server of check 1, stopped by check 4 (or, should a check fail, when the gate ends).
let server: { boot: ReturnType<typeof spawnStreamed>; baseUrl: string } | undefined;

const checks: Array<{ title: string; run: (env: NodeJS.ProcessEnv) => Promise<string> }> = [
  { title: 'a fresh database boots through steps 1–4 and answers /server/ping', run: freshBoot },
  { title: 'a second boot changes nothing', run: secondDryRun },
  { title: 'the database equals snapshots/schema.yaml', run: schemaInSync },
  { title: 'SIGTERM stops the server cleanly', run: stopServer },
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
    if (server) {
      server.boot.child.kill('SIGKILL');
      await server.boot.finished;
    }
    await database.drop();
  }
}

async function freshBoot(env: NodeJS.ProcessEnv): Promise<string> {
  const port = Number(env['PORT'] ?? (await freePort()));
  const baseUrl = `http://127.0.0.1:${port}`;
  // A server already answering there would make the ping below prove nothing.
  if (await answersPing(baseUrl)) throw new GateFailure(`port ${port} is already in use by another server; free it or set PORT`);
  const boot = spawnStreamed(fromApp('entrypoint.sh'), ['start'], {
    ...env,
    PORT: String(port),
    PUBLIC_URL: baseUrl,
    PM2_HOME: await mkdtemp(path.join(tmpdir(), 'trm-gate-pm2-')),
  });
  server = { boot, baseUrl };
  try {
    await waitForPing(baseUrl, boot.child, 120_000);
  } catch (err) {
    const { code } = await boot.finished;
    throw new GateFailure(`./entrypoint.sh start exited with ${code} before ${baseUrl}/server/ping answered (its output is above): ${(err as Error).message}`);
  }
  const output = boot.output();
  if (/\bERROR\b/.test(output)) throw new GateFailure('./entrypoint.sh start printed ERROR and still served');
  if (!/step 4\/5 db-init-post/.test(output)) throw new GateFailure('./entrypoint.sh start served without saying that step 4 ran');
  return `pong on port ${port}; ${countApplied(output)} SQL file(s) applied`;
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
  return 'nothing applied, storage policies unchanged, bootstrap and apply skipped, config.yaml: no changes';
}

// The committed snapshot against the database, by the running server's Directus: the diff step 3
// applies, with the first admin's token. No content (204) means no difference.
async function schemaInSync(env: NodeJS.ProcessEnv): Promise<string> {
  const { baseUrl } = server!;
  const login = await fetch(`${baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: env['ADMIN_EMAIL'], password: env['ADMIN_PASSWORD'] }),
  });
  if (!login.ok) throw new GateFailure(`the first admin cannot sign in: ${login.status} ${await login.text()}`);
  const token = ((await login.json()) as { data: { access_token: string } }).data.access_token;
  const file = snapshotPath();
  const response = await fetch(`${baseUrl}/schema/diff`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(await readSnapshotFile(file)),
  });
  if (response.status === 204) return `no collection, field or relation to create, change or delete (Directus's diff of ${path.basename(file)})`;
  if (!response.ok) throw new GateFailure(`POST /schema/diff answered ${response.status}: ${await response.text()}`);
  const { diff } = ((await response.json()) as { data: { diff: SnapshotDiff } }).data;
  for (const line of describeChanges(planFromDiff(diff))) info(line);
  throw new GateFailure(`the database differs from ${path.basename(file)} (listed above): applying it again would change or delete that`);
}

async function stopServer(): Promise<string> {
  const { boot } = server!;
  server = undefined;
  boot.child.kill('SIGTERM');
  const { code } = await boot.finished;
  if (code !== 0) throw new GateFailure(`the server exited with ${code} after SIGTERM instead of shutting down cleanly`);
  return 'exit 0';
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
