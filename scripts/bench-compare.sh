#!/usr/bin/env bash
# Side by side, in one run on this machine: each hot path of BrokerHub beside what a user would pick instead, the
# ratio, the target of the performance issue, and whether it is met. Nothing is compared with a figure from
# another run.
#
#   scripts/bench-compare.sh                  # every pair: parse hub archive pipeline
#   scripts/bench-compare.sh parse hub        # some of them
#
# Pairs:
#   parse     `brokerhub bench parse` vs python-kis 2.1.6's own H0STCNT0 parser and plain `json.loads` + field
#             extraction of the same Kiwoom messages (scripts/bench/parse_reference.py, on the very same messages)
#   hub       wrk, 32 connections: GET /v1/candles answered from the history cache vs GET /health on the same hub;
#             one connection's p99 on the cache hit
#   archive   `brokerhub bench archive` (PostgreSQL COPY path) vs `psql \copy` of the same rows into tables with
#             the same primary keys
#   pipeline  scripts/bench-pipeline.sh: stored/s end to end vs what the collector published (Redis Streams +
#             PostgreSQL) and vs the SQLite sink alone (embedded); the collector's idle RSS
#
# Environment:
#   BENCH_SECONDS=5              seconds per measurement (the pipeline measures twice as long)
#   BROKERHUB_BINARY             the binary (default: a release build, built if missing)
#   BROKERHUB_TEST_POSTGRES_URL, BROKERHUB_TEST_REDIS_URL   use these servers instead of private ones
# Needs wrk, psql, redis-server, postgresql and a Python venv with python-kis: scripts/install-deps.sh and
# `scripts/compat.sh venv` provide them (run here, idempotent).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
S="${BENCH_SECONDS:-5}"
CASES=("$@")
((${#CASES[@]} > 0)) || CASES=(parse hub archive pipeline)
for c in "${CASES[@]}"; do
  case "$c" in parse | hub | archive | pipeline) ;; *) echo "usage: $0 [parse] [hub] [archive] [pipeline]" >&2; exit 2 ;; esac
done
log() { printf 'bench-compare: %s\n' "$*" >&2; }

scripts/install-deps.sh >&2
if [[ -z "${BROKERHUB_BINARY:-}" ]]; then
  log "building the release binary (the first build takes over 20 minutes on 2 cores)"
  swift build -c release --product brokerhub >&2
  BROKERHUB_BINARY="$(swift build -c release --show-bin-path)/brokerhub"
fi
BIN="$BROKERHUB_BINARY"
export BROKERHUB_BINARY

WORK="$(mktemp -d /tmp/brokerhub-bench-compare.XXXXXX)"
chmod a+x "$WORK" # the PostgreSQL server user must traverse it (services.sh)
PIDS=()
SERVICES=""
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "$SERVICES" ]]; then scripts/services.sh stop "$SERVICES" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
TABLE="$WORK/table.jsonl" # one JSON object a pair
NOTES="$WORK/notes.md"     # lines printed under the table: figures that explain a pair
touch "$TABLE" "$NOTES"
wait_for_file() { for _ in $(seq 1 600); do [[ -s "$1" ]] && return 0; sleep 0.1; done; log "timed out waiting for $1"; exit 1; }

# pair NAME OURS REFERENCE_NAME REFERENCE UNIT TARGET_RATIO TARGET_ABSOLUTE [LOWER_IS_BETTER]
# Appends one row; a target of 0 means none. Met when ours/reference >= the ratio and ours >= the absolute figure
# (or, lower is better, ours <= it).
pair() {
  python3 - "$@" >>"$TABLE" <<'PY'
import json, sys
name, ours, ref_name, ref, unit, ratio_target, absolute_target = sys.argv[1:8]
lower = len(sys.argv) > 8 and sys.argv[8] == "lower"
ours, ref, ratio_target, absolute_target = float(ours), float(ref or 0), float(ratio_target), float(absolute_target)
ratio = ours / ref if ref > 0 else None
met = True
if ratio_target > 0:
    met = met and ratio is not None and ratio >= ratio_target
if absolute_target > 0:
    met = met and (ours <= absolute_target if lower else ours >= absolute_target)
print(json.dumps(dict(name=name, ours=ours, ref_name=ref_name, ref=ref, unit=unit, ratio=ratio,
                      ratio_target=ratio_target, absolute_target=absolute_target, lower=lower, met=met)))
PY
}

