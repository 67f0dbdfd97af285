import type { Database } from '../shared/directus.ts';
import { translateRefusal } from '../tenant-scope/database-errors.ts';
import { asSystem, currentScope } from '../tenant-scope/scope.ts';

// A new command's organization (tenant.command_organization, db-init-post/011: the one named, or the
// device's only organization where the sender may command) and its first state, `queued`.
export async function withOrganization(database: Database, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (typeof payload['device_id'] !== 'string') return payload;
  const scope = currentScope();
  const sender = scope.kind === 'person' ? scope.user : null;
  try {
    const { rows } = await asSystem(() =>
      database.raw('SELECT tenant.command_organization(?::uuid, ?::uuid, ?::uuid) AS organization', [sender, payload['device_id'], payload['organization_id'] ?? null]),
    );
    return { status: 'queued', ...payload, organization_id: rows[0]?.['organization'] ?? null };
  } catch (err) {
    throw translateRefusal(err);
  }
}
