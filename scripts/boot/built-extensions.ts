import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../lib/env.ts';
import { fromApp } from '../lib/paths.ts';

// Directus skips an extension whose built files are missing, with a warning, and runs stale code
// without one: either would boot a server without tenant scoping or command routing. So the boot
// refuses both before it starts. The image has the built files and no sources; a checkout builds
// them with `pnpm run build`. It looks where Directus will look: EXTENSIONS_PATH, or ./extensions.
export async function requireBuiltExtensions(dir = fromApp(process.env['EXTENSIONS_PATH'] ?? 'extensions')): Promise<void> {
  for (const name of (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name)) {
    const folder = path.join(dir, name);
    const manifest = await readFile(path.join(folder, 'package.json'), 'utf8').then(JSON.parse, () => undefined);
    const options = manifest?.['directus:extension'];
    if (!options) continue;
    const outputs: string[] = typeof options.path === 'string' ? [options.path] : Object.values(options.path ?? {});
    const sources = await listFiles(path.join(folder, 'src'));
    const newestSource = Math.max(0, ...(await Promise.all(sources.map(async (file) => (await stat(file)).mtimeMs))));
    for (const output of outputs) {
      const built = await stat(path.join(folder, output)).catch(() => undefined);
      const shown = display(path.join(folder, output));
      if (!built) throw new ConfigError(`${shown} is missing: build the extensions with \`pnpm run build\``);
      if (built.mtimeMs < newestSource) throw new ConfigError(`${shown} is older than ${display(path.join(folder, 'src'))}: rebuild it with \`pnpm run build\``);
    }
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

// Relative to the checkout (or /directus) when inside it.
function display(file: string): string {
  const relative = path.relative(fromApp(), file);
  return relative.startsWith('..') ? file : relative;
}
