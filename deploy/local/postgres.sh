#!/usr/bin/env bash
# Local PostgreSQL for development and tests: the Debian cluster 15/main on 127.0.0.1:5432.
# Usage: deploy/local/postgres.sh up|down|status
#   up      start the cluster if needed, create pmo_admin, database pmo and the service roles and
#           schemas (idempotent: safe to run any number of times)
#   down    stop the cluster if it runs
#   status  print whether it runs and accepts connections (exit 1 when it does not)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PG_VERSION="${PMO_PG_VERSION:-15}"
PG_CLUSTER="${PMO_PG_CLUSTER:-main}"
PG_HOST=127.0.0.1
PG_PORT=5432
CONTEXTS=(portfolio metrics resources learning)
log_file="/var/log/postgresql/postgresql-${PG_VERSION}-${PG_CLUSTER}.log"

say() { echo "postgres: $*" >&2; }

cluster_running() {
    # pg_lsclusters prints "15 main 5432 online postgres ..."; any other status means down.
    pg_lsclusters --no-header 2>/dev/null \
        | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c {print $4}' \
        | grep -q '^online'
}

accepts_connections() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2; }

# Run SQL (from stdin or -c) as the postgres superuser: peer auth over the Unix socket. Only root
# can become postgres; anyone else falls back to the admin role over TCP (which then must exist).
# SQL goes through stdin, not -f, because the postgres user may not be able to read the checkout.
psql_super() {
    if [[ $(id -u) -eq 0 ]]; then
        (cd / && su postgres -c "psql -X -q -v ON_ERROR_STOP=1 -p $PG_PORT $*")
    elif [[ $(id -un) == postgres ]]; then
        # shellcheck disable=SC2086
        psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" $*
    else
        # shellcheck disable=SC2086
        PGPASSWORD="${PGPASSWORD:-pmo_admin}" psql -X -q -v ON_ERROR_STOP=1 \
            -h "$PG_HOST" -p "$PG_PORT" -U "${PGUSER:-pmo_admin}" $*
    fi
}

up() {
    if ! cluster_running; then
        if ! command -v pg_ctlcluster >/dev/null; then
            say "pg_ctlcluster not found: install PostgreSQL $PG_VERSION (apt-get install postgresql-$PG_VERSION)"
            exit 1
        fi
        say "starting cluster $PG_VERSION/$PG_CLUSTER"
        if [[ $(id -u) -eq 0 || $(id -un) == postgres ]]; then
            pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" start
        else
            say "cluster $PG_VERSION/$PG_CLUSTER is down and only root or postgres can start it:"
            say "  sudo pg_ctlcluster --skip-systemctl-redirect $PG_VERSION $PG_CLUSTER start"
            exit 1
        fi
    fi
    local deadline=$((SECONDS + 60))
    until accepts_connections; do
        if ((SECONDS > deadline)); then
            say "no connections accepted on $PG_HOST:$PG_PORT after 60 s; see $log_file"
            exit 1
        fi
        sleep 0.5
    done
    # The Debian default pg_hba.conf has "host all all 127.0.0.1/32 scram-sha-256"; say so plainly
    # if someone changed it, because every service connects over TCP with a password.
    if [[ $(id -u) -eq 0 ]]; then
        local hba
        hba="$(cd / && su postgres -c "psql -X -At -p $PG_PORT -c 'SHOW hba_file'")"
        if ! grep -Eq '^[[:space:]]*host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1/32|samehost|all|0\.0\.0\.0/0)[[:space:]]+(scram-sha-256|md5|password)' "$hba"; then
            say "$hba has no password (scram-sha-256/md5) host line for 127.0.0.1; add"
            say "  host all all 127.0.0.1/32 scram-sha-256"
            say "and reload with: pg_ctlcluster $PG_VERSION $PG_CLUSTER reload"
            exit 1
        fi
    fi
    psql_super -d postgres <"$here/postgres-init.sql"
    for ctx in "${CONTEXTS[@]}"; do
        # Provision as pmo_admin over TCP: this also proves that password auth works, and it is the
        # same path the test fixtures take in their fresh databases.
        PGUSER=pmo_admin PGPASSWORD=pmo_admin PGHOST="$PG_HOST" PGPORT="$PG_PORT" \
            "$here/pg-provision-service.sh" pmo "$ctx"
    done
    say "ready on $PG_HOST:$PG_PORT (database pmo, admin pmo_admin/pmo_admin)"
}

down() {
    if cluster_running; then
        say "stopping cluster $PG_VERSION/$PG_CLUSTER"
        pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" stop
    else
        say "cluster $PG_VERSION/$PG_CLUSTER is not running"
    fi
}

status() {
    if cluster_running && accepts_connections; then
        say "running, accepting connections on $PG_HOST:$PG_PORT"
    else
        say "not running (start it with: $0 up)"
        return 1
    fi
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *)
        echo "usage: $0 up|down|status" >&2
        exit 2
        ;;
esac
