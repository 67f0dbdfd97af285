// `pnpm run bench:boot`: the stock Directus boot (`directus bootstrap`, then `directus start` until
// /server/ping answers) against this pipeline (`./entrypoint.sh start` to the same point), on a fresh
// and on a warm database, BENCH_RUNS times each, on this machine in this run. Prints every figure,
// the medians and the ratios. Databases are created and dropped on the server of BENCH_DATABASE_URL
// (or TEST_DATABASE_URL), which needs TimescaleDB.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveConfiguration } from './lib/env.ts';
import { fromApp } from './lib/paths.ts';
import { waitForPing } from './lib/ping.ts';
import { freePort } from './lib/ports.ts';
import { createThrowawayDatabase, type ThrowawayDatabase } from './lib/throwaway-database.ts';

resolveConfiguration();
const serverUrl = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
if (!serverUrl) {
  console.error('Set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server where databases may be created.');
  process.exit(1);
}
const runs = Number(process.env['BENCH_RUNS'] ?? 3);
const cli = fromApp('node_modules', 'directus', 'cli.js');

type Variant = 'stock' | 'pipeline';
const figures: Record<`${Variant} ${'fresh' | 'warm'}`, number[]> = {
  'stock fresh': [],
  'stock warm': [],
  'pipeline fresh': [],
  'pipeline warm': [],
};

for (let run = 1; run <= runs; run += 1) {
  for (const variant of ['stock', 'pipeline'] as const) {
    const database = await createThrowawayDatabase(serverUrl, 'trm_bench');
    try {
      for (const state of ['fresh', 'warm'] as const) {
        const seconds = await bootOnce(variant, database);
        figures[`${variant} ${state}`].push(seconds);
        console.log(`run ${run}/${runs}  ${variant.padEnd(8)} ${state.padEnd(5)} ${seconds.toFixed(2)} s`);
      }
    } finally {
      await database.drop();
    }
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
console.log(`\nmedians over ${runs} run(s), boot start to /server/ping:`);
for (const [name, values] of Object.entries(figures)) console.log(`  ${name.padEnd(15)} ${median(values).toFixed(2)} s`);
const ratio = (state: 'fresh' | 'warm') => median(figures[`pipeline ${state}`]) / median(figures[`stock ${state}`]);
console.log(`  fresh ratio     ${ratio('fresh').toFixed(2)} (pipeline / stock)`);
console.log(`  warm ratio      ${ratio('warm').toFixed(2)} (pipeline / stock)`);

async function bootOnce(variant: Variant, database: ThrowawayDatabase): Promise<number> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...database.env,
    PORT: String(port),
    KEY: 'bench-key-0123456789abcdef0123456789',
    SECRET: 'bench-secret-0123456789abcdef01234567',
    ADMIN_EMAIL: 'admin@example.com',
    ADMIN_PASSWORD: 'bench-password',
    TELEMETRY: 'false',
    CONFIG_PATH: '/nonexistent/.env',
  };
  const started = performance.now();
  let server: ChildProcess;
  if (variant === 'stock') {
    // The stock boot as the official image runs it, without this pipeline's compile cache.
    delete env['NODE_COMPILE_CACHE'];
    await finish(spawn(process.execPath, [cli, 'bootstrap'], { env, stdio: 'ignore' }));
    server = spawn(process.execPath, [cli, 'start'], { env, stdio: 'ignore' });
  } else {
    env['PM2_HOME'] = await mkdtemp(path.join(tmpdir(), 'trm-bench-pm2-'));
    server = spawn(fromApp('entrypoint.sh'), ['start'], { env, stdio: 'ignore' });
  }
  await waitForPing(`http://127.0.0.1:${port}`, server, 180_000);
  const seconds = (performance.now() - started) / 1000;
  server.kill('SIGTERM');
  await finish(server);
  return seconds;
}

function finish(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.on('close', (code, signal) =>
      code === 0 || signal === 'SIGTERM' ? resolve() : reject(new Error(`exited with ${code ?? signal}`)),
    );
  });
}
