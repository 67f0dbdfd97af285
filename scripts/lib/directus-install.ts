import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DIRECTUS_INTERNALS,
  DirectusInternalsError,
  listedInternal,
  locateInternal,
  missingExports,
  unresolvedInternals,
  type DirectusInternal,
  type InternalProblem,
} from './directus-internals.ts';
import { fromApp } from './paths.ts';

// The Directus the scripts run: /directus/cli.js in the image, the pinned package in a checkout,
// or DIRECTUS_CLI when entrypoint.sh (or the operator) chose one.
export function directusCli(): string {
  const chosen = process.env['DIRECTUS_CLI'];
  if (chosen) return chosen;
  const cli = existsSync(fromApp('cli.js')) ? fromApp('cli.js') : fromApp('node_modules', 'directus', 'cli.js');
  if (!existsSync(cli)) throw new Error(`Directus CLI not found at ${cli}; run 'pnpm install'`);
  process.env['DIRECTUS_CLI'] = cli;
  return cli;
}

export function installedDirectusVersion(cli = directusCli()): string {
  return readVersion(path.join(path.dirname(cli), 'package.json'));
}

// The version this repository pins: package.json's `directus`, the same as the Dockerfile's FROM tag.
// In the image ours sits in scripts/ (the Dockerfile copies it there; /directus/package.json is Directus's).
export function pinnedDirectusVersion(): string {
  const file = existsSync(fromApp('scripts', 'package.json')) ? fromApp('scripts', 'package.json') : fromApp('package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { devDependencies?: Record<string, string> };
  const pinned = manifest.devDependencies?.['directus'];
  if (!pinned) throw new Error(`${file} pins no directus version`);
  return pinned;
}

// Why a snapshot from that instance must not be written: a snapshot from another Directus version
// may carry fields or defaults the pinned one applies differently.
export function versionMismatch(instance: string, pinned: string): string | undefined {
  if (instance === pinned) return undefined;
  return `the instance runs Directus ${instance}, this repository pins ${pinned} (package.json and the Dockerfile's FROM)`;
}

// Directus's own modules (its snapshot diff, its YAML dumper), loaded from the installation that
// runs the CLI, so the scripts compare and write snapshots exactly as `directus schema` does. Only
// what scripts/lib/directus-internals.ts lists, from the first of its places this release has, and
// only with the exports the scripts call: anything else fails here, naming it.
export async function importFromDirectus<T>(specifier: string): Promise<T> {
  const cli = directusCli();
  const internal = listedInternal(specifier);
  const loaded = await loadInternal(cli, internal);
  if ('problem' in loaded) throw internalsError(cli, [loaded.problem]);
  return loaded.module as T;
}

// Before the boot connects to the database: every listed internal resolves in this installation.
// Milliseconds (no module is loaded), so a release that moved one stops the boot before it writes.
export function requireDirectusInternals(cli = directusCli()): void {
  const problems = unresolvedInternals(cli);
  if (problems.length > 0) throw internalsError(cli, problems);
}

// Every listed internal loaded, each with the exports the scripts call: what a process about to run
// Directus's code (the boot's steps) proves before it does anything.
export async function loadDirectusInternals(cli = directusCli()): Promise<void> {
  const loaded = await Promise.all(DIRECTUS_INTERNALS.map((internal) => loadInternal(cli, internal)));
  const problems = loaded.flatMap((outcome) => ('problem' in outcome ? [outcome.problem] : []));
  if (problems.length > 0) throw internalsError(cli, problems);
}

async function loadInternal(cli: string, internal: DirectusInternal): Promise<{ module: Record<string, unknown> } | { problem: InternalProblem }> {
  const located = locateInternal(cli, internal);
  if ('problem' in located) return located;
  // A module that throws while loading fails as it would without this list: that is not a move.
  const module = (await import(located.file)) as Record<string, unknown>;
  const problem = missingExports(internal, located.file, module);
  return problem ? { problem } : { module };
}

function internalsError(cli: string, problems: InternalProblem[]): DirectusInternalsError {
  return new DirectusInternalsError(problems, { cli, version: installedDirectusVersion(cli), pinned: pinnedDirectusVersion() });
}

function readVersion(file: string): string {
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
