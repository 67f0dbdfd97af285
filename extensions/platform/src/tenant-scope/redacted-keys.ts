import type { Database } from '../shared/directus.ts';
import { asSystem } from './scope.ts';

// A unique or foreign-key violation of a person's statement comes without the key in PostgreSQL's
// detail ("Key (imei)=(…)"): PostgreSQL leaves it out for tables under row-level security. Directus
// reads the field from that detail to say which value is taken or missing, and without it answers 500.
// The detail is put back with the constraint's columns, never a value.
const KEY_VIOLATIONS = ['23505', '23503'];

interface KeyViolation {
  code?: unknown;
  detail?: unknown;
  constraint?: unknown;
}

export function restoreKeyDetails(database: Database): (err: unknown) => Promise<void> {
  let columns: Promise<Map<string, string[]>> | undefined;
  const load = () =>
    asSystem(async () => {
      const { rows } = await database.raw(
        `SELECT con.conname, array_agg(att.attname::text ORDER BY key.ord) AS columns
           FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
           CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS key(attnum, ord)
           JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = key.attnum
          WHERE n.nspname = current_schema() AND con.contype IN ('u', 'f', 'p')
          GROUP BY con.conname`,
      );
      return new Map(rows.map((row) => [String(row['conname']), row['columns'] as string[]]));
    });
  return async (err) => {
    const violation = err as KeyViolation;
    if (typeof err !== 'object' || err === null || !KEY_VIOLATIONS.includes(String(violation.code)) || typeof violation.constraint !== 'string') return;
    if (typeof violation.detail === 'string' && violation.detail.startsWith('Key (')) return;
    columns ??= load();
    let known = (await columns).get(violation.constraint);
    // A constraint made since (a field Directus added): read the catalogue again, once for this one.
    if (!known) known = (await (columns = load())).get(violation.constraint);
    violation.detail = `Key (${(known ?? ['unknown']).join(', ')})=(…)`;
  };
}
