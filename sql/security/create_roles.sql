-- Database roles of the warehouse (docs/security.md). Run by ops, not by the DAG:
--     python -m ektp.admin.security create-roles
-- as a superuser (or the database owner, member of both roles), in the warehouse database.
-- Idempotent: run it again after an upgrade that adds tables. Role names are fixed and the script
-- has no values, so nothing is bound; identifiers of existing objects are quoted with format('%I').
-- PostgreSQL only (the embedded SQLite warehouse is a file: its permissions are the file's).

-- Group roles (NOLOGIN): services and people get them by membership (docs/security.md).
DO $$ BEGIN CREATE ROLE ektp_pipeline NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE ektp_analyst NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;

-- The database: the pipeline connects and creates its schemas (migrations); analysts connect.
DO $$ BEGIN EXECUTE format('GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %I TO ektp_pipeline', current_database()); EXECUTE format('GRANT CONNECT ON DATABASE %I TO ektp_analyst', current_database()); END $$;

-- The pipeline owns the three schemas and every table and view in them (so its migrations can alter them).
CREATE SCHEMA IF NOT EXISTS ektp_ingest AUTHORIZATION ektp_pipeline;
CREATE SCHEMA IF NOT EXISTS ektp_quarantine AUTHORIZATION ektp_pipeline;
CREATE SCHEMA IF NOT EXISTS ektp_coverage AUTHORIZATION ektp_pipeline;
ALTER SCHEMA ektp_ingest OWNER TO ektp_pipeline;
ALTER SCHEMA ektp_quarantine OWNER TO ektp_pipeline;
ALTER SCHEMA ektp_coverage OWNER TO ektp_pipeline;
DO $$ DECLARE t record; BEGIN FOR t IN SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN ('ektp_ingest', 'ektp_quarantine', 'ektp_coverage') LOOP EXECUTE format('ALTER TABLE %I.%I OWNER TO ektp_pipeline', t.schemaname, t.tablename); END LOOP; END $$;
-- views too: migrations replace them and comment on them, which only their owner may do
DO $$ DECLARE v record; BEGIN FOR v IN SELECT schemaname, viewname FROM pg_views WHERE schemaname IN ('ektp_ingest', 'ektp_quarantine', 'ektp_coverage') LOOP EXECUTE format('ALTER VIEW %I.%I OWNER TO ektp_pipeline', v.schemaname, v.viewname); END LOOP; END $$;

-- Nobody else reads the restricted schemas (PostgreSQL grants PUBLIC nothing on a new schema; this
-- also undoes a grant made by hand).
REVOKE ALL ON SCHEMA ektp_ingest, ektp_quarantine, ektp_coverage FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA ektp_ingest, ektp_quarantine, ektp_coverage FROM PUBLIC;
REVOKE ALL ON SCHEMA ektp_ingest, ektp_quarantine FROM ektp_analyst;
REVOKE ALL ON ALL TABLES IN SCHEMA ektp_ingest, ektp_quarantine FROM ektp_analyst;

-- Analysts: the published tables, read only.
GRANT USAGE ON SCHEMA ektp_coverage TO ektp_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA ektp_coverage TO ektp_analyst;

-- Tables created later: by the pipeline role, or by the role running this script (a pipeline that
-- still logs in as the database owner).
ALTER DEFAULT PRIVILEGES FOR ROLE ektp_pipeline IN SCHEMA ektp_coverage GRANT SELECT ON TABLES TO ektp_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA ektp_coverage GRANT SELECT ON TABLES TO ektp_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA ektp_ingest, ektp_quarantine, ektp_coverage GRANT ALL ON TABLES TO ektp_pipeline;
