import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'libpg-query';
import { fromApp } from './paths.ts';

// The boot's own bookkeeping tables, created by the runner and the boot rather than by a file.
export const BOOT_TABLES = ['migrations_applied', 'boot_state'];

// Every table that db-init/ creates, read from its files with PostgreSQL's parser, plus the boot's
// own tables: none of them may become a Directus collection or appear in a snapshot.
export async function ownedTables(dir = fromApp('db-init')): Promise<string[]> {
  const names = new Set(BOOT_TABLES);
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()) {
    const { stmts = [] } = await parse(await readFile(path.join(dir, file), 'utf8'));
    for (const { stmt } of stmts) {
      if (stmt && 'CreateStmt' in stmt && stmt.CreateStmt.relation?.relname) names.add(stmt.CreateStmt.relation.relname);
    }
  }
  return [...names].sort();
}
