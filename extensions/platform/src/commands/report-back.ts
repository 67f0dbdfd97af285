import { invalidPayload } from '../shared/errors.ts';
import type { Database } from '../shared/directus.ts';
import { REPORT_FIELDS, REPORTS, type CommandStatus } from './contract.ts';

// What an ingestion instance reports back (PATCH /items/commands/:id, docs/contracts/commands.md),
// checked against the command's state machine. Applies to every caller with an accountability, admins
// included: only routing (internal, no accountability) moves a command out of queued.
export async function checkReport(database: Database, keys: unknown[], payload: Record<string, unknown>): Promise<Record<string, unknown>> {
  const extra = Object.keys(payload).filter((field) => !REPORT_FIELDS.includes(field));
  if (extra.length > 0) throw invalidPayload(`A command report sets only ${REPORT_FIELDS.join(', ')}; not ${extra.join(', ')}.`);
  const status = payload['status'];
  if (status === undefined) return payload;
  if (typeof status !== 'string' || !(status in REPORTS)) {
    throw invalidPayload(`A command report's status is one of ${Object.keys(REPORTS).join(', ')}; not ${String(status)}.`);
  }
  const allowedFrom = REPORTS[status as keyof typeof REPORTS];
  const { rows } = await database.raw("SELECT id, status FROM commands WHERE id::text = ANY(string_to_array(?, ','))", [keys.map(String).join(',')]);
  for (const row of rows) {
    if (!allowedFrom.includes(row['status'] as CommandStatus)) {
      throw invalidPayload(`Command ${String(row['id'])} is ${String(row['status'])}; it cannot be reported ${status} (only from ${allowedFrom.join(', ')}).`);
    }
  }
  const now = new Date().toISOString();
  if (status === 'sent') return { sent_at: now, ...payload };
  if (status === 'acknowledged') return { acknowledged_at: now, ...payload };
  return payload;
}
