import { appendOnce } from '../shared/append-once.ts';
import type { Context } from '../shared/directus.ts';
import { RedisUnavailable, withRedis } from '../shared/redis.ts';

// Publishes committed recompute requests (recompute_outbox) to the Redis stream processor reads,
// oldest first. A request is committed together with the flag change it asks about, so processor
// learns of every change however long Redis is away: this runs after every flag request and on a
// schedule. One drain at a time (a transaction-scoped advisory lock); every entry is appended at most
// once (appendOnce), so a drain that stops between XADD and marking its row cannot append it twice.
export const RECOMPUTE_STREAM = 'recompute:requests';
export const publishedMarker = (requestId: string) => `recompute:published:${requestId}`;
// pg_advisory_xact_lock key of the drain: 'rcmp' in ASCII.
const DRAIN_LOCK = 0x72636d70;
const MARKER_SECONDS = 7 * 24 * 3600;
const BATCH = 500;

export interface Drained {
  published: number;
  pending: number;
  error?: string;
}

export async function drainOutbox(context: Context): Promise<Drained> {
  return context.database.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [DRAIN_LOCK]);
    const { rows } = await trx.raw(
      `SELECT id, device_id, window_from, window_to, faulty, reason, requested_by, rows_changed, requested_at
         FROM recompute_outbox WHERE published_at IS NULL ORDER BY id LIMIT ${BATCH}`,
    );
    // Nothing waits: Redis is not needed, and its absence is not news.
    if (rows.length === 0) return { published: 0, pending: 0 };
    let published = 0;
    try {
      await withRedis(context.env, context.logger, async (redis) => {
        for (const row of rows) {
          const { entryId } = await appendOnce(redis, {
            marker: publishedMarker(String(row['id'])),
            stream: RECOMPUTE_STREAM,
            markerSeconds: MARKER_SECONDS,
            maxLength: 0,
            fields: {
              request_id: String(row['id']),
              device_id: String(row['device_id']),
              from: iso(row['window_from']),
              to: iso(row['window_to']),
              faulty: String(row['faulty']),
              reason: String(row['reason']),
              user: String(row['requested_by'] ?? ''),
              rows_changed: String(row['rows_changed']),
              requested_at: iso(row['requested_at']),
            },
          });
          await trx.raw('UPDATE recompute_outbox SET published_at = now(), stream_entry_id = ? WHERE id = ?', [entryId, row['id']]);
          published++;
        }
      });
    } catch (err) {
      if (!(err instanceof RedisUnavailable)) throw err;
      return { published, pending: rows.length - published, error: err.message };
    }
    return { published, pending: rows.length - published };
  });
}

const iso = (value: unknown) => (value instanceof Date ? value : new Date(String(value))).toISOString();
