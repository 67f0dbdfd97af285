import type { useApi } from '@directus/extensions-sdk';

export type Api = ReturnType<typeof useApi>;

export interface Membership {
  organization: string;
  name: string;
  role: string;
}

// The signed-in person's organizations and their role in each: their own organization_users rows,
// which every member may read. An administrator has none and is held to no organization.
export async function loadMemberships(api: Api): Promise<Membership[]> {
  const { data } = await api.get('/items/organization_users', {
    params: { filter: JSON.stringify({ user_id: { _eq: '$CURRENT_USER' } }), fields: 'role,organization_id.id,organization_id.name', limit: -1 },
  });
  return (data.data as Array<{ role: string; organization_id: { id: string; name: string } }>).map((row) => ({
    organization: row.organization_id.id,
    name: row.organization_id.name,
    role: row.role,
  }));
}
