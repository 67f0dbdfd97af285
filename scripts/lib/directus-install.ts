import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
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
// runs the CLI, so the scripts compare and write snapshots exactly as `directus schema` does.
export function importFromDirectus<T>(specifier: string): Promise<T> {
  const fromCli = createRequire(realpathSync(directusCli()));
  const api = createRequire(fromCli.resolve('@directus/api/package.json'));
  const resolved = specifier.startsWith('@directus/api/') ? fromCli.resolve(specifier) : api.resolve(specifier);
  return import(resolved) as Promise<T>;
}

function readVersion(file: string): string {
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
