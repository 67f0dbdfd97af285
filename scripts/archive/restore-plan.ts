import type { Snapshot, SnapshotField, SnapshotRelation } from '../schema/snapshot.ts';
import { title, type CollectionMetadata, type ConfigMetadata, type FieldMetadata, type RelationMetadata, type StoredItem, type SystemFieldMetadata } from './model.ts';

// What a restore puts back, decided before it writes anything: which items, whether any clashes
// with what the database holds now, and the snapshots Directus's own apply is given to create the
// collections and fields again (first without relations, so the rows can go in before their foreign
// keys are checked; then the relations).
export class RestoreRefused extends Error {}

const SCHEMA_KINDS = ['collection', 'field', 'system field', 'relation'];
// Policies before the roles and permissions that name them, flows before their operations.
const CONFIG_ORDER = ['policy', 'role', 'flow', 'operation', 'permission'];

// The items asked for (by name, or `kind:name`), or every item not yet restored; in the order that
// puts each back after what it points at.
export function selectItems(items: StoredItem[], names: string[], archiveId: number): StoredItem[] {
  const named = (item: StoredItem, name: string) => item.name === name || `${item.kind}:${item.name}` === name;
  const unknown = names.filter((name) => !items.some((item) => named(item, name)));
  if (unknown.length > 0) {
    throw new RestoreRefused(`archive ${archiveId} holds no ${unknown.map((name) => `"${name}"`).join(', ')}; it holds: ${items.map((item) => item.name).join(', ')}`);
  }
  const chosen = names.length === 0 ? items.filter((item) => item.restoredAt === null) : items.filter((item) => names.some((name) => named(item, name)));
  const restored = chosen.filter((item) => item.restoredAt !== null);
  if (restored.length > 0) {
    throw new RestoreRefused(restored.map((item) => `${title(item)} was restored from archive ${archiveId} at ${item.restoredAt!.toISOString()}`).join('; '));
  }
  if (chosen.length === 0) throw new RestoreRefused(`every item of archive ${archiveId} was restored already`);
  const rank = (item: StoredItem) => (SCHEMA_KINDS.includes(item.kind) ? SCHEMA_KINDS.indexOf(item.kind) : SCHEMA_KINDS.length + CONFIG_ORDER.indexOf(item.kind));
  return [...chosen].sort((a, b) => rank(a) - rank(b) || a.position - b.position);
}

export interface Present {
  // Tables of the database's schema, and the configuration items' names and ids now.
  tables: Set<string>;
  configNames: Map<string, Set<string>>;
  configIds: Set<string>;
  // `policy/collection.action` of every permission now.
  permissions: Set<string>;
}

