import { Redis } from 'ioredis';

// The platform's Redis, the one that carries its streams (ingestion, processor): STREAMS_REDIS, or
// Directus's own REDIS when the two are one server. One connection per Directus process, shared by
// every entry of this bundle, created on first use.
//
// It fails fast instead of queueing: a command routed minutes late, once Redis is back, could reach a
// device long after the operator gave up on it. A call made while Redis is away is rejected after one
// reconnection attempt, and callers record that as "Redis unavailable".
export class RedisUnavailable extends Error {
  override readonly name = 'RedisUnavailable';
}

interface Logger {
  warn: (message: string) => void;
  info: (message: string) => void;
}

let client: Redis | undefined;
let announced = false;

function streamsRedisUrl(env: Record<string, unknown>): string | undefined {
  const url = env['STREAMS_REDIS'] ?? env['REDIS'];
  return typeof url === 'string' && url !== '' ? url : undefined;
}

// Said once per Directus server process when it starts listening (not by the CLI or the boot's
// schema worker, which load the extensions too): what the platform does with the streams Redis, or
// what works without one and what does not.
export function announceStreamsRedis(env: Record<string, unknown>, logger: Logger): void {
  if (announced) return;
  announced = true;
  const url = streamsRedisUrl(env);
  if (url) {
    // host is hostname:port (no credentials).
    logger.info(`[trm-platform] streams Redis ${new URL(url).host}: commands are routed to ingestion, recompute requests published to processor`);
    return;
  }
  logger.warn(
    '[trm-platform] no streams Redis is configured (STREAMS_REDIS or REDIS). Works without it: the admin app, the API, tenant scoping, ' +
      'flagging positions faulty (its recompute requests wait in recompute_outbox). Does not: commands are stored but fail "Redis unavailable", ' +
      'and processor hears of no recompute request until a Redis is configured.',
  );
}

function streamsRedis(env: Record<string, unknown>, logger: Logger): Redis {
  if (client) return client;
  const url = streamsRedisUrl(env);
  if (!url) throw new RedisUnavailable('no Redis is configured: set STREAMS_REDIS (or REDIS)');
  let down = false;
  client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 250, 2_000),
  });
  // One line when Redis goes away and one when it is back, not one per reconnection attempt.
  client.on('error', (err: Error) => {
    if (!down) logger.warn(`[trm-platform] streams Redis unavailable: ${err.message}`);
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info('[trm-platform] streams Redis is back');
    down = false;
  });
  return client;
}

// Runs one Redis call, turning any failure (not configured, refused, timed out) into RedisUnavailable.
export async function withRedis<T>(env: Record<string, unknown>, logger: Logger, call: (redis: Redis) => Promise<T>): Promise<T> {
  try {
    return await call(streamsRedis(env, logger));
  } catch (err) {
    if (err instanceof RedisUnavailable) throw err;
    throw new RedisUnavailable((err as Error).message);
  }
}
