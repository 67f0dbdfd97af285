import { foreignTables } from '../schema/strip.ts';

// What the boot adds to the resolved configuration before any Directus process starts:
// - every table db-init and the boot own stays invisible to Directus (DB_EXCLUDE_TABLES, on top of
//   what the operator lists): never listed, never "configured" into ghost collections;
// - an extension that fails to load stops Directus instead of leaving it up without tenant scoping
//   (EXTENSIONS_MUST_LOAD, unless the operator says otherwise).
export async function addBootSettings(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  env['DB_EXCLUDE_TABLES'] = [...(await foreignTables(env))].join(',');
  env['EXTENSIONS_MUST_LOAD'] ||= 'true';
}
