import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { permissionName, type ConfigFile, type PermissionSpec, type PolicySpec } from './model.ts';
import { byName, diff, json, PHASE, type Planner } from './planner.ts';

// Policies with their permissions, roles with their parents and policies, and the policies granted to
// everyone (directus_access rows without role or user).
export function planAccess(planner: Planner, live: ConfigFile, desired: ConfigFile): void {
  planPolicies(planner, live.policies, desired.policies);
  planRoles(planner, live, desired);
}

function planPolicies(planner: Planner, live: PolicySpec[], desired: PolicySpec[]): void {
  const { ids } = planner;
  const current = byName(live);
  for (const policy of desired) {
    const before = current.get(policy.name);
    current.delete(policy.name);
    const edits = diff(before, policy, ['icon', 'description', 'admin_access', 'app_access', 'enforce_tfa', 'ip_access']);
    if (!before) {
      planner.record('policy', 'create', policy.name, 'directus_policies');
      planner.at(PHASE.policies, async (client) => {
        const id = randomUUID();
        ids.policies.set(policy.name, id);
        await client.query(
          'INSERT INTO directus_policies (id, name, icon, description, admin_access, app_access, enforce_tfa, ip_access) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [id, policy.name, ...policyValues(policy)],
        );
      });
    } else if (edits.length > 0) {
      planner.record('policy', 'change', policy.name, 'directus_policies', edits);
      planner.at(PHASE.policies, (client) =>
        client.query(
          'UPDATE directus_policies SET icon = $2, description = $3, admin_access = $4, app_access = $5, enforce_tfa = $6, ip_access = $7 WHERE id = $1',
          [ids.policies.get(policy.name), ...policyValues(policy)],
        ),
      );
    }
    planPermissions(planner, policy, before?.permissions ?? []);
  }
  // A deleted policy takes its permissions and access rows with it (ON DELETE CASCADE).
  for (const policy of current.values()) {
    planner.record('policy', 'delete', policy.name, 'directus_policies');
    planner.at(PHASE.deletions, (client) => client.query('DELETE FROM directus_policies WHERE id = $1', [ids.policies.get(policy.name)]));
  }
}

function planPermissions(planner: Planner, policy: PolicySpec, live: PermissionSpec[]): void {
  const { ids } = planner;
  const key = (permission: PermissionSpec) => `${permission.collection}.${permission.action}`;
  const current = new Map(live.map((permission) => [key(permission), permission]));
  for (const permission of policy.permissions) {
    const name = permissionName(policy.name, permission);
    const before = current.get(key(permission));
    current.delete(key(permission));
    const edits = diff(before, permission, ['fields', 'permissions', 'validation', 'presets']);
    if (!before) {
      planner.record('permission', 'create', name, permission.collection);
      planner.at(PHASE.permissions, (client) =>
        client.query(
          'INSERT INTO directus_permissions (policy, collection, action, fields, permissions, validation, presets) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          [planner.policyId(policy.name), permission.collection, permission.action, ...permissionValues(permission)],
        ),
      );
    } else if (edits.length > 0) {
      planner.record('permission', 'change', name, permission.collection, edits);
      planner.at(PHASE.permissions, (client) =>
        client.query('UPDATE directus_permissions SET fields = $2, permissions = $3, validation = $4, presets = $5 WHERE id = $1', [
          ids.permissions.get(name),
          ...permissionValues(permission),
        ]),
      );
    }
  }
  for (const permission of current.values()) {
    const name = permissionName(policy.name, permission);
    planner.record('permission', 'delete', name, permission.collection);
    planner.at(PHASE.deletions, (client) => client.query('DELETE FROM directus_permissions WHERE id = $1', [ids.permissions.get(name)]));
  }
}

function planRoles(planner: Planner, live: ConfigFile, desired: ConfigFile): void {
  const { ids } = planner;
  const current = byName(live.roles);
  for (const role of desired.roles) {
    const before = current.get(role.name);
    current.delete(role.name);
    const edits = diff(before, role, ['icon', 'description', 'parent', 'policies']);
    if (!before) {
      planner.record('role', 'create', role.name, 'directus_roles', role.policies.length > 0 ? [{ path: 'policies', before: undefined, after: role.policies }] : []);
      planner.at(PHASE.roles, async (client) => {
        const id = randomUUID();
        ids.roles.set(role.name, id);
        await client.query('INSERT INTO directus_roles (id, name, icon, description) VALUES ($1, $2, $3, $4)', [id, role.name, role.icon, role.description]);
      });
    } else if (edits.length > 0) {
      planner.record('role', 'change', role.name, 'directus_roles', edits);
      planner.at(PHASE.roles, (client) =>
        client.query('UPDATE directus_roles SET icon = $2, description = $3 WHERE id = $1', [ids.roles.get(role.name), role.icon, role.description]),
      );
    }
    if (!before || before.parent !== role.parent) {
      planner.at(PHASE.links, (client) =>
        client.query('UPDATE directus_roles SET parent = $2 WHERE id = $1', [ids.roles.get(role.name), role.parent && planner.roleId(role.parent)]),
      );
    }
    if (!isDeepStrictEqual(before?.policies ?? [], role.policies)) {
      planner.at(PHASE.links, (client) => relink(planner, client, planner.roleId(role.name), role.policies));
    }
  }
  for (const role of current.values()) {
    planner.record('role', 'delete', role.name, 'directus_roles');
    planner.at(PHASE.deletions, (client) => client.query('DELETE FROM directus_roles WHERE id = $1', [ids.roles.get(role.name)]));
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
