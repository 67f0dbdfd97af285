import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort } from '../../scripts/lib/ports.ts';

// A Redis server of the test's own, on a free port, that the test can stop and start again ("Redis
// went away"): the real redis-server binary, keeping nothing on disk, so a restart starts empty.
export interface RedisServer {
  url: string;
  // A client for the test itself (it plays ingestion or processor).
  client: Redis;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  close: () => Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    child.on('error', () => undefined);
    const started = Date.now();
    for (;;) {
      if (child.pid === undefined) throw Object.assign(new Error('redis-server not found'), { code: 'ENOENT' });
      if (child.exitCode !== null || child.signalCode !== null) throw new Error('redis-server exited at once; is the port taken?');
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        if (Date.now() - started > 10_000) throw new Error(`redis-server did not answer on port ${port} within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        probe.disconnect();
      }
    }
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await start();
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? 'these tests stop and start a Redis server of their own: install redis-server (Debian: apt-get install redis-server)' : (err as Error).message);
  }
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: (attempt) => Math.min(attempt * 100, 500) });
  client.on('error', () => undefined);
  return {
    url,
    client,
    stop,
    start,
    close: async () => {
      client.disconnect();
      await stop();
    },
  };
}
