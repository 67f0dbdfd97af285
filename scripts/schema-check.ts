// `pnpm run schema:check [--compose]`: does the database match snapshots/schema.yaml and
// snapshots/config.yaml? Exit 0 when it does; otherwise list what applying the files would create,
// change or delete, and exit 1.
import path from 'node:path';
import { resolveConfiguration } from './lib/env.ts';
import { registerModuleScopeCache } from './lib/module-scope-cache.ts';
import { error, info, setLogPrefix } from './lib/log.ts';
import { captureLiveSchema, describeSource, schemaSource } from './schema/capture.ts';
import { judge, schemaPolicyFromEnv, verdictNote, type Verdict } from './schema/guard.ts';
import { describeChanges, planChanges, type PlannedChange } from './schema/plan.ts';
import { assessRisks } from './schema/risks.ts';
import { readSnapshotFile, snapshotPath, summarize } from './schema/snapshot.ts';
import { foreignTables, stripSnapshot } from './schema/strip.ts';
import { captureLiveConfig, withDatabase } from './config/capture.ts';
import { detached, readLiveConfig, type LiveConfig } from './config/live.ts';
import { configPath, readConfigFile, summarizeConfig } from './config/model.ts';
import { planConfig } from './config/plan.ts';
import { assessConfigRisks } from './config/risks.ts';

setLogPrefix('[schema]');
// Directus's diff loads some 30 % faster (module-scope-cache.ts).
registerModuleScopeCache();

async function main(): Promise<number> {
  resolveConfiguration();
  const source = schemaSource(process.argv.slice(2));
  const file = snapshotPath();
  const name = path.basename(file);
  const configName = path.basename(configPath());
  const target = describeSource(source);
  const committed = await readSnapshotFile(file);
  const foreign = await foreignTables();
  const { snapshot: live } = stripSnapshot(await captureLiveSchema(source, foreign), foreign);
  const schemaChanges = await planChanges(live, committed);
  const committedConfig = await readConfigFile(configPath());
  const liveConfig = source === 'native' ? await withDatabase(readLiveConfig) : detached(await captureLiveConfig(source));
  const configChanges = planConfig(liveConfig, committedConfig).changes;
  const changes = [...schemaChanges, ...configChanges];
  const versionDrift = live.directus !== committed.directus;

  if (changes.length === 0 && !versionDrift) {
    info(`${target} matches ${name} (${summarize(committed)}) and ${configName} (${summarizeConfig(committedConfig)})`);
    return 0;
  }
  if (versionDrift) info(`Directus version: ${target} runs ${live.directus}, ${name} was captured with ${committed.directus}`);
  if (changes.length > 0) {
    const verdict = source === 'native' ? await guardVerdict(schemaChanges, configChanges, liveConfig) : undefined;
    info(`${changes.length} difference(s); applying ${name} and ${configName} to ${target} would:`);
    for (const line of describeChanges(changes, (change) => verdictNote(change, verdict))) info(line);
    if (verdict && verdict.refused.length > 0) {
      info(`a boot with this environment refuses the plan (${verdict.planId}) until DIRECTUS_SCHEMA_ALLOW_DELETE allows what it would delete or lose`);
    }
  }
  error(`${target} differs from ${[schemaChanges.length > 0 || versionDrift ? name : '', configChanges.length > 0 ? configName : ''].filter(Boolean).join(' and ')}`);
  error(`If the database is right (edited in the admin UI), capture it: pnpm run schema:snapshot. If the files are right, the next boot applies them, except that anything listed under delete stops it until DIRECTUS_SCHEMA_ALLOW_DELETE allows it.`);
  return 1;
}

// The deletion guard's view, as the boot with this environment would take it (native source only:
// the compose stack's database is not reachable from here).
async function guardVerdict(schemaChanges: PlannedChange[], configChanges: PlannedChange[], liveConfig: LiveConfig): Promise<Verdict> {
  return withDatabase(async (client) =>
    judge([...(await assessRisks(client, schemaChanges)), ...(await assessConfigRisks(client, configChanges, liveConfig))], schemaPolicyFromEnv()),
  );
}

try {
  process.exitCode = await main();
} catch (err) {
  error(`schema:check failed: ${(err as Error).message}`);
  process.exitCode = 2;
}
