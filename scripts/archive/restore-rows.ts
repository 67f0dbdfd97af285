import pg from 'pg';
import type { SnapshotRelation } from '../schema/snapshot.ts';
import { ARCHIVE_SCHEMA, type Pointer, type SqlClient, type StoredCopy } from './model.ts';

// The rows of an archive going back where they came from, inside the restore's transaction.

const id = pg.escapeIdentifier;
const archived = (table: string) => `${id(ARCHIVE_SCHEMA)}.${id(table)}`;

// A copy of whole rows goes back as new rows, except rows whose key is taken now and rows that point
// at something that is not there (a policy since deleted). A copy of a field's values goes back into
// the rows that still exist, by key. Returns how many went back.
export async function restoreCopy(sql: SqlClient, copy: StoredCopy): Promise<number> {
  if (copy.rows === 0) return 0;
  if (copy.updateBy) return restoreValues(sql, copy, copy.updateBy);
  if (copy.label === 'rows') await addUnmanagedColumns(sql, copy);
  const key = await keyOf(sql, copy.source);
  const columns = await sharedColumns(sql, copy);
  const references = await referencesOf(sql, copy, columns);
  const list = columns.map((column) => id(column)).join(', ');
  const values = columns.map((column) => references.find((reference) => reference.column === column && reference.setNull)?.value ?? `a.${id(column)}`);
  const conditions = [`NOT EXISTS (SELECT 1 FROM ${id(copy.source)} s WHERE s.${id(key)} = a.${id(key)})`, ...references.filter((reference) => !reference.setNull).map((reference) => reference.found)];
  const result = await sql.query(
    `INSERT INTO ${id(copy.source)} (${list}) OVERRIDING SYSTEM VALUE SELECT ${values.join(', ')} FROM ${archived(copy.table)} a WHERE ${conditions.join(' AND ')}`,
  );
  return result.rowCount ?? 0;
}

// Once everything went back: the copy's rows that are not in their table (another item of the same
// restore may have brought a row back that this one could not), or values whose rows are gone.
export async function rowsLeftOut(sql: SqlClient, copy: StoredCopy): Promise<number> {
  if (copy.rows === 0) return 0;
  const key = copy.updateBy ?? (await keyOf(sql, copy.source));
  const { rows } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${archived(copy.table)} a WHERE NOT EXISTS (SELECT 1 FROM ${id(copy.source)} s WHERE s.${id(key)} = a.${id(key)})`,
  );
  return rows[0]?.n ?? 0;
}

async function restoreValues(sql: SqlClient, copy: StoredCopy, key: string): Promise<number> {
  const column = (copy.columns ?? []).find((name) => name !== key);
  if (!column) throw new Error(`archive copy ${copy.table} names no column besides its key ${key}`);
  const result = await sql.query(`UPDATE ${id(copy.source)} t SET ${id(column)} = a.${id(column)} FROM ${archived(copy.table)} a WHERE t.${id(key)} = a.${id(key)}`);
  return result.rowCount ?? 0;
}

// Auto-increment keys of a table made again: their sequences continue after the restored rows.
export async function continueSequences(sql: SqlClient, table: string): Promise<void> {
  const { rows } = await sql.query<{ column: string; sequence: string }>(
    `SELECT a.attname AS column, pg_get_serial_sequence(quote_ident($1), a.attname) AS sequence
       FROM pg_attribute a WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped`,
    [table],
  );
  for (const { column, sequence } of rows) {
    if (!sequence) continue;
    await sql.query(`SELECT setval($1, max(${id(column)})) FROM ${id(table)} HAVING max(${id(column)}) IS NOT NULL`, [sequence]);
  }
}

// Rows that pointed at a restored item point at it again, where they still exist and hold what the
// apply left them (nothing, mostly). Returns how many of the recorded rows point at it now (some came
// back with it, already pointing).
export async function restorePointer(sql: SqlClient, pointer: Pointer): Promise<number> {
  const { rows: types } = await sql.query<{ type: string }>(
    `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = to_regclass(quote_ident($1)) AND attname = $2`,
    [pointer.table, pointer.column],
  );
  const type = types[0]?.type;
  if (!type) return 0;
  await sql.query(
    `UPDATE ${id(pointer.table)} t SET ${id(pointer.column)} = CAST(p.value AS ${type})
       FROM json_to_recordset($1::json) AS p(key text, value text, left_by_apply text)
      WHERE t.${id(pointer.key)}::text = p.key AND t.${id(pointer.column)}::text IS NOT DISTINCT FROM p.left_by_apply`,
    [JSON.stringify(pointer.rows.map(([key, value, left]) => ({ key, value, left_by_apply: left ?? null })))],
  );
  const { rows } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${id(pointer.table)} t JOIN json_to_recordset($1::json) AS p(key text, value text)
        ON t.${id(pointer.key)}::text = p.key AND t.${id(pointer.column)}::text = p.value`,
    [JSON.stringify(pointer.rows.map(([key, value]) => ({ key, value })))],
  );
  return rows[0]?.n ?? 0;
}

