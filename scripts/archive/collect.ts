import pg from 'pg';
import type { LiveConfig } from '../config/live.ts';
import type { Risk } from '../schema/guard.ts';
import type { PlannedChange } from '../schema/plan.ts';
import type { Snapshot, SnapshotRelation } from '../schema/snapshot.ts';
import type { ItemSpec } from './model.ts';
import { deletionClosure, primaryKey } from './references.ts';

// What the archive keeps of each deletion or lossy change the guard allowed: exactly what the apply
// would lose, read from the database before anything is applied.
//   collection  its rows, its snapshot entries (collection, fields, relations either way), and the
//               rows of Directus's own tables that go with it (permissions, presets, activity,
//               revisions: Directus deletes them), and which collections sat in it as a folder
//   field       every row's value by key, and its snapshot entries; for a lossy change, the values
//               it would truncate, round or convert, and the field as it was
//   relation, system field   the snapshot entry
//   role, policy, permission, flow, operation   the row, what cascades with it, what pointed at it
// A permission on a collection dropped in the same plan, a relation of a dropped collection or field,
// is kept with that collection or field.
export async function archiveItems(client: pg.ClientBase, risks: Risk[], current: Snapshot | undefined, live: LiveConfig): Promise<ItemSpec[]> {
  const droppedCollections = new Set(risks.filter(({ change }) => change.kind === 'collection' && change.action === 'delete').map(({ change }) => change.collection));
  const droppedFields = new Set(
    risks.filter(({ change }) => change.kind === 'field' && change.action === 'delete').map(({ change }) => `${change.collection}.${change.field ?? ''}`),
  );
  const covered = (change: PlannedChange) =>
    (change.kind === 'permission' && droppedCollections.has(change.collection)) ||
    (change.kind === 'relation' && (droppedCollections.has(change.collection) || droppedFields.has(`${change.collection}.${change.field ?? ''}`))) ||
    (change.kind === 'relation' && droppedCollections.has(relationOf(current, change)?.related_collection ?? ''));
  const items: ItemSpec[] = [];
  for (const risk of risks) {
    if (covered(risk.change)) continue;
    items.push(await itemFor(client, risk, current, live));
  }
  return items;
}

async function itemFor(client: pg.ClientBase, { change, impact, losing }: Risk, current: Snapshot | undefined, live: LiveConfig): Promise<ItemSpec> {
  const base = { kind: change.kind, action: change.action === 'delete' ? ('delete' as const) : ('change' as const), impact };
  switch (change.kind) {
    case 'collection':
      return { ...base, name: change.collection, ...(await collectionItem(client, change.collection, need(current, change))) };
    case 'field':
      return { ...base, name: `${change.collection}.${change.field ?? ''}`, ...(await fieldItem(client, change, need(current, change), losing)) };
    case 'relation': {
      const relation = relationOf(need(current, change), change);
      if (!relation) throw new Error(`relation ${change.name} is not in the database's snapshot`);
      return { ...base, name: `relation:${change.collection}.${change.field ?? ''}`, metadata: { relation }, copies: [] };
    }
    case 'system field': {
      const systemField = (need(current, change).systemFields ?? []).find(
        (entry) => (entry as { collection: string; field: string }).collection === change.collection && (entry as { field: string }).field === change.field,
      );
      return { ...base, name: `system field:${change.collection}.${change.field ?? ''}`, metadata: { systemField }, copies: [] };
    }
    default:
      return { ...base, name: change.allowName ?? change.name, ...(await configItem(client, change, live)) };
  }
}

async function collectionItem(client: pg.ClientBase, name: string, current: Snapshot): Promise<Pick<ItemSpec, 'metadata' | 'copies'>> {
  const collection = current.collections.find((entry) => entry.collection === name);
  if (!collection) throw new Error(`collection ${name} is not in the database's snapshot`);
  const fields = current.fields.filter((field) => field.collection === name);
  const relations = current.relations.filter((relation) => relation.collection === name || relation.related_collection === name);
  const byCollection = { where: 'collection = $1', params: [name] };
  const { rows: children } = await client.query<{ collection: string }>('SELECT collection FROM directus_collections WHERE "group" = $1 ORDER BY collection', [name]);
  return {
    metadata: {
      collection,
      fields,
      relations,
      pointers: children.length > 0 ? [{ table: 'directus_collections', column: 'group', key: 'collection', rows: children.map((child) => [child.collection, name]) }] : [],
    },
    copies: [
      // A folder has no table.
      ...(collection.schema ? [{ source: name, label: 'rows', where: 'true', params: [] }] : []),
      { source: 'directus_permissions', label: 'permissions', ...byCollection },
      { source: 'directus_presets', label: 'presets', ...byCollection },
      // Revisions point at their activity: the activity comes back first.
      { source: 'directus_activity', label: 'activity rows', ...byCollection },
      { source: 'directus_revisions', label: 'revisions', ...byCollection },
    ],
  };
}

async function fieldItem(client: pg.ClientBase, change: PlannedChange, current: Snapshot, losing: string | undefined): Promise<Pick<ItemSpec, 'metadata' | 'copies'>> {
  const collection = change.collection;
  const fieldName = change.field ?? '';
  const field = current.fields.find((entry) => entry.collection === collection && entry.field === fieldName);
  if (!field) throw new Error(`field ${change.name} is not in the database's snapshot`);
  const relations = current.relations.filter(
    (relation) => (relation.collection === collection && relation.field === fieldName) || (relation.related_collection === collection && relation.meta?.one_field === fieldName),
  );
  const { rows } = await client.query('SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2', [collection, fieldName]);
  // An alias (one-to-many, a presentation field) has no column, so no values.
  if (rows.length === 0) return { metadata: { field, relations }, copies: [] };
  const key = await primaryKey(client, collection);
  const lossy = change.action === 'change';
  return {
    metadata: { field, relations },
    copies: [{ source: collection, label: lossy ? 'old values' : 'values', columns: [key, fieldName], where: lossy ? (losing ?? 'true') : 'true', params: [], updateBy: key }],
  };
}

const CONFIG_TABLES: Record<string, string> = {
  role: 'directus_roles',
  policy: 'directus_policies',
  permission: 'directus_permissions',
  flow: 'directus_flows',
  operation: 'directus_operations',
};

async function configItem(client: pg.ClientBase, change: PlannedChange, live: LiveConfig): Promise<Pick<ItemSpec, 'metadata' | 'copies'>> {
  const table = CONFIG_TABLES[change.kind];
  const ids: Record<string, Map<string, string | number>> = {
    role: live.ids.roles,
    policy: live.ids.policies,
    permission: live.ids.permissions,
    flow: live.ids.flows,
    operation: live.ids.operations,
  };
  const id = ids[change.kind]?.get(change.name);
  if (!table || id === undefined) throw new Error(`${change.kind} ${change.name} cannot be archived: the database holds no such item`);
  const { copies, pointers } = await deletionClosure(client, table, [String(id)]);
  // The item's own row is what the item is; the listing names the rest.
  copies[0] = { ...copies[0]!, label: '' };
  return { metadata: { table, id: String(id), pointers }, copies };
}

function relationOf(current: Snapshot | undefined, change: PlannedChange): SnapshotRelation | undefined {
  return current?.relations.find((relation) => relation.collection === change.collection && relation.field === change.field);
}

function need(current: Snapshot | undefined, change: PlannedChange): Snapshot {
  if (!current) throw new Error(`${change.kind} ${change.name}: no snapshot of the database to archive it from`);
  return current;
}
