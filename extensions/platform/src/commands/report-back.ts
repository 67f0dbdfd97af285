import type { Database } from '../shared/directus.ts';
import { forbidden, invalidPayload, NOT_YOURS } from '../shared/errors.ts';
import { REPORT_FIELDS, REPORTS, type CommandStatus } from './contract.ts';

// What an ingestion instance reports back (PATCH /items/commands/:id, docs/contracts/commands.md),
// held to the command's state machine for every field it touches. Applies to every caller with an
// accountability, admins included: only routing (internal, no accountability) moves a command out of
// queued. A report names its status; it sets only that status's fields; a field already recorded is
// never rewritten (a repeated report, an HTTP retry, may repeat it unchanged).
type Report = keyof typeof REPORTS;
const REPORT_SETS: Record<Report, string[]> = {
  sent: ['sent_at'],
  acknowledged: ['acknowledged_at', 'response'],
  failed: ['error'],
};
const STAMPS: Partial<Record<Report, string>> = { sent: 'sent_at', acknowledged: 'acknowledged_at' };

export async function checkReport(database: Database, keys: unknown[], payload: Record<string, unknown>): Promise<Record<string, unknown>> {
  const extra = Object.keys(payload).filter((field) => !REPORT_FIELDS.includes(field));
  if (extra.length > 0) throw invalidPayload(`A command report sets only ${REPORT_FIELDS.join(', ')}; not ${extra.join(', ')}.`);
  const status = payload['status'];
  if (typeof status !== 'string' || !(status in REPORTS)) {
    throw invalidPayload(`A command report names its status, one of ${Object.keys(REPORTS).join(', ')}; not ${String(status)}.`);
  }
  const report = status as Report;
  const misplaced = Object.keys(payload).filter((field) => field !== 'status' && !REPORT_SETS[report].includes(field));
  if (misplaced.length > 0) throw invalidPayload(`A ${report} report sets only ${['status', ...REPORT_SETS[report]].join(', ')}; not ${misplaced.join(', ')}.`);

  const ids = [...new Set(keys.map((key) => String(key).toLowerCase()))];
  const { rows } = await database.raw(
    "SELECT id, status, sent_at, acknowledged_at, response, error FROM commands WHERE id = ANY(string_to_array(?, ',')::uuid[])",
    [ids.join(',')],
  );
  // Fail closed: a key that finds no command is refused, not skipped.
  if (rows.length !== ids.length) throw forbidden(NOT_YOURS);
  for (const row of rows) {
    const allowedFrom = REPORTS[report];
    if (!allowedFrom.includes(row['status'] as CommandStatus)) {
      throw invalidPayload(`Command ${String(row['id'])} is ${String(row['status'])}; it cannot be reported ${report} (only from ${allowedFrom.join(', ')}).`);
    }
    for (const field of REPORT_SETS[report]) {
      if (!(field in payload) || row[field] === null || row[field] === undefined) continue;
      if (!sameValue(row[field], payload[field])) {
        throw invalidPayload(`Command ${String(row['id'])} already has ${field}; a report does not change it.`);
      }
    }
  }
  const stamp = STAMPS[report];
  return stamp && !(stamp in payload) && rows.every((row) => row[stamp] === null) ? { [stamp]: new Date().toISOString(), ...payload } : payload;
}

function sameValue(stored: unknown, reported: unknown): boolean {
  if (stored instanceof Date) return typeof reported === 'string' && new Date(reported).getTime() === stored.getTime();
  return stored === reported;
}
