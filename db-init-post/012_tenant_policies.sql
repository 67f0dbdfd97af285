-- Why: what a person sees is decided here, by row-level security on every business table, so that
-- every query Directus builds for a person (nested reads, relational filters, $FOLLOW, counts,
-- aggregates, search, GraphQL, subscriptions, exports) reads only rows of the person's organizations.
-- A restrictive policy narrows the role trm_person (010_tenant_role.sql); the permissive policy
-- `everyone` keeps every other role (processor's, if it connects as another user) as it was, and the
-- owner is not subject to row-level security at all. Updates and deletes reach only visible rows,
-- and an updated row must stay visible. tenant.enforce() (011_tenant_rules.sql) holds each written
-- row to the rules; tenant.remember_deletion() keeps who could see a deleted row, for subscriptions.
-- Idempotent: policies and triggers are dropped and created again.

-- The lookups the policies make (Directus creates no index for a many-to-one).
CREATE INDEX IF NOT EXISTS organization_users_user_id_idx ON organization_users (user_id);
CREATE INDEX IF NOT EXISTS organization_vehicles_vehicle_id_idx ON organization_vehicles (vehicle_id);
CREATE INDEX IF NOT EXISTS organization_devices_device_id_idx ON organization_devices (device_id);
CREATE INDEX IF NOT EXISTS entries_vehicle_id_idx ON entries (vehicle_id);
CREATE INDEX IF NOT EXISTS entry_devices_device_id_idx ON entry_devices (device_id);
CREATE INDEX IF NOT EXISTS commands_organization_id_idx ON commands (organization_id);
CREATE INDEX IF NOT EXISTS commands_device_id_idx ON commands (device_id);

CREATE OR REPLACE FUNCTION tenant.protect(tbl regclass, visible text) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  command text;
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('DROP POLICY IF EXISTS everyone ON %s', tbl);
  EXECUTE format('CREATE POLICY everyone ON %s USING (true) WITH CHECK (true)', tbl);
  FOREACH command IN ARRAY ARRAY['select', 'update', 'delete'] LOOP
    EXECUTE format('DROP POLICY IF EXISTS person_%s ON %s', command, tbl);
    EXECUTE format('CREATE POLICY person_%s ON %s AS RESTRICTIVE FOR %s TO trm_person USING (%s)', command, tbl, command, visible);
  END LOOP;
  EXECUTE format('CREATE OR REPLACE TRIGGER tenant_rules BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION tenant.enforce()', tbl);
  EXECUTE format('CREATE OR REPLACE TRIGGER tenant_deletions AFTER DELETE ON %s FOR EACH ROW EXECUTE FUNCTION tenant.remember_deletion()', tbl);
END
$fn$;

-- (SELECT tenant.orgs()) is evaluated once per statement, not once per row.
SELECT tenant.protect('organizations', $$id = ANY ((SELECT tenant.orgs())::uuid[])$$);
SELECT tenant.protect('organization_users', $$organization_id = ANY ((SELECT tenant.orgs())::uuid[])$$);
SELECT tenant.protect('organization_vehicles', $$organization_id = ANY ((SELECT tenant.orgs())::uuid[])$$);
SELECT tenant.protect('organization_devices', $$organization_id = ANY ((SELECT tenant.orgs())::uuid[])$$);
SELECT tenant.protect('events', $$organization_id = ANY ((SELECT tenant.orgs())::uuid[])$$);
-- Through their event or entry, which row-level security narrows in turn.
SELECT tenant.protect('classes', $$event_id IN (SELECT id FROM events)$$);
SELECT tenant.protect('entries', $$event_id IN (SELECT id FROM events)$$);
SELECT tenant.protect('entry_crew', $$entry_id IN (SELECT id FROM entries)$$);
SELECT tenant.protect('entry_devices', $$entry_id IN (SELECT id FROM entries)$$);
-- Shared rows: registered with one of the person's organizations, or used by one of its entries, or
-- created by the person and not registered yet.
SELECT tenant.protect('vehicles', $$id IN (SELECT vehicle_id FROM organization_vehicles)
  OR id IN (SELECT vehicle_id FROM entries)
  OR (user_created = tenant.person() AND tenant.vehicle_holders(id) = '{}')$$);
SELECT tenant.protect('devices', $$id IN (SELECT device_id FROM organization_devices)
  OR id IN (SELECT device_id FROM entry_devices)
  OR (user_created = tenant.person() AND tenant.device_holders(id) = '{}')$$);
-- A command belongs to the organization it was sent for, and is read by those who may send one there.
SELECT tenant.protect('commands', $$organization_id = ANY ((SELECT tenant.orgs(tenant.read_roles('commands')))::uuid[])$$);
