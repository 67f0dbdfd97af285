// Preloaded with `node --import` into a Directus CLI process that the boot starts one step early:
// it loads Directus's modules (about two seconds of a CLI start) while the previous step still runs,
// then holds the CLI until the boot writes "go" on stdin, so the command itself sees the database
// only after that step has finished. Stdin closed without "go": the boot is gone, exit quietly.
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const cli = process.env['DIRECTUS_CLI'];
if (cli) {
  // From the real path: pnpm links node_modules/directus, and @directus/api sits beside its target.
  const resolve = createRequire(realpathSync(cli)).resolve;
  await import(pathToFileURL(resolve('@directus/api/cli/index')).href);
}
const go = await new Promise<boolean>((done) => {
  process.stdin.once('data', () => done(true));
  process.stdin.once('end', () => done(false));
});
if (!go) process.exit(0);
process.stdin.destroy();
