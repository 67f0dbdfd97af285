// `pnpm run demo [--remove]`: loads the demo sample (scripts/demo/sample.ts) into the database the
// environment names (DB_*, then .env), whether or not Directus is running on it; a second run
// changes nothing. `--remove` takes exactly the sample out again.
import { connectWithRetry, DatabaseUnreachableError } from './lib/connect.ts';
import { dbConfigFromEnv, describeTarget } from './lib/db-config.ts';
import { ConfigError, numberEnv, resolveConfiguration } from './lib/env.ts';
import { error, info, seconds, setLogPrefix } from './lib/log.ts';
import { loadDemo, removeDemo, type Counts } from './demo/load.ts';
import { demoSample } from './demo/sample.ts';

setLogPrefix('[demo]');

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--remove');
  if (unknown.length > 0) {
    error(`unknown argument ${unknown.join(' ')}; the only option is --remove`);
    return 2;
  }
  const remove = args.includes('--remove');
  resolveConfiguration();
  // The demo's people share a password the README publishes.
  if (process.env['NODE_ENV'] === 'production') throw new ConfigError('NODE_ENV=production: the demo users have a published password, so the demo is never loaded there');
  const config = dbConfigFromEnv();
  const started = performance.now();
  const client = await connectWithRetry(config, numberEnv('DB_WAIT_TIMEOUT', 60));
  try {
    const sample = demoSample();
    const counts = remove ? await removeDemo(client, sample) : await loadDemo(client, sample);
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    const target = describeTarget(config);
    if (remove) {
      info(total === 0 ? `${target} holds no demo rows` : `removed from ${target}: ${summary(counts)} (${seconds(started)})`);
      return 0;
    }
    info(total === 0 ? `${target} already holds the whole demo sample: nothing added (${seconds(started)})` : `added to ${target}: ${summary(counts)} (${seconds(started)})`);
    info(`log in with password ${sample.password} as any of:`);
    for (const login of sample.logins) info(`  ${login.email.padEnd(40)} ${login.role.padEnd(14)} ${login.organization}`);
    info('and as any crew member of the rally (entry_crew; a participant). Take it all out again with: pnpm run demo --remove');
    return 0;
  } finally {
    await client.end();
  }
}

function summary(counts: Counts): string {
  return Object.entries(counts).filter(([, n]) => n > 0).map(([table, n]) => `${n} ${table}`).join(', ');
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  error(`demo failed: ${(err as Error).message}`);
  if (err instanceof DatabaseUnreachableError) error(err.advice);
  process.exitCode = 1;
}
