import { organizationsOf, rolesIn } from '../tenant-scope/membership.ts';
import { DEVICE_ORGANIZATIONS, POSITION_FLAGGING } from '../tenant-scope/rules.ts';
import type { Accountability, Context, SchemaOverview } from '../shared/directus.ts';
import { forbidden, notFound } from '../shared/errors.ts';
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
  const { rows } = await context.database.raw('SELECT id, imei FROM devices WHERE id = ?', [request.deviceId]);
  const device = rows[0];
  if (!device) throw notFound(`There is no device ${request.deviceId}.`);
  const imei = String(device['imei']);
  if (!accountability.admin) await requireFlaggingRole(context, String(accountability.user), request.deviceId, imei);

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

async function requireFlaggingRole(context: Context, user: string, deviceId: string, imei: string): Promise<void> {
  const organizations = await organizationsOf(context.database, DEVICE_ORGANIZATIONS, { id: deviceId });
  const roles = await rolesIn(context.database, user, organizations);
  if (![...roles.values()].some((role) => POSITION_FLAGGING.includes(role))) {
    throw forbidden(`You may flag positions only of devices of an organization where you are ${POSITION_FLAGGING.join(' or ')}; device ${imei} is not one.`);
  }
}
