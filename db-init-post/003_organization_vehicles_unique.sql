-- Why: organization_vehicles may hold each (organization_id, vehicle_id) once (domain.md); the snapshot format cannot say so.
SELECT db_init.add_unique_constraint('organization_vehicles', 'organization_vehicles_organization_id_vehicle_id_key', ARRAY['organization_id','vehicle_id']);
