#!/usr/bin/env bash
# The project's test command: installs system dependencies, starts a throwaway Redis, a three-master
# Redis Cluster and PostgreSQL, runs `swift build --build-tests`, the Python client compatibility check against the mock broker
# (scripts/compat.sh), `swift test --skip-build "$@"`, the Python client's pytest suite against a live hub
# (scripts/python-client.sh), the deploy files' check (scripts/deploy-check.sh), then the robustness runs — coverage-guided fuzzing of the
# parsers (scripts/fuzz.sh), schemathesis against the hub's OpenAPI document (scripts/schemathesis.sh) and a
# soak of the pipeline through a Redis restart and a PostgreSQL outage (scripts/soak.sh, SOAK_SECONDS=120) — and
# always tears the services down.
#
#   scripts/test.sh                      # everything
#   scripts/test.sh --filter RedisTests  # extra arguments go to `swift test`
#
# Environment:
#   BROKERHUB_SKIP_SWIFT=1    only install + start/check/stop the services
#   BROKERHUB_SKIP_INSTALL=1  skip scripts/install-deps.sh (no root/sudo)
#   BROKERHUB_SKIP_COMPAT=1   skip the python-kis / kiwoom-client compatibility run (scripts/compat.sh)
#   BROKERHUB_SKIP_PYTHON_CLIENT=1  skip the Python client's pytest suite (scripts/python-client.sh)
#   BROKERHUB_SKIP_ROBUSTNESS=1  skip the fuzzing, schemathesis and soak runs after the tests
#   BROKERHUB_FUZZ_SECONDS    seconds per fuzz target (default 30; scripts/fuzz.sh)
#   BROKERHUB_KEEP_TMP=1      keep the services' temp dir (data and logs) after the run
#   BROKERHUB_TEST_TMPDIR     where to make the temp dir (default /tmp; the PostgreSQL user must
#                             be able to traverse it and unix socket paths must stay short)
#   BROKERHUB_TEST_DEADLINE_MINUTES  the whole run's deadline (default 80, inside CI's 90): a build or a test
#                             run still going then is stopped (TERM, KILL a minute later), the tests that
#                             were running are named, and the script fails with 124
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '==> %s\n' "$*"; }

DEADLINE=$(( $(date +%s) + ${BROKERHUB_TEST_DEADLINE_MINUTES:-80} * 60 ))
# Seconds left before the deadline, keeping two minutes for the teardown.
remaining() {
  local left=$(( DEADLINE - $(date +%s) - 120 ))
  (( left > 60 )) && echo "$left" || echo 60
}

# Swift Testing and XCTest print a line when a test starts and one when it ends: the tests started and
# never ended are the ones running when the deadline fired.
running_tests() {
  awk '
    /^[^ ]+ Test .* started\.$/ { name = $0; sub(/^[^ ]+ Test /, "", name); sub(/ started\.$/, "", name); open[name] = 1 }
    /^[^ ]+ Test .* (passed|failed|skipped)/ { name = $0; sub(/^[^ ]+ Test /, "", name); sub(/ (passed|failed|skipped).*$/, "", name); delete open[name] }
    /^Test Case .* started\.$/ { name = $0; sub(/^Test Case /, "", name); sub(/ started\.$/, "", name); open[name] = 1 }
    /^Test Case .* (passed|failed|skipped)/ { name = $0; sub(/^Test Case /, "", name); sub(/ (passed|failed|skipped).*$/, "", name); delete open[name] }
    END { for (name in open) print "    " name }
  ' "$1"
}

step "Installing system dependencies"
scripts/install-deps.sh

WORK="$(mktemp -d "${BROKERHUB_TEST_TMPDIR:-/tmp}/brokerhub-test.XXXXXX")"

# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$?
  # Let the teardown finish even if another Ctrl-C/TERM arrives (every wait in it is bounded).
  trap '' INT TERM HUP
  trap - EXIT
  step "Stopping services"
  scripts/services.sh stop "$WORK" || true
  if [[ "${BROKERHUB_KEEP_TMP:-0}" == "1" ]]; then
    echo "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

