-- Why: who may write what, by the role a person holds in each organization (organization_users.role),
-- decided by the database for every row a person's statement writes, whichever Directus surface sent
-- it (REST one or batch, GraphQL, WebSocket, nested writes). 012_tenant_policies.sql attaches
-- tenant.enforce() to the business tables; row-level security there decides what a person sees.
-- Every refusal is SQLSTATE 42501 with a sentence for people: the extension answers it as 403.
-- A refusal says what is required, never what was found, so a row of another organization and a row
-- that does not exist get the same answer. Administrators, service accounts and Directus itself run as
-- the connecting user and are not held to these rules (docs/security.md).
-- Idempotent: CREATE OR REPLACE, IF NOT EXISTS, and the rules table rewritten whole.
CREATE SCHEMA IF NOT EXISTS tenant;
GRANT USAGE ON SCHEMA tenant TO trm_person;

-- The person a statement runs for, set per statement by the extension (empty: nobody).
CREATE OR REPLACE FUNCTION tenant.person() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('trm.user_id', true), '')::uuid $$;

-- The organizations where `who` holds one of `roles` (any role when roles is NULL). SECURITY DEFINER:
-- it reads organization_users past row-level security, which it is part of.
CREATE OR REPLACE FUNCTION tenant.orgs_of(who uuid, roles text[] DEFAULT NULL) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT organization_id), '{}') FROM organization_users
   WHERE user_id = who AND (roles IS NULL OR role = ANY (roles))
$$;

CREATE OR REPLACE FUNCTION tenant.orgs(roles text[] DEFAULT NULL) RETURNS uuid[]
LANGUAGE sql STABLE AS $$ SELECT tenant.orgs_of(tenant.person(), roles) $$;

-- The person's roles in any of these organizations.
CREATE OR REPLACE FUNCTION tenant.roles_in(organizations uuid[]) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT role), '{}') FROM organization_users
   WHERE user_id = tenant.person() AND organization_id = ANY (organizations)
$$;

-- Vehicles and devices are shared: they belong to every organization that registered them.
CREATE OR REPLACE FUNCTION tenant.vehicle_holders(vehicle uuid) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT organization_id), '{}') FROM organization_vehicles WHERE vehicle_id = vehicle
$$;

CREATE OR REPLACE FUNCTION tenant.device_holders(device uuid) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT organization_id), '{}') FROM organization_devices WHERE device_id = device
$$;

-- The organizations a row (as jsonb) belongs to. A table without a branch belongs to none, so nobody
-- but an administrator writes it until its rule is written here.
CREATE OR REPLACE FUNCTION tenant.row_orgs(tbl text, r jsonb) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_remove(CASE tbl
    WHEN 'organizations' THEN ARRAY[(r ->> 'id')::uuid]
    WHEN 'organization_users' THEN ARRAY[(r ->> 'organization_id')::uuid]
    WHEN 'organization_vehicles' THEN ARRAY[(r ->> 'organization_id')::uuid]
    WHEN 'organization_devices' THEN ARRAY[(r ->> 'organization_id')::uuid]
    WHEN 'events' THEN ARRAY[(r ->> 'organization_id')::uuid]
    WHEN 'commands' THEN ARRAY[(r ->> 'organization_id')::uuid]
    WHEN 'classes' THEN ARRAY(SELECT organization_id FROM events WHERE id = (r ->> 'event_id')::uuid)
    WHEN 'entries' THEN ARRAY(SELECT organization_id FROM events WHERE id = (r ->> 'event_id')::uuid)
    WHEN 'entry_crew' THEN ARRAY(SELECT e.organization_id FROM entries en JOIN events e ON e.id = en.event_id WHERE en.id = (r ->> 'entry_id')::uuid)
    WHEN 'entry_devices' THEN ARRAY(SELECT e.organization_id FROM entries en JOIN events e ON e.id = en.event_id WHERE en.id = (r ->> 'entry_id')::uuid)
    WHEN 'vehicles' THEN tenant.vehicle_holders((r ->> 'id')::uuid)
    WHEN 'devices' THEN tenant.device_holders((r ->> 'id')::uuid)
  END, NULL), '{}')
