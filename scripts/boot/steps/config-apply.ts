import path from 'node:path';
import { readLiveConfig, type LiveConfig } from '../../config/live.ts';
import { environmentSettings } from '../../config/environment-settings.ts';
import { configPath, readConfigFile } from '../../config/model.ts';
import { planConfig } from '../../config/plan.ts';
import type { ConfigPlan } from '../../config/planner.ts';
import type { SqlClient } from '../../lib/knex-sql.ts';
import { warn } from '../../lib/log.ts';
import { CORE_ACTIVE_FLOWS, coreLicenceFindings, isLicensed } from '../../config/licence.ts';
import { directusSteps, StepError, type BootContext } from '../context.ts';

// Step 3's second half: the roles, policies, permissions, flows and settings of snapshots/config.yaml.
// Compared with the database on every boot (a few catalogue queries), applied in one transaction.
export interface ConfigStep {
  name: string;
  live: LiveConfig;
  plan: ConfigPlan;
}

export async function planConfigStep(ctx: BootContext): Promise<ConfigStep> {
  const file = configPath();
  const name = path.basename(file);
  const desired = await readConfigFile(file);
  if (!(await isLicensed(ctx.client))) {
    const { ignoredPermissions, activeFlows } = coreLicenceFindings(desired);
    if (activeFlows > CORE_ACTIVE_FLOWS) {
      throw new StepError(
        `${name} activates ${activeFlows} flows; Directus without a licence runs at most ${CORE_ACTIVE_FLOWS}, so nothing was applied`,
        'Set LICENSE_KEY to a Directus licence that allows more flows, or set the status of the flows this environment does without to inactive (admin UI, then pnpm run schema:snapshot).',
      );
    }
    for (const permission of ignoredPermissions) {
      warn(`${name}: Directus without a licence ignores permission ${permission} (it has custom rules: a field list, filter, validation or presets), so it grants nothing`);
    }
  }
  const fromEnvironment = environmentSettings();
  const live = await readLiveConfig(ctx.client, Object.keys(fromEnvironment));
  return { name, live, plan: planConfig(live, { ...desired, settings: { ...desired.settings, ...fromEnvironment } }) };
}

// `first` runs in the same transaction before the plan (the archive of what it deletes).
export async function applyConfigStep(ctx: BootContext, step: ConfigStep, first?: (sql: SqlClient) => Promise<void>): Promise<void> {
  await ctx.client.query('BEGIN');
  try {
    await first?.(ctx.client);
    await step.plan.apply(ctx.client);
    await ctx.client.query('COMMIT');
  } catch (err) {
    await ctx.client.query('ROLLBACK');
    throw new Error(`applying ${step.name} failed, nothing of it was applied: ${(err as Error).message}`);
  }
  // Replicas already running share a Redis cache that still holds the old permissions; Directus
  // clears its in-process caches itself when each process starts.
  if (process.env['CACHE_STORE'] === 'redis') await (await directusSteps(ctx)).clearCaches();
}
