#!/usr/bin/env bash
# Property-based API test of `brokerhub serve` with schemathesis, driven by the hub's own OpenAPI
# document (GET /openapi.json), in two configurations:
#
#   no-keys    the default: no BROKERHUB_API_KEYS, loopback only
#   with-keys  BROKERHUB_API_KEYS set, every request sends a valid `X-API-Key` (and `ignored_auth`
#              checks that a missing or wrong key is refused)
#
#   scripts/schemathesis.sh                 # both
#   scripts/schemathesis.sh with-keys       # one of them
#
# Everything is local: `brokerhub mock-broker` on a free loopback port with generated credentials, one hub
# per configuration on a free loopback port pointed at the mock, data and logs in a temporary directory,
# both processes stopped by a trap. Never a real broker. Needs `swift build` first (the binary is taken
# from `swift build --show-bin-path`; this script never builds).
#
# Fails (exit 1) on any 5xx or hub crash, and on responses that contradict the document (status code,
# content type, headers, body schema) or accept invalid input; the last line reads
# "schemathesis: no-keys passed, with-keys passed". On failure the temporary directory is kept and
# printed: hub.log / mock.log, each run's schemathesis.log and its JUnit / NDJSON reports.
#
# Environment:
#   BROKERHUB_SCHEMATHESIS_EXAMPLES   test cases per operation and phase (default 100)
#   BROKERHUB_SCHEMATHESIS_TIMEOUT    seconds allowed for one configuration's run (default 240)
#   BROKERHUB_SCHEMATHESIS_SEED       fixed seed (default: random; every run prints the seed it used)
#   BROKERHUB_SCHEMATHESIS_PYTHON     interpreter for the venv (default python3; schemathesis 4.32 needs >= 3.11)
#   BROKERHUB_SKIP_INSTALL=1          passed through to scripts/install-deps.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ST_VERSION="4.32.5"
VENV="$ROOT/.venv-schemathesis"
PYTHON="${BROKERHUB_SCHEMATHESIS_PYTHON:-python3}"
EXAMPLES="${BROKERHUB_SCHEMATHESIS_EXAMPLES:-100}"
RUN_TIMEOUT="${BROKERHUB_SCHEMATHESIS_TIMEOUT:-240}"
SEED="${BROKERHUB_SCHEMATHESIS_SEED:-}"
API_KEY="st-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

log() { printf 'schemathesis: %s\n' "$*"; }
die() { printf 'schemathesis: error: %s\n' "$*" >&2; exit 2; }

