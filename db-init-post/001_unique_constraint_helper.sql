-- Why: Directus snapshots express single-column uniqueness only, so the composite UNIQUE
-- constraints of domain.md are added here, after step 3 has created their tables. Every file
-- that adds one calls this helper, which
--   * leaves a constraint that already exists under that name alone (it may have been added
--     out of band), and
--   * before adding one, lists every group of rows that would violate it, with their ids, and
--     stops the boot with that list instead of a bare 23505 naming only the first duplicate.
-- It lives in its own schema, which Directus never reads.
CREATE SCHEMA IF NOT EXISTS db_init;

CREATE OR REPLACE FUNCTION db_init.add_unique_constraint(target regclass, constraint_name name, key_columns text[])
RETURNS void
LANGUAGE plpgsql
AS $helper$
DECLARE
  column_list text;
  not_null text;
  duplicates text[];
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = target AND conname = constraint_name) THEN
    RETURN;
  END IF;

  SELECT string_agg(quote_ident(name), ', ' ORDER BY position),
         string_agg(quote_ident(name) || ' IS NOT NULL', ' AND ' ORDER BY position)
    INTO column_list, not_null
    FROM unnest(key_columns) WITH ORDINALITY AS key(name, position);

  -- NULLs never collide under UNIQUE, so only fully non-null keys are reported.
  EXECUTE format(
    $report$
      SELECT array_agg(format('(%%s) = %%s: %%s rows, ids %%s', %L, key_values, rows, ids) ORDER BY key_values)
        FROM (SELECT ROW(%s)::text AS key_values, count(*) AS rows, string_agg(id::text, ', ' ORDER BY id::text) AS ids
                FROM %s
               WHERE %s
               GROUP BY %s
              HAVING count(*) > 1) AS groups
    $report$,
    column_list, column_list, target, not_null, column_list)
    INTO duplicates;

  IF duplicates IS NOT NULL THEN
    RAISE EXCEPTION USING
      ERRCODE = 'unique_violation',
      MESSAGE = format('%s: %s group(s) of rows share (%s), so UNIQUE constraint %s cannot be added',
                       target, cardinality(duplicates), column_list, constraint_name),
      DETAIL = array_to_string(duplicates, E'\n'),
      HINT = 'Merge or delete the duplicate rows (through Directus, so its activity log records it), then start again.';
  END IF;

  EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I UNIQUE (%s)', target, constraint_name, column_list);
END
$helper$;
