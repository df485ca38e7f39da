#!/usr/bin/env bash
# Soak benchmark of the realtime pipeline as real processes: the mock broker's accelerated market for 1,000
# symbols (ticks and order books, Kiwoom: 20 sessions of 100 registrations) → `brokerhub collect` → Redis
# Streams → `brokerhub archive` → PostgreSQL, with Redis restarted at a third of the run and PostgreSQL
# stopped for 10 s at two thirds. Prints the collector's and archiver's RSS over time, then stops the
# collector, waits for the archive to catch up and compares the ledger.
#
# Fails (exit 1) when anything published is not stored (`ledger status` not complete), or when a process's
# RSS at the end of the run is more than SOAK_GROWTH_MIB above its RSS just before the first outage (after
# both recoveries a steady pipeline is back where it was).
#
#   scripts/soak.sh            # 180 s
#   SOAK_SECONDS=3600 scripts/soak.sh
#
# Environment:
#   SOAK_SECONDS=180        the run (outages at 1/3 and 2/3)
#   SOAK_SYMBOLS=1000       symbols collected (ticks and order books)
#   SOAK_MARKET_SPEED=10    the mock's market clock, × real time (order books follow it)
#   SOAK_RATE=100           ticks a second each session streams on top (the mock's stream mode; 20 sessions)
#   SOAK_GROWTH_MIB=24      the RSS growth allowed per process
#   BROKERHUB_BINARY        the binary (default: this checkout's debug build, built if missing)
#   BROKERHUB_SKIP_INSTALL=1  passed to scripts/install-deps.sh
#   BROKERHUB_KEEP_TMP=1    keep the logs (collect, archive, mock) even when the run passes
# Uses private Redis and PostgreSQL (scripts/services.sh) on free loopback ports; never a real broker.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DURATION="${SOAK_SECONDS:-180}"
SYMBOLS="${SOAK_SYMBOLS:-1000}"
SPEED="${SOAK_MARKET_SPEED:-10}"
RATE="${SOAK_RATE:-100}"
GROWTH_MIB="${SOAK_GROWTH_MIB:-24}"
PER_SESSION=100                              # Kiwoom: about 100 codes a group (reference/kiwoom.md §7)
KEYS=$(( (SYMBOLS * 2 + PER_SESSION - 1) / PER_SESSION ))

log() { printf 'soak: %s\n' "$*"; }
if [[ -z "${BROKERHUB_BINARY:-}" ]]; then
  swift build --product brokerhub >/dev/null 2>&1
  BROKERHUB_BINARY="$(swift build --show-bin-path)/brokerhub"
fi
BIN="$BROKERHUB_BINARY"
scripts/install-deps.sh >/dev/null

WORK="$(mktemp -d "${TMPDIR:-/tmp}/brokerhub-soak.XXXXXX")"
# The services' own directory (the PostgreSQL user must be able to traverse it: not inside WORK).
SERVICES="$(mktemp -d /tmp/brokerhub-soak-services.XXXXXX)"
PIDS=()
ok=0
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/services.sh stop "$SERVICES" >/dev/null 2>&1 || true
  rm -rf "$SERVICES"
  if (( ok == 1 )) && [[ "${BROKERHUB_KEEP_TMP:-0}" != "1" ]]; then rm -rf "$WORK"; else log "logs kept in $WORK"; fi
}
trap cleanup EXIT

scripts/services.sh start "$SERVICES" >"$WORK/services.log" 2>&1 || { cat "$WORK/services.log"; exit 1; }
# shellcheck disable=SC1091
source "$SERVICES/env"
BUS="$BROKERHUB_TEST_REDIS_URL?prefix=soak"
SINK="$BROKERHUB_TEST_POSTGRES_URL?schema=soak"

rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
ledger() { { "$BIN" ledger status --bus "$BUS" --sink "$SINK" --json 2>/dev/null || true; } | head -1; }
# The totals, "published stored", anchored at the start (the per-symbol rows further on carry the same keys).
totals() { sed -n 's/^{"complete":[a-z]*,"published":\([0-9]*\),"stored":\([0-9]*\),.*/\1 \2/p' <<<"$1" | head -1; }
wait_for_file() { for _ in $(seq 1 600); do [[ -s "$1" ]] && return 0; sleep 0.1; done; log "timed out waiting for $1"; exit 1; }

"$BIN" mock-broker --port 0 --always-open --market-speed "$SPEED" --keys "$KEYS" \
  --write-credentials "$WORK/credentials.json" --ready-file "$WORK/mock.ready" >"$WORK/mock.log" 2>&1 &
