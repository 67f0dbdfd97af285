import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { permissionName, type ConfigFile, type PermissionSpec, type PolicySpec, type RoleSpec } from './model.ts';
import { byName, json, PHASE, type Planner } from './planner.ts';

// Policies with their permissions, roles with their parents and policies, and the policies granted to
// everyone (directus_access rows without role or user).
export function planAccess(planner: Planner, live: ConfigFile, desired: ConfigFile): void {
  planPolicies(planner, live.policies, desired.policies);
  planRoles(planner, live, desired);
}

// A deleted policy takes its permissions and access rows with it (ON DELETE CASCADE), so only the
// permissions of the file's policies are planned.
function planPolicies(planner: Planner, live: PolicySpec[], desired: PolicySpec[]): void {
  const { ids } = planner;
  const { kept } = planner.reconcile('policy', () => 'directus_policies', byName(live), byName(desired), ['icon', 'description', 'admin_access', 'app_access', 'enforce_tfa', 'ip_access'], {
    phase: PHASE.policies,
    insert: async (client, policy) => {
      const id = randomUUID();
      ids.policies.set(policy.name, id);
      await client.query(
        'INSERT INTO directus_policies (id, name, icon, description, admin_access, app_access, enforce_tfa, ip_access) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [id, policy.name, ...policyValues(policy)],
      );
    },
    update: (client, policy) =>
      client.query(
        'UPDATE directus_policies SET icon = $2, description = $3, admin_access = $4, app_access = $5, enforce_tfa = $6, ip_access = $7 WHERE id = $1',
        [ids.policies.get(policy.name), ...policyValues(policy)],
      ),
    remove: (client, name) => client.query('DELETE FROM directus_policies WHERE id = $1', [ids.policies.get(name)]),
  });
  for (const { item: policy, before } of kept) planPermissions(planner, policy, before?.permissions ?? []);
}

function planPermissions(planner: Planner, policy: PolicySpec, live: PermissionSpec[]): void {
  const { ids } = planner;
  const byPermission = (permissions: PermissionSpec[]) => new Map(permissions.map((permission) => [permissionName(policy.name, permission), permission]));
  planner.reconcile('permission', (permission) => permission.collection, byPermission(live), byPermission(policy.permissions), ['fields', 'permissions', 'validation', 'presets'], {
    phase: PHASE.permissions,
    insert: (client, permission) =>
      client.query(
        'INSERT INTO directus_permissions (policy, collection, action, fields, permissions, validation, presets) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [planner.policyId(policy.name), permission.collection, permission.action, ...permissionValues(permission)],
      ),
    update: (client, permission, name) =>
      client.query('UPDATE directus_permissions SET fields = $2, permissions = $3, validation = $4, presets = $5 WHERE id = $1', [
        ids.permissions.get(name),
        ...permissionValues(permission),
      ]),
    remove: (client, name) => client.query('DELETE FROM directus_permissions WHERE id = $1', [ids.permissions.get(name)]),
  });
}

function planRoles(planner: Planner, live: ConfigFile, desired: ConfigFile): void {
  const { ids } = planner;
  const { kept } = planner.reconcile('role', () => 'directus_roles', byName(live.roles), byName(desired.roles), ['icon', 'description', 'parent', 'policies'], {
    phase: PHASE.roles,
    insert: async (client, role) => {
      const id = randomUUID();
      ids.roles.set(role.name, id);
      await client.query('INSERT INTO directus_roles (id, name, icon, description) VALUES ($1, $2, $3, $4)', [id, role.name, role.icon, role.description]);
    },
    update: (client, role) =>
      client.query('UPDATE directus_roles SET icon = $2, description = $3 WHERE id = $1', [ids.roles.get(role.name), role.icon, role.description]),
    remove: (client, name) => client.query('DELETE FROM directus_roles WHERE id = $1', [ids.roles.get(name)]),
    createEdits: (role: RoleSpec) => (role.policies.length > 0 ? [{ path: 'policies', before: undefined, after: role.policies }] : []),
  });
  // Parents and policies name other roles and policies, which exist only once their phases ran.
  for (const { item: role, before } of kept) {
    if (!before || before.parent !== role.parent) {
      planner.at(PHASE.links, (client) =>
        client.query('UPDATE directus_roles SET parent = $2 WHERE id = $1', [ids.roles.get(role.name), role.parent && planner.roleId(role.parent)]),
      );
    }
    if (!isDeepStrictEqual(before?.policies ?? [], role.policies)) {
      planner.at(PHASE.links, (client) => relink(planner, client, planner.roleId(role.name), role.policies));
    }
  }
  if (!isDeepStrictEqual(live.public, desired.public)) {
    planner.record('public access', 'change', 'policies for everyone', 'directus_access', [{ path: 'policies', before: live.public, after: desired.public }]);
    planner.at(PHASE.links, (client) => relink(planner, client, null, desired.public));
  }
}

// The access rows of a role (null: of everyone) become exactly these policies, in this order. Rows
// that attach a policy to a single user are the user's, not the file's, and stay.
async function relink(planner: Planner, client: pg.ClientBase, role: string | null, policies: string[]): Promise<void> {
  await client.query('DELETE FROM directus_access WHERE "user" IS NULL AND role IS NOT DISTINCT FROM $1', [role]);
  for (const [index, policy] of policies.entries()) {
    await client.query('INSERT INTO directus_access (id, role, policy, sort) VALUES ($1, $2, $3, $4)', [randomUUID(), role, planner.policyId(policy), index + 1]);
  }
}

function policyValues(policy: PolicySpec): unknown[] {
  return [policy.icon, policy.description, policy.admin_access, policy.app_access, policy.enforce_tfa, policy.ip_access?.join(',') ?? null];
}

function permissionValues(permission: PermissionSpec): unknown[] {
  return [permission.fields?.join(',') ?? null, json(permission.permissions), json(permission.validation), json(permission.presets)];
}
