import { createHash } from 'node:crypto';
import { ConfigError } from '../lib/env.ts';
import { describeChanges, type PlannedChange } from './plan.ts';

// The deletion guard's policy, read from the environment before the boot touches the database.
//   DIRECTUS_SCHEMA_APPLY_MODE     auto (default) | dry-run | skip
//   DIRECTUS_SCHEMA_ALLOW_DELETE   comma-separated `collection`, `collection.field` or `kind:name` names, or `*`
//   DIRECTUS_SCHEMA_ALLOW_PLAN     in production, `*` counts only with the plan id the refusal printed
export const APPLY_MODES = ['auto', 'dry-run', 'skip'] as const;
export type ApplyMode = (typeof APPLY_MODES)[number];

export interface SchemaPolicy {
  mode: ApplyMode;
  allow: string[];
  production: boolean;
  approvedPlan: string | undefined;
}

// A planned change that deletes something, or changes a column in a way that loses stored values.
export interface Risk {
  change: PlannedChange;
  // What it costs, in rows: "table holds 3 rows", "max_length 255 → 10 truncates 2 values".
  impact: string;
  // For a lossy column change: the rows whose values it would lose, as a condition on its table (what
  // the archive keeps before an allowed change is applied).
  losing?: string | undefined;
}

export interface Verdict {
  planId: string;
  allowed: Risk[];
  refused: Risk[];
  // Allow entries that name nothing in this plan: stale settings an operator should remove.
  unused: string[];
}

// `collection`, `collection.field`, or a configuration item: `role:Name`, `policy:Name`,
// `permission:Policy/collection.action`, `flow:Name`, `operation:Flow/key`.
const NAME = /^([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?|(role|policy|permission|flow|operation):[^,]+)$/;

export function schemaPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): SchemaPolicy {
  const mode = env['DIRECTUS_SCHEMA_APPLY_MODE'] || 'auto';
  if (!(APPLY_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(`DIRECTUS_SCHEMA_APPLY_MODE="${mode}" is not a mode; use one of: ${APPLY_MODES.join(', ')}`);
  }
  const allow = (env['DIRECTUS_SCHEMA_ALLOW_DELETE'] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const malformed = allow.filter((entry) => entry !== '*' && !NAME.test(entry));
  if (malformed.length > 0) {
    throw new ConfigError(
      `DIRECTUS_SCHEMA_ALLOW_DELETE: ${malformed.map((entry) => `"${entry}"`).join(', ')} is neither a collection, collection.field nor a configuration item such as role:Name`,
    );
  }
  return {
    mode: mode as ApplyMode,
    allow,
    production: env['NODE_ENV'] === 'production',
    approvedPlan: env['DIRECTUS_SCHEMA_ALLOW_PLAN'] || undefined,
  };
}

// Which risks the policy lets through. A name allows the deletion of that collection (with its
// fields and relations) or of that one field (with its relation). `*` allows everything, except in
// production, where it also needs DIRECTUS_SCHEMA_ALLOW_PLAN to name this very plan: a wildcard left
// in a stack's settings must not approve a different deletion months later.
export function judge(risks: Risk[], policy: SchemaPolicy): Verdict {
  const planId = planIdOf(risks);
  const wildcard = policy.allow.includes('*') && (!policy.production || policy.approvedPlan === planId);
  const named = new Set(policy.allow.filter((entry) => entry !== '*'));
  const used = new Set<string>();
  const allowed: Risk[] = [];
  const refused: Risk[] = [];
  const dropped = droppedCollections(risks);
  for (const risk of risks) {
    const names = namesFor(risk.change, dropped).filter((name) => named.has(name));
    for (const name of names) used.add(name);
    if (wildcard || names.length > 0) allowed.push(risk);
    else refused.push(risk);
  }
  return { planId, allowed, refused, unused: [...named].filter((name) => !used.has(name)) };
}

// The shortest DIRECTUS_SCHEMA_ALLOW_DELETE value that allows exactly these risks: a collection
// deleted as a whole is named once, anything else by its field.
export function allowValueFor(risks: Risk[]): string {
  const wholeCollections = droppedCollections(risks);
  // A permission on a collection named whole is allowed by that name (namesFor).
  const names = risks.filter((risk) => !(risk.change.kind === 'permission' && wholeCollections.has(risk.change.collection))).map((risk) =>
    risk.change.allowName ??
    (wholeCollections.has(risk.change.collection) || risk.change.field === undefined
      ? risk.change.collection
      : `${risk.change.collection}.${risk.change.field}`),
  );
  return [...new Set(names)].join(',');
}

// A short, stable id of the risky part of a plan: the same deletions give the same id on every
// replica and every boot, and any other set of deletions a different one.
export function planIdOf(risks: Risk[]): string {
  const lines = risks.map((risk) => `${risk.change.action} ${risk.change.kind} ${risk.change.name}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 12);
}

// The remark a plan listing adds after a risky change: what it costs, and the guard's verdict.
export function verdictNote(change: PlannedChange, verdict: Verdict | undefined): string {
  const find = (risks: Risk[] | undefined) => risks?.find((risk) => risk.change === change);
  const refused = find(verdict?.refused);
  if (refused) return `  (${refused.impact}; refused by the deletion guard)`;
  const allowed = find(verdict?.allowed);
  return allowed ? `  (${allowed.impact}; allowed by DIRECTUS_SCHEMA_ALLOW_DELETE)` : '';
}

// Risks as a plan listing: one line per change with its cost and verdict, then its edits.
export function describeRisks(risks: Risk[], verdict: Verdict): string[] {
  return describeChanges(risks.map((risk) => risk.change), (change) => verdictNote(change, verdict));
}

function droppedCollections(risks: Risk[]): Set<string> {
  return new Set(risks.filter((risk) => risk.change.kind === 'collection' && risk.change.action === 'delete').map((risk) => risk.change.collection));
}

// The name of a collection the plan drops also allows the deletion of the permissions on it: dropping
// it takes them with it (Directus deletes them), so naming it says enough. A kept collection's name
// allows no permission's deletion.
function namesFor(change: PlannedChange, dropped: ReadonlySet<string>): string[] {
  if (change.kind === 'permission' && change.allowName !== undefined) return dropped.has(change.collection) ? [change.allowName, change.collection] : [change.allowName];
  if (change.allowName !== undefined) return [change.allowName];
  return change.field === undefined ? [change.collection] : [change.collection, `${change.collection}.${change.field}`];
}
