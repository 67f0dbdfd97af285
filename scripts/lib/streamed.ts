import { spawn, type ChildProcess } from 'node:child_process';

export interface Outcome {
  code: number | null;
  output: string;
}

// A command whose output goes to this script's own as it comes, indented under the script's lines
// (the CI gate, the upgrade rehearsal), and is kept for the script's checks (output(): what it
// printed so far).
export function spawnStreamed(command: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; finished: Promise<Outcome>; output: () => string } {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const relay = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
    output += chunk;
    target.write(chunk.toString().replace(/^(?=.)/gm, '    '));
  };
  child.stdout?.on('data', relay(process.stdout));
  child.stderr?.on('data', relay(process.stderr));
  const finished = new Promise<Outcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
  return { child, finished, output: () => output };
}

export function runStreamed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return spawnStreamed(command, args, env).finished;
}
