import pg from 'pg';
import { LABELS, type CopySpec, type Pointer } from './model.ts';

// What deleting rows takes with it, read from the database's own foreign keys: rows that reference
// them ON DELETE CASCADE go too (copied, and what references those, in turn), and rows that reference
// them otherwise lose the reference (SET NULL, or a link the apply clears first): recorded as pointers.
// So a role comes back with its access rows, presets and shares, and its users get it back.
export interface Closure {
  copies: CopySpec[];
  pointers: Pointer[];
}

// Links Directus keeps without a foreign key.
const SOFT_REFERENCES = [{ table: 'directus_flows', column: 'operation', references: 'directus_operations' }];

interface Reference {
  table: string;
  column: string;
  onDelete: string;
}

export async function deletionClosure(client: pg.ClientBase, table: string, ids: string[]): Promise<Closure> {
  const closure: Closure = { copies: [], pointers: [] };
  await collect(client, table, ids, closure, new Set());
  return closure;
}

async function collect(client: pg.ClientBase, table: string, ids: string[], closure: Closure, seen: Set<string>): Promise<void> {
  const key = await primaryKey(client, table);
  const fresh = ids.filter((id) => !seen.has(`${table}:${id}`));
  if (fresh.length === 0) return;
  for (const id of fresh) seen.add(`${table}:${id}`);
  closure.copies.push({ source: table, label: LABELS[table] ?? 'rows', where: `${pg.escapeIdentifier(key)}::text = ANY($1::text[])`, params: [fresh] });
  for (const reference of await referencesTo(client, table)) {
    const referencingKey = await primaryKey(client, reference.table);
    const { rows } = await client.query<{ key: string; value: string }>(
      `SELECT ${pg.escapeIdentifier(referencingKey)}::text AS key, ${pg.escapeIdentifier(reference.column)}::text AS value
         FROM ${pg.escapeIdentifier(reference.table)} WHERE ${pg.escapeIdentifier(reference.column)}::text = ANY($1::text[])`,
      [fresh],
    );
    if (rows.length === 0) continue;
    if (reference.onDelete === 'c') {
      await collect(client, reference.table, rows.map((row) => row.key), closure, seen);
    } else {
      closure.pointers.push({ table: reference.table, column: reference.column, key: referencingKey, rows: rows.map((row) => [row.key, row.value]) });
    }
  }
}

// Foreign keys into `table` (single-column ones: Directus's), and the soft references.
async function referencesTo(client: pg.ClientBase, table: string): Promise<Reference[]> {
  const { rows } = await client.query<Reference>(
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

export async function primaryKey(client: pg.ClientBase, table: string): Promise<string> {
  const { rows } = await client.query<{ column: string }>(
    `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisprimary`,
    [table],
  );
  if (rows.length !== 1) throw new Error(`${table} has no single-column primary key, so its rows cannot be archived one by one`);
  return rows[0]!.column;
}
