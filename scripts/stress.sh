#!/usr/bin/env bash
# Issue #19's outage stress set, run N times (default 10) on a Redis and PostgreSQL of its own: PostgreSQL
# stopped/started 5×, Redis restarted 5× under pipeline and hub load, concurrent bus reads and acks, TCP cuts
# through a proxy, the sink under pg_terminate_backend, and the two tests that first showed the stalls.
# Prints each run's result and "passed K of N"; exits 1 unless every run passed. Logs stay in the printed
# directory.
#
#   scripts/stress.sh        # 10 runs
#   scripts/stress.sh 3      # 3 runs
#
# Environment: BROKERHUB_SKIP_INSTALL=1 skips scripts/install-deps.sh; BROKERHUB_SKIP_BUILD=1 reuses the build;
# BROKERHUB_STRESS_BIN=DIR runs DIR/BrokerHubPackageTests.xctest and DIR/brokerhub (copies of a debug build),
# so that the tree can be rebuilt while the runs go on.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs="${1:-10}"
filter='OutageStressTests|SinkOutageTests|fiveRedisRestartsUnderHubLoad|noAcceptedJobIsLostAcrossARedisRestart|postgresStoppedForTwentySeconds'

[[ "${BROKERHUB_SKIP_INSTALL:-0}" == "1" ]] || scripts/install-deps.sh
WORK="$(mktemp -d "${BROKERHUB_TEST_TMPDIR:-/tmp}/brokerhub-stress.XXXXXX")"
cleanup() {
  local rc=$?
  trap '' INT TERM HUP
  scripts/services.sh stop "$WORK" >/dev/null 2>&1 || true
  echo "logs: $WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


scripts/services.sh start "$WORK"
# shellcheck disable=SC1091
source "$WORK/env"
export BROKERHUB_TEST_REDIS_URL BROKERHUB_TEST_POSTGRES_URL
bin="${BROKERHUB_STRESS_BIN:-}"
if [[ -z "$bin" ]]; then
  [[ "${BROKERHUB_SKIP_BUILD:-0}" == "1" ]] || swift build --build-tests
fi
run_set() {
  if [[ -n "$bin" ]]; then
    BROKERHUB_BINARY="$bin/brokerhub" timeout --kill-after=60 1800 "$bin/BrokerHubPackageTests.xctest" --testing-library swift-testing --no-parallel --filter "$filter"
  else
    timeout --kill-after=60 1800 swift test --skip-build --no-parallel --filter "$filter"
  fi
}

passed=0
for run in $(seq 1 "$runs"); do
  log="$WORK/run-$run.log"
  started=$(date +%s)
  if run_set >"$log" 2>&1; then
    passed=$((passed + 1))
    result=passed
  else
    result="FAILED (see $log)"
  fi
  echo "run $run of $runs: $result in $(( $(date +%s) - started )) s"
  grep -E '^✘|^stress: .*(published|ready after)' "$log" | sed 's/^/    /' | head -20 || true
done
echo "passed $passed of $runs"
(( passed == runs ))
