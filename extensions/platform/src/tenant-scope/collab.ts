import type { Database } from '../shared/directus.ts';
import { forbidden } from '../shared/errors.ts';
import type { ProtectedTables } from './protected-tables.ts';
import { runAs, type Scope } from './scope.ts';

// Collaborative editing (WebSocket `collab` messages) checks a join with Directus's own access check
// on a connection outside any request and outside the services, so the database would not narrow it:
// a person could join the room of another organization's item and hear its edits. A person's join is
// held here to the rows they see. Everything else happens inside a room they joined.
interface CollabMessage {
  type?: unknown;
  action?: unknown;
  collection?: unknown;
  item?: unknown;
}

export function guardCollabJoin(database: Database, tables: Promise<ProtectedTables>) {
  return async (message: CollabMessage, scope: Scope): Promise<void> => {
    if (message.type !== 'collab' || message.action !== 'join' || scope.kind !== 'person') return;
    const collection = String(message.collection);
    if (!(await tables).names.has(collection)) return;
    const visible = await runAs(scope, async () => {
      try {
        const { rows } = await database.raw(`SELECT count(*)::int AS n FROM "${collection}" WHERE id = ?::uuid`, [String(message.item)]);
        return rows[0]?.['n'] === 1;
      } catch {
        return false;
      }
    });
    // Directus's own words for an item one may not read.
    if (!visible) throw forbidden('No permission to access item or it does not exist');
  };
}
