-- Why: organization_devices may hold each (organization_id, device_id) once (domain.md); the snapshot format cannot say so.
SELECT db_init.add_unique_constraint('organization_devices', 'organization_devices_organization_id_device_id_key', ARRAY['organization_id','device_id']);
