import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { appDir } from '../lib/paths.ts';
import { requireEnv } from '../lib/env.ts';
import { warn } from '../lib/log.ts';

export interface CliRun {
  messages: string[];
  output: string[];
}

class DirectusCliError extends Error {}

interface Options {
  // Warnings the caller knows and handles, which are not repeated to the operator.
  expectedWarning?: (message: string) => boolean;
}

const PINO_WARN = 40;
const PINO_ERROR = 50;

// `directus <args>` with the CLI that entrypoint.sh resolved (/directus/cli.js in the image,
// node_modules/directus/cli.js in a checkout). Directus logs as JSON (LOG_STYLE=raw), so a command
// that logged an error and still exited 0 is a failure, not a success.
export async function runDirectusCli(args: string[], { expectedWarning = () => false }: Options = {}): Promise<CliRun> {
  const label = `directus ${args.join(' ')}`;
  const child = spawn(process.execPath, [requireEnv('DIRECTUS_CLI'), ...args], {
    cwd: appDir,
    env: { ...process.env, LOG_STYLE: 'raw' },
    stdio: ['ignore', 'pipe', 'pipe'],
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
    else if (entry.level >= PINO_WARN && !expectedWarning(entry.msg)) warn(`${label}: ${entry.msg}`);
  };
  // Whole lines, however the pipe splits them: a JSON error line cut in two must still count.
  const streams = [child.stdout, child.stderr].map((stream) => {
    const lines = createInterface({ input: stream });
    lines.on('line', collect);
    return once(lines, 'close');
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  await Promise.all(streams);
  if (code !== 0 || errors.length > 0) {
    const reason = errors.length > 0 ? `logged ${errors.length} error(s): ${errors.join('; ')}` : `exited with code ${code}`;
    const tail = output.slice(-30).map((line) => `    | ${line}`).join('\n');
    throw new DirectusCliError(`${label} ${reason}${tail ? `\n  last output:\n${tail}` : ''}`);
  }
  return { messages, output };
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
