import { forbidden } from '../shared/errors.ts';

// PostgreSQL refuses a person's write with SQLSTATE 42501 (insufficient_privilege): a sentence of
// tenant.deny() (db-init-post/011, hint "tenant rule"), or row-level security's own when an updated row
// would leave the person's organizations. Either is a 403 with a message for people; any other error
// (a missing privilege is a fault, not a refusal) passes on.
const RLS_VIOLATION = /row-level security policy/;

export function isRefusal(error: unknown): error is { code: string; message: string } {
  if (typeof error !== 'object' || error === null) return false;
  const { code, hint, message } = error as { code?: unknown; hint?: unknown; message?: unknown };
  return code === '42501' && (hint === 'tenant rule' || RLS_VIOLATION.test(String(message)));
}

export function translateRefusal(error: unknown): unknown {
  if (!isRefusal(error)) return error;
  return forbidden(RLS_VIOLATION.test(error.message) ? 'The row would lie outside your organizations.' : sentence(error.message));
}

// knex puts the statement before the database's message ("<sql> - <message>"); the sentences of
// tenant.deny() hold no " - ".
function sentence(message: string): string {
  const at = message.lastIndexOf(' - ');
  return at < 0 ? message : message.slice(at + 3);
}
