import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import type { ConfigKind, PlannedChange, PropertyEdit } from '../schema/plan.ts';
import type { LiveConfig } from './live.ts';
import { permissionName, SETTING_KEYS, type ConfigFile, type FlowSpec, type OperationSpec, type PermissionSpec, type PolicySpec } from './model.ts';

// What applying snapshots/config.yaml to a database would do, item by item, and the statements that
// do it. Applying runs them in phases, so that everything an item names exists when it is written:
// policies, roles, role links, permissions, flows, operations, operation links, settings, and
// deletions last.
export interface ConfigPlan {
  changes: PlannedChange[];
  apply: (client: pg.ClientBase) => Promise<void>;
}

type Statement = (client: pg.ClientBase) => Promise<unknown>;
const PHASES = 9;

export function planConfig(live: LiveConfig, desired: ConfigFile): ConfigPlan {
  const changes: PlannedChange[] = [];
  const phases: Statement[][] = Array.from({ length: PHASES }, () => []);
  const { ids } = live;
  const at = (phase: number, statement: Statement) => phases[phase]?.push(statement);
  const record = (kind: ConfigKind, action: PlannedChange['action'], name: string, collection: string, edits: PropertyEdit[] = [], allowName?: string) =>
    changes.push({ action, kind, name, collection, edits, allowName: action === 'delete' ? allowName : undefined });

  // Policies, with their permissions.
  const livePolicies = byName(live.config.policies);
  for (const policy of desired.policies) {
    const before = livePolicies.get(policy.name);
    const edits = diff(before, policy, ['icon', 'description', 'admin_access', 'app_access', 'enforce_tfa', 'ip_access']);
    if (!before) {
      record('policy', 'create', policy.name, 'directus_policies');
      at(0, async (client) => {
        const id = randomUUID();
        ids.policies.set(policy.name, id);
        await client.query(
          'INSERT INTO directus_policies (id, name, icon, description, admin_access, app_access, enforce_tfa, ip_access) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [id, policy.name, ...policyValues(policy)],
        );
      });
    } else if (edits.length > 0) {
      record('policy', 'change', policy.name, 'directus_policies', edits);
      at(0, (client) =>
        client.query(
          'UPDATE directus_policies SET icon = $2, description = $3, admin_access = $4, app_access = $5, enforce_tfa = $6, ip_access = $7 WHERE id = $1',
          [ids.policies.get(policy.name), ...policyValues(policy)],
        ),
      );
    }
    planPermissions(policy, before?.permissions ?? []);
  }
  for (const policy of livePolicies.values()) {
    if (desired.policies.some((wanted) => wanted.name === policy.name)) continue;
    record('policy', 'delete', policy.name, 'directus_policies', [], `policy:${policy.name}`);
    at(8, (client) => client.query('DELETE FROM directus_policies WHERE id = $1', [ids.policies.get(policy.name)]));
  }

  function planPermissions(policy: PolicySpec, current: PermissionSpec[]): void {
    const key = (permission: PermissionSpec) => `${permission.collection}.${permission.action}`;
    const existing = new Map(current.map((permission) => [key(permission), permission]));
    for (const permission of policy.permissions) {
      const name = permissionName(policy.name, permission);
      const before = existing.get(key(permission));
      existing.delete(key(permission));
      const edits = diff(before, permission, ['fields', 'permissions', 'validation', 'presets']);
      if (!before) {
        record('permission', 'create', name, permission.collection);
        at(3, (client) =>
          client.query(
            'INSERT INTO directus_permissions (policy, collection, action, fields, permissions, validation, presets) VALUES ($1, $2, $3, $4, $5, $6, $7)',
            [ids.policies.get(policy.name), permission.collection, permission.action, ...permissionValues(permission)],
          ),
        );
      } else if (edits.length > 0) {
        record('permission', 'change', name, permission.collection, edits);
        at(3, (client) =>
          client.query('UPDATE directus_permissions SET fields = $2, permissions = $3, validation = $4, presets = $5 WHERE id = $1', [
            ids.permissions.get(name),
            ...permissionValues(permission),
          ]),
        );
      }
    }
    // A deleted policy takes its permissions with it; only a surviving policy's are listed.
    if (!desired.policies.some((wanted) => wanted.name === policy.name)) return;
    for (const permission of existing.values()) {
      const name = permissionName(policy.name, permission);
      record('permission', 'delete', name, permission.collection, [], `permission:${name}`);
      at(8, (client) => client.query('DELETE FROM directus_permissions WHERE id = $1', [ids.permissions.get(name)]));
    }
  }

  // Roles, their parents and their policies.
  const liveRoles = byName(live.config.roles);
  for (const role of desired.roles) {
    const before = liveRoles.get(role.name);
    const edits = diff(before, role, ['icon', 'description', 'parent', 'policies']);
    if (!before) {
      record('role', 'create', role.name, 'directus_roles', role.policies.length > 0 ? [{ path: 'policies', before: undefined, after: role.policies }] : []);
      at(1, async (client) => {
        const id = randomUUID();
        ids.roles.set(role.name, id);
        await client.query('INSERT INTO directus_roles (id, name, icon, description) VALUES ($1, $2, $3, $4)', [id, role.name, role.icon, role.description]);
      });
    } else if (edits.length > 0) {
      record('role', 'change', role.name, 'directus_roles', edits);
      at(1, (client) =>
        client.query('UPDATE directus_roles SET icon = $2, description = $3 WHERE id = $1', [ids.roles.get(role.name), role.icon, role.description]),
      );
    }
    if (!before || before.parent !== role.parent) {
      at(2, (client) =>
        client.query('UPDATE directus_roles SET parent = $2 WHERE id = $1', [ids.roles.get(role.name), role.parent && roleId(role.parent)]),
      );
    }
    if (!isDeepStrictEqual(before?.policies ?? [], role.policies)) at(2, (client) => relink(client, () => ids.roles.get(role.name) ?? null, role.policies));
  }
  for (const role of liveRoles.values()) {
    if (desired.roles.some((wanted) => wanted.name === role.name)) continue;
    record('role', 'delete', role.name, 'directus_roles', [], `role:${role.name}`);
    at(8, (client) => client.query('DELETE FROM directus_roles WHERE id = $1', [ids.roles.get(role.name)]));
  }
  if (!isDeepStrictEqual(live.config.public, desired.public)) {
    record('public access', 'change', 'policies for everyone', 'directus_access', [{ path: 'policies', before: live.config.public, after: desired.public }]);
    at(2, (client) => relink(client, () => null, desired.public));
  }

  // The access rows of a role (or, for null, of everyone) become exactly these policies, in order.
  async function relink(client: pg.ClientBase, role: () => string | null, policies: string[]): Promise<void> {
    const id = role();
    await client.query('DELETE FROM directus_access WHERE "user" IS NULL AND role IS NOT DISTINCT FROM $1', [id]);
    for (const [index, policy] of policies.entries()) {
      const policyId = ids.policies.get(policy);
      if (!policyId) throw new Error(`${id === null ? 'public access' : 'a role'} names policy "${policy}", which neither the file nor the database holds`);
      await client.query('INSERT INTO directus_access (id, role, policy, sort) VALUES ($1, $2, $3, $4)', [randomUUID(), id, policyId, index + 1]);
    }
  }

  // Flows and their operations.
  const liveFlows = byName(live.config.flows);
  for (const flow of desired.flows) {
    const before = liveFlows.get(flow.name);
    const edits = diff(before, flow, ['icon', 'color', 'description', 'status', 'trigger', 'accountability', 'options', 'operation']);
    if (!before) {
      record('flow', 'create', flow.name, 'directus_flows');
      at(4, async (client) => {
        const id = randomUUID();
        ids.flows.set(flow.name, id);
        await client.query(
          'INSERT INTO directus_flows (id, name, icon, color, description, status, trigger, accountability, options, date_created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())',
          [id, flow.name, ...flowValues(flow)],
        );
      });
    } else if (edits.length > 0) {
      record('flow', 'change', flow.name, 'directus_flows', edits);
      at(4, (client) =>
        client.query(
          'UPDATE directus_flows SET icon = $2, color = $3, description = $4, status = $5, trigger = $6, accountability = $7, options = $8 WHERE id = $1',
          [ids.flows.get(flow.name), ...flowValues(flow)],
        ),
      );
    }
    planOperations(flow, before?.operations ?? []);
    if (!before || before.operation !== flow.operation) {
      at(6, (client) =>
        client.query('UPDATE directus_flows SET operation = $2 WHERE id = $1', [ids.flows.get(flow.name), flow.operation && operationId(flow.name, flow.operation)]),
      );
    }
  }
  for (const flow of liveFlows.values()) {
    if (desired.flows.some((wanted) => wanted.name === flow.name)) continue;
    record('flow', 'delete', flow.name, 'directus_flows', [], `flow:${flow.name}`);
    // Its operations go with it (ON DELETE CASCADE).
    at(8, (client) => client.query('DELETE FROM directus_flows WHERE id = $1', [ids.flows.get(flow.name)]));
  }

  function planOperations(flow: FlowSpec, current: OperationSpec[]): void {
    const existing = new Map(current.map((op) => [op.key, op]));
    for (const op of flow.operations) {
      const name = `${flow.name}/${op.key}`;
      const before = existing.get(op.key);
      existing.delete(op.key);
      const edits = diff(before, op, ['name', 'type', 'position_x', 'position_y', 'options', 'resolve', 'reject']);
      if (!before) {
        record('operation', 'create', name, 'directus_operations');
        at(5, async (client) => {
          const id = randomUUID();
          ids.operations.set(name, id);
          await client.query(
            'INSERT INTO directus_operations (id, flow, key, name, type, position_x, position_y, options, date_created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())',
            [id, ids.flows.get(flow.name), op.key, op.name, op.type, op.position_x, op.position_y, json(op.options)],
          );
        });
      } else if (edits.length > 0) {
        record('operation', 'change', name, 'directus_operations', edits);
        at(5, (client) =>
          client.query('UPDATE directus_operations SET name = $2, type = $3, position_x = $4, position_y = $5, options = $6 WHERE id = $1', [
            ids.operations.get(name),
            op.name,
            op.type,
            op.position_x,
            op.position_y,
            json(op.options),
          ]),
        );
      }
      if (!before || before.resolve !== op.resolve || before.reject !== op.reject) {
        at(6, (client) =>
          client.query('UPDATE directus_operations SET resolve = $2, reject = $3 WHERE id = $1', [
            ids.operations.get(name),
            op.resolve && operationId(flow.name, op.resolve),
            op.reject && operationId(flow.name, op.reject),
          ]),
        );
      }
    }
    if (!desired.flows.some((wanted) => wanted.name === flow.name)) return;
    for (const op of existing.values()) {
      const name = `${flow.name}/${op.key}`;
      record('operation', 'delete', name, 'directus_operations', [], `operation:${name}`);
      at(7, (client) => client.query('UPDATE directus_operations SET resolve = NULL, reject = NULL WHERE id = $1', [ids.operations.get(name)]));
      at(8, (client) => client.query('DELETE FROM directus_operations WHERE id = $1', [ids.operations.get(name)]));
    }
  }

  function roleId(name: string): string {
    const id = ids.roles.get(name);
    if (!id) throw new Error(`role "${name}" is named (as a parent, or the public registration role) but neither the file nor the database holds it`);
    return id;
  }

  function operationId(flow: string, key: string): string {
    const id = ids.operations.get(`${flow}/${key}`);
    if (!id) throw new Error(`flow "${flow}" names operation "${key}", which it does not have`);
    return id;
  }

  // Settings: only the keys the file manages; a database without a settings row gets one.
  const settingEdits = diff(live.config.settings, desired.settings, [...SETTING_KEYS]);
  if (settingEdits.length > 0) {
    record('settings', 'change', 'project settings', 'directus_settings', settingEdits);
    at(7, async (client) => {
      const keys = SETTING_KEYS.filter((key) => key in desired.settings);
      const values = keys.map((key) => {
        const value = desired.settings[key];
        return key === 'public_registration_role' && typeof value === 'string' ? roleId(value) : value;
      });
      if (ids.settings === undefined) {
        await client.query(`INSERT INTO directus_settings (${keys.join(', ')}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')})`, values);
      } else {
        await client.query(`UPDATE directus_settings SET ${keys.map((key, i) => `${key} = $${i + 2}`).join(', ')} WHERE id = $1`, [ids.settings, ...values]);
      }
    });
  }

  return {
    changes,
    apply: async (client) => {
      for (const phase of phases) for (const statement of phase) await statement(client);
    },
  };
}

function byName<T extends { name: string }>(items: T[]): Map<string, T> {
  return new Map(items.map((item) => [item.name, item]));
}

// The properties that differ between what the database holds and what the file says.
function diff<T extends object>(before: T | undefined, after: T, keys: Array<keyof T & string>): PropertyEdit[] {
  if (!before) return [];
  return keys
    .filter((key) => !isDeepStrictEqual(before[key] ?? null, after[key] ?? null))
    .map((key) => ({ path: key, before: before[key] ?? null, after: after[key] ?? null }));
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function policyValues(policy: PolicySpec): unknown[] {
  return [policy.icon, policy.description, policy.admin_access, policy.app_access, policy.enforce_tfa, policy.ip_access?.join(',') ?? null];
}

function permissionValues(permission: PermissionSpec): unknown[] {
  return [permission.fields?.join(',') ?? null, json(permission.permissions), json(permission.validation), json(permission.presets)];
}

function flowValues(flow: FlowSpec): unknown[] {
  return [flow.icon, flow.color, flow.description, flow.status, flow.trigger, flow.accountability, json(flow.options)];
}

