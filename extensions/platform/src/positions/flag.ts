import type { Accountability, Context, SchemaOverview } from '../shared/directus.ts';
import { forbidden, notFound } from '../shared/errors.ts';
import { asSystem } from '../tenant-scope/scope.ts';
import type { FlagRequest } from './flag-request.ts';
import { setFaulty } from './faulty-rows.ts';

export interface Flagged {
  imei: string;
  rowsChanged: number;
  requestId: string;
}

// Marks (or unmarks) one device's positions in a window as faulty. The update, the recompute request
// for processor (recompute_outbox, published to Redis after the commit) and the audit entries
// (directus_activity, directus_revisions) are one transaction: all of them happen or none does.
export async function flagPositions(context: Context, schema: SchemaOverview, accountability: Accountability, request: FlagRequest): Promise<Flagged> {
  if (!accountability.admin) await requireFlaggingRight(context, String(accountability.user), request);
  const { rows } = await asSystem(() => context.database.raw('SELECT id, imei FROM devices WHERE id = ?', [request.deviceId]));
  const device = rows[0];
  if (!device) throw notFound(`There is no device ${request.deviceId}.`);
  const imei = String(device['imei']);

  return context.database.transaction(async (trx) => {
    const rowsChanged = await setFaulty(async (sql, bindings) => (await trx.raw(sql, bindings)).rowCount ?? 0, { imei, ...request });
    const { rows: outbox } = await trx.raw(
      `INSERT INTO recompute_outbox (device_id, window_from, window_to, faulty, reason, requested_by, rows_changed)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [imei, request.from, request.to, request.faulty, request.reason, accountability.user, rowsChanged],
    );
    const requestId = String(outbox[0]!['id']);
    const activity = await new context.services.ActivityService({ schema, knex: trx }).createOne({
      action: 'update',
      user: accountability.user,
      collection: 'positions',
      item: imei,
      ip: accountability.ip,
      user_agent: accountability.userAgent ?? null,
      origin: accountability.origin ?? null,
    });
    await new context.services.RevisionsService({ schema, knex: trx }).createOne({
      activity,
      collection: 'positions',
      item: imei,
      data: { device_id: imei, from: request.from.toISOString(), to: request.to.toISOString(), faulty: request.faulty, reason: request.reason, rows_changed: rowsChanged, recompute_request: requestId },
      delta: { faulty: request.faulty },
    });
    return { imei, rowsChanged, requestId };
  });
}

// Positions belong to the organization whose event the device served in that window, or to the
// organizations holding it (tenant.may_flag, db-init-post/011). A device of another organization, a
// window outside one's own and a device that does not exist get the same answer.
async function requireFlaggingRight(context: Context, user: string, request: FlagRequest): Promise<void> {
  const { rows } = await context.database.raw('SELECT tenant.may_flag(?, ?, ?, ?) AS allowed', [user, request.deviceId, request.from, request.to]);
  if (rows[0]?.['allowed'] !== true) {
    throw forbidden(
      'You may flag positions only of a device in a window that belongs to an organization where you are org-admin, ' +
        'race-director or timekeeper: within one of its events the device served, or any time for a device only it holds.',
    );
  }
}
