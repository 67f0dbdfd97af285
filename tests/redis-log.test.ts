import { describe, expect, it } from 'vitest';
import { useBootedDatabase } from './support/databases.ts';
import { bootFully } from './support/directus.ts';
import { startRedisServer } from './support/redis-server.ts';
import { eventually } from './support/tenants.ts';

const secrets = { KEY: 'redis-log-key-0123456789abcdef', SECRET: 'redis-log-secret-0123456789abcdef', ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'redis-log-password' };
// The relay every second, so that a few seconds are many ticks.
const everySecond = { RECOMPUTE_OUTBOX_SCHEDULE: '* * * * * *' };
const count = (output: string, text: string) => output.split(text).length - 1;

// What the platform's extensions say about Redis: once at start, and once when something waits.
describe('the streams Redis in the log', () => {
  const booted = useBootedDatabase(secrets);

  it('without Redis: one line at start says what works and what does not, and idle ticks say nothing', async () => {
    // BOOT_FULL: step 3 runs and loads the extensions before the server does, in the same process.
    const boot = await bootFully({ ...booted().env, ...everySecond, BOOT_FULL: 'true' });
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    boot.child.kill('SIGTERM');
    const { output } = await boot.finished;
    // Said once, by Directus's extensions, not by the boot.
    expect(count(output, '[trm-platform] no streams Redis is configured (STREAMS_REDIS or REDIS)')).toBe(1);
    expect(output).toContain('step 3/5 directus schema apply: schema.yaml: no changes');
    expect(output).not.toMatch(/\[boot\].*no streams Redis/);
    expect(output).toContain('commands are stored but fail "Redis unavailable"');
    expect(output).not.toContain('wait for Redis');
  });

  it('with Redis away while a request waits: one warning for the outage, one line when it is published', async () => {
    const redis = await startRedisServer();
    const boot = await bootFully({ ...booted().env, ...everySecond, STREAMS_REDIS: redis.url });
    try {
      await redis.stop();
      await booted().db.query(
        `INSERT INTO recompute_outbox (device_id, window_from, window_to, faulty, reason, rows_changed)
         VALUES ('356307042441013', now() - interval '1 minute', now(), true, 'multipath', 3)`,
      );
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      await redis.start();
      await eventually(() => booted().db.query('SELECT published_at FROM recompute_outbox'), (rows) => rows[0]?.['published_at'] != null, 20_000);
    } finally {
      boot.child.kill('SIGTERM');
      await redis.close();
    }
    const { output } = await boot.finished;
    const { hostname, port } = new URL(redis.url);
    expect(count(output, `[trm-platform] streams Redis ${hostname}:${port}: commands are routed to ingestion`)).toBe(1);
    expect(count(output, 'recompute outbox: 1 request(s) wait for Redis')).toBe(1);
    expect(count(output, 'recompute outbox: published 1 request(s) late')).toBe(1);
  });
});
