import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoDir = fileURLToPath(new URL('../../', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

// Runs a command of the repository (entrypoint.sh, a script) as an operator would, never throwing:
// tests assert on the exit code and on what a person would read.
export function run(command: string, args: string[], env: Record<string, string | undefined>): Promise<RunResult> {
  return collect(start(command, args, env));
}

export function start(command: string, args: string[], env: Record<string, string | undefined>): ChildProcess {
  return spawn(command, args, { cwd: repoDir, env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
    child.on('close', (code) => resolve({ code, stdout, stderr, output }));
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
