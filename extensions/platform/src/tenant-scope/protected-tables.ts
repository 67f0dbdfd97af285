import type { Database } from '../shared/directus.ts';
import { asSystem } from './scope.ts';

// The business tables PostgreSQL protects: those db-init-post/012_tenant_policies.sql gave row-level
// security and the rules trigger. Read once per process; a table is protected by a new SQL file,
// which takes a boot, which restarts Directus.
export interface ProtectedTables {
  names: Set<string>;
}

export async function loadProtectedTables(database: Database): Promise<ProtectedTables> {
  const { rows } = await asSystem(() =>
    database.raw(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relrowsecurity
          AND EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'tenant_rules')`,
    ),
  );
  // A database that missed db-init-post protects nothing, and the hook refuses people every business
  // collection instead (index.ts).
  return { names: new Set(rows.map((row) => String(row['relname']))) };
}
