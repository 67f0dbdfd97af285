// Outbound device commands (docs/contracts/commands.md): a command created through Directus is routed
// to the ingestion instance holding its device's socket as soon as it is stored; what ingestion reports
// back is held to the command's state machine; a periodic sweep routes what a stopped process left
// queued and expires what was never delivered.
import type { HookConfig } from '@directus/types';
import type { Context, Database } from '../shared/directus.ts';
import { announceStreamsRedis } from '../shared/redis.ts';
import { positiveNumber, text } from '../shared/settings.ts';
import { asSystem } from '../tenant-scope/scope.ts';
import { withOrganization } from './request.ts';
import { checkReport } from './report-back.ts';
import { routeCommand } from './route.ts';
import { sweepCommands } from './sweep.ts';

const registerCommandRouting: HookConfig = ({ action, filter, schedule }, hookContext) => {
  const context = hookContext as unknown as Context;
  action('server.start', () => announceStreamsRedis(context.env, context.logger));
  const expireSeconds = positiveNumber(context.env, 'COMMANDS_EXPIRE_SECONDS', 300);
  const staleSeconds = positiveNumber(context.env, 'COMMANDS_STALE_SECONDS', 30);

  // Once the row is committed as `queued`; the API's answer does not wait for routing.
  action('commands.items.create', ({ key }) => {
    // Directus's own work, not the requester's, even though it starts inside their request.
    asSystem(() => routeCommand(context, String(key), expireSeconds)).then(
      (outcome) => outcome && context.logger.info(`[trm-platform] command ${String(key)}: ${outcome.status === 'routed' ? `routed to ${outcome.routed_to}` : outcome.error}`),
      (err: Error) => context.logger.error(`[trm-platform] command ${String(key)} stays queued for the sweep: ${err.message}`),
    );
  });

  // The organization a command is sent for, and its first state, in the payload, so that Directus's
  // record of the create (activity, revision) shows them; the database derives and checks them again.
  filter<Record<string, unknown>>('commands.items.create', (payload, _meta, { database }) => withOrganization(database as unknown as Database, payload));

  filter<Record<string, unknown>>('commands.items.update', (payload, { keys }, { accountability, database }) =>
    accountability ? checkReport(database as unknown as Database, keys as unknown[], payload) : payload,
  );

  schedule(text(context.env, 'COMMANDS_SWEEP_SCHEDULE', '*/15 * * * * *'), async () => {
    const { routed, expired } = await sweepCommands(context, { staleSeconds, expireSeconds });
    if (routed + expired > 0) context.logger.info(`[trm-platform] command sweep: ${routed} routed late, ${expired} expired`);
  });
};

export default registerCommandRouting;
