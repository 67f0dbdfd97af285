// The Directus side of `pnpm run schema:restore`, loaded into the restoring process (seconds): Directus's
// snapshot, diff and apply functions put archived items back in ONE transaction on Directus's own
// connection, so that a restore happens whole or not at all:
//   1. the collections and fields as they were (Directus's apply, so they show in the admin app),
//   2. their rows and values, and the rows of Directus's tables that went with them,
//   3. their relations (foreign keys are checked against the restored rows here),
//   4. the configuration items, and what pointed at them,
//   5. the items marked restored.
import type pg from 'pg';
import { importFromDirectus } from '../lib/directus-install.ts';
import { sqlOnKnex, type KnexRaw } from '../lib/knex-sql.ts';
import type { SnapshotDiff } from '../schema/plan.ts';
import type { Snapshot, SnapshotRelation } from '../schema/snapshot.ts';
import { ARCHIVE_SCHEMA, counted, pointerLabel, pointersOf, title, type Pointer, type SqlClient, type StoredItem } from './model.ts';
import { clashes, relationsToRestore, RestoreRefused, selectItems, withoutRelations, type Present } from './restore-plan.ts';
import { clearReferences, continueSequences, danglingReferences, restoreCopy, restorePointer, rowsLeftOut } from './restore-rows.ts';
import { readArchive } from './store.ts';

export interface RestoreRequest {
  archiveId: number;
  names: string[];
}

interface Knex extends KnexRaw {
  transaction: <T>(work: (trx: Knex) => Promise<T>) => Promise<T>;
  destroy: () => Promise<void>;
}

const api = <T>(module: string) => importFromDirectus<T>(`@directus/api/${module}`);
const [database, { getSnapshot }, { getSnapshotDiff }, { applySnapshot }, { flushCaches }, { useLogger }] = await Promise.all([
  api<{ default: () => Knex; validateDatabaseConnection: (database: Knex) => Promise<void> }>('database/index'),
  api<{ getSnapshot: (options: { database: Knex }) => Promise<Snapshot> }>('utils/schema/get-snapshot'),
  api<{ getSnapshotDiff: (current: Snapshot, after: Snapshot) => SnapshotDiff }>('utils/schema/get-snapshot-diff'),
  api<{ applySnapshot: (snapshot: Snapshot, options: { current: Snapshot; diff: SnapshotDiff; database: Knex }) => Promise<void> }>('utils/schema/apply-snapshot'),
  api<{ flushCaches: (forced: boolean) => Promise<void> }>('cache'),
  api<{ useLogger: () => { level: string } }>('logger/index'),
]);

// The restore's own lines say what it did; Directus's info-level log of each field it creates, not.
export async function restoreItems(request: RestoreRequest): Promise<string[]> {
  const logger = useLogger();
  const level = logger.level;
  logger.level = 'warn';
  try {
    return await restore(request);
  } finally {
    logger.level = level;
  }
}

async function restore({ archiveId, names }: RestoreRequest): Promise<string[]> {
  const knex = database.default();
  await database.validateDatabaseConnection(knex);
  const report = await knex.transaction(async (trx) => {
    const sql = sqlOnKnex(trx);
    await sql.query(`LOCK TABLE ${ARCHIVE_SCHEMA}.items IN SHARE ROW EXCLUSIVE MODE`);
    const archive = await readArchive(sql, archiveId);
    if (!archive) throw new RestoreRefused(`there is no archive ${archiveId} (pnpm run schema:archives lists them)`);
    const items = selectItems(archive.items, names, archiveId);
    const current = await getSnapshot({ database: trx });
    const problems = clashes(items, current, await present(sql));
    if (problems.length > 0) throw new RestoreRefused(`nothing was restored, because it would clash with what is there now:\n  ${problems.join('\n  ')}`);

    // PostgreSQL refuses to change a column a tenant policy names: lifted and laid down again inside
    // this transaction, as step 3 does (db-init-post/012_tenant_policies.sql).
    const tenant = (await sql.query("SELECT to_regproc('tenant.unprotect') IS NOT NULL AS tenant")).rows[0]?.['tenant'] === true;
    if (tenant) await sql.query('SELECT tenant.unprotect()');
    await apply(trx, current, withoutRelations(current, items));
    const restored = new Map<StoredItem, number[]>();
    for (const item of items) restored.set(item, await restoreRows(sql, item));
    // A row refused for want of what it points at goes back once a later item brought that back (the
    // permission of a restored collection whose policy was dropped in the same plan).
    for (const item of items) {
      const counts = restored.get(item)!;
      for (const [index, copy] of item.copies.entries()) if (!copy.updateBy) counts[index] = (counts[index] ?? 0) + (await restoreCopy(sql, copy));
    }
    const afterRows = await getSnapshot({ database: trx });
    const candidates = relationsToRestore(afterRows, items);
    const { relations, notes } = await checkReferences(sql, candidates.relations);
    const missing = [...candidates.missing, ...notes];
    await apply(trx, afterRows, { ...afterRows, relations: [...afterRows.relations, ...relations] });
    const lines: string[] = [];
    for (const item of items) lines.push(await itemReport(sql, item, restored.get(item)!, await restorePointers(sql, item)));
    if (tenant) await sql.query('SELECT tenant.protect_all()');
    for (const item of items) {
      await sql.query(`UPDATE ${ARCHIVE_SCHEMA}.items SET restored_at = now() WHERE archive_id = $1 AND position = $2`, [archiveId, item.position]);
    }
    return [...lines, ...relations.map((relation) => `  relation ${relation.collection}.${relation.field} → ${relation.related_collection ?? '(any)'} restored`), ...missing.map((line) => `  ${line}`)];
  });
  // Directus's caches (Redis's too, where configured) forget the schema and permissions they held.
  await flushCaches(true);
  await knex.destroy();
  return report;
}

