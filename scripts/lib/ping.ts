import type { ChildProcess } from 'node:child_process';

// Polls /server/ping until Directus answers "pong"; fails early if the process it waits for exits.
export async function waitForPing(baseUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${baseUrl}/server/ping answered`);
    }
    if (await answersPing(baseUrl)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${baseUrl}/server/ping did not answer within ${timeoutMs / 1000} s`);
}

export async function answersPing(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/server/ping`);
    return response.ok && (await response.text()) === 'pong';
  } catch {
    return false;
  }
}
