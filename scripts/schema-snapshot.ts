// `pnpm run schema:snapshot [--compose]`: capture the schema edited in the admin UI into
// snapshots/schema.yaml, without what db-init owns, and the roles, policies, permissions, flows and
// settings into snapshots/config.yaml; show what the commit will change.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveConfiguration } from './lib/env.ts';
import { pinnedDirectusVersion, versionMismatch } from './lib/directus-install.ts';
import { registerModuleScopeCache } from './lib/module-scope-cache.ts';
import { error, info, setLogPrefix, warn } from './lib/log.ts';
import { captureLiveSchema, describeSource, schemaSource } from './schema/capture.ts';
import { describeChanges, planChanges } from './schema/plan.ts';
import { readSnapshotFile, snapshotPath, snapshotToYaml, summarize, type Snapshot } from './schema/snapshot.ts';
import { captureLiveConfig } from './config/capture.ts';
import { detached } from './config/live.ts';
import { configPath, configToYaml, parseConfigYaml, summarizeConfig, type ConfigFile } from './config/model.ts';
import { planConfig } from './config/plan.ts';
import { foreignTables, stripSnapshot } from './schema/strip.ts';

setLogPrefix('[schema]');
// Directus's diff loads some 30 % faster (module-scope-cache.ts).
registerModuleScopeCache();

async function main(): Promise<number> {
  resolveConfiguration();
  const source = schemaSource(process.argv.slice(2));
  const file = snapshotPath();
  info(`capturing the schema of ${describeSource(source)}`);
  const foreign = await foreignTables();
  const live = await captureLiveSchema(source, foreign);

  const mismatch = versionMismatch(live.directus, pinnedDirectusVersion());
  if (mismatch) {
    error(`${mismatch}; ${path.basename(file)} was not written`);
    error(`A snapshot must come from the pinned version: run 'pnpm install' (native) or rebuild the compose stack, then capture again.`);
    return 1;
  }

  const { snapshot, removed } = stripSnapshot(live, foreign);
  for (const item of removed) warn(`left out ${item}: db-init owns it or it depends on what db-init owns`);

  const previous = await readFile(file, 'utf8').catch(() => undefined);
  const next = await snapshotToYaml(snapshot);
  if (previous === next) {
    info(`${path.relative(process.cwd(), file)} is unchanged (${summarize(snapshot)})`);
  } else {
    await writeSnapshot(file, previous, next, snapshot);
  }
  await writeConfig(await captureLiveConfig(source));
  return 0;
}

async function writeSnapshot(file: string, previous: string | undefined, next: string, snapshot: Snapshot): Promise<void> {
  if (previous !== undefined) {
    const changes = await planChanges(await readSnapshotFile(file), snapshot);
    info(changes.length === 0 ? 'compared with the file before: formatting only' : 'compared with the file before, applying it would:');
    for (const line of describeChanges(changes)) info(line);
    if (changes.some((change) => change.action === 'delete')) {
      warn('it deletes what is listed above: boots refuse it until DIRECTUS_SCHEMA_ALLOW_DELETE names each deletion; check that this is intended before committing');
    }
  }
  await writeFile(file, next);
  info(`wrote ${path.relative(process.cwd(), file)} (${summarize(snapshot)}); review it with git diff, then commit`);
}

async function writeConfig(config: ConfigFile): Promise<void> {
  const file = configPath();
  const name = path.relative(process.cwd(), file);
  const previous = await readFile(file, 'utf8').catch(() => undefined);
  const next = await configToYaml(config);
  if (previous === next) {
    info(`${name} is unchanged (${summarizeConfig(config)})`);
    return;
  }
  if (previous !== undefined) {
    const changes = planConfig(detached(await parseConfigYaml(previous, file)), config).changes;
    info(changes.length === 0 ? `${name} compared with the file before: formatting only` : `${name} compared with the file before, applying it would:`);
    for (const line of describeChanges(changes)) info(line);
    if (changes.some((change) => change.action === 'delete')) {
      warn('it deletes what is listed above: boots refuse it until DIRECTUS_SCHEMA_ALLOW_DELETE names each deletion; check that this is intended before committing');
    }
  }
  await writeFile(file, next);
  info(`wrote ${name} (${summarizeConfig(config)}); review it with git diff, then commit`);
}

try {
  process.exitCode = await main();
} catch (err) {
  error(`schema:snapshot failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
