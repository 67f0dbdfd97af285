-- Why: entry_devices may hold each (entry_id, device_id) once (domain.md); the snapshot format cannot say so.
SELECT db_init.add_unique_constraint('entry_devices', 'entry_devices_entry_id_device_id_key', ARRAY['entry_id','device_id']);
