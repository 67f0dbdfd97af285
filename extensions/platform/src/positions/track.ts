import type { Accountability, Context } from '../shared/directus.ts';
import { forbidden, notFound } from '../shared/errors.ts';
import { asSystem } from '../tenant-scope/scope.ts';
import type { DeviceWindow } from './flag-request.ts';

// GET /positions/track: one device's positions in a window, for reviewing its track (the admin app's
// track review, the SPA). A person reads a window that belongs to one of their organizations, in any
// role (tenant.may_use_positions, db-init-post/011); another organization's device or window and a
// device that does not exist get the same answer. At most `maxPoints` are returned, evenly spread over
// the window; faulty fixes are always among them.
export interface Track {
  device_id: string;
  imei: string;
  from: string;
  to: string;
  total: number;
  faulty: number;
  sampled: boolean;
  points: Array<Record<string, unknown>>;
}

export async function readTrack(context: Context, accountability: Accountability, window: DeviceWindow, maxPoints: number): Promise<Track> {
  if (!accountability.admin) {
    const { rows } = await context.database.raw('SELECT tenant.may_use_positions(?, ?, ?, ?, NULL) AS allowed', [accountability.user, window.deviceId, window.from, window.to]);
    if (rows[0]?.['allowed'] !== true) {
      throw forbidden('You may read positions only of a device in a window that belongs to one of your organizations: within one of its events the device served, or any time for a device only it holds.');
    }
  }
  return asSystem(async () => {
    const { rows: devices } = await context.database.raw('SELECT imei FROM devices WHERE id = ?', [window.deviceId]);
    if (!devices[0]) throw notFound(`There is no device ${window.deviceId}.`);
    const imei = String(devices[0]['imei']);
    const range = [imei, window.from, window.to];
    const { rows: counts } = await context.database.raw(
      'SELECT count(*)::int AS total, count(*) FILTER (WHERE faulty)::int AS faulty FROM positions WHERE device_id = ? AND ts BETWEEN ? AND ?',
      range,
    );
    const total = Number(counts[0]?.['total'] ?? 0);
    const stride = Math.max(1, Math.ceil(total / maxPoints));
    const { rows: points } = await context.database.raw(
      `SELECT ts, latitude, longitude, altitude, speed, angle, satellites, faulty FROM (
         SELECT *, row_number() OVER (ORDER BY ts) - 1 AS n FROM positions WHERE device_id = ? AND ts BETWEEN ? AND ?
       ) p WHERE faulty OR n % ? = 0 ORDER BY ts`,
      [...range, stride],
    );
    return {
      device_id: window.deviceId,
      imei,
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      total,
      faulty: Number(counts[0]?.['faulty'] ?? 0),
      sampled: stride > 1,
      points,
    };
  });
}
