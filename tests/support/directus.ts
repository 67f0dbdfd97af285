import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitForPing } from '../../scripts/lib/ping.ts';
import { freePort } from '../../scripts/lib/ports.ts';
import { collect, start, type RunResult } from './run.ts';

export interface RunningBoot {
  baseUrl: string;
  child: ChildProcess;
  finished: Promise<RunResult>;
  // What it printed so far.
  output: () => string;
}

// `./entrypoint.sh start`, as the image's PID 1 runs it, until /server/ping answers. In a pm2 home
// the test owns, unless the test is about the one the boot chooses.
export async function bootFully(env: Record<string, string>, { testPm2Home = true } = {}): Promise<RunningBoot> {
  const port = await freePort();
  const child = start('./entrypoint.sh', ['start'], {
    // The tests own their servers: a busy machine must not turn a request into 503 "Under pressure".
    PRESSURE_LIMITER_ENABLED: 'false',
    ...env,
    PORT: String(port),
    ...(testPm2Home ? { PM2_HOME: await mkdtemp(path.join(tmpdir(), 'trm-pm2-')) } : {}),
  });
  const finished = collect(child);
  let printed = '';
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => (printed += chunk));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForPing(baseUrl, child, 90_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${(await finished).output}`);
  }
  return { baseUrl, child, finished, output: () => printed };
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

export interface ApiResponse<T = unknown> {
  status: number;
  body: { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> } | undefined;
}

// Directus's REST API as a client with this token sees it: never throws on a 4xx or 5xx.
export function restClient(baseUrl: string, token: string) {
  return async function request<T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<ApiResponse<T>> {
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as ApiResponse<T>['body']) : undefined };
  };
}
