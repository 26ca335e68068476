# The developer entry points. `make` alone lists them.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never

ROLE ?= pmo
COMPOSE_DIR := gateway/compose
# In CI the lock file must already match pyproject.toml (every uv command); locally uv may update it.
ifdef CI
export UV_LOCKED := 1
endif

.PHONY: help install node-deps infra-up infra-down topics up down test lint compose bench token event-docs

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: node-deps ## Install the Python workspace (uv sync) and the gateway's npm tools
	uv sync

node-deps: ## Install the npm packages of gateway/compose (if that folder exists)
	@d=$(COMPOSE_DIR); if [[ -f $$d/package.json ]]; then \
		if [[ ! -f $$d/package-lock.json ]]; then npm install --prefix $$d --no-audit --no-fund; \
		elif [[ ! -f $$d/node_modules/.package-lock.json || $$d/package-lock.json -nt $$d/node_modules/.package-lock.json ]]; then \
			npm ci --prefix $$d --no-audit --no-fund; \
		else echo "npm packages of $$d are up to date"; fi; \
	fi

infra-up: ## Start PostgreSQL and Kafka (deploy/local; idempotent)
	deploy/local/postgres.sh up
	deploy/local/kafka.sh up

infra-down: ## Stop Kafka and PostgreSQL (idempotent)
	deploy/local/kafka.sh down
	deploy/local/postgres.sh down

topics: ## Create the Kafka topics pmo.<ctx>.events and .dlq (PMO_TOPIC_PARTITIONS, default 6)
	deploy/local/kafka.sh topics

up: install ## Start everything: infrastructure, migrations, services, gateway, demo data
	deploy/local/up.sh

down: ## Stop the gateway, the services, Kafka and PostgreSQL (idempotent)
	deploy/local/down.sh

# With PMO_DATABASE_URL / PMO_KAFKA_BOOTSTRAP set, the tests use those servers and start none here.
TEST_INFRA := $(if $(PMO_DATABASE_URL)$(PMO_KAFKA_BOOTSTRAP),,infra-up topics)

test: install $(TEST_INFRA) ## Run every test against the real PostgreSQL and Kafka
	@rc=0; uv run pytest $(PYTEST_ARGS) || rc=$$?; \
	if [[ $$rc -eq 5 ]]; then echo "make test: FAILED: pytest collected no tests (exit 5); check testpaths in pyproject.toml" >&2; fi; \
	exit $$rc

lint: ## ruff check, ruff format --check and mypy
	uv run ruff check .
	uv run ruff format --check .
	uv run mypy

compose: node-deps ## Recompose gateway/supergraph.graphql from the subgraphs' SDL
	uv run python -m pmo_gateway.compose

bench: install infra-up topics ## Run the benchmarks against same-run baselines (writes benchmarks/results.json)
	uv run python -m benchmarks $(BENCH_ARGS)

token: ## Print a development JWT: make token ROLE=pmo
	@uv run --quiet pmo-portfolio token --role $(ROLE)

event-docs: ## Re-export the event JSON Schemas (docs/events/schemas) and docs/asyncapi.yaml
	uv run python scripts/event_docs.py
