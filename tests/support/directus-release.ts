import { copyFile, mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoDir } from './run.ts';

// What a release does to one file of @directus/api's dist: leaves it out, puts it at another place,
// or replaces its content (a module of the test's own, e.g. one that renames an export).
export type DistChange = { omit: string } | { move: string; to: string } | { replace: string; content: (realFile: string) => string };

export interface DirectusRelease {
  cli: string;
  remove: () => Promise<void>;
}

// A Directus release of the test's making, built in a temporary folder from the installed one (the
// version this repository pins): its own `directus` and `@directus/api` folders with versions of
// their own, every file a symlink to the installed one except what `changes` alter. It simulates
// Directus, not this repository's code: the boot runs against it as it would against a new release.
export async function directusRelease(version: string, changes: DistChange[]): Promise<DirectusRelease> {
  const installed = await realpath(path.join(repoDir, 'node_modules', 'directus'));
  const installedApi = await realpath(path.join(installed, '..', '@directus', 'api'));
  const root = await mkdtemp(path.join(tmpdir(), `trm-directus-${version}-`));
  const modules = path.join(root, 'node_modules');

  const directus = path.join(modules, 'directus');
  await mkdir(directus, { recursive: true });
  for (const file of ['cli.js', 'version.js']) await copyFile(path.join(installed, file), path.join(directus, file));
  await writeManifest(path.join(installed, 'package.json'), path.join(directus, 'package.json'), version);
  await mkdir(path.join(modules, '@directus'));
  await symlink(await realpath(path.join(installed, '..', '@directus', 'update-check')), path.join(modules, '@directus', 'update-check'));

  const api = path.join(modules, '@directus', 'api');
  await mkdir(api, { recursive: true });
  const [major] = JSON.parse(await readFile(path.join(installedApi, 'package.json'), 'utf8')).version.split('.') as [string];
  await writeManifest(path.join(installedApi, 'package.json'), path.join(api, 'package.json'), `${major}.99.0`);
  // Its libraries (js-yaml, zod, …) where pnpm put the installed one's.
  await symlink(path.join(installedApi, '..', '..'), path.join(api, 'node_modules'));
  const dist = path.join(installedApi, 'dist');
  await linkTree(dist, path.join(api, 'dist'), changes);
  for (const change of changes) {
    if (!('move' in change)) continue;
    await mkdir(path.dirname(path.join(api, 'dist', change.to)), { recursive: true });
    await symlink(path.join(dist, change.move), path.join(api, 'dist', change.to));
  }
  return { cli: path.join(directus, 'cli.js'), remove: () => rm(root, { recursive: true, force: true }) };
}

async function writeManifest(from: string, to: string, version: string): Promise<void> {
  const manifest = JSON.parse(await readFile(from, 'utf8')) as Record<string, unknown>;
  await writeFile(to, `${JSON.stringify({ ...manifest, version }, null, 2)}\n`);
}

// The installed tree as symlinks; a directory a change reaches into is a real one (so that nothing is
// ever written into the installed Directus), and a changed file is left out or replaced.
async function linkTree(real: string, target: string, changes: DistChange[], relative = ''): Promise<void> {
  await mkdir(target, { recursive: true });
  const touched = (file: string) => changes.some((change) => changedPaths(change).some((changed) => changed === file || changed.startsWith(`${file}/`)));
  for (const entry of await readdir(real, { withFileTypes: true })) {
    const file = path.posix.join(relative, entry.name);
    if (!touched(file)) {
      await symlink(path.join(real, entry.name), path.join(target, entry.name));
    } else if (entry.isDirectory()) {
      await linkTree(path.join(real, entry.name), path.join(target, entry.name), changes, file);
    } else {
      const replaced = changes.find((change): change is Extract<DistChange, { replace: string }> => 'replace' in change && change.replace === file);
      if (replaced) await writeFile(path.join(target, entry.name), replaced.content(pathToFileURL(path.join(real, entry.name)).href));
    }
  }
}

function changedPaths(change: DistChange): string[] {
  if ('omit' in change) return [change.omit];
  if ('move' in change) return [change.move, change.to];
  return [change.replace];
}
