import { ownedTables } from '../lib/owned-tables.ts';
import { describeRelation, type Snapshot } from './snapshot.ts';

export interface StripResult {
  snapshot: Snapshot;
  removed: string[];
}

// Tables a snapshot must never hold: what db-init/ creates and the boot's own tables (read from the
// SQL, so a new db-init file is covered without editing anything here), and the tables Directus is
// told to ignore (DB_EXCLUDE_TABLES, by default PostGIS's spatial_ref_sys). A snapshot holding one
// makes `schema apply` on a fresh database CREATE a table that db-init already created.
export async function foreignTables(env: NodeJS.ProcessEnv = process.env): Promise<Set<string>> {
  const excluded = (env['DB_EXCLUDE_TABLES'] ?? 'spatial_ref_sys,sysdiagrams').split(',').map((name) => name.trim());
  return new Set([...(await ownedTables()), ...excluded.filter(Boolean)]);
}

// Removes those tables' collections, fields and relations, and everything left pointing at them
// (a relation to a removed table, the one-to-many alias that relation fed), so that what remains
// applies to a fresh database on its own.
export function stripSnapshot(snapshot: Snapshot, foreign: ReadonlySet<string>): StripResult {
  const removed: string[] = [];
  const isSystem = (name: string) => name.startsWith('directus_');
  const collections = snapshot.collections.filter((item) => {
    const keep = !foreign.has(item.collection) && !isSystem(item.collection);
    if (!keep) removed.push(`collection ${item.collection}`);
    return keep;
  });
  const known = new Set(collections.map((item) => item.collection));
  const exists = (name: string | null) => name === null || known.has(name) || isSystem(name);
  // A collection kept inside a folder that was removed moves to the top level.
  const placed = collections.map((item) => {
    const group = item.meta?.['group'];
    if (typeof group !== 'string' || exists(group)) return item;
    removed.push(`folder ${group} of collection ${item.collection}`);
    return { ...item, meta: { ...item.meta, group: null } };
  });

  const deadAliases = new Set<string>();
  const relations = snapshot.relations.filter((relation) => {
    const keep = exists(relation.collection) && exists(relation.related_collection);
    if (!keep) {
      removed.push(`relation ${describeRelation(relation)}`);
      const alias = relation.meta?.one_field;
      if (alias && relation.related_collection) deadAliases.add(`${relation.related_collection}.${alias}`);
    }
    return keep;
  });
  const fields = snapshot.fields.filter((field) => {
    const keep = exists(field.collection) && !deadAliases.has(`${field.collection}.${field.field}`);
    if (!keep) removed.push(`field ${field.collection}.${field.field}`);
    return keep;
  });
  return { snapshot: { ...snapshot, collections: placed, fields, relations }, removed };
}
