-- Why: entries may hold each (event_id, race_number) once (domain.md); the snapshot format cannot say so.
SELECT db_init.add_unique_constraint('entries', 'entries_event_id_race_number_key', ARRAY['event_id','race_number']);
