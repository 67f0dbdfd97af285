import type { SqlClient } from '../lib/knex-sql.ts';
import type { PlannedChange } from '../schema/plan.ts';
import type { SnapshotCollection, SnapshotField, SnapshotRelation } from '../schema/snapshot.ts';

export type { SqlClient };

// What an archive holds (db-init/008_schema_archive.sql): per item, Directus's metadata as it was and
// typed copies of the rows it held. Items are named as DIRECTUS_SCHEMA_ALLOW_DELETE names them.
export const ARCHIVE_SCHEMA = 'schema_archive';

// Rows of one table, copied as they are: `SELECT <columns> FROM <source> WHERE <where>`. Restored in
// the order of the item's list, so that a row comes back after the rows it points at.
export interface CopySpec {
  source: string;
  // What the copy is of, for people: "rows", "permissions", "activity".
  label: string;
  where: string;
  params: unknown[];
  // All columns when absent; a dropped or changed field keeps its table's key and its own column.
  columns?: string[] | undefined;
  // A field's values go back into rows that still exist (UPDATE by key), not as new rows.
  updateBy?: string | undefined;
}

// Rows outside the item that pointed at it and lose that (ON DELETE SET NULL, a link the apply clears,
// a list it takes the item out of): [key, value, what the apply leaves there] of `table.column`, put
// back where the row is still there and holds what the apply left (null unless said).
export interface Pointer {
  table: string;
  column: string;
  key: string;
  rows: Array<[string, string] | [string, string, string]>;
}

// Schema items: the snapshot entries Directus's apply needs to create them again, as they were.
export interface CollectionMetadata {
  collection: SnapshotCollection;
  fields: SnapshotField[];
  relations: SnapshotRelation[];
  pointers: Pointer[];
}

export interface FieldMetadata {
  // The field as it was: deleted, or about to be changed in a way that loses values.
  field: SnapshotField;
  relations: SnapshotRelation[];
  pointers: Pointer[];
}

export interface RelationMetadata {
  relation: SnapshotRelation;
}

export interface SystemFieldMetadata {
  systemField: unknown;
}

// Configuration items: the row is among the copies; what pointed at it, here.
export interface ConfigMetadata {
  table: string;
  id: string;
  pointers: Pointer[];
}

export type ItemMetadata = CollectionMetadata | FieldMetadata | RelationMetadata | SystemFieldMetadata | ConfigMetadata;

export interface ItemSpec {
  kind: PlannedChange['kind'];
  name: string;
  action: 'delete' | 'change';
  impact: string;
  metadata: ItemMetadata;
  copies: CopySpec[];
}

// A copy as stored: the archive table that holds it and how many rows it took.
export interface StoredCopy {
  source: string;
  label: string;
  table: string;
  rows: number;
  columns?: string[] | undefined;
  updateBy?: string | undefined;
}

export interface StoredItem {
  archiveId: number;
  position: number;
  kind: PlannedChange['kind'];
  name: string;
  action: 'delete' | 'change';
  impact: string;
  rowCount: number;
  metadata: ItemMetadata;
  copies: StoredCopy[];
  restoredAt: Date | null;
}

// The archive tables of one item: a<archive>_<item>_<copy>, short enough for any name PostgreSQL keeps.
export function copyTableName(archiveId: number, position: number, index: number): string {
  return `a${archiveId}_${position}_${index}`;
}

// What people call the rows of Directus's tables copied with an item.
export const LABELS: Record<string, string> = {
  directus_access: 'access rows',
  directus_activity: 'activity rows',
  directus_operations: 'operations',
  directus_permissions: 'permissions',
  directus_presets: 'presets',
  directus_revisions: 'revisions',
  directus_shares: 'shares',
};

// What people call the rows that pointed at an item, by the column they pointed with.
const POINTER_LABELS: Record<string, string> = {
  'directus_collections.group': 'collections in it',
  'directus_collections.sort_field': 'sort settings',
  'directus_collections.archive_field': 'archive settings',
  'directus_fields.group': 'fields grouped in it',
  'directus_relations.one_field': 'relation aliases',
  'directus_relations.one_allowed_collections': 'many-to-any relations',
  'directus_revisions.parent': 'revisions of other collections',
  'directus_roles.parent': 'roles under it',
  'directus_operations.resolve': 'operations leading to it',
  'directus_operations.reject': 'operations leading to it',
  'directus_flows.operation': 'flows starting with it',
  'directus_settings.public_registration_role': 'settings',
  'directus_users.role': 'users',
};

export function pointerLabel(pointer: Pick<Pointer, 'table' | 'column'>): string {
  return POINTER_LABELS[`${pointer.table}.${pointer.column}`] ?? `${pointer.table} rows`;
}

// What pointed at an item (collections, fields and configuration items have them).
export function pointersOf(metadata: ItemMetadata): Pointer[] {
  return 'pointers' in metadata ? (metadata as CollectionMetadata | FieldMetadata | ConfigMetadata).pointers : [];
}

// "collection race_notes (3 rows, 2 permissions)", "role Press officer (1 access row, 1 user)": what
// an item holds, as the boot's line and the listing say it.
export function describeItem(item: Pick<StoredItem, 'kind' | 'name' | 'copies' | 'metadata'>): string {
  const pointers = pointersOf(item.metadata);
  const parts = [
    ...item.copies.filter((copy) => copy.rows > 0 && copy.label !== '').map((copy) => counted(copy.rows, copy.label)),
    ...pointers.map((pointer) => counted(pointer.rows.length, pointerLabel(pointer))),
  ];
  return `${title(item)}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

// "collection stages", "field events.name", "role Press officer" (named role:Press officer).
export function title(item: Pick<StoredItem, 'kind' | 'name'>): string {
  return `${item.kind} ${item.name.startsWith(`${item.kind}:`) ? item.name.slice(item.kind.length + 1) : item.name}`;
}

// "1 access row", "2 access rows": labels are plural; a count of one singularizes the first plural
// word ("1 collection in it", "1 old value").
export function counted(n: number, label: string): string {
  if (n !== 1) return `${n} ${label}`;
  const words = label.split(' ');
  const plural = words.findIndex((word) => /[^s]s$/.test(word));
  if (plural >= 0) words[plural] = singular(words[plural]!);
  return `1 ${words.join(' ')}`;
}

function singular(word: string): string {
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(s|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  return word.slice(0, -1);
}