$$;

-- Who may do what: a person may create or delete a row, or change it, only in an organization where
-- they hold one of `roles`; a change may touch only `fields` (NULL: every field) and the fields Directus
-- maintains itself (date-updated, user-updated). Vehicles and devices, being shared, are changed or
-- deleted only by someone who is org-admin of every organization that holds them; their identity (a
-- device's IMEI, a vehicle's VIN) only by an administrator, since positions follow the IMEI. A
-- registration is not changed: it starts when it is made (registered_at) and ends when it is deleted.
CREATE TABLE IF NOT EXISTS tenant.rules (
  collection text   NOT NULL,
  action     text   NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  roles      text[] NOT NULL,
  fields     text[],
  PRIMARY KEY (collection, action, roles)
);

DELETE FROM tenant.rules;
INSERT INTO tenant.rules (collection, action, roles, fields) VALUES
  ('organizations',         'update', '{org-admin}',               '{name,slug}'),
  ('organization_users',    'create', '{org-admin}',               NULL),
  ('organization_users',    'update', '{org-admin}',               '{role}'),
  ('organization_users',    'delete', '{org-admin}',               NULL),
  ('organization_vehicles', 'create', '{org-admin}',               NULL),
  ('organization_vehicles', 'delete', '{org-admin}',               NULL),
  ('organization_devices',  'create', '{org-admin}',               NULL),
  ('organization_devices',  'delete', '{org-admin}',               NULL),
  ('vehicles',              'create', '{org-admin}',               NULL),
  ('vehicles',              'update', '{org-admin}',               '{make,model,year,engine_cc,plate}'),
  ('vehicles',              'delete', '{org-admin}',               NULL),
  ('devices',               'create', '{org-admin}',               NULL),
  ('devices',               'update', '{org-admin}',               '{model}'),
  ('devices',               'delete', '{org-admin}',               NULL),
  ('events',                'create', '{org-admin,race-director}', NULL),
  ('events',                'update', '{org-admin,race-director}', '{name,slug,discipline,starts_at,ends_at}'),
  ('events',                'delete', '{org-admin,race-director}', NULL),
  ('classes',               'create', '{org-admin,race-director}', NULL),
  ('classes',               'update', '{org-admin,race-director}', '{code,name}'),
  ('classes',               'delete', '{org-admin,race-director}', NULL),
  ('entries',               'create', '{org-admin,race-director}', NULL),
  ('entries',               'update', '{org-admin,race-director}', '{class_id,vehicle_id,race_number,status}'),
  ('entries',               'update', '{timekeeper}',              '{status}'),
  ('entries',               'delete', '{org-admin,race-director}', NULL),
  ('entry_crew',            'create', '{org-admin,race-director}', NULL),
  ('entry_crew',            'update', '{org-admin,race-director}', '{user_id,role}'),
  ('entry_crew',            'delete', '{org-admin,race-director}', NULL),
  ('entry_devices',         'create', '{org-admin,race-director}', NULL),
  ('entry_devices',         'update', '{org-admin,race-director}', '{device_id,assigned_user_id}'),
  ('entry_devices',         'delete', '{org-admin,race-director}', NULL),
  ('commands',              'create', '{org-admin,race-director,marshal}', NULL);

