import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { relativeModuleResolution } from '../scripts/lib/module-scope-cache.ts';
import { node } from './support/run.ts';

const IMPORT = ['node', 'import'];
const REQUIRE = ['node', 'require'];

describe("the boot's answer to relative imports in ES module packages (scripts/lib/module-scope-cache.ts)", () => {
  it("is Node's own answer for every import it answers while Directus loads, and it answers thousands", async () => {
    const result = await node('tests/support/resolution-check.ts', [], { DB_CLIENT: 'pg', CONFIG_PATH: '/dev/null' });
    expect(result.code, result.output).toBe(0);
    const { answered, differing } = JSON.parse(result.stdout) as { answered: number; differing: string[] };
    console.log(`module-scope-cache answered ${answered} of Directus's imports`);
    expect(differing).toEqual([]);
    expect(answered).toBeGreaterThan(1000);
  });

  it('answers relative .js and .mjs imports inside a "type": "module" package only, and only for import', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'trm-scope-'));
    const esm = path.join(root, 'node_modules', 'esm');
    const cjs = path.join(root, 'node_modules', 'cjs');
    await mkdir(path.join(esm, 'lib'), { recursive: true });
    await mkdir(cjs, { recursive: true });
    await writeFile(path.join(esm, 'package.json'), JSON.stringify({ name: 'esm', type: 'module' }));
    await writeFile(path.join(cjs, 'package.json'), JSON.stringify({ name: 'cjs' }));
    for (const file of [path.join(esm, 'index.js'), path.join(esm, 'lib', 'a.js'), path.join(esm, 'lib', 'b.cjs'), path.join(cjs, 'index.js'), path.join(cjs, 'c.mjs')]) await writeFile(file, '');
    const from = (file: string) => pathToFileURL(file).href;
    const parent = from(path.join(esm, 'index.js'));
    expect(relativeModuleResolution('./lib/a.js', parent, IMPORT)).toEqual({ url: from(path.join(esm, 'lib', 'a.js')), format: 'module' });
    expect(relativeModuleResolution('./c.mjs', from(path.join(cjs, 'index.js')), IMPORT)).toEqual({ url: from(path.join(cjs, 'c.mjs')), format: 'module' });
    // Node decides: a package without "type", a .cjs file, require(), a bare name, a missing file.
    expect(relativeModuleResolution('./index.js', from(path.join(cjs, 'c.mjs')), IMPORT)).toBeUndefined();
    expect(relativeModuleResolution('./lib/b.cjs', parent, IMPORT)).toBeUndefined();
    expect(relativeModuleResolution('./lib/a.js', parent, REQUIRE)).toBeUndefined();
    expect(relativeModuleResolution('esm', parent, IMPORT)).toBeUndefined();
    expect(relativeModuleResolution('./lib/missing.js', parent, IMPORT)).toBeUndefined();
    // A link named .js that leads to a .cjs file, and a folder named .js: Node reads the real thing.
    await symlink(path.join(esm, 'lib', 'b.cjs'), path.join(esm, 'lib', 'alias.js'));
    await mkdir(path.join(esm, 'lib', 'dir.js'));
    expect(relativeModuleResolution('./lib/alias.js', parent, IMPORT)).toBeUndefined();
    expect(relativeModuleResolution('./lib/dir.js', parent, IMPORT)).toBeUndefined();
  });
});