services() {
  if [[ -n "${BROKERHUB_TEST_POSTGRES_URL:-}" && -n "${BROKERHUB_TEST_REDIS_URL:-}" ]] || [[ -n "$SERVICES" ]]; then return 0; fi
  SERVICES="$WORK/services"
  scripts/services.sh start "$SERVICES" >&2
  # shellcheck disable=SC1091
  source "$SERVICES/env"
}

start_mock() {
  "$BIN" mock-broker --port 0 --always-open --write-credentials "$WORK/credentials.json" --ready-file "$WORK/mock.ready" \
    >"$WORK/mock.log" 2>&1 &
  PIDS+=($!)
  wait_for_file "$WORK/mock.ready"
  MOCK="$(head -1 "$WORK/mock.ready")"
}

run_parse() {
  log "parse: BrokerHub's parsers, then the Python references on the same messages"
  scripts/compat.sh venv >&2
  "$BIN" bench parse --seconds "$S" --write-messages "$WORK/messages" --report "$WORK/parse.json" >&2
  "$ROOT/.venv-compat/bin/python" scripts/bench/parse_reference.py --dir "$WORK/messages" --seconds "$S" >"$WORK/parse-ref.json"
  read -r kis kiwoom full < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["kis_h0stcnt0"], d["kiwoom_0b"], d["kiwoom_0b_broker_sized"])' "$WORK/parse.json")
  read -r rkis rkiwoom rfull < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["kis_h0stcnt0"], d["kiwoom_0b"], d["kiwoom_0b_broker_sized"])' "$WORK/parse-ref.json")
  pair "KIS H0STCNT0 parse, one core" "$kis" "python-kis 2.1.6 parser" "$rkis" "records/s" 100 0
  pair "Kiwoom REAL 0B parse (15 fields), one core" "$kiwoom" "Python json.loads + fields" "$rkiwoom" "records/s" 5 1000000
  pair "Kiwoom REAL 0B parse (40 fields, broker-sized)" "$full" "Python json.loads + fields" "$rfull" "records/s" 5 1000000
}

wrk_rate() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1"; }
# wrk prints "99%   1.23ms" (or us / s) under --latency; in milliseconds.
wrk_p99_ms() {
  sed -n 's/^ *99% *\([0-9.]*\)\([a-z]*\).*/\1 \2/p' "$1" | awk '{ f = ($2 == "us") ? 0.001 : (($2 == "s") ? 1000 : 1); printf "%.3f", $1 * f }'
}

run_hub() {
  log "hub: wrk against one hub over the mock (cache hit vs /health)"
  [[ -n "${MOCK:-}" ]] || start_mock
  eval "$(python3 - "$WORK/credentials.json" <<'PY'
import json, shlex, sys
keys = [k for k in json.load(open(sys.argv[1]))["keys"] if k["provider"] == "kis" and k["kind"] == "real"]
print(f"export BROKERHUB_KIS_APPKEY={shlex.quote(keys[0]['appKey'])} BROKERHUB_KIS_APPSECRET={shlex.quote(keys[0]['secret'])}")
PY
)"
  BROKERHUB_KIS_BASE_URL="$MOCK" "$BIN" serve --port 0 --data-dir "$WORK/hub" --ready-file "$WORK/hub.ready" >"$WORK/hub.log" 2>&1 &
  PIDS+=($!)
  wait_for_file "$WORK/hub.ready"
  local hub url
  hub="$(head -1 "$WORK/hub.ready")"
  url="$hub/v1/candles/005930?provider=kis&interval=1d&from=20250101&to=20250630"
  curl -fsS -o "$WORK/candles.json" "$url" # fetched from the broker once; the cache answers from now on
  curl -fsS -o /dev/null "$url"
  log "cached answer: $(wc -c <"$WORK/candles.json") bytes"
  wrk -t2 -c32 -d"${S}s" --latency "$hub/health" >"$WORK/wrk-health.txt"
  wrk -t2 -c32 -d"${S}s" --latency "$url" >"$WORK/wrk-candles.txt"
  wrk -t1 -c1 -d"${S}s" --latency "$url" >"$WORK/wrk-one.txt"
  grep -q "Non-2xx" "$WORK/wrk-candles.txt" && { cat "$WORK/wrk-candles.txt" >&2; log "the cache-hit route answered errors"; exit 1; }
  pair "GET /v1/candles cache hit, 32 connections" "$(wrk_rate "$WORK/wrk-candles.txt")" "GET /health, same hub" "$(wrk_rate "$WORK/wrk-health.txt")" "req/s" 0.30 10000
  pair "GET /v1/candles cache hit, one caller p99" "$(wrk_p99_ms "$WORK/wrk-one.txt")" "" "" "ms" 0 2 lower
}