-- Who reads a collection's rows (NULL: every member): commands are for those who may send them.
CREATE OR REPLACE FUNCTION tenant.read_roles(collection text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE collection WHEN 'commands' THEN ARRAY['org-admin', 'race-director', 'marshal'] END
$$;

-- A refusal for people. The hint tells the extension that the message is meant to be shown.
CREATE OR REPLACE FUNCTION tenant.deny(message text) RETURNS void
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = message, HINT = 'tenant rule'; END $$;

CREATE OR REPLACE FUNCTION tenant.listing(items text[], conjunction text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN cardinality(items) <= 1 THEN coalesce(items[1], '')
              ELSE array_to_string(items[1:cardinality(items) - 1], ', ') || ' ' || conjunction || ' ' || items[cardinality(items)] END
$$;

-- The fields a change really changes, leaving out those Directus maintains on every write.
CREATE OR REPLACE FUNCTION tenant.changed_fields(tbl text, old_row jsonb, new_row jsonb) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}')
    FROM jsonb_each(new_row) n JOIN jsonb_each(old_row) o ON o.key = n.key
   WHERE n.value IS DISTINCT FROM o.value
     AND n.key NOT IN (SELECT field FROM directus_fields
                        WHERE collection = tbl AND special ~ '(^|,)(date-updated|user-updated)(,|$)')
$$;

-- A reference is checked when the row is created or the reference changes, so a row that points at
-- something a later change made unusable (a vehicle unregistered since) can still be timed.
CREATE OR REPLACE FUNCTION tenant.changed(old_row jsonb, new_row jsonb, field text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT old_row IS NULL OR old_row -> field IS DISTINCT FROM new_row -> field $$;

-- Whether the person may register this vehicle or device with an organization: one they created and
-- nobody holds yet, or one whose every current organization is one where they are org-admin (sharing
-- needs the consent of every holder; an administrator may always share).
CREATE OR REPLACE FUNCTION tenant.may_register(tbl text, target uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
  holders uuid[];
  creator uuid;
BEGIN
  IF tbl = 'vehicles' THEN
    SELECT user_created INTO creator FROM vehicles WHERE id = target;
    IF NOT FOUND THEN RETURN false; END IF;
    holders := tenant.vehicle_holders(target);
  ELSE
    SELECT user_created INTO creator FROM devices WHERE id = target;
    IF NOT FOUND THEN RETURN false; END IF;
    holders := tenant.device_holders(target);
  END IF;
  IF holders = '{}' THEN RETURN creator = tenant.person(); END IF;
  RETURN holders <@ tenant.orgs(ARRAY['org-admin']);
END
$fn$;

-- Whether a device serves an event of another organization than `org` at some time in `during`:
-- a shared device serves one organization at a time, so that its positions in that window are that
-- organization's (tenant.may_use_positions) and nobody else can take them away with an event of theirs.
CREATE OR REPLACE FUNCTION tenant.booked_elsewhere(device uuid, org uuid, during tstzrange) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM entry_devices ed JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id
                  WHERE ed.device_id = device AND e.organization_id <> org AND tstzrange(e.starts_at, e.ends_at, '[]') && during)
$$;

-- What a row may point at, for a person.
CREATE OR REPLACE FUNCTION tenant.check_references(tbl text, new_row jsonb, old_row jsonb) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
  org uuid;
BEGIN
  IF tbl = 'organization_vehicles' AND tenant.changed(old_row, new_row, 'vehicle_id')
     AND NOT tenant.may_register('vehicles', (new_row ->> 'vehicle_id')::uuid) THEN
    PERFORM tenant.deny('vehicle_id must name a vehicle you may register: one you created that no organization holds yet, '
      'or one whose every organization is one where you are org-admin. A vehicle other organizations hold is shared '
      'by someone who is org-admin of all of them, or by an administrator.');
  ELSIF tbl = 'organization_devices' AND tenant.changed(old_row, new_row, 'device_id')
     AND NOT tenant.may_register('devices', (new_row ->> 'device_id')::uuid) THEN
    PERFORM tenant.deny('device_id must name a device you may register: one you created that no organization holds yet, '
      'or one whose every organization is one where you are org-admin. A device other organizations hold is shared '
      'by someone who is org-admin of all of them, or by an administrator.');
  ELSIF tbl = 'entries' THEN
    SELECT organization_id INTO org FROM events WHERE id = (new_row ->> 'event_id')::uuid;
    IF (tenant.changed(old_row, new_row, 'class_id') OR tenant.changed(old_row, new_row, 'event_id'))
       AND NOT EXISTS (SELECT 1 FROM classes WHERE id = (new_row ->> 'class_id')::uuid AND event_id = (new_row ->> 'event_id')::uuid) THEN
      PERFORM tenant.deny('class_id must name a class of the entry''s event.');
    END IF;
    IF jsonb_typeof(new_row -> 'vehicle_id') = 'string'
       AND (tenant.changed(old_row, new_row, 'vehicle_id') OR tenant.changed(old_row, new_row, 'event_id'))
       AND NOT EXISTS (SELECT 1 FROM organization_vehicles WHERE vehicle_id = (new_row ->> 'vehicle_id')::uuid AND organization_id = org) THEN
      PERFORM tenant.deny('vehicle_id must name a vehicle registered with the event''s organization.');
    END IF;
  ELSIF tbl = 'events' AND old_row IS NOT NULL
        AND (tenant.changed(old_row, new_row, 'starts_at') OR tenant.changed(old_row, new_row, 'ends_at'))
        AND EXISTS (SELECT 1 FROM entry_devices ed JOIN entries en ON en.id = ed.entry_id
                     WHERE en.event_id = (new_row ->> 'id')::uuid
                       AND tenant.booked_elsewhere(ed.device_id, (new_row ->> 'organization_id')::uuid,
                             tstzrange((new_row ->> 'starts_at')::timestamptz, (new_row ->> 'ends_at')::timestamptz, '[]'))) THEN
    PERFORM tenant.deny('The new dates overlap another organization''s event that one of this event''s devices serves; a shared device serves one organization at a time.');
  ELSIF tbl IN ('entry_crew', 'entry_devices') THEN
    org := (tenant.row_orgs(tbl, new_row))[1];
    IF tbl = 'entry_crew' AND tenant.changed(old_row, new_row, 'user_id')
       AND NOT EXISTS (SELECT 1 FROM organization_users WHERE user_id = (new_row ->> 'user_id')::uuid AND organization_id = org) THEN
      PERFORM tenant.deny('user_id must name a member of the event''s organization.');
    END IF;
    IF tbl = 'entry_devices' AND tenant.changed(old_row, new_row, 'device_id')
       AND NOT EXISTS (SELECT 1 FROM organization_devices WHERE device_id = (new_row ->> 'device_id')::uuid AND organization_id = org) THEN
      PERFORM tenant.deny('device_id must name a device registered with the event''s organization.');
    END IF;
    IF tbl = 'entry_devices' AND (tenant.changed(old_row, new_row, 'device_id') OR tenant.changed(old_row, new_row, 'entry_id'))
       AND tenant.booked_elsewhere((new_row ->> 'device_id')::uuid, org,
             (SELECT tstzrange(e.starts_at, e.ends_at, '[]') FROM entries en JOIN events e ON e.id = en.event_id WHERE en.id = (new_row ->> 'entry_id')::uuid)) THEN
      PERFORM tenant.deny('device_id: the device serves another organization''s event during this event; a shared device serves one organization at a time.');
    END IF;
    IF tbl = 'entry_devices' AND jsonb_typeof(new_row -> 'assigned_user_id') = 'string'
       AND tenant.changed(old_row, new_row, 'assigned_user_id')
       AND NOT EXISTS (SELECT 1 FROM entry_crew WHERE entry_id = (new_row ->> 'entry_id')::uuid AND user_id = (new_row ->> 'assigned_user_id')::uuid) THEN
      PERFORM tenant.deny('assigned_user_id must name a crew member of the entry.');
    END IF;
  END IF;
END
$fn$;

-- The roles that may take an action on a collection in some organization; refused when there are none
-- (also asked before an update, so that a refusal comes before anything else looks at the payload).
CREATE OR REPLACE FUNCTION tenant.granted_roles(tbl text, wanted text) RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
  granted text[];
BEGIN
  SELECT array_agg(DISTINCT role ORDER BY role) INTO granted FROM tenant.rules, unnest(roles) AS role
   WHERE collection = tbl AND action = wanted;
  IF granted IS NULL THEN
    PERFORM tenant.deny(format('Only an administrator may %s %s.', CASE wanted WHEN 'update' THEN 'change' ELSE wanted END, tbl));
  END IF;
  RETURN granted;
END
$fn$;

-- The rules for one row a person writes (op: INSERT, UPDATE, DELETE). The extension calls it before a
-- delete too, so that a refused delete is answered with its sentence (Directus does not translate the
-- errors of deletes).
CREATE OR REPLACE FUNCTION tenant.assert_allowed(tbl text, op text, new_row jsonb, old_row jsonb) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
  wanted text := CASE op WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END;
  verb text := CASE op WHEN 'UPDATE' THEN 'change' ELSE wanted END;
  shared boolean := tbl IN ('vehicles', 'devices');
  granted text[];
  holders_or_org uuid[];
  mine text[];
  allowed text[];
  refused text[];
BEGIN
  granted := tenant.granted_roles(tbl, wanted);

  IF shared THEN
    holders_or_org := tenant.row_orgs(tbl, coalesce(old_row, new_row));
    IF op = 'INSERT' THEN
      IF tenant.orgs(granted) = '{}' THEN
        PERFORM tenant.deny(format('You may create %s only if you are %s of an organization.', tbl, tenant.listing(granted, 'or')));
      END IF;
    ELSIF holders_or_org = '{}' THEN
      IF (old_row ->> 'user_created')::uuid IS DISTINCT FROM tenant.person() THEN
        PERFORM tenant.deny(format('You may %s %s only of organizations where you are org-admin.', verb, tbl));
      END IF;
    ELSIF NOT holders_or_org <@ tenant.orgs(granted) THEN
      PERFORM tenant.deny(format('You may %s this %s only if you are %s of every organization that holds it; an administrator may always.',
        verb, rtrim(tbl, 's'), tenant.listing(granted, 'or')));
    END IF;
  ELSE
    holders_or_org := tenant.row_orgs(tbl, coalesce(old_row, new_row));
    mine := tenant.roles_in(holders_or_org);
    IF NOT mine && granted THEN
      PERFORM tenant.deny(format('You may %s %s only in an organization where you are %s.', verb, tbl, tenant.listing(granted, 'or')));
    END IF;
    IF op = 'UPDATE' AND tenant.row_orgs(tbl, new_row) IS DISTINCT FROM holders_or_org THEN
      PERFORM tenant.deny(format('No one moves %s to another organization.', tbl));
    END IF;
  END IF;

  IF op = 'UPDATE' AND NOT EXISTS (SELECT 1 FROM tenant.rules WHERE collection = tbl AND action = 'update'
                                      AND fields IS NULL AND (shared OR roles && mine)) THEN
    SELECT coalesce(array_agg(DISTINCT field ORDER BY field), '{}') INTO allowed
      FROM tenant.rules, unnest(fields) AS field
     WHERE collection = tbl AND action = 'update' AND (shared OR roles && mine);
    SELECT coalesce(array_agg(field), '{}') INTO refused
      FROM unnest(tenant.changed_fields(tbl, old_row, new_row)) AS field WHERE NOT field = ANY (allowed);
    IF refused <> '{}' THEN
      PERFORM tenant.deny(format('Your role in this organization lets you change only %s of %s; not %s.',
        tenant.listing(allowed, 'and'), tbl, tenant.listing(refused, 'and')));
    END IF;
  END IF;

  IF op <> 'DELETE' THEN
    PERFORM tenant.check_references(tbl, new_row, old_row);
  END IF;
END
$fn$;

-- The organizations whose event the device serves right now.
CREATE OR REPLACE FUNCTION tenant.serving_now(device uuid) RETURNS TABLE (organization uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT e.organization_id FROM entry_devices ed JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id
   WHERE ed.device_id = device AND now() BETWEEN e.starts_at AND e.ends_at
$$;

-- The organization a new command is sent on behalf of. For a person (`who`): the one named, or the
-- device's only organization where they may send commands; while an event the device serves is running,
-- only that event's organization. For Directus itself, an administrator or a
-- service (`who` NULL): the one named, or the device's organization when it has only one.
CREATE OR REPLACE FUNCTION tenant.command_organization(who uuid, device uuid, named uuid) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
  holders uuid[] := tenant.device_holders(device);
  candidates uuid[];
BEGIN
  IF who IS NULL THEN
    RETURN coalesce(named, CASE WHEN cardinality(holders) = 1 THEN holders[1] END);
  END IF;
  candidates := ARRAY(SELECT unnest(holders) INTERSECT SELECT unnest(tenant.orgs_of(who, tenant.read_roles('commands'))));
  -- While an event the device serves is running, the device is that event's organization's alone.
  IF EXISTS (SELECT 1 FROM tenant.serving_now(device)) THEN
    candidates := ARRAY(SELECT unnest(candidates) INTERSECT SELECT organization FROM tenant.serving_now(device));
  END IF;
  IF named IS NOT NULL AND named = ANY (candidates) THEN RETURN named; END IF;
  IF named IS NULL AND cardinality(candidates) = 1 THEN RETURN candidates[1]; END IF;
  IF named IS NULL AND cardinality(candidates) > 1 THEN
    PERFORM tenant.deny('This device is registered with several organizations where you may send commands: name one as organization_id.');
  END IF;
  PERFORM tenant.deny('You may send commands only to devices registered with an organization where you are org-admin, race-director or marshal.');
  RETURN NULL;
END
$fn$;

-- What a person may set when asking for a command; routing and ingestion's reports set the rest.
CREATE OR REPLACE FUNCTION tenant.command_request(command commands) RETURNS commands
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  forged text[] := array_remove(ARRAY[
    CASE WHEN command.status IS DISTINCT FROM 'queued' THEN 'status' END,
    CASE WHEN command.routed_to IS NOT NULL THEN 'routed_to' END,
    CASE WHEN command.routed_at IS NOT NULL THEN 'routed_at' END,
    CASE WHEN command.sent_at IS NOT NULL THEN 'sent_at' END,
    CASE WHEN command.acknowledged_at IS NOT NULL THEN 'acknowledged_at' END,
    CASE WHEN command.response IS NOT NULL THEN 'response' END,
    CASE WHEN command.error IS NOT NULL THEN 'error' END], NULL);
BEGIN
  IF forged <> '{}' THEN
    PERFORM tenant.deny(format('A command request sets only device_id, codec, command and organization_id; not %s.', tenant.listing(forged, 'and')));
  END IF;
  command.requested_by := tenant.person();
  command.organization_id := tenant.command_organization(tenant.person(), command.device_id, command.organization_id);
  RETURN command;
END
$fn$;

-- The trigger of every business table (012_tenant_policies.sql): a person's rows are held to the
-- rules; everyone else's pass. A command created without an organization by an administrator or a
-- service gets the device's organization when it has only one.
CREATE OR REPLACE FUNCTION tenant.enforce() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF current_user <> 'trm_person' THEN
    IF TG_TABLE_NAME = 'commands' AND TG_OP = 'INSERT' THEN
      -- Nested: a statement naming NEW.organization_id cannot be planned for the other tables.
      NEW.organization_id := tenant.command_organization(NULL, NEW.device_id, NEW.organization_id);
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_TABLE_NAME = 'commands' AND TG_OP = 'INSERT' THEN
    NEW := tenant.command_request(NEW);
  END IF;
  -- A registration holds from when it is made: positions before it are not the new holder's.
  IF TG_TABLE_NAME IN ('organization_devices', 'organization_vehicles') AND TG_OP = 'INSERT' THEN
    NEW.registered_at := now();
  END IF;
  PERFORM tenant.assert_allowed(TG_TABLE_NAME, TG_OP,
    CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END,
    CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END);
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$fn$;

-- Deleted rows and the organizations that could see them, for a short while: a subscriber learns of
-- a deletion only if it could see the row (a WebSocket delete event carries only keys).
CREATE TABLE IF NOT EXISTS tenant.deletions (
  collection    text        NOT NULL,
  item          text        NOT NULL,
  organizations uuid[]      NOT NULL,
  deleted_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collection, item)
);
CREATE INDEX IF NOT EXISTS deletions_deleted_at_idx ON tenant.deletions (deleted_at);

CREATE OR REPLACE FUNCTION tenant.remember_deletion() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
BEGIN
  DELETE FROM tenant.deletions WHERE deleted_at < now() - interval '1 hour';
  INSERT INTO tenant.deletions (collection, item, organizations)
  VALUES (TG_TABLE_NAME, OLD.id::text, tenant.row_orgs(TG_TABLE_NAME, to_jsonb(OLD)))
  ON CONFLICT (collection, item) DO UPDATE SET organizations = EXCLUDED.organizations, deleted_at = now();
  RETURN OLD;
END
$fn$;

-- The keys of deleted rows that `who` could see.
CREATE OR REPLACE FUNCTION tenant.deletions_seen_by(who uuid, tbl text, items text[]) RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT item FROM tenant.deletions
   WHERE collection = tbl AND item = ANY (items) AND organizations && tenant.orgs_of(who, tenant.read_roles(tbl))
$$;

-- Positions (not a Directus collection) are stored by IMEI, which only an administrator changes. They
-- belong, for the window of an event a device served (assigned to one of its entries), to the event's
-- organization; outside every such window, to the organizations holding the device since before the
-- window. `who` may use a window of a device, holding one of `roles` (NULL: any role) in the
-- organization it belongs to, if it lies inside an event of theirs that the device served, or the
-- device is held only by organizations of theirs, one of which registered it at or before the window's
-- start; and in either case no event of another organization that the device served overlaps the
-- window. A device that does not exist is one `who` may not use.
CREATE OR REPLACE FUNCTION tenant.may_use_positions(who uuid, device uuid, from_ts timestamptz, to_ts timestamptz, roles text[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH mine AS (SELECT tenant.orgs_of(who, roles) AS orgs),
  served AS (
    SELECT e.organization_id AS org, tstzrange(e.starts_at, e.ends_at, '[]') AS during
      FROM entry_devices ed JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id
     WHERE ed.device_id = device),
  held AS (SELECT organization_id AS org, registered_at FROM organization_devices WHERE device_id = device)
  SELECT NOT EXISTS (SELECT 1 FROM served, mine WHERE NOT served.org = ANY (mine.orgs) AND served.during && tstzrange(from_ts, to_ts, '[]'))
     AND (EXISTS (SELECT 1 FROM served, mine WHERE served.org = ANY (mine.orgs) AND served.during @> tstzrange(from_ts, to_ts, '[]'))
          OR (NOT EXISTS (SELECT 1 FROM held, mine WHERE NOT held.org = ANY (mine.orgs))
              AND EXISTS (SELECT 1 FROM held, mine WHERE held.org = ANY (mine.orgs) AND held.registered_at <= from_ts)))
$$;

-- Flagging a window faulty (POST /positions/faulty): org-admin, race-director, timekeeper.
CREATE OR REPLACE FUNCTION tenant.may_flag(who uuid, device uuid, from_ts timestamptz, to_ts timestamptz) RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT tenant.may_use_positions(who, device, from_ts, to_ts, ARRAY['org-admin', 'race-director', 'timekeeper']) $$;
