import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { installedDirectusVersion } from '../lib/directus-install.ts';
import { fromApp } from '../lib/paths.ts';

// The Directus release the rehearsal boots before the pinned one: tests/upgrade/previous-directus
// pins it exactly, with a lockfile of its own, and is installed there when it is not yet (a fresh
// clone): pnpm install --frozen-lockfile, a minute or so with argon2 and isolated-vm to compile.
export const previousDirectusDir = fromApp('tests', 'upgrade', 'previous-directus');

export interface PreviousDirectus {
  cli: string;
  version: string;
  // Seconds the install took; undefined when it was installed already.
  installSeconds: number | undefined;
}

export async function ensurePreviousDirectus(): Promise<PreviousDirectus> {
  const manifest = JSON.parse(readFileSync(path.join(previousDirectusDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const version = manifest.dependencies['directus'];
  if (!version) throw new Error(`${previousDirectusDir}/package.json pins no directus`);
  const cli = path.join(previousDirectusDir, 'node_modules', 'directus', 'cli.js');
  if (existsSync(cli) && installedDirectusVersion(cli) === version) return { cli, version, installSeconds: undefined };
  const started = performance.now();
  await pnpmInstall();
  return { cli, version, installSeconds: (performance.now() - started) / 1000 };
}

function pnpmInstall(): Promise<void> {
  const args = ['install', '--frozen-lockfile'];
  const child = spawn('pnpm', args, { cwd: previousDirectusDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'ENOENT' ? 'pnpm is not on the PATH (package.json packageManager names the version)' : err.message)),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`pnpm ${args.join(' ')} in ${previousDirectusDir} exited with ${code}:\n${output.trimEnd()}`));
    });
  });
}
