#!/usr/bin/env bash
# Start the whole platform locally: PostgreSQL, Kafka and its topics, each service's migrations,
# the services and the gateway in the background, then demo data. Idempotent: what runs is kept.
# Stop it all with deploy/local/down.sh (make down).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/procs.sh
source "$here/procs.sh"
cd "$repo"
export UV_PYTHON_DOWNLOADS=never

declare -A PORTS=([portfolio]=8001 [metrics]=8002 [resources]=8003 [learning]=8004)
GATEWAY_PORT=4000
SERVED=(portfolio metrics resources)  # the services with an API today; learning joins later

t0=$SECONDS
"$here/postgres.sh" up
"$here/kafka.sh" up
"$here/kafka.sh" topics

uv sync --quiet
for svc in "${SERVED[@]}"; do
    if [[ ! -x $repo/.venv/bin/pmo-$svc ]]; then
        say "the command pmo-$svc is not installed: services/$svc/pyproject.toml must declare it in"
        say "[project.scripts]; then run 'make install' and 'make up' again"
        exit 1
    fi
    say "migrating $svc"
    if ! uv run --no-sync "pmo-$svc" migrate >"$log_dir/$svc-migrate.log" 2>&1; then
        say "migrations of $svc failed; last lines of $log_dir/$svc-migrate.log:"
        tail -n 25 "$log_dir/$svc-migrate.log" >&2
        say "run it by hand to retry: uv run pmo-$svc migrate"
        exit 1
    fi
done

for svc in "${SERVED[@]}"; do
    start_bg "$svc" uv run --no-sync "pmo-$svc" serve
done
for svc in "${SERVED[@]}"; do
    wait_http "$svc" "http://127.0.0.1:${PORTS[$svc]}/healthz"
done

if [[ ! -f $repo/gateway/supergraph.graphql ]]; then
    say "gateway/supergraph.graphql is missing: compose it with 'make compose', then 'make up'"
    exit 1
fi
start_bg gateway uv run --no-sync pmo-gateway --supergraph gateway/supergraph.graphql \
    --port "$GATEWAY_PORT"
wait_http gateway "http://127.0.0.1:$GATEWAY_PORT/healthz"

if [[ -f $here/demo_data.py ]]; then
    say "loading demo data"
    uv run --no-sync python "$here/demo_data.py"
fi

cat <<MSG

The PMO platform is up ($((SECONDS - t0)) s).
  GraphQL gateway   http://127.0.0.1:$GATEWAY_PORT/graphql
  portfolio         http://127.0.0.1:${PORTS[portfolio]}/graphql
  metrics           http://127.0.0.1:${PORTS[metrics]}/graphql
  resources         http://127.0.0.1:${PORTS[resources]}/graphql
  PostgreSQL        postgresql://pmo_admin:pmo_admin@127.0.0.1:5432/pmo
  Kafka             127.0.0.1:9092
  logs              $log_dir/

A development token:   make token ROLE=pmo
Try it:
  TOKEN=\$(make -s token ROLE=pmo)
  curl -s http://127.0.0.1:$GATEWAY_PORT/graphql -H "Authorization: Bearer \$TOKEN" \\
       -H 'Content-Type: application/json' -d '{"query":"{ initiatives { edges { node { id } } } }"}'
Stop everything with:  make down
MSG
