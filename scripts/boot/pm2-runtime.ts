import { accessSync, constants, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../lib/env.ts';
import { fromApp } from '../lib/paths.ts';

// Step 5. pm2-runtime keeps Directus up in cluster mode, as the official image does. This process
// becomes pm2-runtime (execve: the same PID, so in a container PID 1 forwards SIGTERM to Directus)
// with exactly the environment the boot resolved and acted on.
//
// Each boot gets a pm2 home of its own unless PM2_HOME names one: a second pm2-runtime on the same
// home (two checkouts, `pnpm dev` next to `./entrypoint.sh start`) attaches to the first one's
// daemon and stops or restarts its app.
export function pm2Home(env: NodeJS.ProcessEnv = process.env): string {
  env['PM2_HOME'] ||= mkdtempSync(path.join(tmpdir(), 'trm-pm2-'));
  return env['PM2_HOME'];
}

// process.execve returns only by throwing (Node 22.15 and later; pm2RuntimePath checks for it).
type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

export function becomePm2Runtime(runtime: string, env: NodeJS.ProcessEnv = process.env): never {
  const execve: Execve = process.execve as Execve;
  execve(runtime, [runtime, 'start', fromApp('scripts', 'pm2.config.cjs')], env);
}

// The image installs pm2 globally; entrypoint.sh puts a checkout's node_modules/.bin first on PATH.
export function pm2RuntimePath(env: NodeJS.ProcessEnv = process.env): string {
  if (typeof process.execve !== 'function') throw new ConfigError(`Node ${process.version} cannot hand the boot over to pm2-runtime (process.execve needs Node 22.15 or later)`);
  const name = 'pm2-runtime';
  for (const dir of (env['PATH'] ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  throw new ConfigError(`${name} is not on the PATH; run 'pnpm install' in a checkout`);
}
