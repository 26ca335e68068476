-- Per-service provisioning inside ONE database: login role pmo_<ctx>, schema <ctx> owned by it,
-- search_path pinned to it, and no access to the public schema or other services' schemas.
-- Idempotent. Variables (psql -v): ctx (e.g. portfolio), db (the database this runs in).
-- Runs as a superuser or as a role with CREATEROLE that owns the database (pmo_admin).
-- tests/infra/endpoints.py runs the DO block below too (after setting pmo.ctx and pmo.db).
-- Each statement only runs when something is missing: roles are cluster-wide, and test sessions
-- provisioning at the same time would otherwise collide on the same catalog rows.
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
    IF NOT EXISTS (
        SELECT FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
        WHERE r.rolname = role AND s.setdatabase = 0
          AND format('search_path=%s', ctx) = ANY (s.setconfig)
    ) THEN
        EXECUTE format('ALTER ROLE %I SET search_path = %I', role, ctx);
    END IF;
    -- A CREATEROLE non-superuser may only create a schema for a role it is a member of.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, role, 'MEMBER') THEN
        EXECUTE format('GRANT %I TO %I', role, current_user);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = ctx) THEN
        EXECUTE format('CREATE SCHEMA %I AUTHORIZATION %I', ctx, role);
    ELSIF (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = ctx) <> quote_ident(role)
    THEN
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', ctx, role);
    END IF;
    -- Only the service's own role (and the admin, a member of it) may enter its schema.
    IF EXISTS (SELECT FROM pg_namespace n, aclexplode(n.nspacl) a
               WHERE n.nspname = ctx AND a.grantee = 0) THEN
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', ctx);
    END IF;
    -- The public schema is nobody's playground: services see only their own schema.
    IF EXISTS (SELECT FROM pg_namespace n, aclexplode(n.nspacl) a
               WHERE n.nspname = 'public' AND a.grantee = 0) THEN
        REVOKE CREATE, USAGE ON SCHEMA public FROM PUBLIC;
    END IF;
    -- Only the admin and the provisioned service roles may connect (a NULL acl means the
    -- defaults, which include CONNECT and TEMPORARY for PUBLIC).
    IF (SELECT datacl IS NULL FROM pg_database WHERE datname = db)
       OR EXISTS (SELECT FROM pg_database d, aclexplode(d.datacl) a
                  WHERE d.datname = db AND a.grantee = 0) THEN
        EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', db);
    END IF;
    IF NOT has_database_privilege(role, db, 'CONNECT') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', db, role);
    END IF;
END
$$;
