import { readFileSync, realpathSync, statSync } from 'node:fs';
import { registerHooks } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Node 22 works out each imported file's format by reading its package's package.json again and
// parsing all of it: date-fns's (200 KB) once for each of the ~300 files Directus imports from it, 1.4 s
// on this machine, and some 30 % of loading Directus in all (measured: 3.6–4.2 s without this, 2.5–3.0 s
// with it). For a relative import of a .js or .mjs file inside a package whose package.json says
// "type": "module", the answer needs one read of that package.json: the file's real path, format
// module. This gives that answer for those imports and leaves every other resolution to Node;
// tests/module-scope-cache.test.ts compares it with Node's own answer for every import of a Directus load.

export interface Resolution {
  url: string;
  format: 'module';
}

// The package type of a folder: from the nearest package.json above it, each read once; undefined
// where Node's own rules are needed (no package.json before a node_modules folder or the root).
const folderTypes = new Map<string, string | undefined>();

function packageType(dir: string): string | undefined {
  if (folderTypes.has(dir)) return folderTypes.get(dir);
  let type: string | undefined;
  if (path.basename(dir) !== 'node_modules' && path.dirname(dir) !== dir) {
    let manifest: string | undefined;
    try {
      manifest = readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      // no package.json here: the folder above decides
    }
    type = manifest === undefined ? packageType(path.dirname(dir)) : ((JSON.parse(manifest) as { type?: string }).type ?? 'commonjs');
  }
  folderTypes.set(dir, type);
  return type;
}

// Node's answer for `import './x.js'` from parentURL, where it is certain; undefined otherwise.
export function relativeModuleResolution(specifier: string, parentURL: string | undefined, conditions: readonly string[]): Resolution | undefined {
  if (!/^\.\.?\//.test(specifier) || !/\.m?js$/.test(specifier) || !parentURL?.startsWith('file:') || conditions.includes('require')) return undefined;
  try {
    const file = realpathSync.native(fileURLToPath(new URL(specifier, parentURL)));
    // Node takes the format from the real file (a link may lead to a .cjs) and refuses a folder.
    if (!/\.m?js$/.test(file) || !statSync(file).isFile()) return undefined;
    if (file.endsWith('.mjs') || packageType(path.dirname(file)) === 'module') return { url: pathToFileURL(file).href, format: 'module' };
  } catch {
    // missing, unreadable or malformed: Node says what is wrong
  }
  return undefined;
}

export function registerModuleScopeCache(): void {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const known = relativeModuleResolution(specifier, context.parentURL, context.conditions);
      return known ? { ...known, shortCircuit: true } : nextResolve(specifier, context);
    },
  });
}
