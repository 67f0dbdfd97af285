import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { info, warn } from '../../lib/log.ts';
import { allowValueFor, describeRisks, judge, verdictNote, type Verdict } from '../../schema/guard.ts';
import { describeChanges, planFromDiff, type PlannedChange } from '../../schema/plan.ts';
import { assessRisks } from '../../schema/risks.ts';
import { configPath } from '../../config/model.ts';
import { assessConfigRisks } from '../../config/risks.ts';
import { readState, schemaFingerprint, writeState } from '../boot-state.ts';
import { directusSteps, StepError, type BootContext } from '../context.ts';
import type { SchemaPlan } from '../directus-steps.ts';
import { archiver } from './archive-allowed.ts';
import { applyConfigStep, planConfigStep } from './config-apply.ts';

// Step 3: the collections, fields and relations of snapshots/schema.yaml, then the access control,
// flows and settings of snapshots/config.yaml, under DIRECTUS_SCHEMA_APPLY_MODE (auto, dry-run, skip)
// and one deletion guard over both plans: nothing is applied unless all of it may be. The schema
// half is skipped when the snapshot, the Directus version and the whole schema catalogue are exactly
// what the last successful boot left: its plan would be empty.
export async function schemaApply(ctx: BootContext): Promise<string> {
  const name = path.basename(ctx.snapshotPath);
  if (ctx.policy.mode === 'skip') return `skipped: DIRECTUS_SCHEMA_APPLY_MODE=skip, ${name} and ${path.basename(configPath())} not compared with the database`;
  const schema = await planSchema(ctx, name);
  const config = await planConfigStep(ctx);
  const changes = [...schema.changes, ...config.plan.changes];
  const risks = [...(await assessRisks(ctx.client, schema.changes)), ...(await assessConfigRisks(ctx.client, config.plan.changes, config.live))];
  const verdict = judge(risks, ctx.policy);
  for (const entry of verdict.unused) {
    warn(`DIRECTUS_SCHEMA_ALLOW_DELETE names ${entry}, which this plan does not delete: remove it from the environment`);
  }
  if (ctx.policy.mode === 'dry-run') {
    if (changes.length === 0) return `dry-run: ${schema.outcome ?? `${name}: no changes`}; ${config.name}: no changes`;
    const refused = verdict.refused.length > 0 ? `; the deletion guard would refuse it, plan ${verdict.planId}` : '';
    info(`DIRECTUS_SCHEMA_APPLY_MODE=dry-run: what applying ${name} and ${config.name} would do${refused}:`);
    for (const line of describeChanges(changes, (change) => verdictNote(change, verdict))) info(line);
    return `dry-run: ${counts(changes)} planned, nothing applied`;
  }
  if (verdict.refused.length > 0) throw refusal(`${name} and ${config.name}`, verdict, ctx);
  if (verdict.allowed.length > 0) {
    warn(`applying what DIRECTUS_SCHEMA_ALLOW_DELETE allows to delete or lose (plan ${verdict.planId}):`);
    for (const line of describeRisks(verdict.allowed, verdict)) warn(line);
  }
  const archive = archiver(ctx, verdict, schema.plan?.current, config.live);
  let archived: string | undefined;
  try {
    if (schema.changes.length > 0) await schema.plan?.apply(archive.schema);
    if (config.plan.changes.length > 0) await applyConfigStep(ctx, config, archive.config);
  } finally {
    archived = await archive.report();
  }
  ctx.schemaInSync = true;
  const configOutcome = config.plan.changes.length > 0 ? `applied ${counts(config.plan.changes)}` : 'no changes';
  return `${schema.outcome ?? `${name}: applied ${counts(schema.changes)}`}; ${config.name}: ${configOutcome}${archived ? `; ${archived}` : ''}`;
}

// The schema half's plan: no changes (and no Directus) when the recorded state proves the snapshot
// applied, else Directus's own diff, with its apply.
async function planSchema(
  ctx: BootContext,
  name: string,
): Promise<{ changes: PlannedChange[]; plan?: SchemaPlan | undefined; outcome?: string | undefined }> {
  if (await schemaUnchanged(ctx)) {
    return {
      changes: [],
      outcome: `skipped: ${name} (sha256 ${(await snapshotDigest(ctx)).slice(0, 12)}) already applied with Directus ${ctx.directusVersion}, nothing changed since`,
    };
  }
  const plan = await (await directusSteps(ctx)).planSchema(ctx.snapshotPath);
  const changes = planFromDiff(plan.diff);
  return { changes, plan, outcome: changes.length === 0 ? `${name}: no changes` : undefined };
}

// Called once steps 3 and 4 have both succeeded, so the next boot compares against their result;
// only when step 3 left the database matching the snapshot (not after dry-run or skip).
export async function recordSchemaState(ctx: BootContext): Promise<void> {
  if (!ctx.schemaInSync) return;
  const fingerprint = await currentFingerprint(ctx);
  if (fingerprint === undefined) return;
  await writeState(ctx.client, 'schema', fingerprint, { directusVersion: ctx.directusVersion, snapshotSha256: await snapshotDigest(ctx) });
}

function refusal(files: string, verdict: Verdict, ctx: BootContext): StepError {
  const allowAll = ctx.policy.production && ctx.policy.allow.includes('*')
    ? ` In production DIRECTUS_SCHEMA_ALLOW_DELETE=* also needs DIRECTUS_SCHEMA_ALLOW_PLAN=${verdict.planId}, the id of exactly this plan.`
    : '';
  return new StepError(
    [`applying ${files} would delete or lose data, so nothing was applied (plan ${verdict.planId}):`, ...describeRisks(verdict.refused, verdict)].join('\n'),
    'Two ways forward. If the database is right (the schema or the configuration was changed in the admin UI), capture it: ' +
      'pnpm run schema:snapshot against this database, commit snapshots/, deploy the new image. ' +
      `If these deletions and losses are intended, allow exactly them for one boot: DIRECTUS_SCHEMA_ALLOW_DELETE=${allowValueFor(verdict.refused)}, ` +
      `then remove the setting. DIRECTUS_SCHEMA_APPLY_MODE=dry-run shows the whole plan without changing anything.${allowAll}`,
  );
}

function counts(changes: PlannedChange[]): string {
  const by = (action: PlannedChange['action']) => changes.filter((change) => change.action === action).length;
  const parts = (['create', 'change', 'delete'] as const).filter((action) => by(action) > 0).map((action) => `${by(action)} ${action}d`);
  return `${changes.length} change${changes.length === 1 ? '' : 's'} (${parts.join(', ')})`;
}

async function schemaUnchanged(ctx: BootContext): Promise<boolean> {
  if (ctx.full) return false;
  const current = await currentFingerprint(ctx);
  return current !== undefined && current === (await readState(ctx.client, 'schema'));
}

async function currentFingerprint(ctx: BootContext): Promise<string | undefined> {
  return schemaFingerprint(ctx.client, ctx.directusVersion, await readFile(ctx.snapshotPath, 'utf8'));
}

async function snapshotDigest(ctx: BootContext): Promise<string> {
  return createHash('sha256').update(await readFile(ctx.snapshotPath)).digest('hex');
}
