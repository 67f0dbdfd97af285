import { importFromDirectus } from '../lib/directus-install.ts';
import { describeRelation, type Snapshot } from './snapshot.ts';

// What applying a snapshot would do to a database, as data: one entry per collection, field or
// relation, worked out by Directus's own diff (the one `schema apply` runs).
export type ChangeAction = 'create' | 'change' | 'delete';

export interface PlannedChange {
  action: ChangeAction;
  kind: 'collection' | 'field' | 'system field' | 'relation' | ConfigKind;
  name: string;
  collection: string;
  // The field of a field, system field or relation.
  field?: string | undefined;
  // For a configuration item: how DIRECTUS_SCHEMA_ALLOW_DELETE names it (`role:Timekeeper`).
  allowName?: string | undefined;
  // For a change: each property that differs.
  edits: PropertyEdit[];
}

// What snapshots/config.yaml holds (scripts/config/).
export type ConfigKind = 'role' | 'policy' | 'permission' | 'public access' | 'flow' | 'operation' | 'settings';

// One property of a change: `schema.max_length`, 255 → 10. Undefined stands for "not set".
export interface PropertyEdit {
  path: string;
  before: unknown;
  after: unknown;
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

// Directus's diff of two snapshots, as getSnapshotDiff returns it and applyDiff takes it.
export interface SnapshotDiff {
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
  return planFromDiff(getSnapshotDiff(current, target));
}

export function planFromDiff(diff: SnapshotDiff): PlannedChange[] {
  return [
    ...diff.collections.map((item) => toChange('collection', item.collection, item, undefined)),
    ...diff.fields.map((item) => toChange('field', `${item.collection}.${item.field}`, item, item.field)),
    ...diff.systemFields.map((item) => toChange('system field', `${item.collection}.${item.field}`, item, item.field)),
    ...diff.relations.map((item) =>
      toChange(
        'relation',
        describeRelation({ collection: item.collection, field: item.field ?? '', related_collection: item.related_collection ?? null }),
        item,
        item.field,
      ),
    ),
  ];
}

// "create collection vehicles", then one indented line per changed property; `note` adds a remark
// to the first line of a change (the guard's verdict, a row count).
export function describeChanges(changes: PlannedChange[], note: (change: PlannedChange) => string = () => ''): string[] {
  const width = Math.max(...changes.map((change) => `${change.action} ${change.kind}`.length));
  return changes.flatMap((change) => [
    `  ${`${change.action} ${change.kind}`.padEnd(width)}  ${change.name}${note(change)}`,
    ...change.edits.map((edit) => `      ${edit.path}: ${show(edit.before)} → ${show(edit.after)}`),
  ]);
}

function toChange(kind: PlannedChange['kind'], name: string, item: DiffItem, field: string | undefined): PlannedChange {
  const { collection, diff } = item;
  const [first] = diff;
  if (diff.length === 1 && first && first.path === undefined && (first.kind === 'N' || first.kind === 'D')) {
    return { action: first.kind === 'N' ? 'create' : 'delete', kind, name, collection, field, edits: [] };
  }
  return { action: 'change', kind, name, collection, field, edits: diff.map(toEdit) };
}

function toEdit(entry: DeepDiff): PropertyEdit {
  if (entry.kind === 'A' && entry.item) return toEdit({ ...entry.item, path: [...(entry.path ?? []), entry.index ?? 0] });
  return { path: (entry.path ?? []).join('.'), before: entry.lhs, after: entry.rhs };
}

function show(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
