import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'libpg-query';
import { fromApp } from './paths.ts';

// The boot's own bookkeeping tables, created by the runner and the boot rather than by a file.
export const BOOT_TABLES = ['migrations_applied', 'boot_state'];

// Every table that db-init/ creates in Directus's schema, read from its files with PostgreSQL's
// parser, plus the boot's own tables: none of them may become a Directus collection or appear in a
// snapshot. Tables db-init creates in schemas of their own (schema_archive) Directus never reads.
export async function ownedTables(dir = fromApp('db-init')): Promise<string[]> {
  const names = new Set(BOOT_TABLES);
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()) {
    const { stmts = [] } = await parse(await readFile(path.join(dir, file), 'utf8'));
    for (const { stmt } of stmts) {
      const relation = stmt && 'CreateStmt' in stmt ? stmt.CreateStmt.relation : undefined;
      if (relation?.relname && (relation.schemaname ?? 'public') === 'public') names.add(relation.relname);
    }
  }
  return [...names].sort();
}
