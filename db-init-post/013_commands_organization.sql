-- Why: a command is sent on behalf of one organization and is read by those who may send commands
-- there (012_tenant_policies.sql); commands.organization_id records it. Commands stored before the
-- column existed get their device's organization when the device has exactly one; the others stay
-- without one and are visible to administrators and the service accounts only.
-- Idempotent: only rows without an organization are touched.
UPDATE commands AS c
   SET organization_id = held.organization_id
  FROM (SELECT device_id, (array_agg(organization_id))[1] AS organization_id
          FROM organization_devices GROUP BY device_id HAVING count(*) = 1) AS held
 WHERE c.organization_id IS NULL AND held.device_id = c.device_id;