// A relation's foreign key is checked against the rows when it is made: rows that point at rows gone
// since (a user deleted after the archive was made) would fail the whole restore. Where the relation
// says ON DELETE SET NULL, they get what deleting those rows would have given them; otherwise the
// relation is left out, naming the rows, and the values stay as they were.
async function checkReferences(sql: SqlClient, candidates: SnapshotRelation[]): Promise<{ relations: SnapshotRelation[]; notes: string[] }> {
  const relations: SnapshotRelation[] = [];
  const notes: string[] = [];
  for (const relation of candidates) {
    const name = `${relation.collection}.${relation.field}`;
    const dangling = relation.related_collection ? await danglingReferences(sql, relation) : [];
    if (dangling.length === 0) {
      relations.push(relation);
    } else if (relation.schema?.on_delete === 'SET NULL') {
      await clearReferences(sql, relation);
      relations.push(relation);
      notes.push(`${counted(dangling.length, 'values')} of ${name} set to null: the ${relation.related_collection} rows they pointed at are gone (the relation says ON DELETE SET NULL)`);
    } else {
      notes.push(
        `relation ${name} → ${relation.related_collection} left out: ${counted(dangling.length, 'rows')} of ${relation.collection} point at ${relation.related_collection} rows that are gone ` +
          `(keys ${dangling.slice(0, 10).join(', ')}${dangling.length > 10 ? ', …' : ''}); fix them, then make the relation again in the admin app`,
      );
    }
  }
  return { relations, notes };
}

// Directus's apply of the difference, refusing anything but creations and changes: a restore adds.
async function apply(trx: Knex, current: Snapshot, target: Snapshot): Promise<void> {
  const diff = getSnapshotDiff(current, target);
  const deletes = [...diff.collections, ...diff.fields, ...diff.relations].filter((item) => item.diff[0]?.kind === 'D' && item.diff[0].path === undefined);
  if (deletes.length > 0) throw new Error(`the restore's plan would delete ${deletes.map((item) => item.collection).join(', ')}: refused`);
  if ([...diff.collections, ...diff.fields, ...diff.systemFields, ...diff.relations].length === 0) return;
  await applySnapshot(target, { current, diff, database: trx });
}

// The item's copies, in their order; how many rows of each went back.
async function restoreRows(sql: SqlClient, item: StoredItem): Promise<number[]> {
  const counts: number[] = [];
  for (const copy of item.copies) counts.push(await restoreCopy(sql, copy));
  // A configuration item whose own row cannot go back (its policy or flow is gone) is not restored.
  if (item.copies[0]?.label === '' && counts[0] === 0) {
    throw new RestoreRefused(`${item.name} cannot go back: it points at something that is not there now (restore that first)`);
  }
  if (item.kind === 'collection' && item.copies[0]?.source === item.name) await continueSequences(sql, item.name);
  return counts;
}

async function restorePointers(sql: SqlClient, item: StoredItem): Promise<Array<{ pointer: Pointer; linked: number }>> {
  const pointers = pointersOf(item.metadata);
  const linked: Array<{ pointer: Pointer; linked: number }> = [];
  for (const pointer of pointers) linked.push({ pointer, linked: await restorePointer(sql, pointer) });
  return linked;
}

// "collection stages restored: 2 rows, 1 permission, 4 activity rows (1 left out: …)", counted once
// every item is back, so that a row another item of the same restore brought back is not missing.
async function itemReport(sql: SqlClient, item: StoredItem, restored: number[], pointers: Array<{ pointer: Pointer; linked: number }>): Promise<string> {
  const parts: string[] = [];
  for (const [index, copy] of item.copies.entries()) {
    if (copy.label === '' || copy.rows === 0) continue;
    const leftOut = await rowsLeftOut(sql, copy);
    if ((restored[index] ?? 0) === 0 && leftOut === 0) continue;
    const why = copy.updateBy ? 'their rows were deleted since' : 'their key is taken now, or they point at rows that are gone';
    parts.push(`${counted(restored[index] ?? 0, copy.label)}${leftOut > 0 ? ` (${leftOut} left out: ${why})` : ''}`);
  }
  for (const { pointer, linked } of pointers) {
    const leftOut = pointer.rows.length - linked;
    parts.push(`${counted(linked, pointerLabel(pointer))} linked again${leftOut > 0 ? ` (${leftOut} left out: gone, or changed since)` : ''}`);
  }
  return `  ${title(item)} restored${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

async function present(sql: SqlClient): Promise<Present> {
  const names = async (table: string) => new Set((await sql.query<{ name: string }>(`SELECT name FROM ${table}`)).rows.map((row) => row.name));
  const ids = async (table: string) => (await sql.query<{ id: string }>(`SELECT id::text AS id FROM ${table}`)).rows.map((row) => `${table}:${row.id}`);
  const { rows: tables } = await sql.query<{ name: string }>('SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()');
  const { rows: permissions } = await sql.query<{ name: string }>(
    `SELECT p.name || '/' || m.collection || '.' || m.action AS name FROM directus_permissions m JOIN directus_policies p ON p.id = m.policy`,
  );
  return {
    tables: new Set(tables.map((row) => row.name)),
    configNames: new Map([
      ['directus_roles', await names('directus_roles')],
      ['directus_policies', await names('directus_policies')],
      ['directus_flows', await names('directus_flows')],
    ]),
    configIds: new Set([
      ...(await ids('directus_roles')),
      ...(await ids('directus_policies')),
      ...(await ids('directus_permissions')),
      ...(await ids('directus_flows')),
      ...(await ids('directus_operations')),
    ]),
    permissions: new Set(permissions.map((row) => row.name)),
  };
}
