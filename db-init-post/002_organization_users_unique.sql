-- Why: organization_users may hold each (organization_id, user_id) once (domain.md); the snapshot format cannot say so.
SELECT db_init.add_unique_constraint('organization_users', 'organization_users_organization_id_user_id_key', ARRAY['organization_id','user_id']);
