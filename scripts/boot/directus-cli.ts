import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { appDir } from '../lib/paths.ts';
import { requireEnv } from '../lib/env.ts';
import { warn } from '../lib/log.ts';

export interface CliRun {
  messages: string[];
  output: string[];
}

// A Directus CLI process that may have been started ahead of its step: `result()` lets it run and
// waits for it, `cancel()` stops it unused (a step before it failed).
export interface PendingCli {
  result: () => Promise<CliRun>;
  cancel: () => void;
}

export class DirectusCliError extends Error {}

const PINO_WARN = 40;
const PINO_ERROR = 50;
const loadAhead = fileURLToPath(new URL('./load-directus-ahead.ts', import.meta.url));

export function runDirectusCli(args: string[], options: { expectedWarning?: (message: string) => boolean } = {}): Promise<CliRun> {
  return startDirectusCli(args, { ahead: false, ...options }).result();
}

// Starts `directus <args>` with the CLI that entrypoint.sh resolved (/directus/cli.js in the image,
// node_modules/directus/cli.js in a checkout). With `ahead`, the process loads Directus's modules now
// and runs the command only when `result()` is called. Directus logs as JSON (LOG_STYLE=raw), so a
// command that logged an error and still exited 0 is a failure, not a success.
// `expectedWarning` names warnings the caller knows and handles, which are not repeated to the operator.
export function startDirectusCli(
  args: string[],
  { ahead, expectedWarning = () => false }: { ahead: boolean; expectedWarning?: (message: string) => boolean },
): PendingCli {
  const cli = requireEnv('DIRECTUS_CLI');
  const child = spawn(process.execPath, [...(ahead ? ['--import', loadAhead] : []), cli, ...args], {
    cwd: appDir,
    env: { ...process.env, LOG_STYLE: 'raw' },
    stdio: [ahead ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const messages: string[] = [];
  const errors: string[] = [];
  const collect = (line: string) => {
    if (line.trim() === '') return;
    output.push(line);
    const entry = parseLogLine(line);
    if (entry === undefined) return;
    messages.push(entry.msg);
    if (entry.level >= PINO_ERROR) errors.push(entry.msg);
    else if (entry.level >= PINO_WARN && !expectedWarning(entry.msg)) warn(`directus ${args[0]}: ${entry.msg}`);
  };
  // Whole lines, however the pipe splits them: a JSON error line cut in two must still count.
  const streams = [child.stdout, child.stderr].map((stream) => {
    const lines = createInterface({ input: stream! });
    lines.on('line', collect);
    return once(lines, 'close');
  });
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).then(async (code) => {
    await Promise.all(streams);
    return code;
  });
  return {
    async result() {
      child.stdin?.end('go\n');
      const code = await exit;
      if (code !== 0 || errors.length > 0) {
        const tail = output.slice(-30).map((line) => `    | ${line}`).join('\n');
        const reason = errors.length > 0 ? `logged ${errors.length} error(s): ${errors.join('; ')}` : `exited with code ${code}`;
        throw new DirectusCliError(`directus ${args.join(' ')} ${reason}\n  last output:\n${tail}`);
      }
      return { messages, output };
    },
    cancel() {
      exit.catch(() => undefined);
      child.stdin?.end();
      child.kill('SIGTERM');
    },
  };
}

function parseLogLine(line: string): { level: number; msg: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { message?: string } };
    if (typeof entry.level !== 'number') return undefined;
    const msg = typeof entry.msg === 'string' && entry.msg !== '' ? entry.msg : (entry.err?.message ?? line);
    return { level: entry.level, msg };
  } catch {
    return undefined;
  }
}
