// Tenant isolation for the business collections: every read is narrowed to the user's organizations,
// every create, update and delete is checked against the user's role in the organization of the row
// (rules.ts). Admins, internal calls without a user's accountability and the
// service accounts (processor, ingestion) are not narrowed.
import type { HookConfig } from '@directus/types';
import type { Accountability, Database } from '../shared/directus.ts';
import { forbidden } from '../shared/errors.ts';
import { organizationsOf, roleNames, rolesIn, rowsOf } from './membership.ts';
import { COMMAND_REQUEST_FIELDS, RULES, SERVICE_ROLES, type OrgRole, type TenantRule } from './rules.ts';
import { NOTHING, readScope, type Filter } from './scope.ts';

interface EventContext {
  database: Database;
  accountability: Accountability | null;
}

const registerTenantScope: HookConfig = ({ filter }) => {
  filter<{ filter?: Filter }>('items.query', async (query, { collection }, context) => {
    const scoped = await scopedUser(collection, context);
    if (scoped === undefined) return query;
    const scope = scoped.user ? readScope(scoped.rule.path, scoped.user, scoped.rule.read) : NOTHING;
    return { ...query, filter: query.filter ? { _and: [query.filter, scope] } : scope };
  });

  filter<Record<string, unknown>>('items.create', async (payload, { collection }, context) => {
    const scoped = await scopedUser(collection, context);
    if (scoped === undefined) return payload;
    const user = requireUser(scoped.user, `create ${collection}`);
    if (scoped.rule.create.length === 0) throw forbidden(`Only an administrator may create ${collection}.`);
    const organizations = scoped.rule.path.kind === 'junction' ? undefined : await organizationsOf(context.database, scoped.rule.path, payload);
    const roles = await rolesIn(context.database, user, organizations);
    if (![...roles.values()].some((role) => scoped.rule.create.includes(role))) {
      throw forbidden(
        `You may create ${collection} only in an organization where you are ${scoped.rule.create.join(' or ')}` +
          (organizations === undefined ? '.' : organizations.length === 0 ? '; the request names no organization.' : '.'),
      );
    }
    if (collection !== 'commands') return payload;
    const extra = Object.keys(payload).filter((field) => !COMMAND_REQUEST_FIELDS.includes(field));
    if (extra.length > 0) throw forbidden(`A command request sets only ${COMMAND_REQUEST_FIELDS.join(', ')}; not ${extra.join(', ')}.`);
    return { ...payload, requested_by: user, status: 'queued' };
  });

  filter<Record<string, unknown>>('items.update', async (payload, { collection, keys }, context) => {
    const scoped = await scopedUser(collection, context);
    if (scoped === undefined) return payload;
    const user = requireUser(scoped.user, `update ${collection}`);
    for (const row of await rowsOf(context.database, collection, keys)) {
      const roles = await rolesOfRow(context.database, scoped.rule, row, user);
      const grants = scoped.rule.update.filter((grant) => grant.roles.some((role) => roles.includes(role)));
      const allowed = grants.some((grant) => grant.fields === '*') ? undefined : new Set(grants.flatMap((grant) => grant.fields));
      const refused = Object.keys(payload).filter((field) => allowed !== undefined && !allowed.has(field));
      if (grants.length === 0 || refused.length > 0) {
        throw forbidden(
          grants.length === 0
            ? `You may not change ${collection} item ${String(row['id'])}: your role in its organization does not allow it.`
            : `Your role in its organization lets you change only ${[...(allowed ?? [])].join(', ')} of ${collection}; not ${refused.join(', ')}.`,
        );
      }
    }
    return payload;
  });

  filter<unknown[]>('items.delete', async (keys, { collection }, context) => {
    const scoped = await scopedUser(collection, context);
    if (scoped === undefined) return keys;
    const user = requireUser(scoped.user, `delete ${collection}`);
    for (const row of await rowsOf(context.database, collection, keys)) {
      const roles = await rolesOfRow(context.database, scoped.rule, row, user);
      if (!roles.some((role) => scoped.rule.delete.includes(role))) {
        throw forbidden(`You may not delete ${collection} item ${String(row['id'])}: your role in its organization does not allow it.`);
      }
    }
    return keys;
  });
};

export default registerTenantScope;

// The rule and user a request is held to, or undefined when it is not narrowed at all.
async function scopedUser(collection: string, { accountability, database }: EventContext): Promise<{ rule: TenantRule; user: string | null } | undefined> {
  const rule = RULES[collection];
  if (!rule || !accountability || accountability.admin) return undefined;
  const names = await roleNames(database, accountability.roles ?? []);
  if (names.some((name) => SERVICE_ROLES.includes(name))) return undefined;
  return { rule, user: accountability.user ?? null };
}

async function rolesOfRow(db: Database, rule: TenantRule, row: Record<string, unknown>, user: string): Promise<OrgRole[]> {
  return [...(await rolesIn(db, user, await organizationsOf(db, rule.path, row))).values()];
}

function requireUser(user: string | null, what: string): string {
  if (!user) throw forbidden(`Sign in to ${what}.`);
  return user;
}
