import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';

// Every module of Directus's installation the scripts import: Directus's own snapshot, diff and apply,
// the parts of `directus bootstrap`, and the libraries whose exact behaviour the files depend on
// (js-yaml reads and writes snapshots as `directus schema` does). None of them is a public API, and a
// release may move one: each lists the places releases have kept it, newest first, and the exports
// the scripts call. importFromDirectus (directus-install.ts) imports nothing that is not listed here,
// and the boot refuses a release that lacks any of them, by name, before it writes anything
// (docs/deploy.md, "Bumping Directus").
export interface DirectusInternal {
  // The name the scripts import it by (importFromDirectus): where it was when they were written.
  specifier: string;
  // Where releases have kept it, newest first: a release that moves it adds its place at the head.
  places: string[];
  exports: string[];
}

const api = (module: string, exports: string[], places = [module]): DirectusInternal => ({
  specifier: `@directus/api/${module}`,
  places: places.map((place) => `@directus/api/${place}`),
  exports,
});
// A library as @directus/api depends on it: its version is the one Directus itself runs.
const library = (name: string, exports: string[]): DirectusInternal => ({ specifier: name, places: [name], exports });

export const DIRECTUS_INTERNALS: readonly DirectusInternal[] = [
  api('database/index', ['default', 'isInstalled', 'validateDatabaseConnection']),
  api('database/seeds/run', ['default']),
  api('database/migrations/run', ['default']),
  api('utils/get-schema', ['getSchema']),
  api('license/entitlements/manager', ['getEntitlementManager']),
  api('license/index', ['getLicenseManager']),
  api('utils/create-admin', ['createAdmin']),
  api('services/settings', ['SettingsService']),
  api('cli/load-extensions', ['loadExtensions']),
  // In utils/schema/ since @directus/api 38.0.0 (Directus 12.2.0), in utils/ before.
  api('utils/schema/get-snapshot', ['getSnapshot'], ['utils/schema/get-snapshot', 'utils/get-snapshot']),
  api('utils/schema/get-snapshot-diff', ['getSnapshotDiff'], ['utils/schema/get-snapshot-diff', 'utils/get-snapshot-diff']),
  api('utils/schema/apply-snapshot', ['applySnapshot'], ['utils/schema/apply-snapshot', 'utils/apply-snapshot']),
  api('utils/generate-hash', ['generateHash']),
  // Step 5 in the boot's own process (directus-server.ts), and the caches steps 3 and restores clear.
  api('server', ['startServer']),
  api('emitter', ['default']),
  api('cache', ['flushCaches']),
  api('logger/index', ['useLogger']),
  library('@directus/env', ['useEnv']),
  library('zod', ['email']),
  library('js-yaml', ['load', 'dump']),
  library('argon2', ['hash']),
];

// What is wrong with one internal in one installation.
export type InternalProblem =
  | { specifier: string; kind: 'missing'; looked: string[] }
  | { specifier: string; kind: 'exports'; file: string; missing: string[] };

export type Located = { file: string } | { problem: InternalProblem };

export function listedInternal(specifier: string): DirectusInternal {
  const internal = DIRECTUS_INTERNALS.find((entry) => entry.specifier === specifier);
  if (!internal) throw new Error(`${specifier} is not on the list of Directus internals (scripts/lib/directus-internals.ts): add it there, with the exports the scripts call`);
  return internal;
}

// The file of the first place that resolves in the installation of this CLI. Resolving reads the
// package manifests only: milliseconds, not the seconds of loading Directus.
export function locateInternal(cli: string, internal: DirectusInternal): Located {
  const resolve = resolverFor(cli);
  for (const place of internal.places) {
    try {
      return { file: resolve(place) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  return { problem: { specifier: internal.specifier, kind: 'missing', looked: internal.places } };
}

export function unresolvedInternals(cli: string): InternalProblem[] {
  return DIRECTUS_INTERNALS.map((internal) => locateInternal(cli, internal)).flatMap((located) => ('problem' in located ? [located.problem] : []));
}

const resolvers = new Map<string, (place: string) => string>();

// @directus/api's modules from where the CLI finds @directus/api, its libraries from @directus/api.
function resolverFor(cli: string): (place: string) => string {
  let resolve = resolvers.get(cli);
  if (!resolve) {
    const fromCli = createRequire(realpathSync(cli));
    const fromApi = createRequire(fromCli.resolve('@directus/api/package.json'));
    resolve = (place) => (place.startsWith('@directus/api/') ? fromCli.resolve(place) : fromApi.resolve(place));
    resolvers.set(cli, resolve);
  }
  return resolve;
}

export function missingExports(internal: DirectusInternal, file: string, module: Record<string, unknown>): InternalProblem | undefined {
  const missing = internal.exports.filter((name) => module[name] === undefined);
  return missing.length > 0 ? { specifier: internal.specifier, kind: 'exports', file, missing } : undefined;
}

// One message for every problem, with what to do about them.
export class DirectusInternalsError extends Error {
  constructor(problems: InternalProblem[], installation: { cli: string; version: string; pinned: string }) {
    super(
      [
        `Directus ${installation.version} (${installation.cli}) lacks ${problems.length === 1 ? 'an internal' : `${problems.length} internals`} the scripts rely on:`,
        ...problems.map((problem) => `  ${describeProblem(problem)}`),
        `Ways forward: run a release the list knows (this repository pins ${installation.pinned}; after a bump, pin back to the release before it, ` +
          `in package.json and the Dockerfile's FROM), or find where this release keeps each (its @directus/api/dist), add that place ` +
          `to scripts/lib/directus-internals.ts and rehearse the upgrade: docs/deploy.md, "Bumping Directus".`,
      ].join('\n'),
    );
  }
}

function describeProblem(problem: InternalProblem): string {
  switch (problem.kind) {
    case 'missing':
      return `${problem.specifier}: in none of its known places (looked for ${problem.looked.join(', ')})`;
    case 'exports':
      return `${problem.specifier}: ${problem.file} has no export ${problem.missing.join(', ')}`;
  }
}
