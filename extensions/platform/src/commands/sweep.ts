import type { Context } from '../shared/directus.ts';
import { routeCommand } from './route.ts';

// Catches what the create hook could not finish: a command still queued long after it was created
// (the process stopped between storing and routing it) is routed now; a routed command no ingestion
// instance reported on before its expiry is marked expired. Ingestion drops entries past expires_at.
export interface SweepSettings {
  staleSeconds: number;
  expireSeconds: number;
}

export async function sweepCommands(context: Context, { staleSeconds, expireSeconds }: SweepSettings): Promise<{ routed: number; expired: number }> {
  const { rows } = await context.database.raw(
    `SELECT id FROM commands WHERE status = 'queued' AND requested_at < now() - make_interval(secs => ?) ORDER BY requested_at LIMIT 100`,
    [staleSeconds],
  );
  let routed = 0;
  for (const { id } of rows) if (await routeCommand(context, String(id), expireSeconds)) routed++;
  const commands = new context.services.ItemsService('commands', { schema: await context.getSchema() });
  const cutoff = new Date(Date.now() - expireSeconds * 1000).toISOString();
  const expired = await commands.updateByQuery(
    { filter: { _and: [{ status: { _eq: 'routed' } }, { routed_at: { _lt: cutoff } }] }, limit: -1 },
    { status: 'expired', error: `no ingestion instance reported it sent within ${expireSeconds} s of routing` },
  );
  return { routed, expired: expired.length };
}
