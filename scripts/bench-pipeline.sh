#!/usr/bin/env bash
# End-to-end pipeline benchmark as real processes: a streaming mock broker → `brokerhub collect` → bus →
# `brokerhub archive` → database. Prints events stored per second over the measured interval, the
# collector's idle RSS (connected and subscribed, before the stream starts) and its RSS while streaming.
#
#   scripts/bench-pipeline.sh                 # Redis Streams + PostgreSQL (starts private ones with
#                                             # scripts/services.sh unless the URLs below are set)
#   scripts/bench-pipeline.sh embedded        # journal bus + SQLite (no servers)
#
# Environment:
#   BENCH_SECONDS=20         measured interval (after a 5 s warm-up)
#   BENCH_RATE=100000        records/s the mock offers (stream mode)
#   BENCH_SYMBOLS=3          symbols collected (one KIS session holds up to 41)
#   BENCH_RECORDS_PER_FRAME=20
#   BENCH_ARCHIVE_ARGS       extra `brokerhub archive` options, e.g. "--batch-size 50000 --linger-ms 500"
#   BROKERHUB_TEST_REDIS_URL, BROKERHUB_TEST_POSTGRES_URL   use these servers instead of private ones
#   BROKERHUB_BINARY         the binary (default: a release build, built if missing)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE="${1:-redis}"
SECONDS_MEASURED="${BENCH_SECONDS:-20}"
RATE="${BENCH_RATE:-100000}"
SYMBOL_COUNT="${BENCH_SYMBOLS:-3}"
PER_FRAME="${BENCH_RECORDS_PER_FRAME:-20}"

if [[ -z "${BROKERHUB_BINARY:-}" ]]; then
  swift build -c release --product brokerhub >&2
  BROKERHUB_BINARY="$(swift build -c release --show-bin-path)/brokerhub"
fi
BIN="$BROKERHUB_BINARY"

WORK="$(mktemp -d /tmp/brokerhub-bench-pipeline.XXXXXX)"
# mktemp makes it 0700: the PostgreSQL server user (services.sh runs it unprivileged) must traverse it to reach
# $WORK/services, or a fresh machine's run stops at "cannot reach … (a parent directory is not traversable)".
chmod a+x "$WORK"
PIDS=()
SERVICES=""
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "$SERVICES" ]]; then scripts/services.sh stop "$SERVICES" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

case "$MODE" in
  redis)
    if [[ -z "${BROKERHUB_TEST_REDIS_URL:-}" || -z "${BROKERHUB_TEST_POSTGRES_URL:-}" ]]; then
      SERVICES="$WORK/services"
      scripts/services.sh start "$SERVICES" >&2
      # shellcheck disable=SC1091
      source "$SERVICES/env"
    fi
    TAG="bench_$$"
    BUS="$BROKERHUB_TEST_REDIS_URL?prefix=$TAG"
    SINK="$BROKERHUB_TEST_POSTGRES_URL?schema=$TAG"
    ;;
  embedded)
    BUS="journal:$WORK/journal.sqlite"
    SINK="sqlite:$WORK/archive.sqlite"
    ;;
  *) echo "usage: $0 [redis|embedded]" >&2; exit 2 ;;
esac

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# "published stored" totals from `ledger status` (exit 1 while anything is still missing). Anchored at the
# start: the per-symbol rows further on carry the same keys.
counts() {
  { "$BIN" ledger status --bus "$BUS" --sink "$SINK" --json 2>/dev/null || true; } |
    sed -n 's/^{"complete":[a-z]*,"published":\([0-9]*\),"stored":\([0-9]*\),.*/\1 \2/p' | head -1
}
cpu_seconds() { awk '{ printf "%.1f", ($14 + $15) / 100 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
wait_for_file() { for _ in $(seq 1 300); do [[ -s "$1" ]] && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }

"$BIN" mock-broker --port 0 --always-open --write-credentials "$WORK/credentials.json" \
  --records-per-frame "$PER_FRAME" --ready-file "$WORK/mock.ready" >"$WORK/mock.log" 2>&1 &
MOCK_PID=$!
PIDS+=($MOCK_PID)
wait_for_file "$WORK/mock.ready"
MOCK="$(head -1 "$WORK/mock.ready")"

# shellcheck disable=SC2086
"$BIN" archive --bus "$BUS" --sink "$SINK" --spool "$WORK/spool" --consumer bench ${BENCH_ARCHIVE_ARGS:-} --ready-file "$WORK/archive.ready" \
  >"$WORK/archive.log" 2>&1 &
ARCHIVER_PID=$!
PIDS+=($ARCHIVER_PID)
wait_for_file "$WORK/archive.ready"

"$BIN" collect --mock "$MOCK" --mock-credentials "$WORK/credentials.json" --provider kis --universe-top "$SYMBOL_COUNT" \
  --channels ticker --bus "$BUS" --always-open >"$WORK/collect.log" 2>&1 &
COLLECTOR=$!
PIDS+=($COLLECTOR)
sleep 5
IDLE_RSS="$(rss_kib "$COLLECTOR")"

# The stream starts now (the mock's market clock alone sends a trickle).
curl -fsS -X POST "$MOCK/_mock/realtime" -d "{\"stream_rate\":$RATE,\"records_per_frame\":$PER_FRAME}" >/dev/null
sleep 5
read -r PUBLISHED_FIRST FIRST <<<"$(counts)"
CPU_FIRST="$(cpu_seconds "$MOCK_PID") $(cpu_seconds "$COLLECTOR") $(cpu_seconds "$ARCHIVER_PID")"
START="$(date +%s.%N)"
PEAK_RSS=0
for _ in $(seq 1 "$SECONDS_MEASURED"); do
  sleep 1
  now_rss="$(rss_kib "$COLLECTOR")"
  if (( now_rss > PEAK_RSS )); then PEAK_RSS=$now_rss; fi
done
read -r PUBLISHED_LAST LAST <<<"$(counts)"
END="$(date +%s.%N)"
CPU_LAST="$(cpu_seconds "$MOCK_PID") $(cpu_seconds "$COLLECTOR") $(cpu_seconds "$ARCHIVER_PID")"
curl -fsS -X POST "$MOCK/_mock/realtime" -d '{"stream_rate":0}' >/dev/null || true

awk -v mode="$MODE" -v a="$FIRST" -v b="$LAST" -v pa="$PUBLISHED_FIRST" -v pb="$PUBLISHED_LAST" -v s="$START" -v e="$END" \
    -v idle="$IDLE_RSS" -v peak="$PEAK_RSS" -v rate="$RATE" -v c0="$CPU_FIRST" -v c1="$CPU_LAST" 'BEGIN {
  split(c0, x, " "); split(c1, y, " "); t = e - s
  printf "pipeline %-8s offered %d records/s: stored %d in %.1f s = %.0f events/s end to end (published %.0f/s)\n", mode, rate, b - a, t, (b - a) / t, (pb - pa) / t
  printf "CPU share of one core: mock %.0f %%, collector %.0f %%, archiver %.0f %%\n", 100 * (y[1] - x[1]) / t, 100 * (y[2] - x[2]) / t, 100 * (y[3] - x[3]) / t
  printf "collector RSS: idle %.1f MiB, streaming peak %.1f MiB\n", idle / 1024, peak / 1024
}'
