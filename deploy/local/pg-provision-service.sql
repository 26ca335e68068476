-- Per-service provisioning inside ONE database: login role pmo_<ctx>, schema <ctx> owned by it,
-- search_path pinned to it, and no access to the public schema or other services' schemas.
-- Idempotent. Variables (psql -v): ctx (e.g. portfolio), db (the database this runs in).
-- Runs as a superuser or as a role with CREATEROLE that owns the database (pmo_admin).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT set_config('pmo.ctx', :'ctx', false), set_config('pmo.db', :'db', false) \g /dev/null

DO $$
DECLARE
    ctx  text := current_setting('pmo.ctx');
    db   text := current_setting('pmo.db');
    role text := 'pmo_' || ctx;
BEGIN
    IF ctx !~ '^[a-z][a-z0-9_]*$' THEN
        RAISE EXCEPTION 'invalid context name %: use lower-case letters, digits and _', ctx;
    END IF;
    IF db <> current_database() THEN
        RAISE EXCEPTION 'connected to %, but db=% was passed: connect to the database to provision',
            current_database(), db;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role) THEN
        EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', role, role);
    END IF;
    EXECUTE format('ALTER ROLE %I SET search_path = %I', role, ctx);
    -- A CREATEROLE non-superuser may only grant membership/ownership of roles it administers;
    -- granting the service role to the current user lets it create the schema on its behalf.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, role, 'MEMBER') THEN
        EXECUTE format('GRANT %I TO %I', role, current_user);
    END IF;
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', ctx, role);
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', ctx, role);
    -- Only the service's own role (and the admin) may enter its schema.
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', ctx);
    -- The public schema is nobody's playground: services see only their own schema.
    REVOKE CREATE, USAGE ON SCHEMA public FROM PUBLIC;
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', db);
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', db, role);
END
$$;
