import pg from 'pg';
import { ARCHIVE_SCHEMA, copyTableName, type ItemSpec, type SqlClient, type StoredCopy, type StoredItem } from './model.ts';

// The archive catalogue (db-init/008_schema_archive.sql) and its copies, on a plain connection.
export interface ArchiveHeader {
  id: number;
  archivedAt: Date;
  planId: string;
  directusVersion: string;
}

export interface ArchiveSummary extends ArchiveHeader {
  items: StoredItem[];
  rows: number;
  bytes: number;
}

const schema = pg.escapeIdentifier(ARCHIVE_SCHEMA);
const archiveTable = (table: string) => `${schema}.${pg.escapeIdentifier(table)}`;

export async function requireArchiveSchema(client: SqlClient): Promise<void> {
  const { rows } = await client.query<{ present: boolean }>(`SELECT to_regclass('${ARCHIVE_SCHEMA}.items') IS NOT NULL AS present`);
  if (!rows[0]?.present) throw new Error(`this database has no ${ARCHIVE_SCHEMA} (db-init/008_schema_archive.sql creates it at step 1 of a boot): boot it once with this image`);
}

// Copies every item's rows and writes the catalogue, inside the caller's transaction: the one that
// applies the deletions, so that the copies and the loss commit together, or neither does. The first
// part of a boot to archive makes the archive; a later part (the configuration's) adds to it.
export async function archiveWithin(sql: SqlClient, archiveId: number | undefined, planId: string, directusVersion: string, specs: ItemSpec[]): Promise<number | undefined> {
  if (specs.length === 0) return archiveId;
  await requireArchiveSchema(sql);
  const id = archiveId ?? Number((await sql.query<{ id: string }>(`INSERT INTO ${archiveTable('archives')} (plan_id, directus_version) VALUES ($1, $2) RETURNING id`, [planId, directusVersion])).rows[0]!.id);
  const { rows } = await sql.query<{ last: number }>(`SELECT coalesce(max(position), 0)::int AS last FROM ${archiveTable('items')} WHERE archive_id = $1`, [id]);
  for (const [index, spec] of specs.entries()) {
    const position = rows[0]!.last + index + 1;
    const copies: StoredCopy[] = [];
    for (const [copyIndex, copy] of spec.copies.entries()) {
      const table = copyTableName(id, position, copyIndex + 1);
      const columns = copy.columns ? copy.columns.map((column) => pg.escapeIdentifier(column)).join(', ') : '*';
      const source = `SELECT ${columns} FROM ${pg.escapeIdentifier(copy.source)}`;
      await sql.query(`CREATE TABLE ${archiveTable(table)} AS ${source} WITH NO DATA`);
      const result = await sql.query(`INSERT INTO ${archiveTable(table)} ${source} WHERE ${copy.where}`, copy.params);
      copies.push({ source: copy.source, label: copy.label, table, rows: result.rowCount ?? 0, columns: copy.columns, updateBy: copy.updateBy });
    }
    await sql.query(
      `INSERT INTO ${archiveTable('items')} (archive_id, position, kind, name, action, impact, row_count, metadata, copies)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, position, spec.kind, spec.name, spec.action, spec.impact, copies.reduce((sum, copy) => sum + copy.rows, 0), JSON.stringify(spec.metadata), JSON.stringify(copies)],
    );
  }
  return id;
}

export async function listArchives(client: SqlClient): Promise<ArchiveSummary[]> {
  await requireArchiveSchema(client);
  const { rows } = await client.query<{ id: string }>(`SELECT id FROM ${archiveTable('archives')} ORDER BY id`);
  const archives: ArchiveSummary[] = [];
  for (const row of rows) archives.push((await readArchive(client, Number(row.id)))!);
  return archives;
}

export async function readArchive(client: SqlClient, id: number): Promise<ArchiveSummary | undefined> {
  const { rows } = await client.query<{ id: string; archived_at: Date; plan_id: string; directus_version: string }>(
    `SELECT id, archived_at, plan_id, directus_version FROM ${archiveTable('archives')} WHERE id = $1`,
    [id],
  );
  const header = rows[0];
  if (!header) return undefined;
  const items = await readItems(client, id);
  const tables = items.flatMap((item) => item.copies.map((copy) => `${ARCHIVE_SCHEMA}.${copy.table}`));
  const { rows: size } = await client.query<{ bytes: string }>(
    `SELECT coalesce((SELECT sum(pg_total_relation_size(to_regclass(t))) FROM json_array_elements_text($2::json) t), 0)
          + coalesce((SELECT sum(pg_column_size(metadata) + pg_column_size(copies)) FROM ${archiveTable('items')} WHERE archive_id = $1), 0) AS bytes`,
    [id, JSON.stringify(tables)],
  );
  return {
    id: Number(header.id),
    archivedAt: header.archived_at,
    planId: header.plan_id,
    directusVersion: header.directus_version,
    items,
    rows: items.reduce((sum, item) => sum + item.rowCount, 0),
    bytes: Number(size[0]?.bytes ?? 0),
  };
}

async function readItems(client: SqlClient, id: number): Promise<StoredItem[]> {
  const { rows } = await client.query<Record<string, unknown>>(
    `SELECT position, kind, name, action, impact, row_count, metadata, copies, restored_at FROM ${archiveTable('items')} WHERE archive_id = $1 ORDER BY position`,
    [id],
  );
  return rows.map((row) => ({
    archiveId: id,
    position: Number(row['position']),
    kind: row['kind'] as StoredItem['kind'],
    name: String(row['name']),
    action: row['action'] as StoredItem['action'],
    impact: String(row['impact']),
    rowCount: Number(row['row_count']),
    metadata: row['metadata'] as StoredItem['metadata'],
    copies: row['copies'] as StoredCopy[],
    restoredAt: (row['restored_at'] as Date | null) ?? null,
  }));
}

// Deletes archives and their copies, for good.
export async function pruneArchives(client: SqlClient, ids: number[]): Promise<void> {
  await client.query('BEGIN');
  try {
    for (const id of ids) {
      for (const item of await readItems(client, id)) {
        for (const copy of item.copies) await client.query(`DROP TABLE IF EXISTS ${archiveTable(copy.table)}`);
      }
      await client.query(`DELETE FROM ${archiveTable('archives')} WHERE id = $1`, [id]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
