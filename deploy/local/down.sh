#!/usr/bin/env bash
# Stop what deploy/local/up.sh started: the gateway, the services, then Kafka and PostgreSQL.
# Idempotent: anything already stopped is skipped.
#   --services-only   leave Kafka and PostgreSQL running
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/procs.sh
source "$here/procs.sh"

stop_bg gateway
for svc in learning resources metrics portfolio; do
    stop_bg "$svc"
done
if [[ ${1:-} != --services-only ]]; then
    "$here/kafka.sh" down
    "$here/postgres.sh" down
fi
