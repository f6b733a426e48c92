-- The application's database role: least privilege (docs/operations.md, "The database role").
--
--   psql -v owner=backoffice_owner -v app=backoffice_app -d backoffice -f deploy/postgres/grants.sql
--
-- `owner` owns the schema and the tables and runs the migrations (MIGRATE_DATABASE_URL); `app` is
-- what web, workers and beat log in as (DATABASE_URL). Both roles exist already (CREATE ROLE … LOGIN
-- PASSWORD …). Re-run after every release that adds tables; the default privileges below cover
-- tables the owner creates later as well. tests/production/test_stack.py runs the journey as `app`.
\set ON_ERROR_STOP on

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";

-- Read and write the rows; never TRUNCATE, never own a table (so never ALTER one or disable a
-- trigger), never create one.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";

-- The audit trail is append-only: the app may add rows and read them, nothing else (the table's
-- trigger refuses UPDATE and DELETE for every role; this refuses them before it is reached).
REVOKE UPDATE, DELETE, TRUNCATE ON backoffice_auditentry FROM :"app";
