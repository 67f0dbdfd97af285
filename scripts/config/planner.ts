import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import type { ConfigKind, PlannedChange, PropertyEdit } from '../schema/plan.ts';
import type { LiveConfig } from './live.ts';

// What the plan modules share: the list of changes a plan reports, and the statements that make
// them, in phases so that whatever an item names exists by the time it is written.
export const PHASE = {
  policies: 0,
  roles: 1,
  links: 2,
  permissions: 3,
  flows: 4,
  operations: 5,
  operationLinks: 6,
  settings: 7,
  deletions: 8,
} as const;

export type Statement = (client: pg.ClientBase) => Promise<unknown>;

export interface ConfigPlan {
  changes: PlannedChange[];
  // Runs every statement, phase by phase, on the caller's transaction.
  apply: (client: pg.ClientBase) => Promise<void>;
}

export interface ItemStatements<T> {
  phase: number;
  insert: (client: pg.ClientBase, item: T, name: string) => Promise<unknown>;
  update: (client: pg.ClientBase, item: T, name: string) => Promise<unknown>;
  remove: (client: pg.ClientBase, name: string) => Promise<unknown>;
  // What a creation lists under it (a new role's policies).
  createEdits?: (item: T) => PropertyEdit[];
}

export class Planner {
  readonly changes: PlannedChange[] = [];
  readonly ids: LiveConfig['ids'];
  private readonly phases: Statement[][] = Object.values(PHASE).map(() => []);

  constructor(ids: LiveConfig['ids']) {
    this.ids = ids;
  }

  // A change to report; a deletion also gets the name DIRECTUS_SCHEMA_ALLOW_DELETE allows it by.
  record(kind: ConfigKind, action: PlannedChange['action'], name: string, collection: string, edits: PropertyEdit[] = []): void {
    this.changes.push({ action, kind, name, collection, edits, allowName: action === 'delete' ? `${kind}:${name}` : undefined });
  }

  at(phase: number, statement: Statement): void {
    this.phases[phase]?.push(statement);
  }

  // One kind of item, matched by name between the database and the file: each new one is inserted,
  // each that differs in `properties` updated (in `sql.phase`), each the file lacks deleted (last).
  // Returns the file's items with what the database held of each, and the names of the deleted.
  reconcile<T extends object>(
    kind: ConfigKind,
    collection: (item: T) => string,
    live: Map<string, T>,
    desired: Map<string, T>,
    properties: Array<keyof T & string>,
    sql: ItemStatements<T>,
  ): { kept: Array<{ name: string; item: T; before: T | undefined }>; removed: string[] } {
    const kept = [...desired].map(([name, item]) => {
      const before = live.get(name);
      const edits = diff(before, item, properties);
      if (!before) {
        this.record(kind, 'create', name, collection(item), sql.createEdits?.(item) ?? []);
        this.at(sql.phase, (client) => sql.insert(client, item, name));
      } else if (edits.length > 0) {
        this.record(kind, 'change', name, collection(item), edits);
        this.at(sql.phase, (client) => sql.update(client, item, name));
      }
      return { name, item, before };
    });
    const removed = [...live].filter(([name]) => !desired.has(name));
    for (const [name, item] of removed) {
      this.record(kind, 'delete', name, collection(item));
      this.at(PHASE.deletions, (client) => sql.remove(client, name));
    }
    return { kept, removed: removed.map(([name]) => name) };
  }

  // Ids of items created by this plan are known only once their phase ran, hence the lookups.
  roleId(name: string): string {
    return this.known(this.ids.roles, name, `role "${name}" is named (as a parent, or the public registration role)`);
  }

  policyId(name: string): string {
    return this.known(this.ids.policies, name, `policy "${name}" is named by a role or public access`);
  }

  operationId(flow: string, key: string): string {
    return this.known(this.ids.operations, `${flow}/${key}`, `flow "${flow}" names operation "${key}"`);
  }

  plan(): ConfigPlan {
    return {
      changes: this.changes,
      apply: async (client) => {
        for (const phase of this.phases) for (const statement of phase) await statement(client);
      },
    };
  }

  private known(ids: Map<string, string>, key: string, what: string): string {
    const id = ids.get(key);
    if (!id) throw new Error(`${what}, but neither the file nor the database holds it`);
    return id;
  }
}

export function byName<T extends { name: string }>(items: T[]): Map<string, T> {
  return new Map(items.map((item) => [item.name, item]));
}

// The properties that differ between what the database holds and what the file says.
export function diff<T extends object>(before: T | undefined, after: T, keys: Array<keyof T & string>): PropertyEdit[] {
  if (!before) return [];
  return keys
    .filter((key) => !isDeepStrictEqual(before[key] ?? null, after[key] ?? null))
    .map((key) => ({ path: key, before: before[key] ?? null, after: after[key] ?? null }));
}

export function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
