import { accessSync, constants, mkdtempSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../lib/env.ts';
import { fromApp } from '../lib/paths.ts';

// pm2-runtime keeps Directus up in cluster mode, as the official image does. `main.ts start` becomes
// pm2-runtime (execve: the same PID, so in a container PID 1 forwards SIGTERM to Directus) with
// exactly the environment the boot resolved; each instance (scripts/pm2.config.cjs) runs the boot's
// steps 1–4 and then Directus's server (`main.ts serve`).
//
// Each boot gets a pm2 home of its own unless PM2_HOME names one: a second pm2-runtime on the same
// home (two checkouts, `pnpm dev` next to `./entrypoint.sh start`) attaches to the first one's
// daemon and stops or restarts its app.
export function pm2Home(env: NodeJS.ProcessEnv = process.env): string {
  env['PM2_HOME'] ||= mkdtempSync(path.join(tmpdir(), 'trm-pm2-'));
  return env['PM2_HOME'];
}

// process.execve returns only by throwing (Node 22.15 and later; pm2RuntimeScript checks for it).
type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

// pm2-runtime, with the boot's part of PID 1 preloaded (pm2-end-on-boot-failure.cjs).
export function becomePm2Runtime(script: string, env: NodeJS.ProcessEnv = process.env): never {
  const execve: Execve = process.execve as Execve;
  const node = process.execPath;
  execve(node, [node, '--require', fromApp('scripts', 'boot', 'pm2-end-on-boot-failure.cjs'), script, 'start', fromApp('scripts', 'pm2.config.cjs')], env);
}

// pm2-runtime's script: a checkout's devDependency, else the one on the PATH (the image installs pm2
// globally; its bin is a link to the script).
export function pm2RuntimeScript(env: NodeJS.ProcessEnv = process.env): string {
  if (typeof process.execve !== 'function') throw new ConfigError(`Node ${process.version} cannot hand the boot over to pm2-runtime (process.execve needs Node 22.15 or later)`);
  try {
    return createRequire(fromApp('package.json')).resolve('pm2/bin/pm2-runtime');
  } catch {
    // not a checkout
  }
  const name = 'pm2-runtime';
  for (const dir of (env['PATH'] ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return realpathSync(candidate);
    } catch {
      // not in this folder
    }
  }
  throw new ConfigError(`${name} is not on the PATH; run 'pnpm install' in a checkout`);
}

// What an instance tells PID 1 (pm2-end-on-boot-failure.cjs) over pm2's IPC channel.
export type BootReport = { boot: 'serving' } | { boot: 'failed'; code: number };

export function reportServing(): void {
  process.send?.({ boot: 'serving' } satisfies BootReport);
}

// An instance whose boot failed: PID 1 ends the container with this code once pm2 has relayed the
// instance's last lines. Until then the instance keeps what it holds (the boot lock: no other instance
// runs the failing step again). Without that part of PID 1 (pm2 started by hand), it exits after a while.
export function endContainer(code: number): Promise<never> {
  process.send?.({ boot: 'failed', code } satisfies BootReport);
  setTimeout(() => process.exit(code), 10_000);
  return new Promise<never>(() => undefined);
}
