-- Why: what a person sees is decided here, by row-level security on every business table, so that
-- every query Directus builds for a person (nested reads, relational filters, $FOLLOW, counts,
-- aggregates, search, GraphQL, subscriptions, exports) reads only rows of the person's organizations.
-- A restrictive policy narrows the role trm_person (010_tenant_role.sql); the permissive policy
-- `everyone` keeps every other role (processor's, if it connects as another user) as it was, and the
-- owner is not subject to row-level security at all. Updates and deletes reach only visible rows,
-- and an updated row must stay visible. tenant.enforce() (011_tenant_rules.sql) holds each written
-- row to the rules; tenant.remember_deletion() keeps who could see a deleted row, for subscriptions.
-- The columns the policies look rows up by are indexed in snapshots/schema.yaml (is_indexed), where
-- Directus keeps its indexes. Idempotent: rows are upserted, policies and triggers laid down again.

-- Which rows of each business table a person sees: a condition on the row, kept as data so that
-- tenant.protect_all() can lay the policies down again after a schema change (below).
CREATE TABLE IF NOT EXISTS tenant.visibility (
  collection text PRIMARY KEY,
  visible    text NOT NULL
);

-- (SELECT tenant.orgs()) is evaluated once per statement, not once per row.
INSERT INTO tenant.visibility (collection, visible) VALUES
  ('organizations',         $$id = ANY ((SELECT tenant.orgs())::uuid[])$$),
  ('organization_users',    $$organization_id = ANY ((SELECT tenant.orgs())::uuid[])$$),
  ('organization_vehicles', $$organization_id = ANY ((SELECT tenant.orgs())::uuid[])$$),
  ('organization_devices',  $$organization_id = ANY ((SELECT tenant.orgs())::uuid[])$$),
  ('events',                $$organization_id = ANY ((SELECT tenant.orgs())::uuid[])$$),
  -- Through their event or entry, which row-level security narrows in turn.
  ('classes',               $$event_id IN (SELECT id FROM events)$$),
  ('entries',               $$event_id IN (SELECT id FROM events)$$),
  ('entry_crew',            $$entry_id IN (SELECT id FROM entries)$$),
  ('entry_devices',         $$entry_id IN (SELECT id FROM entries)$$),
  -- Shared rows: registered with one of the person's organizations, or used by one of its entries, or
  -- created by the person and not registered yet.
  ('vehicles',              $$id IN (SELECT vehicle_id FROM organization_vehicles) OR id IN (SELECT vehicle_id FROM entries)
                              OR (user_created = tenant.person() AND tenant.vehicle_holders(id) = '{}')$$),
  ('devices',               $$id IN (SELECT device_id FROM organization_devices) OR id IN (SELECT device_id FROM entry_devices)
                              OR (user_created = tenant.person() AND tenant.device_holders(id) = '{}')$$),
  -- A command belongs to the organization it was sent for, and is read by those who may send one there.
  ('commands',              $$organization_id = ANY ((SELECT tenant.orgs(tenant.read_roles('commands')))::uuid[])$$)
ON CONFLICT (collection) DO UPDATE SET visible = EXCLUDED.visible;

-- Lays down every business table's policies and triggers from tenant.visibility.
CREATE OR REPLACE FUNCTION tenant.protect_all() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  rule record;
  command text;
BEGIN
  FOR rule IN SELECT collection, visible FROM tenant.visibility ORDER BY collection LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', rule.collection);
    EXECUTE format('DROP POLICY IF EXISTS everyone ON %I', rule.collection);
    EXECUTE format('CREATE POLICY everyone ON %I USING (true) WITH CHECK (true)', rule.collection);
    FOREACH command IN ARRAY ARRAY['select', 'update', 'delete'] LOOP
      EXECUTE format('DROP POLICY IF EXISTS person_%s ON %I', command, rule.collection);
      EXECUTE format('CREATE POLICY person_%s ON %I AS RESTRICTIVE FOR %s TO trm_person USING (%s)', command, rule.collection, command, rule.visible);
    END LOOP;
    EXECUTE format('CREATE OR REPLACE TRIGGER tenant_rules BEFORE INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION tenant.enforce()', rule.collection);
    EXECUTE format('CREATE OR REPLACE TRIGGER tenant_deletions AFTER DELETE ON %I FOR EACH ROW EXECUTE FUNCTION tenant.remember_deletion()', rule.collection);
  END LOOP;
END
$fn$;

-- PostgreSQL refuses to change the type of a column a policy names, and Directus changes a column's
-- type to change its index, default or nullability. Boot step 3 therefore applies a schema change in
-- one transaction with tenant.unprotect() before and tenant.protect_all() after
-- (scripts/boot/schema-worker.ts): no other session ever sees the tables without their policies.
-- Row-level security stays enabled meanwhile, and the triggers stay.
CREATE OR REPLACE FUNCTION tenant.unprotect() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  rule record;
  command text;
BEGIN
  FOR rule IN SELECT collection FROM tenant.visibility WHERE to_regclass(quote_ident(collection)) IS NOT NULL LOOP
    FOREACH command IN ARRAY ARRAY['select', 'update', 'delete'] LOOP
      EXECUTE format('DROP POLICY IF EXISTS person_%s ON %I', command, rule.collection);
    END LOOP;
  END LOOP;
END
$fn$;

SELECT tenant.protect_all();
