#!/usr/bin/env bash
# What an idle `brokerhub collect` holds in memory: starts the mock broker and a collector on the embedded
# journal bus (3 KIS symbols, ticks), reads /proc/PID/status after 5 and 15 s and prints RSS split into
# anonymous and file-backed pages, then the mappings that hold the most (from /proc/PID/smaps).
#
#   scripts/bench-rss.sh                    # the release binary (built if missing)
#   scripts/bench-rss.sh path/to/brokerhub  # another build, e.g. --static-swift-stdlib
#   RUNS=3 scripts/bench-rss.sh             # several runs (default 1)
#
# Never contacts a real broker: the collector talks to the mock on 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN="${1:-}"
if [[ -z "$BIN" ]]; then
  BIN="$(swift build -c release --show-bin-path)/brokerhub"
  [[ -x "$BIN" ]] || swift build -c release --product brokerhub >&2
fi
[[ -x "$BIN" ]] || { echo "bench-rss: no executable at $BIN" >&2; exit 2; }
RUNS="${RUNS:-1}"

WORK="$(mktemp -d /tmp/brokerhub-rss.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_for_file() { for _ in $(seq 1 300); do [[ -s "$1" ]] && return 0; sleep 0.1; done; echo "bench-rss: timed out waiting for $1" >&2; exit 1; }
status() { awk '/^VmRSS:|^RssAnon:|^RssFile:/ { v[$1] = $2 / 1024 } END { printf "VmRSS %.1f MiB (anonymous %.1f, file-backed %.1f)", v["VmRSS:"], v["RssAnon:"], v["RssFile:"] }' "/proc/$1/status"; }

"$BIN" mock-broker --port 0 --always-open --write-credentials "$WORK/credentials.json" --ready-file "$WORK/mock.ready" \
  >"$WORK/mock.log" 2>&1 &
PIDS+=($!)
wait_for_file "$WORK/mock.ready"
MOCK="$(head -1 "$WORK/mock.ready")"

echo "collect idle RSS ($BIN):"
for run in $(seq 1 "$RUNS"); do
  rm -f "$WORK"/journal.sqlite*
  "$BIN" collect --mock "$MOCK" --mock-credentials "$WORK/credentials.json" --provider kis --universe-top 3 \
    --channels ticker --bus "journal:$WORK/journal.sqlite" --always-open >"$WORK/collect.log" 2>&1 &
  collector=$!
  PIDS+=("$collector")
  sleep 5
  five="$(status "$collector")"
  sleep 10
  kill -0 "$collector" 2>/dev/null || { cat "$WORK/collect.log" >&2; echo "bench-rss: the collector exited" >&2; exit 1; }
  echo "  run $run: after 5 s $five; after 15 s $(status "$collector")"
  if [[ "$run" == "$RUNS" ]]; then
    echo "mappings holding the most (run $run, KiB):"
    awk '
      /^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6 ? $6 : "[anon]"); sub(/.*\//, "", name) }
      /^Rss:/ { rss[name] += $2 }
      /^Anonymous:/ { anon[name] += $2 }
      END { for (n in rss) if (rss[n] > 0) printf "%8d %8d  %s\n", rss[n], anon[n], n }
    ' "/proc/$collector/smaps" | sort -rn | head -15 | awk 'BEGIN { printf "%8s %8s  %s\n", "rss", "anon", "mapping" } { print }'
    echo "threads: $(ls "/proc/$collector/task" | wc -l)"
  fi
  kill "$collector" 2>/dev/null || true
  wait "$collector" 2>/dev/null || true
done
