import { readFile } from 'node:fs/promises';
import { importFromDirectus } from '../lib/directus-install.ts';
import { fromApp } from '../lib/paths.ts';

// The parts of a Directus schema snapshot the scripts read; everything else is carried through as is.
export interface Snapshot {
  version: number;
  directus: string;
  vendor?: string;
  collections: SnapshotCollection[];
  fields: SnapshotField[];
  systemFields?: unknown[];
  relations: SnapshotRelation[];
}

export interface SnapshotCollection {
  collection: string;
  meta: Record<string, unknown> | null;
  schema: Record<string, unknown> | null;
}

export interface SnapshotField {
  collection: string;
  field: string;
  type: string;
  meta: Record<string, unknown> | null;
  schema: Record<string, unknown> | null;
}

export interface SnapshotRelation {
  collection: string;
  field: string;
  related_collection: string | null;
  meta: ({ one_field?: string | null } & Record<string, unknown>) | null;
  schema: ({ on_delete?: string } & Record<string, unknown>) | null;
}

interface JsYaml {
  load: (text: string) => unknown;
  dump: (value: unknown) => string;
}

// Directus's own YAML library: the file reads as `directus schema apply` reads it and is written
// byte for byte as `directus schema snapshot --format yaml` writes it.
const yaml = () => importFromDirectus<JsYaml>('js-yaml');

export async function readSnapshotFile(file: string): Promise<Snapshot> {
  const parsed = (await yaml()).load(await readFile(file, 'utf8'));
  if (!isSnapshot(parsed)) throw new Error(`${file} is not a Directus schema snapshot (version, directus, collections, fields, relations)`);
  return parsed;
}

export async function snapshotToYaml(snapshot: Snapshot): Promise<string> {
  return (await yaml()).dump(snapshot);
}

export function parseSnapshotJson(text: string, origin: string): Snapshot {
  const parsed: unknown = JSON.parse(text);
  if (!isSnapshot(parsed)) throw new Error(`${origin} did not produce a Directus schema snapshot`);
  return parsed;
}

// The snapshot step 3 applies and the schema commands read and write: SNAPSHOT_PATH, by default the
// committed snapshots/schema.yaml.
export function snapshotPath(): string {
  return process.env['SNAPSHOT_PATH'] ?? fromApp('snapshots', 'schema.yaml');
}

export function describeRelation(relation: Pick<SnapshotRelation, 'collection' | 'field' | 'related_collection'>): string {
  return `${relation.collection}.${relation.field} → ${relation.related_collection ?? '(any collection)'}`;
}

export function summarize(snapshot: Snapshot): string {
  return `${snapshot.collections.length} collections, ${snapshot.fields.length} fields, ${snapshot.relations.length} relations`;
}

function isSnapshot(value: unknown): value is Snapshot {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate['version'] === 'number' &&
    typeof candidate['directus'] === 'string' &&
    Array.isArray(candidate['collections']) &&
    Array.isArray(candidate['fields']) &&
    Array.isArray(candidate['relations'])
  );
}
