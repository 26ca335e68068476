#!/usr/bin/env bash
# First-start initialisation of the compose `postgres` container (mounted into
# /docker-entrypoint-initdb.d, so the image runs it once, on an empty data volume).
# It applies the same SQL as deploy/local: the admin role pmo_admin and the database pmo
# (postgres-init.sql), then per service a login role pmo_<ctx> limited to its schema <ctx>
# (pg-provision-service.sql). Both files are mounted read-only from deploy/local into $PMO_SQL_DIR.
#
# The image runs this while its temporary server listens on the Unix socket only, so psql
# connects without a host as the superuser ($POSTGRES_USER). No `set -u` and no `exit`: the image
# sources (rather than executes) a script that lost its executable bit, inside its own shell.
set -Eeo pipefail

sql_dir="${PMO_SQL_DIR:-/pmo-sql}"
contexts="${PMO_CONTEXTS:-portfolio metrics resources learning}"
superuser="${POSTGRES_USER:-postgres}"

echo "pmo init: admin role pmo_admin and database pmo"
psql -X -q -v ON_ERROR_STOP=1 --username "$superuser" --dbname postgres \
    -f "$sql_dir/postgres-init.sql"

for ctx in $contexts; do
    echo "pmo init: role pmo_$ctx and schema $ctx in database pmo"
    psql -X -q -v ON_ERROR_STOP=1 --username "$superuser" --dbname pmo \
        -v "ctx=$ctx" -v db=pmo -f "$sql_dir/pg-provision-service.sql"
done
