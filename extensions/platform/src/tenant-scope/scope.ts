import type { OrganizationPath, OrgRole } from './rules.ts';

export type Filter = Record<string, unknown>;

// The query filter that keeps a read to rows of organizations where `user` holds one of `roles`.
// Directus reads a filter on a one-to-many field as "some related row matches all of it", so the
// user and the role are matched on one organization_users row.
export function readScope(path: OrganizationPath, user: string, roles: OrgRole[]): Filter {
  const member = { members: { user_id: { _eq: user }, role: { _in: roles } } };
  return toOrganization(path, member);
}

function toOrganization(path: OrganizationPath, member: Filter): Filter {
  switch (path.kind) {
    case 'self':
      return member;
    case 'column':
      return { [path.column]: path.via ? toOrganization(path.via.path, member) : member };
    case 'junction':
      return { [`$FOLLOW(${path.table}, ${path.column})`]: { organization_id: member } };
  }
}

// A filter no row matches: the scope of someone who is nobody.
export const NOTHING: Filter = { _and: [{ _or: [] }] };
