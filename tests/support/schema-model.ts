import { readSnapshotFile, type SnapshotField } from '../../scripts/schema/snapshot.ts';
import { repoDir } from './run.ts';

// The business schema as the attack suite walks it, read from snapshots/schema.yaml: a collection or
// relation added there is attacked without editing a test.
export interface Step {
  // The key in a Directus field path or filter: a many-to-one field, a one-to-many alias, or
  // `$FOLLOW(collection,field)` for a reverse path without an alias.
  key: string;
  to: string;
}
export interface Reference {
  collection: string;
  field: string;
  related: string;
}

export interface SchemaModel {
  collections: string[];
  // Real columns, with what a generic payload needs to know.
  columns: (collection: string) => SnapshotField[];
  // Many-to-one references between business collections.
  references: Reference[];
  // Every relational path from a collection, up to `depth` steps, through business collections only.
  paths: (collection: string, depth: number) => Step[][];
  stringFields: (collection: string) => string[];
}

export async function loadSchemaModel(): Promise<SchemaModel> {
  const snapshot = await readSnapshotFile(`${repoDir}snapshots/schema.yaml`);
  const collections = snapshot.collections.map((c) => c.collection).filter((c) => !c.startsWith('directus_')).sort();
  const business = new Set(collections);
  const references = snapshot.relations
    .filter((r) => business.has(r.collection) && r.related_collection && business.has(r.related_collection))
    .map((r) => ({ collection: r.collection, field: r.field, related: r.related_collection as string, alias: r.meta?.one_field ?? null }));
  const steps = new Map<string, Step[]>(collections.map((c) => [c, []]));
  for (const r of references) {
    steps.get(r.collection)!.push({ key: r.field, to: r.related });
    steps.get(r.related)!.push({ key: r.alias ?? `$FOLLOW(${r.collection},${r.field})`, to: r.collection });
    // The reverse path through $FOLLOW exists even where an alias does.
    if (r.alias) steps.get(r.related)!.push({ key: `$FOLLOW(${r.collection},${r.field})`, to: r.collection });
  }
  const columns = (collection: string) =>
    snapshot.fields.filter((f) => f.collection === collection && f.type !== 'alias');
  const paths = (collection: string, depth: number): Step[][] => {
    const out: Step[][] = [];
    const walk = (from: string, path: Step[]) => {
      if (path.length > 0) out.push(path);
      if (path.length === depth) return;
      for (const step of steps.get(from) ?? []) walk(step.to, [...path, step]);
    };
    walk(collection, []);
    return out;
  };
  const stringFields = (collection: string) =>
    columns(collection).filter((f) => ['string', 'text'].includes(f.type)).map((f) => f.field);
  return { collections, columns, references: references.map(({ alias: _alias, ...r }) => r), paths, stringFields };
}

// A Directus filter that follows `path` and asks `leaf` of the last collection.
export function filterAlong(path: Step[], leaf: Record<string, unknown>): Record<string, unknown> {
  return path.reduceRight<Record<string, unknown>>((inner, step) => ({ [step.key]: inner }), leaf);
}

// A Directus field list reaching through `path` ($FOLLOW is a filter-only step).
export function fieldsAlong(path: Step[]): string | undefined {
  if (path.some((step) => step.key.startsWith('$FOLLOW'))) return undefined;
  return [...path.map((step) => step.key), '*'].join('.');
}
