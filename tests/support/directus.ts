import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports.ts';
import { collect, start, type RunResult } from './run.ts';

export interface RunningBoot {
  baseUrl: string;
  child: ChildProcess;
  finished: Promise<RunResult>;
}

// `./entrypoint.sh start`, as the image's PID 1 runs it, until /server/ping answers.
export async function bootFully(env: Record<string, string>): Promise<RunningBoot> {
  const port = await freePort();
  const child = start('./entrypoint.sh', ['start'], {
    ...env,
    PORT: String(port),
    PM2_HOME: await mkdtemp(path.join(tmpdir(), 'trm-pm2-')),
  });
  const finished = collect(child);
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  let exited: RunResult | undefined;
  void finished.then((result) => (exited = result));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the boot exited with ${exited.code} before answering:\n${exited.output}`);
    if (await ping(baseUrl)) return { baseUrl, child, finished };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`no /server/ping answer within 90 s:\n${(await finished).output}`);
}

async function ping(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/server/ping`);
    return response.ok && (await response.text()) === 'pong';
  } catch {
    return false;
  }
}

export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw new Error(`login as ${email} failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { data: { access_token: string } };
  return body.data.access_token;
}
