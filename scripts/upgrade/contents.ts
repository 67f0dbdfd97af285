import type pg from 'pg';

// Every row of every table of the schemas the boot and Directus write, to tell what an upgrade kept:
// each row as a digest of all its columns, so nothing counts as kept that differs in an id, a time or
// a hash (tests/support/database-contents.ts, which compares two different boots, leaves those out).
// After the upgrade, each table is read on the columns it had before: a column a migration adds
// changes no row.
const SCHEMAS = ['public', 'tenant', 'db_init'];

export interface TableContents {
  columns: string[];
  // One md5 per row, sorted.
  rows: string[];
}

export type Contents = Map<string, TableContents>;

export interface TableChange {
  table: string;
  lost: number;
  added: number;
}

export interface ContentsComparison {
  tables: number;
  keptRows: number;
  // Tables some of whose rows are gone (or changed), or that gained rows.
  changed: TableChange[];
  addedColumns: string[];
  droppedColumns: string[];
  addedTables: string[];
  droppedTables: string[];
}

export async function recordContents(client: pg.ClientBase): Promise<Contents> {
  const contents: Contents = new Map();
  for (const [table, columns] of await tableColumns(client)) contents.set(table, { columns, rows: await rowDigests(client, table, columns) });
  return contents;
}

export async function compareContents(client: pg.ClientBase, before: Contents): Promise<ContentsComparison> {
  const now = await tableColumns(client);
  const comparison: ContentsComparison = { tables: 0, keptRows: 0, changed: [], addedColumns: [], droppedColumns: [], addedTables: [], droppedTables: [] };
  for (const [table, { columns, rows }] of before) {
    const columnsNow = now.get(table);
    if (!columnsNow) {
      comparison.droppedTables.push(table);
      continue;
    }
    comparison.tables += 1;
    comparison.addedColumns.push(...columnsNow.filter((column) => !columns.includes(column)).map((column) => `${table}.${column}`));
    const dropped = columns.filter((column) => !columnsNow.includes(column));
    comparison.droppedColumns.push(...dropped.map((column) => `${table}.${column}`));
    // A dropped column loses its values: every row with one counts as changed.
    const rowsNow = dropped.length > 0 ? [] : await rowDigests(client, table, columns);
    const { lost, added, kept } = difference(rows, rowsNow);
    comparison.keptRows += kept;
    if (lost > 0 || added > 0) comparison.changed.push({ table, lost, added });
  }
  comparison.addedTables = [...now.keys()].filter((table) => !before.has(table));
  return comparison;
}

export function rowCount(contents: Contents): number {
  return [...contents.values()].reduce((sum, table) => sum + table.rows.length, 0);
}

// Ordinary and partitioned tables (a hypertable is one: its rows are read through it), by schema.name.
async function tableColumns(client: pg.ClientBase): Promise<Map<string, string[]>> {
  const { rows } = await client.query<{ table: string; columns: string[] }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS table, array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1)
      GROUP BY 1 ORDER BY 1`,
    [SCHEMAS],
  );
  return new Map(rows.map((row) => [row.table, row.columns]));
}

async function rowDigests(client: pg.ClientBase, table: string, columns: string[]): Promise<string[]> {
  const list = columns.map((column) => `"${column.replaceAll('"', '""')}"`).join(', ');
  const { rows } = await client.query<{ digest: string }>(`SELECT md5(to_jsonb(t)::text) AS digest FROM (SELECT ${list} FROM ${table}) t`);
  return rows.map((row) => row.digest).sort();
}

// Two sorted multisets: how many of the first are missing from the second, and the other way round.
function difference(before: string[], after: string[]): { lost: number; added: number; kept: number } {
  let i = 0;
  let j = 0;
  let kept = 0;
  while (i < before.length && j < after.length) {
    const a = before[i]!;
    const b = after[j]!;
    if (a === b) {
      kept += 1;
      i += 1;
      j += 1;
    } else if (a < b) i += 1;
    else j += 1;
  }
  return { lost: before.length - kept, added: after.length - kept, kept };
}
