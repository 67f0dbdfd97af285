import type { Database } from '../shared/directus.ts';
import { asSystem } from '../tenant-scope/scope.ts';
import { Precompressed } from './precompressed.ts';

// What there is to watch of one event: its devices, each with the entry it is on (race number,
// class, vehicle, crew) and the windows in which its positions are the event's (the event's time,
// less any window in which the device served another organization's event:
// tenant.position_windows_for, db-init-post/014). One statement, read past row-level security; the
// caller decides who may have which part of it. Each answer is kept serialized, and compressed once
// when first asked for so: an event of 300 entries is some 200 kB of JSON, asked for by every
// spectator and member at a rally's start.
export type Access = 'platform' | 'organization' | 'public';

export interface EventTelemetry {
  organizationId: string;
  publicTracking: boolean;
  // `{"data":{"access":…,"event":…,"devices":…` as UTF-8, to be ended by the caller: everything for the
  // platform and the event's organization, public labels only for anyone else.
  answers: Record<Access, Precompressed>;
}

interface EventRow {
  id: string;
  organization_id: string;
  name: string;
  discipline: string;
  starts_at: string;
  ends_at: string;
  public_tracking: boolean;
}

export interface WatchedDevice {
  imei: string;
  device_id: string;
  model: string;
  assigned_user_id: string | null;
  entry: {
    id: string;
    race_number: string;
    status: string;
    class: { id: string; code: string; name: string | null } | null;
    vehicle: { id: string; make: string; model: string; plate: string | null } | null;
    crew: Array<{ user_id: string; first_name: string | null; last_name: string | null; role: string }>;
  };
  windows: Array<{ from: string; to: string | null }>;
}

const EVENT_TELEMETRY = `
  WITH ev AS (SELECT * FROM events WHERE id = ?::uuid),
  assigned AS (
    SELECT ed.device_id, ed.assigned_user_id, en.id AS entry_id, en.race_number, en.status, en.class_id, en.vehicle_id
      FROM ev JOIN entries en ON en.event_id = ev.id JOIN entry_devices ed ON ed.entry_id = en.id),
  windows AS (
    SELECT w.device_id, jsonb_agg(tenant.window_bounds(w.during) ORDER BY lower(w.during)) AS list
      FROM ev, tenant.position_windows_for(ARRAY[ev.organization_id], ARRAY(SELECT device_id FROM assigned)) w
     WHERE w.event_id = ev.id GROUP BY w.device_id),
  crew AS (
    SELECT ec.entry_id, jsonb_agg(jsonb_build_object('user_id', u.id, 'first_name', u.first_name, 'last_name', u.last_name, 'role', ec.role)
                                  ORDER BY u.last_name, u.first_name, u.id) AS list
      FROM entry_crew ec JOIN directus_users u ON u.id = ec.user_id
     WHERE ec.entry_id IN (SELECT entry_id FROM assigned) GROUP BY ec.entry_id)
  SELECT ev.id, ev.organization_id, ev.name, ev.discipline, ev.starts_at, ev.ends_at, ev.public_tracking,
         coalesce((
           SELECT jsonb_agg(jsonb_build_object(
                    'imei', d.imei, 'device_id', d.id, 'model', d.model, 'assigned_user_id', a.assigned_user_id,
                    'entry', jsonb_build_object(
                      'id', a.entry_id, 'race_number', a.race_number, 'status', a.status,
                      'class', CASE WHEN c.id IS NOT NULL THEN jsonb_build_object('id', c.id, 'code', c.code, 'name', c.name) END,
                      'vehicle', CASE WHEN v.id IS NOT NULL THEN jsonb_build_object('id', v.id, 'make', v.make, 'model', v.model, 'plate', v.plate) END,
                      'crew', coalesce(cr.list, '[]')),
                    'windows', coalesce(w.list, '[]'))
                  ORDER BY length(a.race_number), a.race_number, d.imei)
             FROM assigned a JOIN devices d ON d.id = a.device_id
             LEFT JOIN classes c ON c.id = a.class_id LEFT JOIN vehicles v ON v.id = a.vehicle_id
             LEFT JOIN crew cr ON cr.entry_id = a.entry_id LEFT JOIN windows w ON w.device_id = a.device_id), '[]') AS devices
    FROM ev`;

// Undefined when there is no such event.
export async function readEventTelemetry(database: Database, eventId: string): Promise<EventTelemetry | undefined> {
  const { rows } = await asSystem(() => database.raw(EVENT_TELEMETRY, [eventId]));
  const row = rows[0];
  if (!row) return undefined;
  const event: EventRow = {
    id: String(row['id']),
    organization_id: String(row['organization_id']),
    name: String(row['name']),
    discipline: String(row['discipline']),
    starts_at: (row['starts_at'] as Date).toISOString(),
    ends_at: (row['ends_at'] as Date).toISOString(),
    public_tracking: row['public_tracking'] === true,
  };
  const devices = row['devices'] as WatchedDevice[];
  const full = `"event":${JSON.stringify(event)},"devices":${JSON.stringify(devices)}`;
  const [publicEvent, publicDevices] = publicView(event, devices);
  const answer = (access: Access, fields: string) => new Precompressed(Buffer.from(`{"data":{"access":"${access}",${fields}`));
  return {
    organizationId: event.organization_id,
    publicTracking: event.public_tracking,
    answers: {
      platform: answer('platform', full),
      organization: answer('organization', full),
      public: answer('public', `"event":${JSON.stringify(publicEvent)},"devices":${JSON.stringify(publicDevices)}`),
    },
  };
}

// Whether `who` is a member (any role) of the organization: as row-level security decides who reads
// an event (db-init-post/012).
export async function isMember(database: Database, who: string, organizationId: string): Promise<boolean> {
  const { rows } = await asSystem(() => database.raw('SELECT ?::uuid = ANY (tenant.orgs_of(?::uuid)) AS member', [organizationId, who]));
  return rows[0]?.['member'] === true;
}

// What a spectator's map may show: race numbers, classes and tracks; no people, no IMEIs (a tracker's
// IMEI is all tcp-ingestion asks of a device that connects), no organization.
function publicView({ id, name, discipline, starts_at, ends_at }: EventRow, devices: WatchedDevice[]): [object, object[]] {
  return [
    { id, name, discipline, starts_at, ends_at },
    devices.map(({ device_id, entry, windows }) => ({
      device_id,
      entry: { race_number: entry.race_number, status: entry.status, class: entry.class && { code: entry.class.code, name: entry.class.name } },
      windows,
    })),
  ];
}
