import type { Database } from '../shared/directus.ts';
import type { OrganizationPath, OrgRole } from './rules.ts';

// The SQL side of the rules: which organizations a row belongs to, and which roles a user holds
// there. It runs on the request's own connection (its transaction, for writes).

// The organizations of a stored row, or of a row about to be created (its payload). A vehicle or
// device belongs to every organization it is registered with.
export async function organizationsOf(db: Database, path: OrganizationPath, row: Record<string, unknown>): Promise<string[]> {
  switch (path.kind) {
    case 'self':
      return row['id'] ? [String(row['id'])] : [];
    case 'column': {
      const value = row[path.column];
      if (value === null || value === undefined) return [];
      if (!path.via) return [String(value)];
      const parent = await rowsOf(db, path.via.table, [value]);
      return parent[0] ? organizationsOf(db, path.via.path, parent[0]) : [];
    }
    case 'junction': {
      if (!row['id']) return [];
      const { rows } = await db.raw(`SELECT organization_id FROM ${identifier(path.table)} WHERE ${identifier(path.column)} = ?`, [row['id']]);
      return rows.map((r) => String(r['organization_id']));
    }
  }
}

export async function rowsOf(db: Database, table: string, keys: unknown[]): Promise<Array<Record<string, unknown>>> {
  const { rows } = await db.raw(`SELECT * FROM ${identifier(table)} WHERE id::text = ANY(string_to_array(?, ','))`, [keys.map(String).join(',')]);
  return rows;
}

// The user's role in each of these organizations (all of the user's organizations when none are named).
export async function rolesIn(db: Database, user: string, organizations?: string[]): Promise<Map<string, OrgRole>> {
  const { rows } = organizations
    ? await db.raw("SELECT organization_id, role FROM organization_users WHERE user_id = ? AND organization_id::text = ANY(string_to_array(?, ','))", [user, organizations.join(',')])
    : await db.raw('SELECT organization_id, role FROM organization_users WHERE user_id = ?', [user]);
  return new Map(rows.map((r) => [String(r['organization_id']), r['role'] as OrgRole]));
}

export async function roleNames(db: Database, roles: string[]): Promise<string[]> {
  if (roles.length === 0) return [];
  const { rows } = await db.raw("SELECT name FROM directus_roles WHERE id::text = ANY(string_to_array(?, ','))", [roles.join(',')]);
  return rows.map((r) => String(r['name']));
}

function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a table or column name: ${name}`);
  return `"${name}"`;
}