configs=("$@")
((${#configs[@]} > 0)) || configs=(no-keys with-keys)
for c in "${configs[@]}"; do
  [[ "$c" == "no-keys" || "$c" == "with-keys" ]] || die "unknown configuration '$c' (expected no-keys or with-keys)"
done

# ------------------------------------------------------------------------------------------------
# schemathesis, pinned, in its own virtualenv (created once; reinstalled only if the version differs).
# ------------------------------------------------------------------------------------------------
py_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; }

ensure_schemathesis() {
  if [[ -x "$VENV/bin/python" ]] && py_ok "$VENV/bin/python" &&
    [[ "$("$VENV/bin/st" --version 2>/dev/null)" == *"version $ST_VERSION" ]]; then
    return 0
  fi
  if [[ ! -x "$VENV/bin/python" ]] || ! py_ok "$VENV/bin/python"; then
    if [[ -x "$ROOT/scripts/install-deps.sh" ]]; then
      "$ROOT/scripts/install-deps.sh"
    fi
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set BROKERHUB_SCHEMATHESIS_PYTHON)"
    py_ok "$PYTHON" || die "$PYTHON is older than 3.11; schemathesis $ST_VERSION needs >= 3.11"
    log "creating virtualenv $VENV with $("$PYTHON" --version 2>&1)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || { rm -rf "$VENV"; die "'$PYTHON -m venv' failed (is python3-venv installed?)"; }
  fi
  log "installing schemathesis==$ST_VERSION into $VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q "schemathesis==$ST_VERSION"
  [[ "$("$VENV/bin/st" --version 2>/dev/null)" == *"version $ST_VERSION" ]] || die "st --version is not $ST_VERSION after pip install"
}

# ------------------------------------------------------------------------------------------------
# Processes: the mock broker, and one hub at a time. Stopped by PID only.
# ------------------------------------------------------------------------------------------------
BIN=""
WORK=""
MOCK_PID=""
MOCK_URL=""
HUB_PID=""
ST_PID=""
FAILED=0

stop_pid() { # $1: pid
  [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null || return 0
  kill -TERM "$1" 2>/dev/null || true
  local i
  for ((i = 0; i < 200; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  stop_pid "$ST_PID"
  stop_pid "$HUB_PID"
  stop_pid "$MOCK_PID"
  if [[ -n "$WORK" ]]; then
    if ((rc == 0 && FAILED == 0)); then
      rm -rf "$WORK"
    else
      log "logs kept in $WORK (hub.log, mock.log, schemathesis.log and report/ per configuration)" >&2
    fi
  fi
}

wait_ready() { # $1: pid, $2: ready file, $3: log, $4: what
  local waited=0
  until [[ -s "$2" ]]; do
    if ! kill -0 "$1" 2>/dev/null; then
      tail -n 30 "$3" >&2
      die "$4 exited before listening (log: $3)"
    fi
    ((waited++ < 600)) || die "$4 did not start within 60 s (log: $3)"
    sleep 0.1
  done
}

start_mock() {
  "$BIN" mock-broker --port 0 --always-open --write-credentials "$WORK/credentials.json" \
    --ready-file "$WORK/mock.ready" >"$WORK/mock.log" 2>&1 &
  MOCK_PID=$!
  wait_ready "$MOCK_PID" "$WORK/mock.ready" "$WORK/mock.log" "the mock broker"
  MOCK_URL="$(head -n 1 "$WORK/mock.ready")"
  log "mock broker (pid $MOCK_PID) at $MOCK_URL"
}

# A hub over the mock. Each configuration gets its own KIS and Kiwoom app keys: the mock (like KIS) refuses
# a second token for one app key within a minute (EGW00133), which would stall the second hub's calls.
start_hub() { # $1: configuration, $2: index of the mock's credentials to use
  local dir="$WORK/$1" creds
  mkdir -p "$dir"
  creds="$(python3 - "$WORK/credentials.json" "$2" <<'PY'
import json, shlex, sys
keys = json.load(open(sys.argv[1]))["keys"]
i = int(sys.argv[2])
kis = [k for k in keys if k["provider"] == "kis" and k["kind"] == "real"][i]
kiwoom = [k for k in keys if k["provider"] == "kiwoom" and k["kind"] == "real"][i]
for name, value in [("BROKERHUB_KIS_APPKEY", kis["appKey"]), ("BROKERHUB_KIS_APPSECRET", kis["secret"]),
                    ("BROKERHUB_KIWOOM_APPKEY", kiwoom["appKey"]), ("BROKERHUB_KIWOOM_SECRETKEY", kiwoom["secret"])]:
    print(f"{name}={value}")
PY
)"
  local env_args=() name
  # Nothing from the caller's BROKERHUB_* environment (a stray BROKERHUB_API_KEYS, BROKERHUB_CONFIG or
  # BROKERHUB_KIS_BASE_URL would change what is tested, or point at a real broker).
  for name in $(compgen -e | grep '^BROKERHUB_' || true); do env_args+=(-u "$name"); done
  mapfile -t -O "${#env_args[@]}" env_args <<<"$creds"
  env_args+=(
    BROKERHUB_KIS_BASE_URL="$MOCK_URL" BROKERHUB_KIS_ACCOUNT=50000000-01 BROKERHUB_KIS_KIND=real
    BROKERHUB_KIWOOM_BASE_URL="$MOCK_URL" BROKERHUB_KIWOOM_ACCOUNT=demo BROKERHUB_KIWOOM_KIND=real
  )
  [[ "$1" == "with-keys" ]] && env_args+=(BROKERHUB_API_KEYS="$API_KEY")
  env "${env_args[@]}" "$BIN" serve --host 127.0.0.1 --port 0 --data-dir "$dir/data" \
    --ready-file "$dir/hub.ready" >"$dir/hub.log" 2>&1 &
  HUB_PID=$!
  wait_ready "$HUB_PID" "$dir/hub.ready" "$dir/hub.log" "the hub ($1)"
  HUB_URL="$(head -n 1 "$dir/hub.ready")"
  HUB_URL="${HUB_URL%/}"
  log "$1: hub (pid $HUB_PID) at $HUB_URL"
}

# ------------------------------------------------------------------------------------------------
# What schemathesis gets besides the document: a custom check (hooks.py) and a config file with
# dictionaries of real values, so that part of the generated requests get past validation and reach the
# broker (and 200 bodies get checked against the document), not only 400s and 404s.
# ------------------------------------------------------------------------------------------------
write_hooks() {
  cat >"$WORK/hooks.py" <<'PY'
import json

import schemathesis

# The broker-native proxy answers like KIS itself, status included: a call without a `tr_id` header gets
# HTTP 500 OPSQ0002 and a missing or unknown token HTTP 500 EGW00121, as python-kis expects (docs/http-api.md,
# Tests/HubServerTests/APITests.swift). For the KIS-shaped paths (/kis, /uapi, /oauth2) the built-in not_a_server_error is told 500 is
# expected (schemathesis.toml) and this check takes its place: a 500 there must be exactly one of those two
# answers; anything else (a hub error, a crash page) fails. 502/503/504 stay with not_a_server_error.
KIS_SHAPED_500 = {"OPSQ0002", "EGW00121"}
KIS_SHAPED_PATHS = ("/kis/", "/uapi/", "/oauth2/")


@schemathesis.check
def kis_proxy_500_is_kis_shaped(ctx, response, case):
    if response.status_code < 500 or not case.operation.path.startswith(KIS_SHAPED_PATHS):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not (isinstance(body, dict) and set(body) == {"rt_cd", "msg_cd", "msg1"} and body["rt_cd"] == "1"
            and body["msg_cd"] in KIS_SHAPED_500 and response.status_code == 500):
        raise AssertionError(
            f"{case.operation.path} proxy answered {response.status_code} that is not KIS's own OPSQ0002/EGW00121 answer: "
            f"{response.content[:300].decode('utf-8', 'replace')}"
        )
    return None
PY
}

write_config() { # $1: configuration directory; needs HUB_URL and CURL_AUTH
  local dir="$1" catalog job
  catalog="$(curl -fsS "${CURL_AUTH[@]}" "$HUB_URL/v1/catalog")" || die "GET /v1/catalog failed"
  job="$(curl -fsS "${CURL_AUTH[@]}" -X POST -H 'content-type: application/json' \
    -d '{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"}}' "$HUB_URL/v1/jobs")" ||
    die "POST /v1/jobs failed"
  python3 - "$dir/schemathesis.toml" "$catalog" "$job" <<'PY'
import datetime, json, sys
path, catalog, job = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
today = datetime.date.today()
dates = [(today - datetime.timedelta(days=d)).strftime("%Y%m%d") for d in (0, 7, 30)]
q = json.dumps  # a JSON string is a valid TOML basic string for these values
def values(xs): return "[" + ", ".join(q(x) for x in xs) + "]"
with open(path, "w") as f:
    f.write(f"""# Written by scripts/schemathesis.sh.
[dictionaries.tr_ids]
values = {values(sorted({t["tr_id"] for t in catalog}))}
[dictionaries.symbols]
values = ["005930", "000660", "035720"]
[dictionaries.jobs]
values = {values([job["id"]])}
[dictionaries.dates]
values = {values(dates)}

[parameters]
"body.tr_id" = {{ dictionary = "tr_ids", probability = 0.5 }}
"path.symbol" = {{ dictionary = "symbols", probability = 0.5 }}
"path.id" = {{ dictionary = "jobs", probability = 0.5 }}
"query.from" = {{ dictionary = "dates", probability = 0.5 }}
"query.to" = {{ dictionary = "dates", probability = 0.5 }}

""")
    # These hubs have no pipeline bus (an event stream never ends, which a fuzzer cannot wait for): /v1/stream
    # answers its documented 503 hub.unavailable; Tests/HubServerTests/StreamTests.swift covers the stream itself.
    f.write("""
[[operations]]
include-path = "/v1/stream"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]
""")
    # See hooks.py: the KIS-shaped 500s of the proxy are checked there, by body.
    for kis_path in ["/kis/{path}", "/uapi/{path}", "/oauth2/{endpoint}"]:
        f.write(f"""
[[operations]]
include-path = "{kis_path}"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "500"]
""")
PY
}

# ------------------------------------------------------------------------------------------------
# Checks. On everywhere:
#   not_a_server_error, kis_proxy_500_is_kis_shaped   no 5xx (see hooks.py for the KIS-shaped paths)
#   status_code_conformance, content_type_conformance, response_headers_conformance,
#   response_schema_conformance                       the answer is the one the document describes
#   negative_data_rejection, missing_required_header  schema-invalid input is refused with a 4xx
#   ensure_resource_availability                      stateful phase: a job just created can be read
#   ignored_auth                                      with-keys only: a missing or wrong key is refused
# Left out, on purpose:
#   ignored_auth (no-keys)       without BROKERHUB_API_KEYS the hub authenticates nobody, by design (loopback
#                                only, docs/security.md); the document's global `security` describes the keyed hub
#   positive_data_acceptance     the hub validates beyond what a JSON schema can say: a tr_id must be in the
#                                catalogue, its params depend on the TR, a symbol must be a 6-character KRX code,
#                                dates must exist; a schema-valid request is often rightly a 400
#   unsupported_method, allow_header_conformance
#                                a known path with an undeclared method (TRACE /health) gets 404, not 405 with
#                                `Allow` (router behaviour, not a contract of this API; reported separately)
#   use_after_free               DELETE /v1/jobs/{id} cancels, it does not remove: the job stays readable (state
#                                `cancelled`, or its final state if it had finished) for
#                                BROKERHUB_RESULT_RETENTION_SECONDS, so a 200 after DELETE is the documented answer
#   object_level_authorization   one tenant: every valid key may see every job
#   max_response_time            /v1/execute may legitimately wait up to the caller's timeout_ms
# ------------------------------------------------------------------------------------------------
CHECKS_COMMON="not_a_server_error,kis_proxy_500_is_kis_shaped,status_code_conformance,content_type_conformance"
CHECKS_COMMON+=",response_headers_conformance,response_schema_conformance,negative_data_rejection"
CHECKS_COMMON+=",missing_required_header,ensure_resource_availability"

run_config() { # $1: configuration; returns non-zero on any failure
  local config="$1" dir="$WORK/$1" checks="$CHECKS_COMMON" rc=0 start end
  CURL_AUTH=()
  local st_args=()
  if [[ "$config" == "with-keys" ]]; then
    CURL_AUTH=(-H "X-API-Key: $API_KEY")
    st_args+=(-H "X-API-Key: $API_KEY")
    checks+=",ignored_auth"
    # The keyed hub must refuse a keyless call (also checked per operation by ignored_auth) and still
    # answer /health without one.
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$HUB_URL/v1/status")" == "401" ]] ||
      { log "$config: GET /v1/status without a key was not refused with 401"; return 1; }
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$HUB_URL/health")" == "200" ]] ||
      { log "$config: GET /health without a key did not answer 200"; return 1; }
  fi
  write_config "$dir"
  [[ -n "$SEED" ]] && st_args+=(--seed "$SEED")
  log "$config: running schemathesis $ST_VERSION against $HUB_URL/openapi.json (≤ $EXAMPLES cases per operation and phase, timeout ${RUN_TIMEOUT}s)"
  start=$(date +%s)
  # --workers 1: CPython 3.11's ast.parse is not thread-safe ("AST constructor recursion depth mismatch",
  # raised inside hypothesis with several workers); one worker also keeps the broker budget honest.
  # cwd = the run's directory, so schemathesis leaves nothing in the repository. In the background and
  # waited for, so that SIGTERM/SIGINT reach the trap at once (which stops it: timeout passes the signal on).
  (cd "$dir" && exec env SCHEMATHESIS_HOOKS="$WORK/hooks.py" timeout --kill-after=10 "$RUN_TIMEOUT" \
    "$VENV/bin/st" --config-file "$dir/schemathesis.toml" --no-color run "$HUB_URL/openapi.json" \
    "${st_args[@]}" --checks "$checks" --phases examples,coverage,fuzzing,stateful \
    --max-examples "$EXAMPLES" --workers 1 --request-timeout 30 --generation-database none \
    --report junit,ndjson --report-dir "$dir/report" --wait-for-schema 10) >"$dir/schemathesis.log" 2>&1 &
  ST_PID=$!
  wait "$ST_PID" || rc=$?
  ST_PID=""
  end=$(date +%s)
  if ((rc == 124 || rc == 137)); then
    log "$config: schemathesis did not finish within ${RUN_TIMEOUT}s"
  elif ((rc != 0)); then
    awk '/^=+ (ERRORS|FAILURES) =+$/ { p = 1 } p' "$dir/schemathesis.log" | cut -c 1-400 | head -n 400 >&2
    log "$config: schemathesis failed (exit $rc)"
  fi
  # A crash is a failure even if every answer before it was fine.
  if ! kill -0 "$HUB_PID" 2>/dev/null; then
    log "$config: the hub died during the run"; tail -n 30 "$dir/hub.log" >&2; rc=1
  elif [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$HUB_URL/health")" != "200" ]]; then
    log "$config: the hub no longer answers /health"; rc=1
  fi
  log "$config: $(grep -A1 '^Test cases:' "$dir/schemathesis.log" | tail -n 1 | sed 's/^ *//'); $(grep -m1 '^Seed:' "$dir/schemathesis.log" || echo 'Seed: ?'); $((end - start)) s"
  stop_pid "$HUB_PID"
  HUB_PID=""
  return "$rc"
}

# ------------------------------------------------------------------------------------------------
command -v curl >/dev/null 2>&1 || die "curl not found (scripts/install-deps.sh installs it)"
command -v timeout >/dev/null 2>&1 || die "timeout (coreutils) not found"
BIN="$(swift build --show-bin-path)/brokerhub"
[[ -x "$BIN" ]] || die "$BIN not found: run 'swift build' first"
ensure_schemathesis

WORK="$(mktemp -d "${TMPDIR:-/tmp}/brokerhub-schemathesis.XXXXXX")"
trap cleanup EXIT
trap 'exit 130' INT TERM
write_hooks
start_mock

summary=()
index=0
for config in no-keys with-keys; do
  [[ " ${configs[*]} " == *" $config "* ]] || { index=$((index + 1)); continue; }
  start_hub "$config" "$index"
  index=$((index + 1))
  if run_config "$config"; then
    summary+=("$config passed")
  else
    summary+=("$config FAILED")
    FAILED=1
  fi
done

line="$(printf '%s, ' "${summary[@]}")"
echo "schemathesis: ${line%, }"
((FAILED == 0))
