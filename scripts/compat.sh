#!/usr/bin/env bash
# Compatibility acceptance test for the mock broker: the real, UNMODIFIED PyPI clients
# python-kis 2.1.6 and kiwoom-client 0.4.0 run against it (see docs/research/python-clients.md).
#
#   scripts/compat.sh                 # both referees
#   scripts/compat.sh kis             # only Tests/Compatibility/kis_referee.py
#   scripts/compat.sh kiwoom          # only Tests/Compatibility/kiwoom_referee.py
#   scripts/compat.sh kis-proxy       # python-kis instances at once through `brokerhub serve`'s proxy
#   scripts/compat.sh gateway         # python-kis and kiwoom-client realtime instances at once through the hub's
#                                     # realtime gateway (one broker session per key)
#   scripts/compat.sh venv            # only make .venv-compat with the pinned clients (scripts/bench-compare.sh)
#
# Steps: makes (once) a virtualenv at .venv-compat, installs the two clients there unless they are
# already at the pinned versions, gets a mock broker (start_mock), runs the referees, stops the mock
# (stop_mock). Exits 0 only if every referee passed; the last line reads "compat: referees passed N of M".
#
# Environment (read by the referees; start_mock must leave them set):
#   BROKERHUB_MOCK_URL        http://127.0.0.1:PORT  one port: KIS REST, Kiwoom REST, KIS WS (any path),
#                             Kiwoom WS (/api/dostk/websocket)
#   BROKERHUB_MOCK_WS_URL     ws://127.0.0.1:PORT    (default: derived from BROKERHUB_MOCK_URL)
#   KIS_APPKEY (36 chars)  KIS_APPSECRET (180 chars)  KIS_ACCOUNT (e.g. 50000000-01)  KIS_HTS_ID
#   KIWOOM_APPKEY  KIWOOM_SECRETKEY
#   SYMBOL                    default 005930
#   BROKERHUB_COMPAT_PYTHON   interpreter used to create the venv (default python3; needs >= 3.10)
#   BROKERHUB_SKIP_INSTALL=1  passed through to scripts/install-deps.sh (skips system packages)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv-compat"
PYTHON="${BROKERHUB_COMPAT_PYTHON:-python3}"
PINNED=("python-kis==2.1.6" "kiwoom-client==0.4.0")
REFEREE_DIR="$ROOT/Tests/Compatibility"

log() { printf 'compat: %s\n' "$*"; }
die() { printf 'compat: error: %s\n' "$*" >&2; exit 2; }

# ------------------------------------------------------------------------------------------------
# Mock broker lifecycle: unless BROKERHUB_MOCK_URL names a running mock, start `brokerhub mock-broker`
# on a free loopback port (market held open, so ticks flow at any hour), wait until it listens, and
# export its address and generated credentials. stop_mock stops exactly that process.
# ------------------------------------------------------------------------------------------------
MOCK_PID=""
MOCK_DIR=""

start_mock() {
  if [[ -n "${BROKERHUB_MOCK_URL:-}" ]]; then
    log "using the running mock at $BROKERHUB_MOCK_URL"
    return 0
  fi
  local bin
  bin="$(swift build --show-bin-path)/brokerhub"
  if [[ ! -x "$bin" ]]; then
    log "building brokerhub"
    swift build --product brokerhub >/dev/null
  fi
  MOCK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/brokerhub-compat.XXXXXX")"
  # --kis-tick-fields 46: KIS has sent 47 fields per H0STCNT0 record (MARKET_CLS_CODE last) since 2026-09-14, and
  # BrokerHub's own parser takes both; python-kis 2.1.6 was written for 46 and rejects every 47-field frame, so the
  # unmodified client is checked against the layout it knows (reference/kis.md, section 7).
  log "mock broker sends 46-field H0STCNT0 records: python-kis 2.1.6 rejects KIS's 47-field layout of 2026-09-14"
  "$bin" mock-broker --port 0 --always-open --market-speed 5 --ping-interval 5 --kis-tick-fields 46 \
    --write-credentials "$MOCK_DIR/credentials.json" --ready-file "$MOCK_DIR/ready" >"$MOCK_DIR/mock.log" 2>&1 &
  MOCK_PID=$!
  local waited=0
  until [[ -s "$MOCK_DIR/ready" ]]; do
    if ! kill -0 "$MOCK_PID" 2>/dev/null; then
      cat "$MOCK_DIR/mock.log" >&2
      die "the mock broker exited before listening"
    fi
    ((waited++ < 600)) || die "the mock broker did not start within 60 s"
    sleep 0.1
  done
  BROKERHUB_MOCK_URL="$(head -n 1 "$MOCK_DIR/ready")"
  eval "$(python3 - "$MOCK_DIR/credentials.json" <<'PY'
import json, shlex, sys
keys = json.load(open(sys.argv[1]))["keys"]
kis = next(k for k in keys if k["provider"] == "kis" and k["kind"] == "real")
kiwoom = next(k for k in keys if k["provider"] == "kiwoom")
for name, value in [("KIS_APPKEY", kis["appKey"]), ("KIS_APPSECRET", kis["secret"]),
                    ("KIWOOM_APPKEY", kiwoom["appKey"]), ("KIWOOM_SECRETKEY", kiwoom["secret"])]:
    print(f"export {name}={shlex.quote(value)}")
PY
)"
  export BROKERHUB_MOCK_URL KIS_ACCOUNT="${KIS_ACCOUNT:-50000000-01}" KIS_HTS_ID="${KIS_HTS_ID:-mockuser}"
  log "started mock broker (pid $MOCK_PID) at $BROKERHUB_MOCK_URL"
}

