-- Why: processor asks Directus, once per live subscription, which positions a person may watch
-- (GET /telemetry/authorize, docs/contracts/telemetry-access.md). Its answer is a list of windows per
-- device, and those windows must be exactly what tenant.may_use_positions (011) allows for reading a
-- track or flagging. So the rule is written once, here, as windows: tenant.position_windows_for(), and
-- tenant.may_use_positions() becomes "the window lies inside one of them". An event opened for public
-- live tracking (events.public_tracking) may be switched by those who change its dates.
-- The same windows also end a weakness of 011's rule: an event dated back before its organization
-- held a shared device no longer claims the device's earlier positions.
-- Idempotent: CREATE OR REPLACE, and the rules rows updated to a fixed value.

-- When a device was put on an entry: entry_devices.date_created, which Directus sets on create and
-- nobody may change (011's rules); a device changed on an assignment is assigned anew, so the stamp
-- moves with it. Fires after tenant_rules (triggers fire in name order), which has judged the change.
CREATE OR REPLACE FUNCTION tenant.stamp_device_assignment() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.date_created := now();
  RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER tenant_rules_stamp_assignment BEFORE UPDATE OF device_id ON entry_devices
  FOR EACH ROW WHEN (NEW.device_id IS DISTINCT FROM OLD.device_id) EXECUTE FUNCTION tenant.stamp_device_assignment();

-- The windows in which the organizations `orgs` own the positions of each of `devices`: for every
-- event of theirs that the device served (it was assigned to one of the event's entries), the event's
-- time since the organization held the device (its registration, or the assignment once the
-- registration is gone; an event dated back past them claims nothing earlier), less every such window
-- in which it served another organization's event; and, for a device held only by `orgs`, from its
-- earliest registration with one of them onwards, less the same. event_id is NULL for the latter.
-- Rows written without either time (by an administrator, or SQL) are not cut. Ranges are as PostgreSQL
-- computes them: an event's window is inclusive at both ends, a window cut by another organization's
-- event ends (or starts) just outside it.
CREATE OR REPLACE FUNCTION tenant.position_windows_for(orgs uuid[], devices uuid[])
RETURNS TABLE (device_id uuid, event_id uuid, during tstzrange)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH assigned AS (
    SELECT ed.device_id AS device, e.id AS event, e.organization_id AS org, tstzrange(e.starts_at, e.ends_at, '[]') AS event_time,
           least(min(ed.date_created),
                 (SELECT min(od.registered_at) FROM organization_devices od
                   WHERE od.device_id = ed.device_id AND od.organization_id = e.organization_id)) AS since
      FROM entry_devices ed JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id
     WHERE ed.device_id = ANY (devices)
     GROUP BY ed.device_id, e.id),
  served AS (
    SELECT device, event, org, event_time * tstzrange(since, NULL, '[)') AS during FROM assigned
     WHERE NOT isempty(event_time * tstzrange(since, NULL, '[)'))),
  taken AS (
    SELECT device, range_agg(during) AS ranges FROM served WHERE NOT org = ANY (orgs) GROUP BY device),
  held AS (
    SELECT od.device_id AS device,
           min(od.registered_at) FILTER (WHERE od.organization_id = ANY (orgs)) AS since,
           bool_and(od.organization_id = ANY (orgs)) AS only_theirs
      FROM organization_devices od WHERE od.device_id = ANY (devices) GROUP BY od.device_id),
  free AS (
    SELECT s.device, s.event, multirange(s.during) - coalesce(t.ranges, '{}') AS ranges
      FROM served s LEFT JOIN taken t USING (device) WHERE s.org = ANY (orgs)
    UNION ALL
    SELECT h.device, NULL::uuid, multirange(tstzrange(h.since, NULL, '[)')) - coalesce(t.ranges, '{}')
      FROM held h LEFT JOIN taken t USING (device) WHERE h.only_theirs AND h.since IS NOT NULL)
  SELECT f.device, f.event, r FROM free f, unnest(f.ranges) AS r
$$;

-- The windows of one device whose positions `who` may use, holding one of `roles` (NULL: any role).
CREATE OR REPLACE FUNCTION tenant.position_windows(who uuid, device uuid, roles text[])
RETURNS TABLE (event_id uuid, during tstzrange)
LANGUAGE sql STABLE AS $$
  SELECT w.event_id, w.during FROM tenant.position_windows_for(tenant.orgs_of(who, roles), ARRAY[device]) w
$$;

-- The same rule as 011 stated it (a window inside an event of theirs the device served, or any time
-- since they registered a device only they hold; never overlapping another organization's event the
-- device served), now derived from the windows above so that the two cannot drift apart.
CREATE OR REPLACE FUNCTION tenant.may_use_positions(who uuid, device uuid, from_ts timestamptz, to_ts timestamptz, roles text[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM tenant.position_windows(who, device, roles) w WHERE w.during @> tstzrange(from_ts, to_ts, '[]'))
$$;

-- A window as processor reads it: `from` and `to` are its first and last instant (inclusive, to the
-- microsecond), in UTC; `to` is null for a window without an end.
CREATE OR REPLACE FUNCTION tenant.window_bounds(during tstzrange) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'from', to_char((CASE WHEN lower_inc(during) THEN lower(during) ELSE lower(during) + interval '1 microsecond' END) AT TIME ZONE 'UTC',
                    'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'to', to_char((CASE WHEN upper_inc(during) THEN upper(during) ELSE upper(during) - interval '1 microsecond' END) AT TIME ZONE 'UTC',
                  'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;

-- Opening an event for public live tracking is part of running the event.
UPDATE tenant.rules SET fields = '{name,slug,discipline,starts_at,ends_at,public_tracking}'
 WHERE collection = 'events' AND action = 'update' AND roles = '{org-admin,race-director}';
