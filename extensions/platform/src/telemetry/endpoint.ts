// GET /telemetry/authorize: processor's question, once per live subscription, with the SPA user's own
// token: what may this person watch of an event (?event_id=) or of a device (?device_id=<IMEI>), and
// until when does the answer hold (docs/contracts/telemetry-access.md). The same tenant rules as
// everywhere (docs/security.md): an organization's people watch its events' devices, a shared
// tracker only for the windows it served them; an event opened for public live tracking answers
// anyone, with its public labels only.
import type { EndpointConfig } from '@directus/types';
import type { Accountability, Context } from '../shared/directus.ts';
import { forbidden, unauthenticated } from '../shared/errors.ts';
import { positiveNumber } from '../shared/settings.ts';
import { currentScope } from '../tenant-scope/scope.ts';
import { answerExpiry } from './answer-expiry.ts';
import { parseAuthorizeRequest } from './authorize-request.ts';
import { readDeviceTelemetry } from './device-telemetry.ts';
import { cachedEventTelemetry, cachedMembership } from './event-cache.ts';
import { isMember, readEventTelemetry, type Access, type EventTelemetry } from './event-telemetry.ts';

interface DirectusRequest {
  originalUrl: string;
  query: Record<string, unknown>;
  token: string | null;
  accountability: Accountability | null;
  acceptsEncodings: (encodings: string[]) => string | false;
}

const NOT_WATCHABLE = {
  event: 'You may watch only the telemetry of events of your organizations, or of events open to the public.',
  device: 'You may watch a device only in the windows of your organizations: the events of theirs it served, or the time since they registered a device only they hold.',
};

const telemetryEndpoint: EndpointConfig = {
  id: 'telemetry',
  handler: (router, endpointContext) => {
    const context = endpointContext as unknown as Context;
    const ttlSeconds = positiveNumber(context.env, 'TELEMETRY_AUTHORIZATION_TTL_SECONDS', 900);
    const keepMs = positiveNumber(context.env, 'TELEMETRY_EVENT_CACHE_SECONDS', 5) * 1000;

    router.get('/authorize', async (req, res, next) => {
      try {
        const { originalUrl, query, token, accountability } = req as unknown as DirectusRequest;
        const names = [...new URL(originalUrl, 'http://directus').searchParams.keys()].map((name) => name.replace(/\[.*$/, ''));
        const request = parseAuthorizeRequest(query, names);
        const who = accountability?.user ?? null;
        const signedIn = who !== null || accountability?.admin === true;
        // Administrators and the service accounts work across organizations (tenant-scope/scope.ts).
        const platform = signedIn && currentScope().kind === 'system';
        const expires_at = answerExpiry(token, new Date(), ttlSeconds);

        if (request.kind === 'device') {
          if (!signedIn) throw unauthenticated('Sign in to watch a device.');
          const telemetry = await readDeviceTelemetry(context.database, request.imei, platform ? undefined : who);
          if (!telemetry || telemetry.windows.length === 0) throw forbidden(NOT_WATCHABLE.device);
          return res.set('cache-control', 'no-store').json({ data: { access: platform ? 'platform' : 'organization', ...telemetry, expires_at } });
        }

        const telemetry = await cachedEventTelemetry(request.eventId, keepMs, () => readEventTelemetry(context.database, request.eventId));
        const member = telemetry !== undefined && !platform && who !== null &&
          (await cachedMembership(who, telemetry.organizationId, keepMs, () => isMember(context.database, who, telemetry.organizationId)));
        const access = telemetry && accessOf(telemetry, platform, member);
        if (!access) throw signedIn ? forbidden(NOT_WATCHABLE.event) : unauthenticated('Sign in to watch this event: it is not open to the public.');
        // The kept bytes as they are (compressed once if the client takes gzip), ended by this answer's expiry.
        const gzip = (req as unknown as DirectusRequest).acceptsEncodings(['gzip', 'identity']) === 'gzip';
        const [head, tail] = telemetry.answers[access].body(Buffer.from(`,"expires_at":"${expires_at}"}}`), gzip);
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': head.length + tail.length,
          vary: 'Accept-Encoding',
          // A person's answer: no shared cache in front may keep it for another.
          'cache-control': 'no-store',
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        });
        res.write(head);
        res.end(tail);
      } catch (err) {
        next(err);
      }
    });
  },
};

// As whom the caller may watch the event, if at all.
function accessOf(telemetry: EventTelemetry, platform: boolean, member: boolean): Access | undefined {
  if (platform) return 'platform';
  if (member) return 'organization';
  if (telemetry.publicTracking) return 'public';
  return undefined;
}

export default telemetryEndpoint;
