import { foreignTables } from '../schema/strip.ts';

// What the boot adds to the resolved configuration before any Directus process starts, each unless
// the operator says otherwise:
// - every table db-init and the boot own stays invisible to Directus (DB_EXCLUDE_TABLES, on top of
//   what the operator lists): never listed, never "configured" into ghost collections;
// - an extension that fails to load stops Directus instead of leaving it up without tenant scoping
//   (EXTENSIONS_MUST_LOAD);
// - Directus's WebSocket is on (WEBSOCKETS_ENABLED): the SPA's live business data and the command
//   console ride on it (docs/contracts/telemetry-access.md, "Directus's channel");
// - the schema Directus keeps in memory is shared frozen instead of deep-copied for every request
//   (CACHE_SCHEMA_FREEZE_ENABLED): the copy was half of the server's CPU on an authenticated request,
//   measured with pnpm run bench:api (docs/operations.md, "Request throughput");
// - the admin app's extensions are bundled at every start by Rolldown, not Rollup
//   (EXTENSIONS_ROLLDOWN, a Directus setting): 70–80 ms instead of 240–280 ms of each boot.
export async function addBootSettings(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  env['DB_EXCLUDE_TABLES'] = [...(await foreignTables(env))].join(',');
  env['EXTENSIONS_MUST_LOAD'] ||= 'true';
  env['EXTENSIONS_ROLLDOWN'] ||= 'true';
  env['WEBSOCKETS_ENABLED'] ||= 'true';
  env['CACHE_SCHEMA_FREEZE_ENABLED'] ||= 'true';
}
