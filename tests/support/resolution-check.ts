// Run by tests/module-scope-cache.test.ts in a process of its own: loads Directus's server and steps
// modules with Node's own resolution, and asks module-scope-cache.ts the same question for each import.
import { registerHooks } from 'node:module';
import { importFromDirectus } from '../../scripts/lib/directus-install.ts';
import { relativeModuleResolution } from '../../scripts/lib/module-scope-cache.ts';

let answered = 0;
const differing: string[] = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    const node = nextResolve(specifier, context);
    const ours = relativeModuleResolution(specifier, context.parentURL, context.conditions);
    if (ours) {
      answered += 1;
      if (ours.url !== node.url || ours.format !== node.format) differing.push(`${specifier} from ${context.parentURL}: Node ${node.url} (${node.format}), ours ${ours.url} (${ours.format})`);
    }
    return node;
  },
});
await importFromDirectus('@directus/api/server');
await import('../../scripts/boot/directus-steps.ts');
process.stdout.write(JSON.stringify({ answered, differing }));
process.exit(0);
