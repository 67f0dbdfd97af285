// Publishes recompute requests that could not reach Redis when they were made (positions/outbox.ts).
import type { HookConfig } from '@directus/types';
import type { Context } from '../shared/directus.ts';
import { text } from '../shared/settings.ts';
import { drainOutbox } from './outbox.ts';

const registerOutboxRelay: HookConfig = ({ schedule }, hookContext) => {
  const context = hookContext as unknown as Context;
  schedule(text(context.env, 'RECOMPUTE_OUTBOX_SCHEDULE', '*/10 * * * * *'), async () => {
    const { published, pending, error } = await drainOutbox(context);
    if (published > 0) context.logger.info(`[trm-platform] recompute outbox: published ${published} request(s) late`);
    if (error) context.logger.warn(`[trm-platform] recompute outbox: ${pending} request(s) wait for Redis: ${error}`);
  });
};

export default registerOutboxRelay;
