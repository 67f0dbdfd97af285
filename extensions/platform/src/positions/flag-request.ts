import { invalidPayload } from '../shared/errors.ts';

// The body of POST /positions/faulty, checked before anything is read or written.
export interface FlagRequest extends DeviceWindow {
  faulty: boolean;
  reason: string;
}

const FIELDS = ['device_id', 'from', 'to', 'faulty', 'reason'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A time zone is required: a window read in the server's zone would flag the wrong hour.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const REASON_MAX = 500;

export function parseFlagRequest(body: unknown, maxWindowHours: number): FlagRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidPayload(`Send a JSON object with ${FIELDS.join(', ')}.`);
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).filter((key) => !FIELDS.includes(key));
  if (unknown.length > 0) throw invalidPayload(`Unknown field ${unknown.join(', ')}; the fields are ${FIELDS.join(', ')}.`);
  const { faulty, reason } = input;
  const { deviceId, from, to } = parseDeviceWindow(input, maxWindowHours, 'flagged', 'POSITIONS_FLAG_MAX_WINDOW_HOURS');
  if (typeof faulty !== 'boolean') throw invalidPayload('faulty must be true (mark the positions faulty) or false (unmark them).');
  if (typeof reason !== 'string' || reason.trim() === '') throw invalidPayload('reason is required: say why, for the audit trail and for processor.');
  if (reason.length > REASON_MAX) throw invalidPayload(`reason is at most ${REASON_MAX} characters.`);
  return { deviceId, from, to, faulty, reason: reason.trim() };
}

export interface DeviceWindow {
  deviceId: string;
  from: Date;
  to: Date;
}

// One device and a window of its positions, inclusive at both ends, at most `maxWindowHours` wide.
export function parseDeviceWindow(input: Record<string, unknown>, maxWindowHours: number, verb: string, setting: string): DeviceWindow {
  const deviceId = input['device_id'];
  if (typeof deviceId !== 'string' || !UUID.test(deviceId)) throw invalidPayload('device_id must be the id (a UUID) of a device.');
  const from = timestamp(input['from'], 'from');
  const to = timestamp(input['to'], 'to');
  if (from > to) throw invalidPayload(`The window is reversed: from (${from.toISOString()}) is after to (${to.toISOString()}).`);
  const hours = (to.getTime() - from.getTime()) / 3_600_000;
  if (hours > maxWindowHours) throw invalidPayload(`The window is ${round(hours)} h wide; at most ${maxWindowHours} h may be ${verb} at once (${setting}).`);
  return { deviceId, from, to };
}

function timestamp(value: unknown, name: string): Date {
  const date = typeof value === 'string' && TIMESTAMP.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw invalidPayload(`${name} must be an ISO 8601 timestamp with a time zone, e.g. 2027-06-05T08:00:00Z.`);
  return date;
}

const round = (hours: number) => Math.round(hours * 100) / 100;
