import { randomUUID } from 'node:crypto';
import type { SchemaModel } from './schema-model.ts';

// A valid new row of a collection, generically from the snapshot: every required column gets a
// value of its type (the first choice of a dropdown), every reference the row of `refs` for its
// collection. Unique values carry a random part.
export function newRow(model: SchemaModel, collection: string, refs: Record<string, string>, tag: string): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  const related = new Map(model.references.filter((r) => r.collection === collection).map((r) => [r.field, r.related]));
  for (const column of model.columns(collection)) {
    const schema = (column.schema ?? {}) as { is_nullable?: boolean; default_value?: unknown; is_primary_key?: boolean; foreign_key_table?: string | null };
    const meta = (column.meta ?? {}) as { special?: string[] | null; options?: { choices?: Array<{ value: unknown }> } | null };
    if (schema.is_primary_key || meta.special?.some((s) => s.startsWith('date-') || s.startsWith('user-'))) continue;
    const target = related.get(column.field) ?? schema.foreign_key_table ?? undefined;
    if (target) {
      if (refs[target]) row[column.field] = refs[target];
      else if (schema.is_nullable === false) throw new Error(`newRow(${collection}): no ${target} given for ${column.field}`);
      continue;
    }
    if (schema.is_nullable !== false || schema.default_value !== null) continue;
    const choice = meta.options?.choices?.[0]?.value;
    row[column.field] = choice ?? SHAPED[column.field]?.() ?? valueOf(column.type, tag);
  }
  return row;
}

// Fields whose validation asks for a shape of their own.
const SHAPED: Record<string, () => string> = {
  imei: () => String(Math.floor(Math.random() * 1e15)).padStart(15, '3'),
};

function valueOf(type: string, tag: string): unknown {
  switch (type) {
    case 'string':
    case 'text':
      return `${tag}-${randomUUID().slice(0, 8)}`;
    case 'integer':
    case 'bigInteger':
      return 1;
    case 'timestamp':
    case 'dateTime':
      return '2027-06-05T08:00:00Z';
    case 'boolean':
      return false;
    default:
      throw new Error(`newRow: no value for a column of type ${type}`);
  }
}
