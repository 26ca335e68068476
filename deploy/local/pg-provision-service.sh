#!/usr/bin/env bash
# Provision one service (role pmo_<ctx>, schema <ctx>) inside one database.
# Usage: deploy/local/pg-provision-service.sh <database> <ctx>
# Connects with libpq environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD); the defaults are
# the local admin role pmo_admin over TCP on 127.0.0.1:5432.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 <database> <ctx>   (e.g. $0 pmo portfolio)" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-pmo_admin}" PGPASSWORD="${PGPASSWORD:-pmo_admin}"
# Roles are cluster-wide: a first provisioning racing another one (a concurrent test session) can
# hit "tuple concurrently updated"; every statement is conditional, so a retry settles it.
for attempt in 1 2 3; do
    if psql -X -q -v ON_ERROR_STOP=1 -v "ctx=$2" -v "db=$1" -d "$1" \
        -f "$here/pg-provision-service.sql"; then
        exit 0
    fi
    echo "pg-provision-service: attempt $attempt for $2 in database $1 failed" >&2
    sleep "$attempt"
done
echo "pg-provision-service: could not provision $2 in database $1; see the errors above" >&2
exit 1
