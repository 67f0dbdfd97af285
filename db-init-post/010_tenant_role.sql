-- Why: organizations are competitors, and tenant isolation is held by PostgreSQL itself (row-level
-- security, 012_tenant_policies.sql), so that every surface Directus offers (nested reads, filters,
-- counts, aggregates, GraphQL, subscriptions, exports) is narrowed by the same rules. Directus runs
-- each statement of a person's request as the role trm_person with the person's id in the setting
-- trm.user_id (extensions/platform/src/tenant-scope/session.ts); administrators, service accounts and
-- Directus's own work run as the connecting user, which owns the tables and is not narrowed.
-- Roles are cluster-wide: creating trm_person needs CREATEROLE (or a superuser) once per cluster; an
-- operator without it creates the role and the membership by hand (docs/security.md), and this file
-- then only checks them. Idempotent: every object is created only when missing.
DO $role$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trm_person') THEN
    BEGIN
      CREATE ROLE trm_person NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another database of this cluster created it at the same moment
    END;
  END IF;
  IF NOT pg_has_role(current_user, 'trm_person', 'MEMBER') THEN
    EXECUTE format('GRANT trm_person TO %I', current_user);
  END IF;
END
$role$;

-- A person's statements read and write Directus's own tables too (activity, revisions, sessions) within
-- the same transaction, so the role gets what the connecting user has on the tables of this database;
-- row-level security narrows the business tables. Tables Directus creates later get the same.
GRANT USAGE ON SCHEMA public TO trm_person;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO trm_person;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO trm_person;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO trm_person;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO trm_person;
