# The commands a person needs. `make run` starts the stack, `make test` runs what CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Optional overrides from .env (see .env.example).
-include .env
export

.PHONY: help install build run stop logs status fixtures provision redrive test lint typecheck unit \
	psql psql_payments shell_ecommerce shell_payment

help: ## list the targets
	@grep -E '^[a-z_]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	npm ci
	@touch $@

install: node_modules/.package-lock.json ## install dependencies (npm ci) when the lock file changed

build: install ## compile TypeScript (common, ecommerce, payment_gateway)
	npm run build

run: build ## start PostgreSQL/Redis (if needed), the SNS/SQS emulator, ecommerce :8000, payment_gateway :8001
	./scripts/local-stack.sh up

stop: ## stop what `make run` started (the databases are left running)
	./scripts/local-stack.sh down

logs: ## follow the logs of the running stack
	./scripts/local-stack.sh logs

status: ## which local processes are running
	./scripts/local-stack.sh status

fixtures: build ## load the demo sellers, products and users (idempotent)
	PORT=$${ECOMMERCE_PORT:-8000} DATABASE_URL=$${ECOMMERCE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecommerce} \
	  node ecommerce/dist/cli/load-fixtures.js

provision: build ## create the SNS topic, SQS queue, DLQ and subscription (idempotent)
	node common/dist/provision-cli.js

redrive: build ## move dead-lettered messages back to the payment gateway's queue
	node payment_gateway/dist/cli/redrive.js

lint: build ## ESLint and Prettier (typed rules read common's compiled types)
	npm run lint

typecheck: install ## tsc over sources and tests
	npm run typecheck

unit: install ## the Jest suites alone (needs PostgreSQL and Redis; starts its own emulators)
	@mkdir -p test-results
	npx jest --ci --json --outputFile=test-results/jest.json

test: lint typecheck unit ## lint, type-check and every test: what CI runs

psql: ## psql into the ecommerce database
	psql "$${ECOMMERCE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecommerce}"

psql_payments: ## psql into the payments (ledger) database
	psql "$${PAYMENT_GATEWAY_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/payments}"

shell_ecommerce: build ## a Node REPL with the ecommerce config loaded as `config`
	cd ecommerce && node -i -e "const config = require('./dist/config').loadConfig(); console.log('config is loaded');"

shell_payment: build ## a Node REPL with the payment_gateway config loaded as `config`
	cd payment_gateway && node -i -e "const config = require('./dist/config').loadConfig(); console.log('config is loaded');"
