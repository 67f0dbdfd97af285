import { appendOnce } from '../shared/append-once.ts';
import type { Context } from '../shared/directus.ts';
import { RedisUnavailable, withRedis } from '../shared/redis.ts';
import { commandStream, instanceOfStream, MARKER_SECONDS, routedMarker, socketKey, STREAM_MAX_LENGTH } from './contract.ts';

// Routes one queued command: finds the ingestion instance holding its device's socket, appends the
// command to that instance's stream (once, however often this runs), and records the outcome on the
// row. A row that is no longer queued is left alone, so the create hook and the sweep may both try.
export type Outcome =
  | { status: 'routed'; routed_to: string; routed_at: string }
  | { status: 'failed'; error: string };

interface QueuedCommand {
  id: string;
  imei: string;
  codec: string;
  command: string;
  requested_at: Date | null;
}

export async function routeCommand(context: Context, id: string, expireSeconds: number): Promise<Outcome | undefined> {
  const { rows } = await context.database.raw(
    `SELECT c.id, d.imei, c.codec, c.command, c.requested_at
       FROM commands c JOIN devices d ON d.id = c.device_id
      WHERE c.id = ? AND c.status = 'queued'`,
    [id],
  );
  const command = rows[0] as QueuedCommand | undefined;
  if (!command) return undefined;
  const outcome = await decide(context, command, expireSeconds);
  await recordOutcome(context, id, outcome);
  return outcome;
}

async function decide(context: Context, command: QueuedCommand, expireSeconds: number): Promise<Outcome> {
  const now = new Date();
  try {
    return await withRedis(context.env, context.logger, async (redis) => {
      const instance = await redis.get(socketKey(command.imei));
      if (!instance) return { status: 'failed', error: `device offline: no ingestion instance holds the socket of device ${command.imei}` };
      const requestedAt = command.requested_at ?? now;
      const { stream } = await appendOnce(redis, {
        marker: routedMarker(command.id),
        stream: commandStream(instance),
        markerSeconds: MARKER_SECONDS,
        maxLength: STREAM_MAX_LENGTH,
        fields: {
          command_id: command.id,
          imei: command.imei,
          codec: command.codec,
          command: command.command,
          requested_at: requestedAt.toISOString(),
          expires_at: new Date(now.getTime() + expireSeconds * 1000).toISOString(),
        },
      });
      // A retry reports where the first attempt put it.
      return { status: 'routed', routed_to: instanceOfStream(stream), routed_at: now.toISOString() };
    });
  } catch (err) {
    if (!(err instanceof RedisUnavailable)) throw err;
    return { status: 'failed', error: `Redis unavailable: ${err.message}` };
  }
}

// Through Directus's ItemsService, so that the change reaches WebSocket subscribers and hooks.
async function recordOutcome(context: Context, id: string, outcome: Outcome): Promise<void> {
  const commands = new context.services.ItemsService('commands', { schema: await context.getSchema() });
  await commands.updateByQuery({ filter: { _and: [{ id: { _eq: id } }, { status: { _eq: 'queued' } }] } }, outcome);
}
