import { invalidPayload } from '../shared/errors.ts';

// The question processor asks for one subscription: an event's telemetry, or one device's.
export type AuthorizeRequest = { kind: 'event'; eventId: string } | { kind: 'device'; imei: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IMEI = /^[0-9]{15}$/;
const USAGE = 'Ask for one of event_id=<events.id> or device_id=<IMEI>.';

// Directus's own query parameters (the token, a cache switch) may ride along; anything else is a
// mistake processor should hear about.
const DIRECTUS_PARAMETERS = ['access_token'];

// `names`: the parameter names as sent (the query parser drops some, such as `constructor`), each
// without its brackets.
export function parseAuthorizeRequest(query: Record<string, unknown>, names: Iterable<string> = Object.keys(query)): AuthorizeRequest {
  const unknown = [...new Set(names)].filter((key) => key !== 'event_id' && key !== 'device_id' && !DIRECTUS_PARAMETERS.includes(key));
  if (unknown.length > 0) throw invalidPayload(`Unknown parameter ${unknown.join(', ')}. ${USAGE}`);
  const { event_id: eventId, device_id: deviceId } = query;
  if ((eventId === undefined) === (deviceId === undefined)) throw invalidPayload(USAGE);
  if (eventId !== undefined) {
    if (typeof eventId !== 'string' || !UUID.test(eventId)) throw invalidPayload('event_id must be the id (a UUID) of an event.');
    return { kind: 'event', eventId: eventId.toLowerCase() };
  }
  if (typeof deviceId !== 'string' || !IMEI.test(deviceId)) throw invalidPayload('device_id must be a device\'s IMEI: 15 digits.');
  return { kind: 'device', imei: deviceId };
}
