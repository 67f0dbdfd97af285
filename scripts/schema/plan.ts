import { importFromDirectus } from '../lib/directus-install.ts';
import { describeRelation, type Snapshot } from './snapshot.ts';

// What applying a snapshot would do to a database, as data: one entry per collection, field or
// relation, worked out by Directus's own diff (the one `schema apply` runs).
export type ChangeAction = 'create' | 'change' | 'delete';

export interface PlannedChange {
  action: ChangeAction;
  kind: 'collection' | 'field' | 'system field' | 'relation';
  name: string;
  // For a change: each property that differs, "path: before → after".
  details: string[];
}

interface DeepDiff {
  kind: 'N' | 'D' | 'E' | 'A';
  path?: Array<string | number>;
  lhs?: unknown;
  rhs?: unknown;
  index?: number;
  item?: DeepDiff;
}

interface DiffItem {
  collection: string;
  field?: string;
  related_collection?: string | null;
  diff: DeepDiff[];
}

interface SnapshotDiff {
  collections: DiffItem[];
  fields: DiffItem[];
  systemFields: DiffItem[];
  relations: DiffItem[];
}

type GetSnapshotDiff = (current: Snapshot, after: Snapshot) => SnapshotDiff;

export async function planChanges(current: Snapshot, target: Snapshot): Promise<PlannedChange[]> {
  const { getSnapshotDiff } = await importFromDirectus<{ getSnapshotDiff: GetSnapshotDiff }>(
    '@directus/api/utils/schema/get-snapshot-diff',
  );
  const diff = getSnapshotDiff(current, target);
  return [
    ...diff.collections.map((item) => toChange('collection', item.collection, item.diff)),
    ...diff.fields.map((item) => toChange('field', `${item.collection}.${item.field}`, item.diff)),
    ...diff.systemFields.map((item) => toChange('system field', `${item.collection}.${item.field}`, item.diff)),
    ...diff.relations.map((item) =>
      toChange('relation', describeRelation({ collection: item.collection, field: item.field ?? '', related_collection: item.related_collection ?? null }), item.diff),
    ),
  ];
}

// "would create collection vehicles", then one indented line per changed property.
export function describeChanges(changes: PlannedChange[]): string[] {
  const width = Math.max(...changes.map((change) => `${change.action} ${change.kind}`.length));
  return changes.flatMap((change) => [
    `  ${`${change.action} ${change.kind}`.padEnd(width)}  ${change.name}`,
    ...change.details.map((detail) => `      ${detail}`),
  ]);
}

function toChange(kind: PlannedChange['kind'], name: string, diff: DeepDiff[]): PlannedChange {
  const [first] = diff;
  if (diff.length === 1 && first && first.path === undefined && (first.kind === 'N' || first.kind === 'D')) {
    return { action: first.kind === 'N' ? 'create' : 'delete', kind, name, details: [] };
  }
  return { action: 'change', kind, name, details: diff.map(describeDiff) };
}

function describeDiff(entry: DeepDiff): string {
  const where = (entry.path ?? []).join('.');
  switch (entry.kind) {
    case 'E':
      return `${where}: ${show(entry.lhs)} → ${show(entry.rhs)}`;
    case 'N':
      return `${where}: (none) → ${show(entry.rhs)}`;
    case 'D':
      return `${where}: ${show(entry.lhs)} → (none)`;
    case 'A':
      return entry.item ? describeDiff({ ...entry.item, path: [...(entry.path ?? []), entry.index ?? 0] }) : where;
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
