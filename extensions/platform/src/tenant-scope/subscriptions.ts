import type { Accountability, Database } from '../shared/directus.ts';
import { forbidden } from '../shared/errors.ts';
import type { ProtectedTables } from './protected-tables.ts';
import { asSystem, type ScopeResolver } from './scope.ts';

// A subscription's delete event carries only the deleted keys, and Directus sends it to every
// subscriber of the collection: there is no row left to narrow. The database remembers who could see
// each deleted row (tenant.deletions, db-init-post/011), and a person hears only of those.
export function deletionsSeenBy(database: Database) {
  return async (user: string | null, collection: string, keys: string[]): Promise<Set<string>> => {
    if (!user || keys.length === 0) return new Set();
    const { rows } = await asSystem(() =>
      database.raw("SELECT tenant.deletions_seen_by(?, ?, string_to_array(?, ',')) AS item", [user, collection, keys.join(',')]),
    );
    return new Set(rows.map((row) => String(row['item'])));
  };
}
type SeenBy = ReturnType<typeof deletionsSeenBy>;

interface Client {
  accountability: Accountability | null;
  send: (data: unknown, ...rest: unknown[]) => unknown;
}
interface SubscribeMessage {
  type?: unknown;
  uid?: unknown;
  collection?: unknown;
  event?: unknown;
  item?: unknown;
}
// Whether the person may read the collection (or the item): throws as Directus's own read would.
export type ReadCheck = (accountability: Accountability | null, collection: string, item?: string) => Promise<void>;

const SUBSCRIPTIONS = Symbol('trm-platform.subscriptions');
// A client's subscriptions by uid: the collection each follows, and whether Directus confirmed it.
type TrackedClient = Client & { [SUBSCRIPTIONS]?: Map<string, { collection: string; confirmed: boolean }> };

// REST-style WebSocket subscriptions of a person. One to a protected collection needs a uid, or its
// events could not be told apart. One that asks for a single event (`event`) gets no first page, so
// Directus checks nothing before it registers it: the read it would have made is made here, so that a
// person subscribes only to what they may read.
export function trackSubscriptions(tables: Promise<ProtectedTables>, resolve: ScopeResolver, canRead: ReadCheck) {
  return async (message: SubscribeMessage, client: TrackedClient): Promise<SubscribeMessage> => {
    if (message.type !== 'subscribe' && message.type !== 'unsubscribe') return message;
    const subscriptions = (client[SUBSCRIPTIONS] ??= new Map());
    if (message.type === 'unsubscribe') {
      if (message.uid !== undefined) subscriptions.delete(String(message.uid));
      return message;
    }
    const collection = String(message.collection);
    const scope = await resolve(client.accountability);
    if (scope.kind === 'person') {
      if (message.uid === undefined && (await tables).names.has(collection)) {
        throw forbidden(`Subscribe to ${collection} with a uid: the events of subscriptions without one cannot be held to your organizations (docs/security.md).`);
      }
      if (message.event !== undefined) await canRead(client.accountability, collection, message.item === undefined ? undefined : String(message.item));
    }
    if (message.uid !== undefined) subscriptions.set(String(message.uid), { collection, confirmed: false });
    return message;
  };
}

// Wraps a client's send so that a person hears of a deletion only if they could see the row, and of no
// event at all that they may not read (Directus answers those with an error on the subscription,
// which would tell when something happened). Every message of the client goes through one queue, so
// the events keep their order.
export function narrowDeleteEvents(tables: Promise<ProtectedTables>, resolve: ScopeResolver, seenBy: SeenBy) {
  return (client: TrackedClient): void => {
    const send = client.send.bind(client);
    let queue: Promise<unknown> = Promise.resolve();
    client.send = (data: unknown, ...rest: unknown[]) => {
      queue = queue.then(async () => {
        const narrowed = await narrow(data);
        if (narrowed !== undefined) send(narrowed, ...rest);
      }).catch(() => undefined);
      return undefined;
    };

    const narrow = async (data: unknown): Promise<unknown> => {
      if (typeof data !== 'string' || !data.includes('"uid"')) return data;
      const message = JSON.parse(data) as { type?: string; event?: string; status?: string; uid?: unknown; data?: unknown };
      const subscription = message.uid === undefined ? undefined : client[SUBSCRIPTIONS]?.get(String(message.uid));
      if (!subscription || (await resolve(client.accountability)).kind !== 'person') return data;
      if (message.status === 'error') return subscription.confirmed ? undefined : data;
      if (message.type !== 'subscription') return data;
      if (message.event === 'init') subscription.confirmed = true;
      if (message.event !== 'delete' || !(await tables).names.has(subscription.collection)) return data;
      const scope = await resolve(client.accountability);
      const keys = Array.isArray(message.data) ? message.data.map(String) : [String(message.data)];
      const seen = await seenBy(scope.kind === 'person' ? scope.user : null, subscription.collection, keys);
      const visible = keys.filter((key) => seen.has(key));
      if (visible.length === 0) return undefined;
      return JSON.stringify({ ...message, data: Array.isArray(message.data) ? visible : visible[0] });
    };
  };
}

interface SubscriptionField {
  subscribe?: (...args: unknown[]) => AsyncIterable<Record<string, { event?: string; key?: unknown } | undefined>>;
}
interface GraphQLSchemaLike {
  getSubscriptionType?: () => { getFields: () => Record<string, SubscriptionField> } | null | undefined;
}
interface GraphQLServiceLike {
  accountability: Accountability | null;
  getSchema: (type?: string) => Promise<unknown>;
}

const NARROWED = new WeakSet<SubscriptionField>();
const NARROWED_MARK = Symbol.for('trm-platform.graphql-deletes');

// GraphQL subscriptions (`<collection>_mutated`): the schema Directus builds for a person (cached per
// user) gets subscription resolvers that drop delete events of rows the person could not see.
export function narrowGraphQLDeletes(GraphQLService: { prototype: object }, tables: Promise<ProtectedTables>, resolve: ScopeResolver, seenBy: SeenBy): void {
  const prototype = GraphQLService.prototype as GraphQLServiceLike;
  const getSchema = prototype.getSchema;
  if ((getSchema as { [NARROWED_MARK]?: true })[NARROWED_MARK]) return;
  const wrapped = async function (this: GraphQLServiceLike, type?: string) {
    const schema = (await getSchema.call(this, type)) as GraphQLSchemaLike;
    const subscriptions = typeof schema?.getSubscriptionType === 'function' ? schema.getSubscriptionType()?.getFields() : undefined;
    if (!subscriptions) return schema;
    const scope = await resolve(this.accountability);
    if (scope.kind !== 'person') return schema;
    for (const collection of (await tables).names) {
      const name = `${collection}_mutated`;
      const field = subscriptions[name];
      if (!field?.subscribe || NARROWED.has(field)) continue;
      const subscribe = field.subscribe;
      field.subscribe = async function* (...args: unknown[]) {
        for await (const value of subscribe(...args)) {
          const event = value[name];
          if (event?.event === 'delete' && !(await seenBy(scope.user, collection, [String(event.key)])).size) continue;
          yield value;
        }
      };
      NARROWED.add(field);
    }
    return schema;
  };
  (wrapped as { [NARROWED_MARK]?: true })[NARROWED_MARK] = true;
  prototype.getSchema = wrapped;
}
