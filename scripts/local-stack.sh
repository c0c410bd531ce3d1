#!/usr/bin/env bash
# The stack as local processes (no Docker engine): PostgreSQL and Redis used if running,
# started if installed; the SNS/SQS emulator and the services in the background, their pids
# and logs under .run/. Usage: local-stack.sh up|down|logs|status
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_DIR=.run
mkdir -p "$RUN_DIR"
: "${HOST:=127.0.0.1}"
: "${EMULATOR_PORT:=4566}"
: "${AWS_ENDPOINT_URL=http://127.0.0.1:${EMULATOR_PORT}}"
: "${AWS_REGION:=us-east-1}"
: "${ECOMMERCE_PORT:=8000}"
: "${ECOMMERCE_DATABASE_URL:=postgres://postgres@127.0.0.1:5432/ecommerce}"
: "${PAYMENT_GATEWAY_PORT:=8001}"
: "${PAYMENT_GATEWAY_DATABASE_URL:=postgres://postgres@127.0.0.1:5432/payments}"
: "${REDIS_URL:=redis://127.0.0.1:6379}"
export HOST AWS_ENDPOINT_URL AWS_REGION REDIS_URL
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }

wait_for() { # name url seconds
  local name=$1 url=$2 seconds=$3
  for _ in $(seq 1 $((seconds * 5))); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  die "$name did not become ready at $url in ${seconds}s; see $RUN_DIR/$name.log"
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && return; sleep 0.2; done
  fi
  die "PostgreSQL is not running on 127.0.0.1:5432 and could not be started: install PostgreSQL 15+ (Debian: apt-get install postgresql) or run 'make run' where Docker is available"
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return; fi
  if command -v redis-server >/dev/null; then
    say "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && return; sleep 0.2; done
  fi
  die "Redis is not running on 127.0.0.1:6379 and could not be started: install Redis 7 (Debian: apt-get install redis-server)"
}

start_emulator() {
  if curl -fsS -o /dev/null "http://127.0.0.1:${EMULATOR_PORT}/health" 2>/dev/null; then
    say "SNS/SQS emulator already answering on :${EMULATOR_PORT}"
    return
  fi
  say "starting the SNS/SQS emulator on 127.0.0.1:${EMULATOR_PORT}"
  HOST=127.0.0.1 PORT=$EMULATOR_PORT nohup node scripts/sns-sqs-emulator.mjs >"$RUN_DIR/emulator.log" 2>&1 &
  echo $! >"$RUN_DIR/emulator.pid"
  wait_for emulator "http://127.0.0.1:${EMULATOR_PORT}/health" 15
}

start_service() { # name entry port database_url [VAR=value ...]
  local name=$1 entry=$2 port=$3 db=$4
  shift 4
  stop_process "$name"
  say "starting $name on ${HOST}:${port}"
  # Heap limits of deploy/node-flags (SERVICE_NODE_FLAGS overrides): see README "Performance".
  # shellcheck disable=SC2086 # several flags
  env PORT="$port" DATABASE_URL="$db" "$@" nohup node ${SERVICE_NODE_FLAGS:-$(cat deploy/node-flags)} "$entry" >"$RUN_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
}

stop_process() {
  local name=$1
  if alive "$name"; then
    local pid
    pid=$(cat "$RUN_DIR/$name.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN_DIR/$name.pid"
}

up() {
  ensure_postgres
  ensure_redis
  start_emulator
  say "provisioning topic, queues and subscription"
  node common/dist/provision-cli.js >"$RUN_DIR/provision.log" 2>&1 || die "provisioning failed; see $RUN_DIR/provision.log"
  # The dashboard (served by payment_gateway) logs sellers in at ecommerce from the browser.
  local dashboard_origins="http://${HOST}:${PAYMENT_GATEWAY_PORT},http://localhost:${PAYMENT_GATEWAY_PORT}"
  start_service ecommerce ecommerce/dist/main.js "$ECOMMERCE_PORT" "$ECOMMERCE_DATABASE_URL" \
    CORS_ORIGINS="${CORS_ORIGINS:-$dashboard_origins}"
  start_service payment_gateway payment_gateway/dist/main.js "$PAYMENT_GATEWAY_PORT" "$PAYMENT_GATEWAY_DATABASE_URL" \
    ECOMMERCE_PUBLIC_URL="${ECOMMERCE_PUBLIC_URL:-http://${HOST}:${ECOMMERCE_PORT}}"
  wait_for ecommerce "http://${HOST}:${ECOMMERCE_PORT}/ready" 60
  wait_for payment_gateway "http://${HOST}:${PAYMENT_GATEWAY_PORT}/ready" 60
  cat <<EOT

Ready.
  ecommerce        http://${HOST}:${ECOMMERCE_PORT}   (API docs: http://${HOST}:${ECOMMERCE_PORT}/docs)
  payment_gateway  http://${HOST}:${PAYMENT_GATEWAY_PORT}   (API docs: http://${HOST}:${PAYMENT_GATEWAY_PORT}/docs, queues: /admin/queues)
  seller dashboard http://${HOST}:${PAYMENT_GATEWAY_PORT}/dashboard   (after make fixtures: new_seller / seller1234)
  SNS/SQS          ${AWS_ENDPOINT_URL:-real AWS}
Logs: make logs    Stop: make stop    Demo data: make fixtures
EOT
}

down() {
  for name in ecommerce payment_gateway emulator; do
    if alive "$name"; then say "stopping $name"; fi
    stop_process "$name"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  logs) exec tail -n 50 -F "$RUN_DIR"/*.log ;;
  status) for name in emulator ecommerce payment_gateway; do alive "$name" && echo "$name: running" || echo "$name: stopped"; done ;;
  *) die "usage: $0 up|down|logs|status" ;;
esac
