import type { Database } from '../shared/directus.ts';
import { asSystem } from '../tenant-scope/scope.ts';

// The windows of one device's positions that a person may watch: those of the events of their
// organizations it served, and, for a device only their organizations hold, the time since they
// registered it (tenant.position_windows, db-init-post/014: the same rule as reading a track or
// flagging). Administrators and the service accounts (`who` undefined) may watch it at any time;
// `who` null (a signed-in caller without a user) may watch nothing.
export interface DeviceTelemetry {
  device: { id: string; imei: string; model: string };
  windows: Array<{ from: string | null; to: string | null; event: { id: string; name: string; organization_id: string } | null }>;
}

const DEVICE_WINDOWS = `
  SELECT d.id, d.imei, d.model,
         coalesce(jsonb_agg(tenant.window_bounds(w.during) || jsonb_build_object(
                    'event', CASE WHEN e.id IS NOT NULL THEN jsonb_build_object('id', e.id, 'name', e.name, 'organization_id', e.organization_id) END)
                  ORDER BY lower(w.during)) FILTER (WHERE w.during IS NOT NULL), '[]') AS windows
    FROM devices d
    LEFT JOIN LATERAL tenant.position_windows(?::uuid, d.id, NULL) w ON true
    LEFT JOIN events e ON e.id = w.event_id
   WHERE d.imei = ?
   GROUP BY d.id`;

const DEVICE = 'SELECT id, imei, model FROM devices WHERE imei = ?';

// Undefined when there is no such device.
export async function readDeviceTelemetry(database: Database, imei: string, who: string | null | undefined): Promise<DeviceTelemetry | undefined> {
  const { rows } = await asSystem(() => (who === undefined ? database.raw(DEVICE, [imei]) : database.raw(DEVICE_WINDOWS, [who, imei])));
  const row = rows[0];
  if (!row) return undefined;
  return {
    device: { id: String(row['id']), imei: String(row['imei']), model: String(row['model']) },
    windows: who === undefined ? [{ from: null, to: null, event: null }] : (row['windows'] as DeviceTelemetry['windows']),
  };
}