// Everything the restore would overwrite or cannot do, all at once: the operator fixes them together.
export function clashes(items: StoredItem[], current: Snapshot, present: Present): string[] {
  const problems: string[] = [];
  const restoring = new Set(items.filter((item) => item.kind === 'collection').map((item) => item.name));
  const collectionThere = (name: string) => name.startsWith('directus_') || restoring.has(name) || current.collections.some((entry) => entry.collection === name);
  const fieldThere = (field: Pick<SnapshotField, 'collection' | 'field'>) =>
    current.fields.some((entry) => entry.collection === field.collection && entry.field === field.field);
  for (const item of items) {
    switch (item.kind) {
      case 'collection': {
        const { collection } = item.metadata as CollectionMetadata;
        if (current.collections.some((entry) => entry.collection === item.name)) problems.push(`collection ${item.name} exists now`);
        else if (present.tables.has(item.name)) problems.push(`a table named ${item.name} exists now (outside Directus)`);
        const { fields } = item.metadata as CollectionMetadata;
        if (collection.schema && !fields.some((field) => field.schema?.['is_primary_key'] === true)) {
          problems.push(
            `collection ${item.name}: its primary key has no Directus field metadata, so Directus cannot make its table again; its rows are in ${item.copies[0]?.table ? `schema_archive.${item.copies[0].table}` : 'the archive'}: restore them by hand (and leave ${item.name} out: name the other items)`,
          );
        }
        const group = collection.meta?.['group'];
        if (typeof group === 'string' && !collectionThere(group)) problems.push(`collection ${item.name} sat in the folder ${group}, which is not there: restore ${group} with it`);
        break;
      }
      case 'field': {
        const { field } = item.metadata as FieldMetadata;
        if (!collectionThere(field.collection)) problems.push(`field ${item.name}: collection ${field.collection} is not there: restore it first`);
        else if (item.action === 'delete' && fieldThere(field)) problems.push(`field ${item.name} exists now`);
        else if (item.action === 'change' && !fieldThere(field)) problems.push(`field ${item.name} is not there any more, so its old values have nowhere to go`);
        break;
      }
      case 'relation': {
        const { relation } = item.metadata as RelationMetadata;
        if (current.relations.some((entry) => entry.collection === relation.collection && entry.field === relation.field)) problems.push(`relation ${item.name} exists now`);
        break;
      }
      case 'system field':
        break;
      default: {
        const { table, id } = item.metadata as ConfigMetadata;
        const label = item.name.slice(item.name.indexOf(':') + 1);
        if (present.configIds.has(`${table}:${id}`)) problems.push(`${item.name}: its row (id ${id}) exists now`);
        else if (item.kind === 'permission' ? present.permissions.has(label) : present.configNames.get(table)?.has(label)) problems.push(`${item.name} exists now (under another id)`);
      }
    }
  }
  return problems;
}

// The database's snapshot plus the restored collections and fields (old definitions for lossy
// changes), without relations: Directus's diff of the two creates exactly those.
export function withoutRelations(current: Snapshot, items: StoredItem[]): Snapshot {
  const target: Snapshot = structuredClone(current);
  for (const item of items) {
    if (item.kind === 'collection') {
      const { collection, fields } = item.metadata as CollectionMetadata;
      target.collections.push(collection);
      target.fields.push(...fields);
    } else if (item.kind === 'field') {
      const { field } = item.metadata as FieldMetadata;
      target.fields = [...target.fields.filter((entry) => entry.collection !== field.collection || entry.field !== field.field), field];
    } else if (item.kind === 'system field') {
      const { systemField } = item.metadata as SystemFieldMetadata;
      const { collection, field } = systemField as { collection: string; field: string };
      target.systemFields = [
        ...(target.systemFields ?? []).filter((entry) => (entry as { collection: string }).collection !== collection || (entry as { field: string }).field !== field),
        systemField,
      ];
    }
  }
  return target;
}

// The restored items' relations that both ends are there for now; the others, with why.
export function relationsToRestore(current: Snapshot, items: StoredItem[]): { relations: SnapshotRelation[]; missing: string[] } {
  const candidates = items.flatMap((item) => {
    if (item.kind === 'collection' || item.kind === 'field') return (item.metadata as CollectionMetadata | FieldMetadata).relations;
    if (item.kind === 'relation') return [(item.metadata as RelationMetadata).relation];
    return [];
  });
  const collectionThere = (name: string | null) => name === null || name.startsWith('directus_') || current.collections.some((entry) => entry.collection === name);
  const fieldThere = (collection: string, field: string) => current.fields.some((entry) => entry.collection === collection && entry.field === field);
  const relations: SnapshotRelation[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const relation of candidates) {
    const key = `${relation.collection}.${relation.field}`;
    if (seen.has(key) || current.relations.some((entry) => `${entry.collection}.${entry.field}` === key)) continue;
    seen.add(key);
    const absent = [relation.collection, relation.related_collection].find((name) => !collectionThere(name)) ?? (fieldThere(relation.collection, relation.field) ? undefined : key);
    if (absent) missing.push(`relation ${key} → ${relation.related_collection ?? '(any)'} left out: ${absent} is not there (restore it, and this relation comes back with it)`);
    else relations.push(relation);
  }
  return { relations, missing };
}
