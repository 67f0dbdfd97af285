import type { Database } from '../shared/directus.ts';
import { currentScope } from './scope.ts';

// Runs every statement made in a person's scope as the role trm_person, with the person's id in
// trm.user_id, so that PostgreSQL's row-level security and rules apply to it (db-init-post/010–012);
// every other statement runs as the connecting user. The role may use every table of the schema, so
// Directus's own statements within a person's request (activity, revisions, permissions) run the same
// as it, one switch per request rather than one per statement. The switch is made on the statement's
// own connection, right before it, with one extra round trip when the connection was last used
// otherwise. It sits in knex's PostgreSQL client, under every query Directus makes.
const PERSON_ROLE = 'trm_person';
// BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE run as whatever the transaction is: a switch inside an
// aborted transaction would fail, and they touch no table.
const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release)\b/i;
const ROLLBACK = /^\s*rollback\b/i;

interface PgConnection {
  query: (config: { text: string; values: unknown[] }) => Promise<{ rows: Array<Record<string, unknown>> }>;
}
interface KnexQuery {
  sql: string;
}
type QueryFunction = (this: unknown, connection: PgConnection, query: KnexQuery) => Promise<unknown>;

interface ConnectionState {
  // What the connection runs as: '' for the connecting user, else the person's id ('-' for nobody).
  as: string | undefined;
  // The connection's own statement timeout, given back when it runs as the connecting user again.
  timeout: string | undefined;
  // Statements on one connection are switched and run one after the other.
  queue: Promise<unknown>;
}

const INSTALLED = Symbol.for('trm-platform.session-switch');
const states = new WeakMap<PgConnection, ConnectionState>();

// A person's statement may run at most `personTimeout` (PERSON_STATEMENT_TIMEOUT): no request of the
// SPA comes near it, and a filter that joins too much cannot keep the database busy for minutes.
export function switchSessionsByScope(database: Database, personTimeout: string, describeError: (err: unknown) => Promise<void>): void {
  const client = (database as unknown as { client: object }).client;
  // The dialect's prototype, since knex builds a fresh client object for every transaction.
  const prototype = Object.getPrototypeOf(client) as { _query: QueryFunction; [INSTALLED]?: true };
  if (prototype[INSTALLED]) return;
  prototype[INSTALLED] = true;
  const original = prototype._query;

  prototype._query = function (connection, query) {
    const scope = currentScope();
    const state = states.get(connection) ?? { as: undefined, timeout: undefined, queue: Promise.resolve() };
    states.set(connection, state);
    const run = async () => {
      if (!TRANSACTION_CONTROL.test(query.sql)) {
        const wanted = scope.kind === 'person' ? (scope.user ?? '-') : '';
        if (state.as !== wanted) {
          state.as = undefined;
          state.timeout ??= String((await connection.query({ text: "SELECT current_setting('statement_timeout') AS t", values: [] })).rows[0]?.['t']);
          await connection.query({
            text: "SELECT set_config('role', $1, false), set_config('trm.user_id', $2, false), set_config('statement_timeout', $3, false)",
            values: wanted === '' ? ['none', '', state.timeout] : [PERSON_ROLE, wanted === '-' ? '' : wanted, personTimeout],
          });
          state.as = wanted;
        }
      }
      try {
        return await original.call(this, connection, query);
      } catch (err) {
        state.as = undefined;
        if (scope.kind === 'person') await describeError(err);
        throw err;
      } finally {
        // A rollback undoes a switch made inside the transaction.
        if (ROLLBACK.test(query.sql)) state.as = undefined;
      }
    };
    const result = state.queue.then(run, run);
    state.queue = result.catch(() => undefined);
    return result;
  };
}
