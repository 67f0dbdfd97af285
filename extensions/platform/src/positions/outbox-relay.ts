// Publishes recompute requests that could not reach Redis when they were made (positions/outbox.ts).
import type { HookConfig } from '@directus/types';
import type { Context } from '../shared/directus.ts';
import { announceStreamsRedis } from '../shared/redis.ts';
import { text } from '../shared/settings.ts';
import { drainOutbox } from './outbox.ts';

// One warning when requests start waiting for Redis, not one per tick while they wait; the next
// comes only after they were published (or none waited) in between.
const registerOutboxRelay: HookConfig = ({ action, schedule }, hookContext) => {
  const context = hookContext as unknown as Context;
  action('server.start', () => announceStreamsRedis(context.env, context.logger));
  let waiting = false;
  schedule(text(context.env, 'RECOMPUTE_OUTBOX_SCHEDULE', '*/10 * * * * *'), async () => {
    const { published, pending, error } = await drainOutbox(context);
    if (published > 0) context.logger.info(`[trm-platform] recompute outbox: published ${published} request(s) late`);
    if (error && !waiting) context.logger.warn(`[trm-platform] recompute outbox: ${pending} request(s) wait for Redis (${error}); they are published once it is back`);
    waiting = error !== undefined;
  });
};

export default registerOutboxRelay;