stop_mock() {
  if [[ -n "$HUB_PID" ]] && kill -0 "$HUB_PID" 2>/dev/null; then
    kill -TERM "$HUB_PID" 2>/dev/null || true
    wait "$HUB_PID" 2>/dev/null || true
  fi
  if [[ -n "$MOCK_PID" ]] && kill -0 "$MOCK_PID" 2>/dev/null; then
    kill -TERM "$MOCK_PID" 2>/dev/null || true
    wait "$MOCK_PID" 2>/dev/null || true
  fi
  if [[ -n "$MOCK_DIR" ]]; then
    rm -rf "$MOCK_DIR"
  fi
}

# ------------------------------------------------------------------------------------------------
venv_usable() {
  [[ -x "$VENV/bin/python" ]] &&
    "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null
}

ensure_venv() {
  if venv_usable; then
    return 0
  fi
  # System packages (python3-venv among them) come from the project's installer, if present.
  if [[ -x "$ROOT/scripts/install-deps.sh" ]]; then
    "$ROOT/scripts/install-deps.sh"
  fi
  command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set BROKERHUB_COMPAT_PYTHON)"
  "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' ||
    die "$PYTHON is older than 3.10; python-kis 2.1.6 and kiwoom-client 0.4.0 need >= 3.10"
  log "creating virtualenv $VENV with $("$PYTHON" --version 2>&1)"
  rm -rf "$VENV"
  if ! "$PYTHON" -m venv "$VENV"; then
    rm -rf "$VENV"
    die "'$PYTHON -m venv' failed (is python3-venv installed?)"
  fi
}

clients_pinned() {
  "$VENV/bin/python" - "${PINNED[@]}" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import PackageNotFoundError, version
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
import pykis, kiwoom_client  # noqa: E401,F401  (importable, dependencies present)
EOF
}

ensure_clients() {
  if clients_pinned; then
    log "python-kis 2.1.6 and kiwoom-client 0.4.0 already installed in $VENV"
    return 0
  fi
  log "installing ${PINNED[*]} into $VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q "${PINNED[@]}"
  clients_pinned || die "pinned clients still not importable after pip install"
}

# ------------------------------------------------------------------------------------------------
# The proxy check: `brokerhub serve` over the mock (with its own KIS key), then PROXY_CLIENTS unmodified
# python-kis instances at once through the hub's broker-native proxy. They must all succeed while the
# mock sees exactly one token issuance and no rate-limit violation for that key.
PROXY_CLIENTS="${BROKERHUB_PROXY_CLIENTS:-4}"
HUB_PID=""

mock_kis_stat() { # $1: field of the mock's kis stats
  python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/_mock/stats"))["kis"][sys.argv[2]])' "$BROKERHUB_MOCK_URL" "$1"
}

