import pg from 'pg';
import type { LiveConfig } from '../config/live.ts';
import type { Risk } from '../schema/guard.ts';
import type { PlannedChange } from '../schema/plan.ts';
import type { Snapshot, SnapshotRelation } from '../schema/snapshot.ts';
import type { CopySpec, ItemSpec, Pointer, SqlClient } from './model.ts';
import { deletionClosure, inList, primaryKey } from './references.ts';

// What the archive keeps of each deletion or lossy change the guard allowed: exactly what the apply
// would lose, read inside the apply's own transaction, right before it applies.
//   collection  its rows, its snapshot entries (collection, fields, relations either way), the rows of
//               Directus's tables that go with it (permissions, presets, activity, revisions, content
//               versions, shares), and what pointed at it: collections in it as a folder, many-to-any
//               relations that allowed it, revisions of other collections whose parent was one of its
//   field       every row's value by key and its snapshot entries; for a lossy change, the values it
//               would truncate, round or convert, and the field as it was; and what Directus clears
//               with a field: the collection's sort and archive field, fields grouped under it, the
//               one-to-many alias a relation showed it as
//   relation, system field   the snapshot entry
//   role, policy, permission, flow, operation   the row, what cascades with it, what pointed at it
// A permission on a collection dropped in the same plan, a relation of a dropped collection or field,
// is kept with that collection or field.
export const SCHEMA_KINDS: ReadonlyArray<PlannedChange['kind']> = ['collection', 'field', 'relation', 'system field'];

export async function archiveItems(sql: SqlClient, risks: Risk[], current: Snapshot | undefined, live: LiveConfig, part: 'schema' | 'config'): Promise<ItemSpec[]> {
  const droppedCollections = new Set(risks.filter(({ change }) => change.kind === 'collection' && change.action === 'delete').map(({ change }) => change.collection));
  const droppedFields = new Set(
    risks.filter(({ change }) => change.kind === 'field' && change.action === 'delete').map(({ change }) => `${change.collection}.${change.field ?? ''}`),
  );
  const covered = (change: PlannedChange) =>
    (change.kind === 'permission' && droppedCollections.has(change.collection)) ||
    (change.kind === 'relation' && (droppedCollections.has(change.collection) || droppedFields.has(`${change.collection}.${change.field ?? ''}`))) ||
    (change.kind === 'relation' && droppedCollections.has(relationOf(current, change)?.related_collection ?? ''));
  const mine = risks.filter(({ change }) => SCHEMA_KINDS.includes(change.kind) === (part === 'schema') && !covered(change));
  // Nobody writes to what is about to be copied and dropped until the apply commits.
  const tables = [...new Set(mine.filter(({ change }) => SCHEMA_KINDS.includes(change.kind)).map(({ change }) => change.collection))];
  for (const table of await existingTables(sql, tables)) await sql.query(`LOCK TABLE ${pg.escapeIdentifier(table)} IN ACCESS EXCLUSIVE MODE`);
  const items: ItemSpec[] = [];
  for (const risk of mine) items.push(await itemFor(sql, risk, current, live));
  return items;
}

async function itemFor(sql: SqlClient, { change, impact, losing }: Risk, current: Snapshot | undefined, live: LiveConfig): Promise<ItemSpec> {
  const base = { kind: change.kind, action: change.action === 'delete' ? ('delete' as const) : ('change' as const), impact };
  switch (change.kind) {
    case 'collection':
      return { ...base, name: change.collection, ...(await collectionItem(sql, change.collection, need(current, change))) };
    case 'field':
      return { ...base, name: `${change.collection}.${change.field ?? ''}`, ...(await fieldItem(sql, change, need(current, change), losing)) };
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
      return { ...base, name: change.allowName ?? change.name, ...(await configItem(sql, change, live)) };
  }
}

async function collectionItem(sql: SqlClient, name: string, current: Snapshot): Promise<Pick<ItemSpec, 'metadata' | 'copies'>> {
  const collection = current.collections.find((entry) => entry.collection === name);
  if (!collection) throw new Error(`collection ${name} is not in the database's snapshot`);
  const fields = current.fields.filter((field) => field.collection === name);
  const relations = current.relations.filter((relation) => relation.collection === name || relation.related_collection === name);
  const of = (source: string, label: string, where = 'collection = $1'): CopySpec => ({ source, label, where, params: [name] });
  const pointers = [
    await pointer(sql, { table: 'directus_collections', column: 'group', key: 'collection', where: '"group" = $1' }, [name]),
    // Directus takes the collection out of every many-to-any list that allowed it.
    await pointer(
      sql,
      {
        table: 'directus_relations',
        column: 'one_allowed_collections',
        key: 'id',
        where: `$1 = ANY(string_to_array(one_allowed_collections, ','))`,
        left: `array_to_string(array_remove(string_to_array(one_allowed_collections, ','), $1), ',')`,
      },
      [name],
    ),
    await pointer(sql, { table: 'directus_revisions', column: 'parent', key: 'id', where: `collection <> $1 AND parent IN (SELECT id FROM directus_revisions WHERE collection = $1)` }, [name]),
  ];
  return {
    metadata: { collection, fields, relations, pointers: pointers.filter((entry): entry is Pointer => entry !== undefined) },
    copies: [
      // A folder has no table.
      ...(collection.schema ? [{ source: name, label: 'rows', where: 'true', params: [] }] : []),
      of('directus_permissions', 'permissions'),
      of('directus_presets', 'presets'),
      // In the order they come back: a revision points at its activity and its content version.
      of('directus_activity', 'activity rows'),
      of('directus_versions', 'content versions'),
      // Shares carry no secret (a share's sessions do, and are not kept).
      of('directus_shares', 'shares'),
      of('directus_revisions', 'revisions'),
    ],
  };
}

