-- Why: entry_crew may hold each (entry_id, user_id) once (domain.md); the snapshot format cannot say so.
SELECT db_init.add_unique_constraint('entry_crew', 'entry_crew_entry_id_user_id_key', ARRAY['entry_id','user_id']);
