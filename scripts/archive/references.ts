import pg from 'pg';
import { LABELS, type CopySpec, type Pointer, type SqlClient } from './model.ts';

// What deleting rows takes with it, read from the database's own foreign keys: rows that reference
// them ON DELETE CASCADE go too (copied, and what references those, in turn), and rows outside that
// set that reference them otherwise lose the reference (SET NULL, or a link the apply clears first):
// recorded as pointers. So a role comes back with its access rows, presets and shares, and its users
// get it back.
export interface Closure {
  copies: CopySpec[];
  pointers: Pointer[];
}

// Rows that carry secrets (login and share sessions, OAuth tokens) are never copied: an archive must
// not keep, nor a restore bring back, a token that would still sign someone in.
const SECRET_TABLES = new Set(['directus_sessions', 'directus_oauth_codes', 'directus_oauth_tokens', 'directus_oauth_consents']);

// Links Directus keeps without a foreign key.
const SOFT_REFERENCES = [{ table: 'directus_flows', column: 'operation', references: 'directus_operations' }];

interface Reference {
  table: string;
  column: string;
  onDelete: string;
}

// `column` is one of the values of a JSON array parameter: how the archive passes lists, on pg and on
// Directus's knex alike.
export const inList = (column: string, parameter: number) => `${column}::text IN (SELECT json_array_elements_text($${parameter}::json))`;

export async function deletionClosure(sql: SqlClient, table: string, ids: string[]): Promise<Closure> {
  const closure: Closure = { copies: [], pointers: [] };
  const seen = new Set<string>();
  const candidates: Pointer[] = [];
  await collect(sql, table, ids, closure, candidates, seen);
  // A row that goes with the item comes back with it, pointer and all.
  for (const pointer of candidates) {
    const rows = pointer.rows.filter(([key]) => !seen.has(`${pointer.table}:${key}`));
    if (rows.length > 0) closure.pointers.push({ ...pointer, rows });
  }
  return closure;
}

async function collect(sql: SqlClient, table: string, ids: string[], closure: Closure, pointers: Pointer[], seen: Set<string>): Promise<void> {
  const key = await primaryKey(sql, table);
  const fresh = ids.filter((id) => !seen.has(`${table}:${id}`));
  if (fresh.length === 0) return;
  for (const id of fresh) seen.add(`${table}:${id}`);
  closure.copies.push({ source: table, label: LABELS[table] ?? 'rows', where: inList(pg.escapeIdentifier(key), 1), params: [JSON.stringify(fresh)] });
  for (const reference of (await referencesTo(sql, table)).filter((candidate) => !SECRET_TABLES.has(candidate.table))) {
    const referencingKey = await primaryKey(sql, reference.table);
    const { rows } = await sql.query<{ key: string; value: string }>(
      `SELECT ${pg.escapeIdentifier(referencingKey)}::text AS key, ${pg.escapeIdentifier(reference.column)}::text AS value
         FROM ${pg.escapeIdentifier(reference.table)} WHERE ${inList(pg.escapeIdentifier(reference.column), 1)}`,
      [JSON.stringify(fresh)],
    );
    if (rows.length === 0) continue;
    if (reference.onDelete === 'c') {
      await collect(sql, reference.table, rows.map((row) => row.key), closure, pointers, seen);
    } else {
      pointers.push({ table: reference.table, column: reference.column, key: referencingKey, rows: rows.map((row) => [row.key, row.value]) });
    }
  }
}

// Foreign keys into `table` (single-column ones: Directus's), and the soft references.
async function referencesTo(sql: SqlClient, table: string): Promise<Reference[]> {
  const { rows } = await sql.query<Reference>(
    `SELECT r.relname AS table, a.attname AS column, c.confdeltype AS "onDelete"
       FROM pg_constraint c
       JOIN pg_class r ON r.oid = c.conrelid
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.contype = 'f' AND c.confrelid = to_regclass(quote_ident($1)) AND cardinality(c.conkey) = 1
      ORDER BY 1, 2`,
    [table],
  );
  return [...rows, ...SOFT_REFERENCES.filter((soft) => soft.references === table).map((soft) => ({ ...soft, onDelete: 'a' }))];
}

export async function primaryKey(sql: SqlClient, table: string): Promise<string> {
  const { rows } = await sql.query<{ column: string }>(
    `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisprimary`,
    [table],
  );
  if (rows.length !== 1) throw new Error(`${table} has no single-column primary key, so its rows cannot be archived one by one`);
  return rows[0]!.column;
}