step "Starting Redis, a Redis Cluster and PostgreSQL in $WORK"
scripts/services.sh start "$WORK"
# shellcheck disable=SC1091
source "$WORK/env"
export BROKERHUB_TEST_REDIS_URL BROKERHUB_TEST_REDIS_CLUSTER_URL BROKERHUB_TEST_POSTGRES_URL
echo "BROKERHUB_TEST_REDIS_URL=$BROKERHUB_TEST_REDIS_URL"
echo "BROKERHUB_TEST_REDIS_CLUSTER_URL=$BROKERHUB_TEST_REDIS_CLUSTER_URL"
echo "BROKERHUB_TEST_POSTGRES_URL=$BROKERHUB_TEST_POSTGRES_URL"

step "Checking services"
pong="$(timeout 10 redis-cli -u "$BROKERHUB_TEST_REDIS_URL" ping || true)"
if [[ "$pong" != "PONG" ]]; then
  echo "redis sanity check failed: got '$pong'" >&2
  exit 1
fi
one="$(PGCONNECT_TIMEOUT=10 psql -X -v ON_ERROR_STOP=1 -tA "$BROKERHUB_TEST_POSTGRES_URL" -c 'select 1' || true)"
if [[ "$one" != "1" ]]; then
  echo "postgres sanity check failed: got '$one'" >&2
  exit 1
fi
cluster_port="${BROKERHUB_TEST_REDIS_CLUSTER_URL#redis+cluster://127.0.0.1:}"
cluster_state="$(timeout 10 redis-cli -p "${cluster_port%%,*}" cluster info | tr -d '\r' | sed -n 's/^cluster_state://p' || true)"
if [[ "$cluster_state" != "ok" ]]; then
  echo "redis cluster sanity check failed: cluster_state '$cluster_state'" >&2
  exit 1
fi
echo "redis: PONG, redis cluster: ok, postgres: select 1 = 1"

if [[ "${BROKERHUB_SKIP_SWIFT:-0}" == "1" ]]; then
  step "BROKERHUB_SKIP_SWIFT=1: skipping swift build and swift test"
  exit 0
fi

# One build with testability enabled serves the compatibility run and the tests (a plain `swift build`
# followed by `swift test` would compile everything twice).
step "swift build --build-tests"
status=0
timeout --kill-after=60 "$(remaining)" swift build --build-tests || status=$?
if (( status == 124 || status == 137 )); then
  echo "error: swift build did not finish before the ${BROKERHUB_TEST_DEADLINE_MINUTES:-80}-minute deadline" >&2
  exit 124
fi
(( status == 0 )) || exit "$status"

if [[ "${BROKERHUB_SKIP_COMPAT:-0}" != "1" ]]; then
  step "compatibility: unmodified python-kis and kiwoom-client against the mock broker"
  scripts/compat.sh
fi

step "swift test $*"
status=0
# Serially: the end-to-end suites measure rate-limit timing across real processes on a small machine, and
# unrelated suites running beside them would only add scheduling noise.
log="$WORK/swift-test.log"
timeout --kill-after=60 "$(remaining)" swift test --skip-build --no-parallel "$@" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
if (( status == 124 || status == 137 )); then
  echo "error: the tests did not finish before the ${BROKERHUB_TEST_DEADLINE_MINUTES:-80}-minute deadline; still running:" >&2
  running_tests "$log" >&2
  exit 124
fi
(( status == 0 )) || exit "$status"

if [[ $# -eq 0 ]]; then
  step "deploy files (deploy/) checked against the code"
  timeout --kill-after=60 "$(remaining)" scripts/deploy-check.sh
fi

if [[ "${BROKERHUB_SKIP_PYTHON_CLIENT:-0}" != "1" && $# -eq 0 ]]; then
  step "the Python client (clients/python) against a live hub: pytest"
  timeout --kill-after=60 "$(remaining)" scripts/python-client.sh
fi

if [[ "${BROKERHUB_SKIP_ROBUSTNESS:-0}" != "1" && $# -eq 0 ]]; then
  step "robustness: coverage-guided fuzzing of the parsers"
  timeout --kill-after=60 "$(remaining)" scripts/fuzz.sh "${BROKERHUB_FUZZ_SECONDS:-30}"
  step "robustness: schemathesis against the hub's OpenAPI document, without and with API keys"
  timeout --kill-after=60 "$(remaining)" scripts/schemathesis.sh
  step "robustness: soak of the pipeline (1,000 symbols, Redis restart, PostgreSQL outage)"
  BROKERHUB_SKIP_INSTALL=1 SOAK_SECONDS="${SOAK_SECONDS:-120}" timeout --kill-after=60 "$(remaining)" scripts/soak.sh
fi
