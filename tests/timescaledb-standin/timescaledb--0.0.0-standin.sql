-- STAND-IN for TimescaleDB, for test machines without it. It offers the calls db-init/ makes with
-- the real signatures and checks, records hypertables where timescaledb_information can show them,
-- and partitions nothing. Tests that assert hypertable behaviour run only against the real one.
\echo Use "CREATE EXTENSION timescaledb" to load this file. \quit

CREATE SCHEMA _timescaledb_standin;
CREATE SCHEMA timescaledb_information;

CREATE TABLE _timescaledb_standin.hypertable (
  relation        regclass PRIMARY KEY,
  column_name     name     NOT NULL,
  interval_length text
);

CREATE FUNCTION by_range(column_name name, partition_interval anyelement DEFAULT NULL::bigint, partition_func regproc DEFAULT NULL)
RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT column_name::text || '|' || coalesce(partition_interval::text, '') $$;

-- Like the real one: refuses a table that is already a hypertable unless if_not_exists, and a
-- unique index that leaves out the partitioning column.
CREATE FUNCTION create_hypertable(relation regclass, dimension text, create_default_indexes boolean DEFAULT true,
                                  if_not_exists boolean DEFAULT false, migrate_data boolean DEFAULT false)
RETURNS TABLE (hypertable_id integer, created boolean) LANGUAGE plpgsql AS $$
DECLARE
  col name := split_part(dimension, '|', 1);
BEGIN
  IF EXISTS (SELECT 1 FROM _timescaledb_standin.hypertable h WHERE h.relation = create_hypertable.relation) THEN
    IF if_not_exists THEN
      RAISE NOTICE 'table "%" is already a hypertable, skipping', relation;
      RETURN QUERY SELECT 1, false;
      RETURN;
    END IF;
    RAISE EXCEPTION 'table "%" is already a hypertable', relation USING ERRCODE = 'TS110';
  END IF;
  IF EXISTS (
    SELECT 1 FROM pg_index i
     WHERE i.indrelid = relation AND i.indisunique
       AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = relation AND a.attname = col AND a.attnum = ANY (i.indkey))) THEN
    RAISE EXCEPTION 'cannot create a unique index without the column "%" (used in partitioning)', col
      USING ERRCODE = 'TS103';
  END IF;
  INSERT INTO _timescaledb_standin.hypertable VALUES (relation, col, nullif(split_part(dimension, '|', 2), ''));
  RETURN QUERY SELECT 1, true;
END $$;

CREATE VIEW timescaledb_information.hypertables AS
SELECT n.nspname AS hypertable_schema, c.relname AS hypertable_name
  FROM _timescaledb_standin.hypertable h
  JOIN pg_class c ON c.oid = h.relation
  JOIN pg_namespace n ON n.oid = c.relnamespace;
