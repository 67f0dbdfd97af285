import type pg from 'pg';
import { normalizeConfig, permissionName, SETTING_KEYS, type ConfigFile, type FlowSpec, type PolicySpec } from './model.ts';

// The configuration a database holds, in the file's terms, with the ids behind each name: what the
// plan compares and what the apply updates or deletes.
export interface LiveConfig {
  config: ConfigFile;
  ids: {
    roles: Map<string, string>;
    policies: Map<string, string>;
    // permissionName → directus_permissions.id
    permissions: Map<string, number>;
    flows: Map<string, string>;
    // `flow/key` → directus_operations.id
    operations: Map<string, string>;
    settings: number | undefined;
  };
}

interface Row {
  [column: string]: unknown;
}

// `extraSettings`: settings the boot manages besides the file's (config/environment-settings.ts).
export async function readLiveConfig(client: pg.ClientBase, extraSettings: readonly string[] = []): Promise<LiveConfig> {
  const rows = async (sql: string) => (await client.query<Row>(sql)).rows;
  const roles = await rows('SELECT id, name, icon, description, parent FROM directus_roles');
  const policies = await rows('SELECT id, name, icon, description, admin_access, app_access, enforce_tfa, ip_access FROM directus_policies');
  const access = await rows('SELECT role, policy FROM directus_access WHERE "user" IS NULL ORDER BY sort NULLS LAST, id');
  const permissions = await rows(
    'SELECT id, policy, collection, action, fields, permissions, validation, presets FROM directus_permissions WHERE policy IS NOT NULL',
  );
  const flows = await rows('SELECT id, name, icon, color, description, status, trigger, accountability, options, operation FROM directus_flows');
  const operations = await rows('SELECT id, flow, key, name, type, position_x, position_y, options, resolve, reject FROM directus_operations');
  const settingKeys = [...SETTING_KEYS, ...extraSettings];
  const [settings] = await rows(`SELECT id, ${settingKeys.join(', ')} FROM directus_settings ORDER BY id LIMIT 1`);

  const roleIds = uniqueNames('role', roles);
  const policyIds = uniqueNames('policy', policies);
  const flowIds = uniqueNames('flow', flows);
  const roleName = nameOf(roles);
  const policyName = nameOf(policies);
  const operationKey = new Map(operations.map((op) => [String(op['id']), String(op['key'])]));

  const permissionIds = new Map<string, number>();
  const policySpecs: PolicySpec[] = policies.map((policy) => ({
    name: String(policy['name']),
    icon: text(policy['icon']),
    description: text(policy['description']),
    admin_access: policy['admin_access'] === true,
    app_access: policy['app_access'] === true,
    enforce_tfa: policy['enforce_tfa'] === true,
    ip_access: csv(policy['ip_access']),
    permissions: permissions
      .filter((permission) => permission['policy'] === policy['id'])
      .map((permission) => {
        const spec = {
          collection: String(permission['collection']),
          action: String(permission['action']),
          fields: csv(permission['fields']),
          permissions: permission['permissions'] ?? null,
          validation: permission['validation'] ?? null,
          presets: permission['presets'] ?? null,
        };
        const name = permissionName(String(policy['name']), spec);
        if (permissionIds.has(name)) throw new Error(`two permissions ${name} in directus_permissions: merge them in the admin UI first`);
        permissionIds.set(name, Number(permission['id']));
        return spec;
      }),
  }));

  const operationIds = new Map<string, string>();
  const flowSpecs: FlowSpec[] = flows.map((flow) => ({
    name: String(flow['name']),
    icon: text(flow['icon']),
    color: text(flow['color']),
    description: text(flow['description']),
    status: String(flow['status']),
    trigger: text(flow['trigger']),
    accountability: text(flow['accountability']),
    options: flow['options'] ?? null,
    operation: flow['operation'] ? (operationKey.get(String(flow['operation'])) ?? null) : null,
    operations: operations
      .filter((op) => op['flow'] === flow['id'])
      .map((op) => {
        operationIds.set(`${String(flow['name'])}/${String(op['key'])}`, String(op['id']));
        return {
          key: String(op['key']),
          name: text(op['name']),
          type: String(op['type']),
          position_x: Number(op['position_x']),
          position_y: Number(op['position_y']),
          options: op['options'] ?? null,
          resolve: op['resolve'] ? (operationKey.get(String(op['resolve'])) ?? null) : null,
          reject: op['reject'] ? (operationKey.get(String(op['reject'])) ?? null) : null,
        };
      }),
  }));

  const config: ConfigFile = {
    version: 1,
    public: access.filter((row) => row['role'] === null).map((row) => policyName(row['policy'])),
    roles: roles.map((role) => ({
      name: String(role['name']),
      icon: text(role['icon']),
      description: text(role['description']),
      parent: role['parent'] ? roleName(role['parent']) : null,
      policies: access.filter((row) => row['role'] === role['id']).map((row) => policyName(row['policy'])),
    })),
    policies: policySpecs,
    flows: flowSpecs,
    settings: Object.fromEntries(
      settingKeys.map((key) => {
        const value = settings?.[key] ?? null;
        return [key, key === 'public_registration_role' && value !== null ? roleName(value) : value];
      }),
    ),
  };
  return {
    config: normalizeConfig(config),
    ids: {
      roles: roleIds,
      policies: policyIds,
      permissions: permissionIds,
      flows: flowIds,
      operations: operationIds,
      settings: settings ? Number(settings['id']) : undefined,
    },
  };
}

// Names are the identities across environments, so two items of one kind may not share one.
function uniqueNames(kind: string, rows: Row[]): Map<string, string> {
  const ids = new Map<string, string>();
  for (const row of rows) {
    const name = String(row['name']);
    if (ids.has(name)) throw new Error(`two ${kind} items are named "${name}": rename one in the admin UI first (names identify them across environments)`);
    ids.set(name, String(row['id']));
  }
  return ids;
}

function nameOf(rows: Row[]): (id: unknown) => string {
  const names = new Map(rows.map((row) => [String(row['id']), String(row['name'])]));
  return (id) => names.get(String(id)) ?? String(id);
}

function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function csv(value: unknown): string[] | null {
  return value === null || value === undefined || value === '' ? null : String(value).split(',');
}

// A configuration read from a file, standing in for a database's: to show what one file changes
// compared with another.
export function detached(config: ConfigFile): LiveConfig {
  return { config, ids: { roles: new Map(), policies: new Map(), permissions: new Map(), flows: new Map(), operations: new Map(), settings: undefined } };
}