# Starts `brokerhub serve` over the mock with the second real KIS key and the first Kiwoom key (the direct referees
# use the first KIS key) and any extra VAR=value given; sets HUB_URL. stop_hub stops it.
HUB_URL=""
start_hub() {
  [[ -n "$MOCK_DIR" ]] || { log "the hub checks need the mock started by this script"; return 1; }
  local bin hub_dir
  bin="$(swift build --show-bin-path)/brokerhub"
  hub_dir="$MOCK_DIR/hub"
  # The data directory is kept from one hub run to the next, as a deployment keeps it: the hub's KIS token is issued
  # once (a second issuance within a minute is refused with EGW00133, and the clients' calls would wait it out).
  mkdir -p "$hub_dir"
  rm -f "$hub_dir/ready"
  local keys
  keys="$(python3 - "$MOCK_DIR/credentials.json" <<'PY'
import json, shlex, sys
keys = json.load(open(sys.argv[1]))["keys"]
kis = [k for k in keys if k["provider"] == "kis" and k["kind"] == "real"][1]
kiwoom = [k for k in keys if k["provider"] == "kiwoom"][0]
print(f"BROKERHUB_KIS_APPKEY={shlex.quote(kis['appKey'])} BROKERHUB_KIS_APPSECRET={shlex.quote(kis['secret'])} "
      f"BROKERHUB_KIWOOM_APPKEY={shlex.quote(kiwoom['appKey'])} BROKERHUB_KIWOOM_SECRETKEY={shlex.quote(kiwoom['secret'])}")
PY
)"
  # shellcheck disable=SC2086
  env $keys BROKERHUB_KIS_BASE_URL="$BROKERHUB_MOCK_URL" BROKERHUB_KIWOOM_BASE_URL="$BROKERHUB_MOCK_URL" "$@" \
    "$bin" serve --port 0 --data-dir "$hub_dir/data" --ready-file "$hub_dir/ready" >"$hub_dir/hub.log" 2>&1 &
  HUB_PID=$!
  local waited=0
  until [[ -s "$hub_dir/ready" ]]; do
    kill -0 "$HUB_PID" 2>/dev/null || { cat "$hub_dir/hub.log" >&2; log "the hub exited before listening"; return 1; }
    ((waited++ < 600)) || { log "the hub did not start within 60 s"; return 1; }
    sleep 0.1
  done
  HUB_URL="$(head -n 1 "$hub_dir/ready")"
}

stop_hub() {
  [[ -n "$HUB_PID" ]] || return 0
  kill -TERM "$HUB_PID" 2>/dev/null || true
  wait "$HUB_PID" 2>/dev/null || true
  HUB_PID=""
}

mock_stat() { # $1: provider, $2: field of the mock's stats
  python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/_mock/stats"))[sys.argv[2]][sys.argv[3]])' "$BROKERHUB_MOCK_URL" "$1" "$2"
}

run_proxy_referees() {
  local tokens_before violations_before pids=() ok=0
  start_hub || return 1
  local hub_dir="$MOCK_DIR/hub"
  tokens_before="$(mock_kis_stat tokens_issued)"
  violations_before="$(mock_kis_stat rate_limit_violations)"
  log "running $PROXY_CLIENTS python-kis instances at once through the hub proxy $HUB_URL"
  for ((i = 0; i < PROXY_CLIENTS; i++)); do
    BROKERHUB_MOCK_URL="$HUB_URL" KIS_REFEREE_REALTIME=0 "$VENV/bin/python" "$REFEREE_DIR/kis_referee.py" >"$hub_dir/client$i.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" && ok=$((ok + 1)); done
  local tokens=$(($(mock_kis_stat tokens_issued) - tokens_before))
  local violations=$(($(mock_kis_stat rate_limit_violations) - violations_before))
  log "kis-proxy: $ok of $PROXY_CLIENTS clients succeeded; broker saw $tokens token issuance(s), $violations violation(s)"
  stop_hub
  if ((ok != PROXY_CLIENTS)); then tail -n 3 "$hub_dir"/client*.log >&2; fi
  ((ok == PROXY_CLIENTS && tokens == 1 && violations == 0))
}

# The realtime gateway check: the hub with BROKERHUB_GATEWAY=kis,kiwoom over the mock, then GATEWAY_CLIENTS unmodified
# python-kis instances (REST through the proxy, ticks through the hub's KIS WebSocket) and as many kiwoom-client
# instances (REST and WebSocket through the hub) at once. All must pass while the mock sees exactly one new
# realtime session per provider — the hub's — however many clients subscribe.
GATEWAY_CLIENTS="${BROKERHUB_GATEWAY_CLIENTS:-3}"

