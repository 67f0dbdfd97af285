-- Why: events may hold each (organization_id, slug) once (domain.md); the snapshot format cannot say so.
SELECT db_init.add_unique_constraint('events', 'events_organization_id_slug_key', ARRAY['organization_id','slug']);
