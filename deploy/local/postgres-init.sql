-- Cluster-wide part of the local PostgreSQL setup: the admin role and the `pmo` database.
-- Idempotent: run it as the `postgres` superuser against any database (e.g. `postgres`).
-- The per-service part lives in pg-provision-service.sql, applied once per service database.
-- Statements only write when something is missing, so concurrent runs do not collide on catalog rows.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pmo_admin') THEN
        CREATE ROLE pmo_admin LOGIN PASSWORD 'pmo_admin' CREATEDB CREATEROLE;
    ELSIF NOT (SELECT rolcanlogin AND rolcreatedb AND rolcreaterole
               FROM pg_roles WHERE rolname = 'pmo_admin') THEN
        -- Bring a hand-edited role back to the contract.
        ALTER ROLE pmo_admin LOGIN CREATEDB CREATEROLE;
    END IF;
END
$$;

-- CREATE DATABASE cannot run inside a DO block or a transaction: \gexec runs it only when missing.
SELECT 'CREATE DATABASE pmo OWNER pmo_admin'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'pmo')
\gexec