async function fieldItem(sql: SqlClient, change: PlannedChange, current: Snapshot, losing: string | undefined): Promise<Pick<ItemSpec, 'metadata' | 'copies'>> {
  const collection = change.collection;
  const fieldName = change.field ?? '';
  const field = current.fields.find((entry) => entry.collection === collection && entry.field === fieldName);
  if (!field) throw new Error(`field ${change.name} is not in the database's snapshot`);
  const relations = current.relations.filter(
    (relation) => (relation.collection === collection && relation.field === fieldName) || (relation.related_collection === collection && relation.meta?.one_field === fieldName),
  );
  // What Directus clears when it deletes a field (services/fields.js, deleteField).
  const cleared =
    change.action === 'delete'
      ? [
          await pointer(sql, { table: 'directus_collections', column: 'sort_field', key: 'collection', where: 'collection = $1 AND sort_field = $2' }, [collection, fieldName]),
          await pointer(sql, { table: 'directus_collections', column: 'archive_field', key: 'collection', where: 'collection = $1 AND archive_field = $2' }, [collection, fieldName]),
          await pointer(sql, { table: 'directus_fields', column: 'group', key: 'id', where: 'collection = $1 AND "group" = $2' }, [collection, fieldName]),
          await pointer(sql, { table: 'directus_relations', column: 'one_field', key: 'id', where: 'one_collection = $1 AND one_field = $2' }, [collection, fieldName]),
        ]
      : [];
  const metadata = { field, relations, pointers: cleared.filter((entry): entry is Pointer => entry !== undefined) };
  const { rows } = await sql.query('SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2', [collection, fieldName]);
  // An alias (one-to-many, a presentation field) has no column, so no values.
  if (rows.length === 0) return { metadata, copies: [] };
  const key = await primaryKey(sql, collection);
  const lossy = change.action === 'change';
  return {
    metadata,
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

async function configItem(sql: SqlClient, change: PlannedChange, live: LiveConfig): Promise<Pick<ItemSpec, 'metadata' | 'copies'>> {
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
  const { copies, pointers } = await deletionClosure(sql, table, [String(id)]);
  // The item's own row is what the item is; the listing names the rest.
  copies[0] = { ...copies[0]!, label: '' };
  return { metadata: { table, id: String(id), pointers }, copies };
}

// Rows of `table` that `where` selects, by `key`, with what `column` holds now (and what the apply will
// leave there, `left`, when not null): undefined when there are none.
async function pointer(
  sql: SqlClient,
  spec: { table: string; column: string; key: string; where: string; left?: string },
  params: unknown[],
): Promise<Pointer | undefined> {
  const column = pg.escapeIdentifier(spec.column);
  const { rows } = await sql.query<{ key: string; value: string; left: string | null }>(
    `SELECT ${pg.escapeIdentifier(spec.key)}::text AS key, ${column}::text AS value, ${spec.left ?? 'NULL::text'} AS left FROM ${pg.escapeIdentifier(spec.table)} WHERE ${spec.where}`,
    params,
  );
  if (rows.length === 0) return undefined;
  return { table: spec.table, column: spec.column, key: spec.key, rows: rows.map((row) => (row.left === null ? [row.key, row.value] : [row.key, row.value, row.left])) };
}

async function existingTables(sql: SqlClient, names: string[]): Promise<string[]> {
  const { rows } = await sql.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND ${inList('tablename', 1)} ORDER BY 1`, [
    JSON.stringify(names),
  ]);
  return rows.map((row) => row.name);
}

function relationOf(current: Snapshot | undefined, change: PlannedChange): SnapshotRelation | undefined {
  return current?.relations.find((relation) => relation.collection === change.collection && relation.field === change.field);
}

function need(current: Snapshot | undefined, change: PlannedChange): Snapshot {
  if (!current) throw new Error(`${change.kind} ${change.name}: no snapshot of the database to archive it from`);
  return current;
}
