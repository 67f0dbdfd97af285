import { AsyncLocalStorage } from 'node:async_hooks';
import type { Accountability, Database } from '../shared/directus.ts';

// Whom a statement runs for. A person's statements are narrowed by PostgreSQL to their organizations
// (db-init-post/010–012); Directus's own work, administrators and the service accounts are not.
export type Scope = { kind: 'system' } | { kind: 'person'; user: string | null };
export const SYSTEM: Scope = { kind: 'system' };

// Roles of service accounts that work across organizations (snapshots/config.yaml): processor reads
// every business table, ingestion reports on every command.
export const SERVICE_ROLES = ['Processor', 'Ingestion'];

const storage = new AsyncLocalStorage<Scope>();

// Outside any request or service call (schedules, boot-time work) statements run as Directus itself.
export const currentScope = (): Scope => storage.getStore() ?? SYSTEM;
// The work is awaited inside the scope: a knex query is a lazy thenable that runs only when awaited,
// and it must run here, not in the caller's scope.
export const runAs = <T>(scope: Scope, work: () => T | PromiseLike<T>): Promise<T> => storage.run(scope, async () => await work());
// For the platform's own work inside a person's request (routing a command, recording an audit entry).
export const asSystem = <T>(work: () => T | PromiseLike<T>): Promise<T> => runAs(SYSTEM, work);

export type ScopeResolver = (accountability: Accountability | null | undefined) => Promise<Scope>;

// The scope of an accountability. Role names are read once per role and kept for a while, since every
// service call asks; a renamed service role is recognised within ROLE_NAMES_TTL_MS.
const ROLE_NAMES_TTL_MS = 30_000;

export function scopeResolver(database: Database): ScopeResolver {
  const names = new Map<string, { name: string; until: number }>();
  const isService = async (roles: string[]): Promise<boolean> => {
    const now = Date.now();
    const missing = roles.filter((role) => (names.get(role)?.until ?? 0) < now);
    if (missing.length > 0) {
      const { rows } = await asSystem(() => database.raw("SELECT id, name FROM directus_roles WHERE id = ANY(string_to_array(?, ',')::uuid[])", [missing.join(',')]));
      for (const row of rows) names.set(String(row['id']), { name: String(row['name']), until: now + ROLE_NAMES_TTL_MS });
    }
    return roles.some((role) => SERVICE_ROLES.includes(names.get(role)?.name ?? ''));
  };
  return async (accountability) => {
    if (!accountability || accountability.admin) return SYSTEM;
    if (await isService(accountability.roles ?? [])) return SYSTEM;
    return { kind: 'person', user: accountability.user ?? null };
  };
}
