import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const repoDir = fileURLToPath(new URL('../../', import.meta.url));

export interface RunResult {
  pid: number | undefined;
  code: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

export interface RunOptions {
  // A process group of its own (its id is the child's pid), which its descendants inherit: a test can
  // then ask what is left of exactly this run, not of every boot on the machine.
  ownProcessGroup?: boolean;
}

// Runs a command of the repository (entrypoint.sh, a script) as an operator would, never throwing:
// tests assert on the exit code and on what a person would read.
export function run(command: string, args: string[], env: Record<string, string | undefined>, options: RunOptions = {}): Promise<RunResult> {
  return collect(start(command, args, env, options));
}

export function start(command: string, args: string[], env: Record<string, string | undefined>, options: RunOptions = {}): ChildProcess {
  return spawn(command, args, { cwd: repoDir, env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup === true });
}

// The processes still running in a process group (pgrep -g): empty once everything of the run has ended.
// One that ended but whose new parent has not collected it yet (a zombie) is not running.
export async function processGroupMembers(group: number): Promise<string> {
  const members = (await run('pgrep', ['-a', '-g', String(group)], {})).stdout.split('\n').filter(Boolean);
  const running: string[] = [];
  for (const line of members) {
    const stat = await readFile(`/proc/${line.split(' ')[0]}/stat`, 'utf8').catch(() => undefined);
    // The state follows the command name in parentheses: Z and X have ended.
    if (stat && !/\) [ZX] /.test(stat)) running.push(`${line}\n`);
  }
  return running.join('');
}

export function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk;
    output += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ pid: child.pid, code, stdout, stderr, output }));
  });
}

// The operator's environment minus anything that would point the boot at another database.
function baseEnv(): Record<string, string | undefined> {
  // CONFIG_PATH to nowhere: a developer's .env must not leak into the tests.
  const env: Record<string, string | undefined> = { ...process.env, TELEMETRY: 'false', CONFIG_PATH: '/nonexistent/.env' };
  for (const key of Object.keys(env)) if (key.startsWith('DB_') || key === 'NODE_OPTIONS') delete env[key];
  return env;
}

export function node(script: string, args: string[], env: Record<string, string | undefined>): Promise<RunResult> {
  return run(process.execPath, [script, ...args], env);
}
