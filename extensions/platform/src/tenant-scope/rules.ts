// Who may do what in which organization. Directus's policies (snapshots/config.yaml) say which
// collections and actions a role may use at all; these rules narrow that to the organizations a user
// belongs to (organization_users) and to what the user's role there allows. They live here, not in
// permission filters, because Directus 12 without a licence ignores permission rows that carry item
// filters, field lists, validation or presets (the "custom permission rules" entitlement).
export const ORG_ROLES = ['org-admin', 'race-director', 'marshal', 'timekeeper', 'participant', 'viewer'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

const ALL: OrgRole[] = [...ORG_ROLES];
const ADMIN: OrgRole[] = ['org-admin'];
const DIRECTION: OrgRole[] = ['org-admin', 'race-director'];
const COMMANDING: OrgRole[] = ['org-admin', 'race-director', 'marshal'];

// How a row reaches the organizations it belongs to.
export type OrganizationPath =
  | { kind: 'self' }
  // A column holding the organization, or a row that leads to it: `event_id` → events.
  | { kind: 'column'; column: string; via?: { table: string; path: OrganizationPath } }
  // Rows shared between organizations through a junction table (vehicles, devices).
  | { kind: 'junction'; table: string; column: string };

// Which organization roles may update which fields (`*`: every field the policy allows).
export type FieldGrant = { roles: OrgRole[]; fields: string[] | '*' };

export interface TenantRule {
  path: OrganizationPath;
  read: OrgRole[];
  create: OrgRole[];
  update: FieldGrant[];
  delete: OrgRole[];
}

const EVENT: OrganizationPath = { kind: 'column', column: 'event_id', via: { table: 'events', path: { kind: 'column', column: 'organization_id' } } };
const ENTRY: OrganizationPath = { kind: 'column', column: 'entry_id', via: { table: 'entries', path: EVENT } };
export const DEVICE_ORGANIZATIONS: OrganizationPath = { kind: 'junction', table: 'organization_devices', column: 'device_id' };
const DEVICE: OrganizationPath = { kind: 'column', column: 'device_id', via: { table: 'devices', path: DEVICE_ORGANIZATIONS } };
const ORGANIZATION: OrganizationPath = { kind: 'column', column: 'organization_id' };

export const RULES: Record<string, TenantRule> = {
  organizations: { path: { kind: 'self' }, read: ALL, create: [], update: [{ roles: ADMIN, fields: ['name', 'slug'] }], delete: [] },
  organization_users: { path: ORGANIZATION, read: ALL, create: ADMIN, update: [{ roles: ADMIN, fields: ['role'] }], delete: ADMIN },
  organization_vehicles: { path: ORGANIZATION, read: ALL, create: ADMIN, update: [{ roles: ADMIN, fields: ['registered_at'] }], delete: ADMIN },
  organization_devices: { path: ORGANIZATION, read: ALL, create: ADMIN, update: [{ roles: ADMIN, fields: ['registered_at'] }], delete: ADMIN },
  // A vehicle or device is created on its own, then registered with an organization by its org-admin.
  vehicles: { path: { kind: 'junction', table: 'organization_vehicles', column: 'vehicle_id' }, read: ALL, create: ADMIN, update: [{ roles: ADMIN, fields: '*' }], delete: ADMIN },
  devices: { path: DEVICE_ORGANIZATIONS, read: ALL, create: ADMIN, update: [{ roles: ADMIN, fields: '*' }], delete: ADMIN },
  events: { path: ORGANIZATION, read: ALL, create: DIRECTION, update: [{ roles: DIRECTION, fields: ['name', 'slug', 'discipline', 'starts_at', 'ends_at'] }], delete: DIRECTION },
  classes: { path: EVENT, read: ALL, create: DIRECTION, update: [{ roles: DIRECTION, fields: ['code', 'name'] }], delete: DIRECTION },
  entries: {
    path: EVENT,
    read: ALL,
    create: DIRECTION,
    update: [
      { roles: DIRECTION, fields: ['class_id', 'vehicle_id', 'race_number', 'status'] },
      { roles: ['timekeeper'], fields: ['status'] },
    ],
    delete: DIRECTION,
  },
  entry_crew: { path: ENTRY, read: ALL, create: DIRECTION, update: [{ roles: DIRECTION, fields: ['user_id', 'role'] }], delete: DIRECTION },
  entry_devices: { path: ENTRY, read: ALL, create: DIRECTION, update: [{ roles: DIRECTION, fields: ['device_id', 'assigned_user_id'] }], delete: DIRECTION },
  // Commands are created for a device of the user's organization, then only reported on (by ingestion).
  commands: { path: DEVICE, read: COMMANDING, create: COMMANDING, update: [], delete: [] },
};

// Who may mark a device's positions faulty (POST /positions/faulty), in an organization of the device.
export const POSITION_FLAGGING: OrgRole[] = ['org-admin', 'race-director', 'timekeeper'];

// What a person may send when creating a command; the rest is set for them or by ingestion.
export const COMMAND_REQUEST_FIELDS = ['device_id', 'codec', 'command'];

// Roles of service accounts that work across organizations (snapshots/config.yaml): processor reads
// every business table, ingestion reports on every command.
export const SERVICE_ROLES = ['Processor', 'Ingestion'];