run_archive() {
  log "archive: the PostgreSQL sink vs psql \\copy of the same rows"
  services
  "$BIN" bench archive --postgres "$BROKERHUB_TEST_POSTGRES_URL" --events 200000 --keep-schema | tee "$WORK/archive.txt" >&2
  local schema ours sqlite rows start end
  schema="$(sed -n 's/^kept schema //p' "$WORK/archive.txt")"
  ours="$(sed -n 's/^postgres copy .* = \([0-9]*\) rows\/s.*/\1/p' "$WORK/archive.txt")"
  sqlite="$(sed -n 's/^sqlite .* = \([0-9]*\) rows\/s.*/\1/p' "$WORK/archive.txt")"
  echo "$sqlite" >"$WORK/sqlite-rate"
  local psql=(env PGOPTIONS=--client-min-messages=warning psql "$BROKERHUB_TEST_POSTGRES_URL" -v ON_ERROR_STOP=1 -q -X)
  "${psql[@]}" -c "CREATE SCHEMA ${schema}_ref" \
    -c "CREATE TABLE ${schema}_ref.ticks (LIKE $schema.ticks INCLUDING ALL)" \
    -c "CREATE TABLE ${schema}_ref.order_books (LIKE $schema.order_books INCLUDING ALL)" \
    -c "\\copy (SELECT * FROM $schema.ticks) TO '$WORK/ticks.tsv'" -c "\\copy (SELECT * FROM $schema.order_books) TO '$WORK/order_books.tsv'"
  [[ "$("${psql[@]}" -tA -c "SELECT count(*) FROM pg_indexes WHERE schemaname = '${schema}_ref' AND indexdef LIKE 'CREATE UNIQUE%'")" -ge 2 ]] ||
    { log "the reference tables have no primary keys"; exit 1; }
  rows=$(($(wc -l <"$WORK/ticks.tsv") + $(wc -l <"$WORK/order_books.tsv")))
  start="$(date +%s.%N)"
  "${psql[@]}" -c "\\copy ${schema}_ref.ticks FROM '$WORK/ticks.tsv'" -c "\\copy ${schema}_ref.order_books FROM '$WORK/order_books.tsv'"
  end="$(date +%s.%N)"
  local copied floor
  copied="$(python3 -c "print($rows / ($end - $start))")"
  # The floor of the sink's own design, with no client cost: the same rows \copy'd into staging tables, then
  # INSERT … SELECT … ON CONFLICT DO NOTHING into the keyed tables (what makes a redelivered batch harmless).
  "${psql[@]}" -c "CREATE SCHEMA ${schema}_floor" \
    -c "CREATE TABLE ${schema}_floor.ticks (LIKE $schema.ticks INCLUDING ALL)" \
    -c "CREATE TABLE ${schema}_floor.order_books (LIKE $schema.order_books INCLUDING ALL)"
  start="$(date +%s.%N)"
  "${psql[@]}" -c "CREATE TEMP TABLE stage_ticks (LIKE $schema.ticks)" -c "CREATE TEMP TABLE stage_books (LIKE $schema.order_books)" \
    -c "\\copy stage_ticks FROM '$WORK/ticks.tsv'" -c "\\copy stage_books FROM '$WORK/order_books.tsv'" \
    -c "INSERT INTO ${schema}_floor.ticks SELECT * FROM stage_ticks ON CONFLICT DO NOTHING" \
    -c "INSERT INTO ${schema}_floor.order_books SELECT * FROM stage_books ON CONFLICT DO NOTHING"
  end="$(date +%s.%N)"
  floor="$(python3 -c "print($rows / ($end - $start))")"
  "${psql[@]}" -c "DROP SCHEMA $schema CASCADE" -c "DROP SCHEMA ${schema}_ref CASCADE" -c "DROP SCHEMA ${schema}_floor CASCADE"
  pair "archive sink alone, PostgreSQL (COPY path)" "$ours" "psql \\copy, same rows and keys" "$copied" "rows/s" 0.70 0
  python3 - "$floor" "$ours" >>"$NOTES" <<'PY'
import sys
floor, ours = float(sys.argv[1]), float(sys.argv[2])
print(f"- the sink's design driven by psql (\\copy into staging tables, then INSERT … SELECT … ON CONFLICT DO NOTHING):"
      f" {floor:,.0f} rows/s; the sink reaches {ours / floor * 100:.0f} % of it")
PY
}

