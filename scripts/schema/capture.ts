import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDirectusCli } from '../boot/directus-cli.ts';
import { dbConfigFromEnv, describeTarget } from '../lib/db-config.ts';
import { directusCli } from '../lib/directus-install.ts';
import { appDir } from '../lib/paths.ts';
import { parseSnapshotJson, type Snapshot } from './snapshot.ts';

// Where the live schema is read from: this machine's Directus against the DB_* database (the
// default, no Docker needed), or the directus service of compose.dev.yaml (`--compose`, or
// SCHEMA_SOURCE=compose).
export type SchemaSource = 'native' | 'compose';

export function schemaSource(argv: string[], env: NodeJS.ProcessEnv = process.env): SchemaSource {
  const unknown = argv.filter((arg) => arg !== '--compose');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')}; the only option is --compose`);
  if (argv.includes('--compose')) return 'compose';
  const chosen = env['SCHEMA_SOURCE'] ?? 'native';
  if (chosen !== 'native' && chosen !== 'compose') throw new Error(`SCHEMA_SOURCE is "${chosen}"; use native or compose`);
  return chosen;
}

export function describeSource(source: SchemaSource): string {
  return source === 'compose' ? 'the directus service of compose.dev.yaml' : describeTarget(dbConfigFromEnv());
}

// The live schema exactly as `directus schema snapshot` reports it: Directus, not this script,
// decides what a collection, field and relation look like.
export function captureLiveSchema(source: SchemaSource, foreign: ReadonlySet<string>): Promise<Snapshot> {
  return source === 'compose' ? captureFromCompose() : captureNatively(foreign);
}

// Run as a developer's Directus runs, without the boot's DB_EXCLUDE_TABLES: a table db-init owns
// that was registered as a collection shows up here and is stripped (strip.ts), not hidden.
async function captureNatively(foreign: ReadonlySet<string>): Promise<Snapshot> {
  directusCli();
  const dir = await mkdtemp(path.join(tmpdir(), 'trm-schema-'));
  try {
    const file = path.join(dir, 'snapshot.json');
    // Directus warns that it ignores keyless tables such as positions; those are db-init's, as expected.
    const expectedWarning = (message: string) =>
      [...foreign].some((table) => message === `Collection "${table}" doesn't have a primary key column and will be ignored`);
    await runDirectusCli(['schema', 'snapshot', '--yes', '--format', 'json', file], { expectedWarning });
    return parseSnapshotJson(await readFile(file, 'utf8'), 'directus schema snapshot');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Directus logs to stdout, so the snapshot goes to a file inside the container and only the file
// comes back on stdout.
async function captureFromCompose(): Promise<Snapshot> {
  const inContainer =
    'node cli.js schema snapshot --yes --format json /tmp/trm-schema.json >&2 && cat /tmp/trm-schema.json && rm /tmp/trm-schema.json';
  return parseSnapshotJson(await composeExec(inContainer), 'directus schema snapshot in the directus container');
}

// Runs a shell command in the directus service of compose.dev.yaml and returns its stdout.
export async function composeExec(inContainer: string): Promise<string> {
  const args = ['compose', '-f', path.join(appDir, 'compose.dev.yaml'), 'exec', '-T', 'directus', 'sh', '-c', inContainer];
  const child = spawn('docker', args, { cwd: appDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`cannot run docker compose: ${err.message}`)));
    child.on('close', resolve);
  });
  if (code !== 0) {
    throw new Error(`docker ${args.slice(0, 6).join(' ')} … exited with ${code}; is the stack up (docker compose -f compose.dev.yaml up)?\n${stderr.trim()}`);
  }
  return stdout;
}