PIDS+=($!)
wait_for_file "$WORK/mock.ready"
MOCK="$(head -1 "$WORK/mock.ready")"

"$BIN" archive --bus "$BUS" --sink "$SINK" --spool "$WORK/spool" --consumer soak --ready-file "$WORK/archive.ready" \
  >"$WORK/archive.log" 2>&1 &
ARCHIVER=$!
PIDS+=($ARCHIVER)
wait_for_file "$WORK/archive.ready"

"$BIN" collect --mock "$MOCK" --mock-credentials "$WORK/credentials.json" --provider kiwoom --universe-top "$SYMBOLS" \
  --capacity "$PER_SESSION" --channels ticker,orderbook --bus "$BUS" --always-open >"$WORK/collect.log" 2>&1 &
COLLECTOR=$!
PIDS+=($COLLECTOR)

sleep 5
curl -fsS -X POST "$MOCK/_mock/realtime" -d "{\"stream_rate\":$RATE,\"records_per_frame\":10}" >/dev/null
log "$SYMBOLS symbols, $KEYS Kiwoom sessions streaming $RATE ticks/s each, market ×$SPEED, $DURATION s; Redis restart at $((DURATION / 3)) s, PostgreSQL stop at $((DURATION * 2 / 3)) s"
printf '%8s %14s %14s %12s %12s  %s\n' "t (s)" "collect MiB" "archive MiB" "published" "stored" "event"
start=$(date +%s)
before_collect=0 before_archive=0 redis_done=0 postgres_done=0 event=""
while :; do
  now=$(( $(date +%s) - start ))
  (( now >= DURATION )) && break
  if (( redis_done == 0 && now >= DURATION / 3 )); then
    before_collect="$(rss_mib "$COLLECTOR")"; before_archive="$(rss_mib "$ARCHIVER")"
    port="$(cat "$SERVICES/redis.port")"
    timeout 10 redis-cli -p "$port" shutdown >/dev/null 2>&1 || true   # saves the AOF, as an orderly restart does
    sleep 3
    scripts/services.sh redis-start "$SERVICES" >/dev/null 2>&1
    redis_done=1 event="Redis restarted"
  elif (( postgres_done == 0 && now >= DURATION * 2 / 3 )); then
    scripts/services.sh postgres-stop "$SERVICES" >/dev/null 2>&1
    sleep 10
    scripts/services.sh postgres-start "$SERVICES" >/dev/null 2>&1
    postgres_done=1 event="PostgreSQL stopped for 10 s"
  fi
  read -r published stored <<<"$(totals "$(ledger)")" || true
  printf '%8d %14s %14s %12s %12s  %s\n' "$now" "$(rss_mib "$COLLECTOR")" "$(rss_mib "$ARCHIVER")" "${published:--}" "${stored:--}" "$event"
  event=""
  sleep 10
done
end_collect="$(rss_mib "$COLLECTOR")"; end_archive="$(rss_mib "$ARCHIVER")"

# Stop the stream and the collector (its drain publishes what it holds), then let the archive catch up.
curl -fsS -X POST "$MOCK/_mock/realtime" -d '{"stream_rate":0}' >/dev/null || true
kill -TERM "$COLLECTOR"
wait "$COLLECTOR" 2>/dev/null || true
complete=0
for _ in $(seq 1 120); do
  json="$(ledger)"
  if [[ "$json" == '{"complete":true'* ]]; then complete=1; break; fi
  sleep 1
done
read -r published stored <<<"$(totals "$json")" || true
grow_collect="$(awk -v a="$before_collect" -v b="$end_collect" 'BEGIN { printf "%.1f", b - a }')"
grow_archive="$(awk -v a="$before_archive" -v b="$end_archive" 'BEGIN { printf "%.1f", b - a }')"
log "stored ${stored:-?} of ${published:-?} published ($( ((complete)) && echo "complete" || echo "NOT complete"))"
log "RSS before the first outage → end: collect $before_collect → $end_collect MiB ($grow_collect), archive $before_archive → $end_archive MiB ($grow_archive); allowed growth $GROWTH_MIB MiB"
failed=()
(( complete == 1 )) || failed+=("loss")
awk -v g="$grow_collect" -v l="$GROWTH_MIB" 'BEGIN { exit !(g <= l) }' || failed+=("collector growth")
awk -v g="$grow_archive" -v l="$GROWTH_MIB" 'BEGIN { exit !(g <= l) }' || failed+=("archiver growth")
if (( ${#failed[@]} > 0 )); then
  log "FAILED: ${failed[*]}"
  exit 1
fi
ok=1
log "passed: nothing lost, no growth beyond $GROWTH_MIB MiB"
