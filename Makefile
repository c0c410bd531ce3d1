# The commands a person needs. `make run` starts the stack, `make test` runs what CI runs.
# With a Docker engine answering, the stack runs in containers (docker-compose.yml);
# otherwise as local processes (scripts/local-stack.sh). Force one with MODE=compose|local.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Optional overrides from .env (see .env.example); compose reads the same file.
-include .env
export
# The AWS SDK warns on every CLI run that Node 20 leaves its support (the services set this too).
AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?= true

MODE ?= $(shell docker info >/dev/null 2>&1 && echo compose || echo local)
COMPOSE := docker compose
ECOMMERCE_URL ?= http://127.0.0.1:$(or $(ECOMMERCE_PORT),8000)
PAYMENT_GATEWAY_URL ?= http://127.0.0.1:$(or $(PAYMENT_GATEWAY_PORT),8001)

.PHONY: help install build run stop logs status fixtures provision redrive reconcile smoke bench test lint \
	typecheck unit test-faults fault-figures psql psql_payments shell_ecommerce shell_payment

help: ## list the targets
	@echo "mode: $(MODE)"
	@grep -E '^[a-z_]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '!seen[$$1]++ {printf "  make %-16s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	npm ci
	@touch $@

install: node_modules/.package-lock.json ## install dependencies (npm ci) when the lock file changed

build: install ## compile TypeScript (common, ecommerce, payment_gateway)
	npm run build

ifeq ($(MODE),compose)

run: ## start everything and wait until both services are ready
	$(COMPOSE) up --detach --build --wait
	@echo
	@echo "Ready."
	@echo "  ecommerce        $(ECOMMERCE_URL)   (API docs: $(ECOMMERCE_URL)/docs)"
	@echo "  payment_gateway  $(PAYMENT_GATEWAY_URL)   (API docs: $(PAYMENT_GATEWAY_URL)/docs, queues: /admin/queues)"
	@echo "Logs: make logs    Stop: make stop    Demo data: make fixtures"

stop: ## stop the stack (data volumes are kept; `docker compose down -v` drops them)
	$(COMPOSE) down

logs: ## follow the logs
	$(COMPOSE) logs --follow --tail=50

status: ## what is running
	$(COMPOSE) ps

fixtures: ## load the demo sellers, products and users (idempotent)
	$(COMPOSE) exec ecommerce node ecommerce/dist/cli/load-fixtures.js

provision: ## resources come from deploy/fauxqs-init.json in this mode
	@echo "compose mode: the emulator creates the topic, queues and subscription from deploy/fauxqs-init.json"

redrive: ## move dead-lettered messages back to the payment gateway's queue
	$(COMPOSE) exec payment-gateway-worker node payment_gateway/dist/cli/redrive.js

reconcile: ## compare the ledger with the sales; exit 1 on drift (ARGS="--json --from D --to D")
	$(COMPOSE) exec payment-gateway-worker node payment_gateway/dist/cli/reconcile.js $(ARGS)

psql: ## psql into the ecommerce database
	$(COMPOSE) exec postgres psql -U postgres ecommerce

psql_payments: ## psql into the payments (ledger) database
	$(COMPOSE) exec postgres psql -U postgres payments

shell_ecommerce: ## a shell in the ecommerce container
	$(COMPOSE) exec ecommerce sh

shell_payment: ## a shell in the payment_gateway container
	$(COMPOSE) exec payment-gateway sh

else

run: build ## start PostgreSQL/Redis (if needed), the SNS/SQS emulator, ecommerce :8000, payment_gateway :8001
	./scripts/local-stack.sh up

stop: ## stop what `make run` started (PostgreSQL and Redis are left running)
	./scripts/local-stack.sh down

logs: ## follow the logs of the running stack
	./scripts/local-stack.sh logs

status: ## which local processes are running
	./scripts/local-stack.sh status

fixtures: build ## load the demo sellers, products and users (idempotent)
	DATABASE_URL=$${ECOMMERCE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecommerce} \
	  node ecommerce/dist/cli/load-fixtures.js

# The SNS/SQS the local commands talk to, as `make run` starts it: the emulator unless
# AWS_ENDPOINT_URL is set (empty: real AWS).
LOCAL_AWS = AWS_ENDPOINT_URL=$${AWS_ENDPOINT_URL-http://127.0.0.1:$${EMULATOR_PORT:-4566}}

provision: build ## create the SNS topic, SQS queue, DLQ and subscription (idempotent)
	$(LOCAL_AWS) \
	  node common/dist/provision-cli.js

redrive: build ## move dead-lettered messages back to the payment gateway's queue
	$(LOCAL_AWS) \
	  node payment_gateway/dist/cli/redrive.js

reconcile: build ## compare the ledger with the sales; exit 1 on drift (ARGS="--json --from D --to D")
	DATABASE_URL=$${PAYMENT_GATEWAY_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/payments} \
	ECOMMERCE_DATABASE_URL=$${ECOMMERCE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecommerce} \
	$(LOCAL_AWS) \
	  node payment_gateway/dist/cli/reconcile.js $(ARGS)

psql: ## psql into the ecommerce database
	psql "$${ECOMMERCE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecommerce}"

psql_payments: ## psql into the payments (ledger) database
	psql "$${PAYMENT_GATEWAY_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/payments}"

shell_ecommerce: build ## a Node REPL with the ecommerce config loaded as `config`
	cd ecommerce && node -i -e "const config = require('./dist/config').loadConfig(); console.log('config is loaded');"

shell_payment: build ## a Node REPL with the payment_gateway config loaded as `config`
	cd payment_gateway && node -i -e "const config = require('./dist/config').loadConfig(); console.log('config is loaded');"

endif

smoke: ## run the README walkthrough against the running stack; fails on any difference
	node scripts/smoke.mjs

bench: build ## measure purchase path, relay, drain, revenue reads and tracing overhead (~10 min; STEPS="purchase drain revenue tracing")
	npx tsx bench/run.ts $(STEPS)

lint: build ## ESLint, Prettier and the compose linter (typed rules read common's compiled types)
	npm run lint

typecheck: install ## tsc over sources and tests
	npm run typecheck

unit: install ## the Jest suites (needs PostgreSQL and Redis; starts its own emulators)
	@mkdir -p test-results
	@# A bound on the whole run: a hang fails in 15 minutes instead of holding CI for 90.
	timeout 900 npx jest --ci --json --outputFile=test-results/jest.json

test: lint typecheck unit ## lint, type-check and every test: what CI runs

# Durations and counts can be shortened for development: FAULT_GATEWAY_DB_OUTAGE_S,
# FAULT_PURCHASES, FAULT_SCALE_PURCHASES, ... (faults/*.test.ts); defaults are the issue's figures.
test-faults: build ## the fault suite: real processes, injected faults, zero drift (about 25 min)
	@mkdir -p test-results
	@rm -f test-results/faults-figures.json
	@# Bounded: a hang fails in 40 minutes, well inside CI's 90.
	timeout 2400 npx jest --config faults/jest.config.js --runInBand --ci \
	  --json --outputFile=test-results/faults.json; status=$$?; \
	  node scripts/fault-figures.mjs; exit $$status

fault-figures: ## the figures of the last fault-suite run, as README's "Guarantees" table
	@node scripts/fault-figures.mjs