async function keyOf(sql: SqlClient, table: string): Promise<string> {
  const { rows } = await sql.query<{ column: string }>(
    `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisprimary`,
    [table],
  );
  if (rows.length !== 1) throw new Error(`${table} has no single-column primary key to restore rows by`);
  return rows[0]!.column;
}

// A collection's table made again by Directus has the columns Directus manages; columns it did not
// (added by hand, no directus_fields row) come back with their type and values, still unmanaged.
async function addUnmanagedColumns(sql: SqlClient, copy: StoredCopy): Promise<void> {
  const { rows } = await sql.query<{ column: string; type: string }>(
    `SELECT a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
      WHERE a.attrelid = to_regclass($2) AND a.attnum > 0 AND NOT a.attisdropped
        AND NOT EXISTS (SELECT 1 FROM pg_attribute t WHERE t.attrelid = to_regclass(quote_ident($1)) AND t.attname = a.attname AND NOT t.attisdropped)
      ORDER BY a.attnum`,
    [copy.source, `${ARCHIVE_SCHEMA}.${copy.table}`],
  );
  for (const { column, type } of rows) await sql.query(`ALTER TABLE ${id(copy.source)} ADD COLUMN ${id(column)} ${type}`);
}

// The archive's columns that the table has now, in the table's order: a Directus upgrade in between
// may have added columns (their defaults apply) or dropped some (those values stay in the archive).
async function sharedColumns(sql: SqlClient, copy: StoredCopy): Promise<string[]> {
  const { rows } = await sql.query<{ column: string }>(
    `SELECT t.attname AS column FROM pg_attribute t
      WHERE t.attrelid = to_regclass(quote_ident($1)) AND t.attnum > 0 AND NOT t.attisdropped AND t.attgenerated = ''
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = to_regclass($2) AND a.attname = t.attname AND NOT a.attisdropped)
      ORDER BY t.attnum`,
    [copy.source, `${ARCHIVE_SCHEMA}.${copy.table}`],
  );
  return rows.map((row) => row.column);
}

// The table's foreign keys over restored columns. A row goes back only if what it points at is there
// (or comes back in the same copy, for a table that points at itself); where the key says ON DELETE
// SET NULL (a content version whose author was deleted since), it goes back pointing at nothing, as
// deleting that row would have left it.
interface Reference {
  column: string;
  setNull: boolean;
  // The condition that what the archived row points at is there, and the value to insert.
  found: string;
  value: string;
}

async function referencesOf(sql: SqlClient, copy: StoredCopy, columns: string[]): Promise<Reference[]> {
  const { rows } = await sql.query<{ column: string; target: string; target_column: string; on_delete: string }>(
    `SELECT a.attname AS column, r.relname AS target, ra.attname AS target_column, c.confdeltype AS on_delete
       FROM pg_constraint c
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       JOIN pg_class r ON r.oid = c.confrelid
       JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
      WHERE c.contype = 'f' AND c.conrelid = to_regclass(quote_ident($1)) AND cardinality(c.conkey) = 1`,
    [copy.source],
  );
  return rows
    .filter((row) => columns.includes(row.column))
    .map((row) => {
      const self = row.target === copy.source ? ` OR EXISTS (SELECT 1 FROM ${archived(copy.table)} o WHERE o.${id(row.target_column)} = a.${id(row.column)})` : '';
      const found = `(a.${id(row.column)} IS NULL OR EXISTS (SELECT 1 FROM ${id(row.target)} f WHERE f.${id(row.target_column)} = a.${id(row.column)})${self})`;
      return { column: row.column, setNull: row.on_delete === 'n', found, value: `CASE WHEN ${found} THEN a.${id(row.column)} END` };
    });
}

// Keys of the rows of a relation's collection whose value points at no row of the related collection.
export async function danglingReferences(sql: SqlClient, relation: SnapshotRelation): Promise<string[]> {
  const target = relation.schema?.['foreign_key_column'];
  const column = typeof target === 'string' ? target : await keyOf(sql, relation.related_collection!);
  const key = await keyOf(sql, relation.collection);
  const { rows } = await sql.query<{ key: string }>(
    `SELECT t.${id(key)}::text AS key FROM ${id(relation.collection)} t
      WHERE t.${id(relation.field)} IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ${id(relation.related_collection!)} f WHERE f.${id(column)} = t.${id(relation.field)})
      ORDER BY 1`,
  );
  return rows.map((row) => row.key);
}

export async function clearReferences(sql: SqlClient, relation: SnapshotRelation): Promise<void> {
  const target = relation.schema?.['foreign_key_column'];
  const column = typeof target === 'string' ? target : await keyOf(sql, relation.related_collection!);
  await sql.query(
    `UPDATE ${id(relation.collection)} t SET ${id(relation.field)} = NULL
      WHERE t.${id(relation.field)} IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ${id(relation.related_collection!)} f WHERE f.${id(column)} = t.${id(relation.field)})`,
  );
}
