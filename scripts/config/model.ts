import { readFile } from 'node:fs/promises';
import { importFromDirectus } from '../lib/directus-install.ts';
import { fromApp } from '../lib/paths.ts';

// Access control and configuration as code: what snapshots/config.yaml holds. Directus's schema
// snapshot carries none of it. Every item is identified by name, never by its database id, so one
// file means the same rules in every environment, including the Administrator role and policy and
// the public policy that `directus bootstrap` creates with ids of its own.
export interface ConfigFile {
  version: 1;
  // Policies granted to everyone, signed in or not (directus_access rows without role or user).
  public: string[];
  roles: RoleSpec[];
  policies: PolicySpec[];
  flows: FlowSpec[];
  // The project settings operators rely on (SETTING_KEYS), by name; roles by name.
  settings: Record<string, unknown>;
}

export interface RoleSpec {
  name: string;
  icon: string | null;
  description: string | null;
  parent: string | null;
  // Attached policies in their order (directus_access rows of the role, not of single users).
  policies: string[];
}

export interface PolicySpec {
  name: string;
  icon: string | null;
  description: string | null;
  admin_access: boolean;
  app_access: boolean;
  enforce_tfa: boolean;
  ip_access: string[] | null;
  permissions: PermissionSpec[];
}

export interface PermissionSpec {
  collection: string;
  action: string;
  fields: string[] | null;
  permissions: unknown;
  validation: unknown;
  presets: unknown;
}

export interface FlowSpec {
  name: string;
  icon: string | null;
  color: string | null;
  description: string | null;
  status: string;
  trigger: string | null;
  accountability: string | null;
  options: unknown;
  // The key of the first operation.
  operation: string | null;
  operations: OperationSpec[];
}

export interface OperationSpec {
  key: string;
  name: string | null;
  type: string;
  position_x: number;
  position_y: number;
  options: unknown;
  // Keys of the operations that follow on success and on failure.
  resolve: string | null;
  reject: string | null;
}

// Settings that are the project's, not the environment's: no URLs, files, keys or licence.
// module_bar: which modules the admin app shows, the platform's screens among them (docs/extensions.md).
export const SETTING_KEYS = [
  'auth_login_attempts',
  'auth_password_policy',
  'default_language',
  'module_bar',
  'project_color',
  'project_descriptor',
  'project_name',
  'public_registration',
  'public_registration_role',
  'public_registration_verify_email',
] as const;

const ACTION_ORDER = ['create', 'read', 'update', 'delete', 'share'];

interface JsYaml {
  load: (text: string) => unknown;
  dump: (value: unknown, options?: { sortKeys?: (a: string, b: string) => number; lineWidth?: number; noRefs?: boolean }) => string;
}

const yaml = () => importFromDirectus<JsYaml>('js-yaml');

// The configuration step 3 applies and the schema commands read and write: CONFIG_SNAPSHOT_PATH, by default
// the committed snapshots/config.yaml.
export function configPath(): string {
  return process.env['CONFIG_SNAPSHOT_PATH'] ?? fromApp('snapshots', 'config.yaml');
}

export async function readConfigFile(file: string): Promise<ConfigFile> {
  return parseConfigYaml(await readFile(file, 'utf8'), file);
}

export async function parseConfigYaml(text: string, origin: string): Promise<ConfigFile> {
  const parsed = (await yaml()).load(text);
  if (!isConfigFile(parsed)) throw new Error(`${origin} did not give a configuration file (version 1, public, roles, policies, flows, settings)`);
  return normalizeConfig(parsed);
}

// One text for one configuration: items sorted by name, keys sorted, whatever order the database or
// an editor produced them in.
export async function configToYaml(config: ConfigFile): Promise<string> {
  return HEADER + (await yaml()).dump(normalizeConfig(config), { sortKeys: byKey, lineWidth: -1, noRefs: true });
}

const HEADER =
  '# Roles, policies, permissions, flows and project settings, applied by step 3 of every boot.\n' +
  '# Written by `pnpm run schema:snapshot` after edits in the admin UI; items are matched by name.\n';

// Keys sorted, except that what names an item comes first, so each item reads from its name.
const LEADING_KEYS = ['version', 'key', 'name', 'collection', 'action'];
function byKey(a: string, b: string): number {
  const rank = (key: string) => (LEADING_KEYS.includes(key) ? LEADING_KEYS.indexOf(key) : LEADING_KEYS.length);
  return rank(a) - rank(b) || compare(a, b);
}

export function normalizeConfig(config: ConfigFile): ConfigFile {
  return {
    version: 1,
    public: [...config.public].sort(compare),
    roles: byName(config.roles).map((role) => ({ ...role })),
    policies: byName(config.policies).map((policy) => ({
      ...policy,
      permissions: [...policy.permissions].sort(
        (a, b) => compare(a.collection, b.collection) || ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action),
      ),
    })),
    flows: byName(config.flows).map((flow) => ({ ...flow, operations: [...flow.operations].sort((a, b) => compare(a.key, b.key)) })),
    settings: Object.fromEntries(Object.entries(config.settings).sort(([a], [b]) => compare(a, b))),
  };
}

export function summarizeConfig(config: ConfigFile): string {
  const permissions = config.policies.reduce((sum, policy) => sum + policy.permissions.length, 0);
  return `${config.roles.length} roles, ${config.policies.length} policies, ${permissions} permissions, ${config.flows.length} flows`;
}

export function permissionName(policy: string, permission: Pick<PermissionSpec, 'collection' | 'action'>): string {
  return `${policy}/${permission.collection}.${permission.action}`;
}

function byName<T extends { name: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => compare(a.name, b.name));
}

// By code point, not by locale: the same order on every machine.
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isConfigFile(value: unknown): value is ConfigFile {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    candidate['version'] === 1 &&
    Array.isArray(candidate['public']) &&
    Array.isArray(candidate['roles']) &&
    Array.isArray(candidate['policies']) &&
    Array.isArray(candidate['flows']) &&
    typeof candidate['settings'] === 'object' &&
    candidate['settings'] !== null
  );
}
