import type { Database, SchemaOverview } from '../shared/directus.ts';
import { conflict, forbidden, NOT_YOURS } from '../shared/errors.ts';
import { translateRefusal } from './database-errors.ts';
import { asSystem, type Scope } from './scope.ts';

// Checks a person's update or delete before anything else looks at it (other hooks, Directus's own
// checks), failing closed: every key must name a row the person sees (a key that finds nothing is
// refused, not skipped), and the collection must allow the action to someone. The database holds each
// row to the rules again when it is written.
export async function checkWrite(database: Database, scope: Scope, collection: string, action: 'update' | 'delete', keys: unknown[]): Promise<void> {
  if (scope.kind !== 'person') return;
  const ids = distinct(keys);
  let seen: unknown;
  await refusalsAsErrors(async () => {
    const { rows } = await database.raw(
      `SELECT count(*)::int AS n, tenant.granted_roles(?, ?) FROM ${identifier(collection)} WHERE id = ANY(string_to_array(?, ',')::uuid[])`,
      [collection, action, ids.join(',')],
    );
    seen = rows[0]?.['n'];
  });
  if (seen !== ids.length) throw forbidden(NOT_YOURS);
}

// Checks a delete before Directus runs it, because Directus does not translate the errors of deletes:
// a refused delete would answer 500. For a person, each row must pass the rules (tenant.assert_allowed,
// the function the database's trigger calls). For everyone, a row that others still reference
// (ON DELETE RESTRICT) is refused with what references it.
export async function checkDelete(database: Database, schema: SchemaOverview, scope: Scope, collection: string, keys: unknown[], protectedTable: boolean): Promise<void> {
  const ids = distinct(keys);
  const list = ids.join(',');
  if (scope.kind === 'person' && protectedTable) {
    await checkWrite(database, scope, collection, 'delete', ids);
    await refusalsAsErrors(() =>
      database.raw(`SELECT tenant.assert_allowed(?, 'DELETE', NULL, to_jsonb(t)) FROM ${identifier(collection)} t WHERE id = ANY(string_to_array(?, ',')::uuid[])`, [collection, list]),
    );
  }
  const references = schema.relations.filter(
    (relation) => relation.related_collection === collection && ['RESTRICT', 'NO ACTION'].includes(relation.schema?.on_delete ?? ''),
  );
  const visible: string[] = [];
  let hidden = false;
  for (const relation of references) {
    const count = `SELECT count(*)::int AS n FROM ${identifier(relation.collection)} WHERE ${identifier(relation.field)} = ANY(string_to_array(?, ',')::uuid[])`;
    const all = Number((await asSystem(() => database.raw(count, [list]))).rows[0]?.['n'] ?? 0);
    if (all === 0) continue;
    const seen = scope.kind === 'person' ? Number((await database.raw(count, [list])).rows[0]?.['n'] ?? 0) : all;
    if (seen > 0) visible.push(`${seen} ${relation.collection} (${relation.field})`);
    if (seen < all) hidden = true;
  }
  if (visible.length === 0 && !hidden) return;
  const what = `${collection} ${ids.length === 1 ? `item ${ids[0]} is` : 'items are'} still referenced`;
  throw conflict(
    visible.length > 0
      ? `The ${what} by ${visible.join(', ')}${hidden ? ' and by rows of other organizations' : ''}: delete or change those first.`
      : `The ${what} by rows of other organizations; an administrator can help.`,
  );
}

const distinct = (keys: unknown[]) => [...new Set(keys.map((key) => String(key).toLowerCase()))];

async function refusalsAsErrors(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    throw translateRefusal(err);
  }
}

function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a table or column name: ${name}`);
  return `"${name}"`;
}
