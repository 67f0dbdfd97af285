// `pnpm run schema:check [--compose]`: does the database match snapshots/schema.yaml? Exit 0 when it
// does; otherwise list what applying the file would create, change or delete, and exit 1.
import path from 'node:path';
import pg from 'pg';
import { dbConfigFromEnv } from './lib/db-config.ts';
import { loadDotEnv } from './lib/env.ts';
import { error, info, setLogPrefix } from './lib/log.ts';
import { captureLiveSchema, describeSource, schemaSource } from './schema/capture.ts';
import { judge, schemaPolicyFromEnv, verdictNote, type Verdict } from './schema/guard.ts';
import { describeChanges, planChanges, type PlannedChange } from './schema/plan.ts';
import { assessRisks } from './schema/risks.ts';
import { readSnapshotFile, snapshotPath, summarize } from './schema/snapshot.ts';
import { foreignTables, stripSnapshot } from './schema/strip.ts';

setLogPrefix('[schema]');

async function main(): Promise<number> {
  loadDotEnv();
  const source = schemaSource(process.argv.slice(2));
  const file = snapshotPath();
  const name = path.basename(file);
  const target = describeSource(source);
  const committed = await readSnapshotFile(file);
  const foreign = await foreignTables();
  const { snapshot: live } = stripSnapshot(await captureLiveSchema(source, foreign), foreign);
  const changes = await planChanges(live, committed);
  const versionDrift = live.directus !== committed.directus;

  if (changes.length === 0 && !versionDrift) {
    info(`${target} matches ${name} (${summarize(committed)})`);
    return 0;
  }
  if (versionDrift) info(`Directus version: ${target} runs ${live.directus}, ${name} was captured with ${committed.directus}`);
  if (changes.length > 0) {
    const verdict = source === 'native' ? await guardVerdict(changes) : undefined;
    info(`${changes.length} difference(s); applying ${name} to ${target} would:`);
    for (const line of describeChanges(changes, (change) => verdictNote(change, verdict))) info(line);
    if (verdict && verdict.refused.length > 0) {
      info(`a boot with this environment refuses the plan (${verdict.planId}) until DIRECTUS_SCHEMA_ALLOW_DELETE allows what it would delete or lose`);
    }
  }
  error(`${target} differs from ${name}`);
  error(`If the database is right (edited in the admin UI), capture it: pnpm run schema:snapshot. If the file is right, the next boot applies it, except that anything listed under delete stops it until DIRECTUS_SCHEMA_ALLOW_DELETE allows it.`);
  return 1;
}

// The deletion guard's view, as the boot with this environment would take it (native source only:
// the compose stack's database is not reachable from here).
async function guardVerdict(changes: PlannedChange[]): Promise<Verdict> {
  const client = new pg.Client(dbConfigFromEnv());
  await client.connect();
  try {
    return judge(await assessRisks(client, changes), schemaPolicyFromEnv());
  } finally {
    await client.end();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  error(`schema:check failed: ${(err as Error).message}`);
  process.exitCode = 2;
}
