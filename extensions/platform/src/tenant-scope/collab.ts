import { forbidden } from '../shared/errors.ts';
import type { ProtectedTables } from './protected-tables.ts';
import type { Scope } from './scope.ts';

// Collaborative editing (WebSocket `collab` messages) shares a room per item: everyone in it hears each
// other's unsaved edits, focus and user ids, and their changes reach each other's forms. Directus checks
// only the join, with its own access check on a connection outside any request, and never again (a
// person removed from the organization stays in the room). A shared vehicle or device would put two
// organizations in one room. People therefore do not edit business collections collaboratively;
// administrators do.
interface CollabMessage {
  type?: unknown;
  action?: unknown;
  collection?: unknown;
}

export function refuseCollabJoin(message: CollabMessage, scope: Scope, tables: ProtectedTables): void {
  if (message.type !== 'collab' || message.action !== 'join' || scope.kind !== 'person') return;
  const collection = String(message.collection);
  if (tables.names.has(collection)) {
    throw forbidden(`Collaborative editing of ${collection} is for administrators: a room shares unsaved edits across organizations (docs/security.md).`);
  }
}
