// Tenant isolation. PostgreSQL holds it (db-init-post/010–013): row-level security decides what a
// person sees, a trigger decides what a person may write. This hook makes Directus run a person's
// statements as that person (scope.ts, session.ts, services.ts), answers the database's refusals as
// 403s, checks deletes before Directus runs them, narrows subscription delete events, and refuses
// people every business collection the database does not protect yet (fail closed).
// docs/security.md is the threat model.
import type { HookConfig } from '@directus/types';
import type { Accountability, Context, SchemaOverview } from '../shared/directus.ts';
import { forbidden } from '../shared/errors.ts';
import { text } from '../shared/settings.ts';
import { translateRefusal } from './database-errors.ts';
import { refuseCollabJoin } from './collab.ts';
import { checkDelete, checkWrite } from './write-checks.ts';
import { deletionsSeenBy, narrowDeleteEvents, narrowGraphQLDeletes, trackSubscriptions, type ReadCheck } from './subscriptions.ts';
import { loadProtectedTables } from './protected-tables.ts';
import { restoreKeyDetails } from './redacted-keys.ts';
import { currentScope, runAs, scopeResolver } from './scope.ts';
import { scopeServiceCalls, type DirectusServices } from './services.ts';
import { switchSessionsByScope } from './session.ts';

interface Request {
  accountability?: Accountability | null;
}
// The part of Express's app this hook uses.
interface Express {
  use: (handler: (req: Request, res: never, next: (err?: unknown) => void) => void) => void;
}
interface ItemsEventContext {
  database: Context['database'];
  schema: SchemaOverview;
  accountability: Accountability | null;
}

const registerTenantScope: HookConfig = ({ filter, action, init }, hookContext) => {
  const context = hookContext as unknown as Omit<Context, 'services'> & {
    services: Context['services'] & DirectusServices & { GraphQLService: { prototype: object } };
  };
  const resolve = scopeResolver(context.database);
  const tables = loadProtectedTables(context.database);
  // A failure here (no database) must not become an unhandled rejection before the first request.
  tables.catch((err: Error) => context.logger.error(`[trm-platform] tenant scope: cannot read the protected tables: ${err.message}`));

  switchSessionsByScope(context.database, text(context.env, 'PERSON_STATEMENT_TIMEOUT', '30s'), restoreKeyDetails(context.database));
  scopeServiceCalls(context.services, resolve);

  // Statements a request makes outside the services (custom endpoints, Directus controllers) run in
  // the requester's scope too.
  init('routes.before', ({ app }) => {
    (app as Express).use((req, _res, next) => {
      resolve(req.accountability).then((scope) => runAs(scope, next), next);
    });
  });

  filter('database.error', (error) => translateRefusal(error));

  // Fail closed: a business collection without the database's protection is nobody's but the admins'.
  const requireProtected = async (collection: string) => {
    if (currentScope().kind === 'person' && !(await tables).names.has(collection)) {
      throw forbidden(`${collection} has no tenant rules yet, so only administrators may use it (docs/security.md).`);
    }
  };
  filter('items.query', async (query, { collection }) => (await requireProtected(collection), query));
  filter('items.create', async (payload, { collection }) => (await requireProtected(collection), payload));
  // Updates and deletes are checked before anything else looks at them (write-checks.ts).
  const checkChange = async (collection: string, action: 'update' | 'delete', keys: unknown[], eventContext: unknown) => {
    const { database, schema } = eventContext as ItemsEventContext;
    await requireProtected(collection);
    const protectedTable = (await tables).names.has(collection);
    if (action === 'update' && protectedTable) await checkWrite(database, currentScope(), collection, 'update', keys);
    if (action === 'delete') await checkDelete(database, schema, currentScope(), collection, keys, protectedTable);
  };
  // Deleting a person who is still a member, on a crew or behind a command: a 409 naming those rows, not
  // Directus's 500 with the SQL. Directus's own tables are its own business (it clears some itself).
  filter<unknown[]>('users.delete', async (keys, _meta, eventContext) => {
    const { database, schema } = eventContext as ItemsEventContext;
    const business = { ...schema, relations: schema.relations.filter((relation) => !relation.collection.startsWith('directus_')) };
    await checkDelete(database, business, currentScope(), 'directus_users', keys, false);
    return keys;
  });
  filter('items.update', async (payload, { collection, keys }, eventContext) => (await checkChange(collection, 'update', keys, eventContext), payload));
  filter<unknown[]>('items.delete', async (keys, { collection }, eventContext) => (await checkChange(collection, 'delete', keys, eventContext), keys));

  const seenBy = deletionsSeenBy(context.database);
  // The read Directus makes for a subscription's first page, for those that ask for none.
  const canRead: ReadCheck = async (accountability, collection, item) => {
    const service = new context.services.ItemsService(collection, { schema: await context.getSchema(), accountability });
    await (item === undefined ? service.readByQuery({ limit: 0 }) : service.readOne(item, { fields: ['id'] }));
  };
  const track = trackSubscriptions(tables, resolve, canRead);
  const narrow = narrowDeleteEvents(tables, resolve, seenBy);
  filter<Parameters<typeof track>[0]>('websocket.message', async (message, { client }) => {
    refuseCollabJoin(message, await resolve(client.accountability), await tables);
    return track(message, client);
  });
  action('websocket.connect', ({ client }) => narrow(client));
  narrowGraphQLDeletes(context.services.GraphQLService, tables, resolve, seenBy);
};

export default registerTenantScope;
