// POST /positions/faulty: a race director or timekeeper marks (or unmarks) the positions of one
// device in a time window as faulty. Processor reads only `faulty = false` rows and recomputes the
// window when it reads the request from Redis (docs/contracts/recompute-requests.md).
// GET /positions/track: the positions of one device in a window, for reviewing them (track.ts).
// GET /positions/limits: the widest window and the most fixes one answer carries, so that a screen
// reading a longer window (the track review) asks in pieces the server accepts.
import type { EndpointConfig } from '@directus/types';
import type { Accountability, Context, SchemaOverview } from '../shared/directus.ts';
import { unauthenticated } from '../shared/errors.ts';
import { positiveNumber } from '../shared/settings.ts';
import { flagPositions } from './flag.ts';
import { parseDeviceWindow, parseFlagRequest } from './flag-request.ts';
import { readTrack } from './track.ts';
import { drainOutbox } from './outbox.ts';

interface DirectusRequest {
  body: unknown;
  query: Record<string, unknown>;
  schema: SchemaOverview;
  accountability: Accountability | null;
}

const positionsEndpoint: EndpointConfig = {
  id: 'positions',
  handler: (router, endpointContext) => {
    const context = endpointContext as unknown as Context;
    const maxWindowHours = positiveNumber(context.env, 'POSITIONS_FLAG_MAX_WINDOW_HOURS', 24);
    const maxTrackPoints = positiveNumber(context.env, 'POSITIONS_TRACK_MAX_POINTS', 5000);

    router.get('/limits', (req, res, next) => {
      const { accountability } = req as unknown as DirectusRequest;
      if (!accountability?.user && !accountability?.admin) return next(unauthenticated('Sign in to read the limits of positions.'));
      res.json({ data: { max_window_hours: maxWindowHours, max_track_points: maxTrackPoints } });
    });

    router.get('/track', async (req, res, next) => {
      try {
        const { query, accountability } = req as unknown as DirectusRequest;
        if (!accountability?.user && !accountability?.admin) throw unauthenticated('Sign in to read positions.');
        const window = parseDeviceWindow(query, maxWindowHours, 'read', 'POSITIONS_FLAG_MAX_WINDOW_HOURS');
        res.json({ data: await readTrack(context, accountability, window, maxTrackPoints) });
      } catch (err) {
        next(err);
      }
    });

    router.post('/faulty', async (req, res, next) => {
      try {
        const { body, schema, accountability } = req as unknown as DirectusRequest;
        if (!accountability?.user && !accountability?.admin) throw unauthenticated('Sign in to flag positions.');
        const request = parseFlagRequest(body, maxWindowHours);
        const flagged = await flagPositions(context, schema, accountability, request);
        // Committed: processor hears of it now, or from the scheduled drain once Redis is back.
        const drained = await drainOutbox(context);
        const { rows } = await context.database.raw('SELECT published_at FROM recompute_outbox WHERE id = ?', [flagged.requestId]);
        const published = rows[0]?.['published_at'] != null;
        res.json({
          data: {
            device_id: request.deviceId,
            imei: flagged.imei,
            from: request.from.toISOString(),
            to: request.to.toISOString(),
            faulty: request.faulty,
            rows_changed: flagged.rowsChanged,
            recompute_request: {
              id: flagged.requestId,
              status: published ? 'published' : 'pending',
              ...(!published && drained.error ? { error: `Redis unavailable: ${drained.error}; it is kept and published once Redis is back` } : {}),
            },
          },
        });
      } catch (err) {
        next(err);
      }
    });
  },
};

export default positionsEndpoint;