run_pipeline() {
  log "pipeline: mock → collect → bus → archive → database, as processes"
  services
  BENCH_SECONDS=$((S * 2)) scripts/bench-pipeline.sh redis | tee "$WORK/pipeline-redis.txt" >&2
  BENCH_SECONDS=$((S * 2)) scripts/bench-pipeline.sh embedded | tee "$WORK/pipeline-embedded.txt" >&2
  local stored published idle embedded sqlite
  read -r stored published < <(sed -n 's/.*= \([0-9]*\) events\/s end to end (published \([0-9]*\)\/s).*/\1 \2/p' "$WORK/pipeline-redis.txt")
  embedded="$(sed -n 's/.*= \([0-9]*\) events\/s end to end.*/\1/p' "$WORK/pipeline-embedded.txt")"
  idle="$(sed -n 's/^collector RSS: idle \([0-9.]*\) MiB.*/\1/p' "$WORK/pipeline-redis.txt")"
  if [[ -s "$WORK/sqlite-rate" ]]; then
    sqlite="$(cat "$WORK/sqlite-rate")"
  else
    sqlite="$("$BIN" bench archive --events 200000 | sed -n 's/^sqlite .* = \([0-9]*\) rows\/s.*/\1/p')"
  fi
  pair "end to end, Redis Streams + PostgreSQL" "$stored" "collector published" "$published" "events/s" 0 50000
  pair "end to end, embedded (journal + SQLite)" "$embedded" "SQLite sink alone" "$sqlite" "events/s" 0 50000
  pair "collect idle RSS" "$idle" "" "" "MiB" 0 25 lower
}

for c in "${CASES[@]}"; do "run_$c"; done

python3 - "$TABLE" "$S" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def figure(value, unit):
    if unit in ("ms", "MiB"):
        return f"{value:,.2f} {unit}" if unit == "ms" else f"{value:,.1f} {unit}"
    return f"{value:,.0f} {unit}"
def target(row):
    parts = []
    if row["absolute_target"] > 0:
        parts.append(("≤ " if row["lower"] else "≥ ") + figure(row["absolute_target"], row["unit"]))
    if row["ratio_target"] > 0:
        parts.append(f"≥ {row['ratio_target']:g}× reference" if row["ratio_target"] >= 1 else f"≥ {row['ratio_target'] * 100:.0f} % of reference")
    return " and ".join(parts) or "—"
print()
print(f"bench-compare ({sys.argv[2]} s a measurement, one run, this machine)")
print()
print("| path | BrokerHub | reference (same run) | ratio | target | met |")
print("| --- | --- | --- | --- | --- | --- |")
for row in rows:
    reference = f"{row['ref_name']}: {figure(row['ref'], row['unit'])}" if row["ref_name"] else "—"
    ratio = f"{row['ratio']:.2f}×" if row["ratio"] is not None else "—"
    print(f"| {row['name']} | {figure(row['ours'], row['unit'])} | {reference} | {ratio} | {target(row)} | {'yes' if row['met'] else '**no**'} |")
met = sum(row["met"] for row in rows)
print()
print(f"targets met: {met} of {len(rows)}")
PY
if [[ -s "$NOTES" ]]; then
  echo
  cat "$NOTES"
fi
