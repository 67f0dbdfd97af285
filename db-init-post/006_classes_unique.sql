-- Why: classes may hold each (event_id, code) once (domain.md); the snapshot format cannot say so.
SELECT db_init.add_unique_constraint('classes', 'classes_event_id_code_key', ARRAY['event_id','code']);
