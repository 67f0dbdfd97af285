import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort } from '../../scripts/lib/ports.ts';

// A Redis server of the test's own, on a free port, that the test can stop and start again ("Redis
// went away"), keeping nothing on disk, so a restart starts empty: the redis-server binary where it
// is installed (these machines, `.ci/run`), else redis:7 through testcontainers (Docker, the Gitea runner).
export interface RedisServer {
  url: string;
  // A client for the test itself (it plays ingestion or processor).
  client: Redis;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  close: () => Promise<void>;
}

export const REDIS_IMAGE = 'redis:7.4-alpine';

interface Backend {
  host: string;
  start: (port: number) => Promise<void>;
  stop: () => Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const backend = hasRedisServer() ? processBackend() : await containerBackend();
  const port = await freePort();
  const url = `redis://${backend.host}:${port}`;
  const start = async () => {
    await backend.start(port);
    await waitForPong(url);
  };
  await start();
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: (attempt) => Math.min(attempt * 100, 500) });
  client.on('error', () => undefined);
  return {
    url,
    client,
    stop: backend.stop,
    start,
    close: async () => {
      client.disconnect();
      await backend.stop();
    },
  };
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function processBackend(): Backend {
  let child: ChildProcess | undefined;
  return {
    host: '127.0.0.1',
    start: async (port) => {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    },
    stop: async () => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function containerBackend(): Promise<Backend> {
  const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
  const runtime = await getContainerRuntimeClient().catch(() => {
    throw new Error('these tests start and stop a Redis of their own: install redis-server (Debian: apt-get install redis-server) or make Docker available');
  });
  let container: Awaited<ReturnType<InstanceType<typeof GenericContainer>['start']>> | undefined;
  return {
    host: runtime.info.containerRuntime.host,
    // The same host port every time, so that Directus finds it again at the address it was given.
    start: async (port) => {
      container = await new GenericContainer(REDIS_IMAGE).withExposedPorts({ container: 6379, host: port }).withCommand(['redis-server', '--save', '', '--appendonly', 'no']).start();
    },
    stop: async () => {
      await container?.stop();
      container = undefined;
    },
  };
}

async function waitForPong(url: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      if (Date.now() - started > 30_000) throw new Error(`no Redis answered at ${url} within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
}