run_gateway_referees() {
  local pids=() ok=0 kis_before kiwoom_before
  kis_before="$(mock_stat kis ws_sessions_total)"
  kiwoom_before="$(mock_stat kiwoom ws_sessions_total)"
  start_hub BROKERHUB_GATEWAY=kis,kiwoom BROKERHUB_KIS_WS_URL="$BROKERHUB_MOCK_WS_URL/tryitout" \
    BROKERHUB_KIWOOM_WS_URL="$BROKERHUB_MOCK_WS_URL/api/dostk/websocket" || return 1
  local hub_dir="$MOCK_DIR/hub"
  log "running $GATEWAY_CLIENTS python-kis and $GATEWAY_CLIENTS kiwoom-client realtime instances at once through the hub's gateway $HUB_URL"
  for ((i = 0; i < GATEWAY_CLIENTS; i++)); do
    BROKERHUB_MOCK_URL="$HUB_URL" BROKERHUB_MOCK_WS_URL="ws://${HUB_URL#http://}" \
      "$VENV/bin/python" "$REFEREE_DIR/kis_referee.py" >"$hub_dir/kis$i.log" 2>&1 &
    pids+=($!)
    BROKERHUB_MOCK_URL="$HUB_URL" BROKERHUB_MOCK_WS_URL="ws://${HUB_URL#http://}" KIWOOM_REFEREE_WS=1 \
      "$VENV/bin/python" "$REFEREE_DIR/kiwoom_referee.py" >"$hub_dir/kiwoom$i.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" && ok=$((ok + 1)); done
  local kis_sessions=$(($(mock_stat kis ws_sessions_total) - kis_before))
  local kiwoom_sessions=$(($(mock_stat kiwoom ws_sessions_total) - kiwoom_before))
  log "gateway: $ok of $((2 * GATEWAY_CLIENTS)) clients succeeded; the broker saw $kis_sessions KIS and $kiwoom_sessions Kiwoom realtime session(s)"
  stop_hub
  if ((ok != 2 * GATEWAY_CLIENTS)); then tail -n 5 "$hub_dir"/kis*.log "$hub_dir"/kiwoom*.log >&2; tail -n 20 "$hub_dir/hub.log" >&2; fi
  ((ok == 2 * GATEWAY_CLIENTS && kis_sessions == 1 && kiwoom_sessions == 1))
}

if [[ "${1:-}" == "venv" ]]; then
  ensure_venv
  ensure_clients
  exit 0
fi

referees=("$@")
if ((${#referees[@]} == 0)); then
  referees=(kis kiwoom kis-proxy gateway)
fi
for r in "${referees[@]}"; do
  [[ "$r" == "kis-proxy" || "$r" == "gateway" || -f "$REFEREE_DIR/${r}_referee.py" ]] || die "unknown referee '$r' (expected kis, kiwoom, kis-proxy or gateway)"
done

ensure_venv
ensure_clients

trap stop_mock EXIT
start_mock

BROKERHUB_MOCK_URL="${BROKERHUB_MOCK_URL%/}"
if [[ -z "${BROKERHUB_MOCK_WS_URL:-}" ]]; then
  case "$BROKERHUB_MOCK_URL" in
    https://*) BROKERHUB_MOCK_WS_URL="wss://${BROKERHUB_MOCK_URL#https://}" ;;
    http://*) BROKERHUB_MOCK_WS_URL="ws://${BROKERHUB_MOCK_URL#http://}" ;;
    *) die "BROKERHUB_MOCK_URL must start with http:// or https:// (got $BROKERHUB_MOCK_URL)" ;;
  esac
fi
export BROKERHUB_MOCK_URL BROKERHUB_MOCK_WS_URL

passed=0
failed=0
for r in "${referees[@]}"; do
  if [[ "$r" == "kis-proxy" || "$r" == "gateway" ]]; then
    if { [[ "$r" == "kis-proxy" ]] && run_proxy_referees; } || { [[ "$r" == "gateway" ]] && run_gateway_referees; }; then
      log "$r: PASS"
      passed=$((passed + 1))
    else
      log "$r: FAIL"
      failed=$((failed + 1))
    fi
    continue
  fi
  log "running ${r}_referee.py against $BROKERHUB_MOCK_URL"
  if "$VENV/bin/python" "$REFEREE_DIR/${r}_referee.py"; then
    log "$r: PASS"
    passed=$((passed + 1))
  else
    log "$r: FAIL"
    failed=$((failed + 1))
  fi
done

echo "compat: referees passed $passed of $((passed + failed))"
((failed == 0))
