#!/usr/bin/env bash
# Installs the system packages BrokerHub's build and tests need (Debian/Ubuntu, apt-get).
#
#   libsqlite3-dev            SQLite headers for the embedded store
#   zlib1g-dev                zlib headers (gzip of rolled snapshot archive files)
#   redis-server, redis-tools throwaway Redis for the distributed-mode tests (redis-cli)
#   postgresql (+ client)     throwaway PostgreSQL for the archiver tests (initdb, pg_ctl, psql)
#   python3-venv              virtualenvs of the Python compatibility tests (.venv-compat) and of
#                             scripts/schemathesis.sh (.venv-schemathesis; schemathesis needs Python >= 3.11)
#   curl                      smoke checks
#   chromium                  the headless browser the dashboard test drives (DashboardBrowserTests)
#   wrk                       the HTTP load generator of scripts/bench-compare.sh
#
# Idempotent: anything already present is skipped, and `apt-get update` only runs when
# something has to be installed. Non-interactive. Runs apt-get directly as root, through
# sudo otherwise. BROKERHUB_SKIP_INSTALL=1 skips the whole step.
set -euo pipefail

log() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

if [[ "${BROKERHUB_SKIP_INSTALL:-0}" == "1" ]]; then
  log "BROKERHUB_SKIP_INSTALL=1, skipping"
  exit 0
fi

pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

have() { command -v "$1" >/dev/null 2>&1; }

# Newest PostgreSQL server bin directory (Debian: /usr/lib/postgresql/<major>/bin).
pg_server_present() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]] && return 0
  done
  have initdb && have pg_ctl && have postgres
}

missing=()
if ! pkg_installed libsqlite3-dev && [[ ! -f /usr/include/sqlite3.h ]]; then
  missing+=(libsqlite3-dev)
fi
if ! pkg_installed zlib1g-dev && [[ ! -f /usr/include/zlib.h ]]; then
  missing+=(zlib1g-dev)
fi
have redis-server || missing+=(redis-server)
have redis-cli || missing+=(redis-tools)
pg_server_present || missing+=(postgresql)
{ have psql && have pg_isready; } || missing+=(postgresql-client)
pkg_installed python3-venv || missing+=(python3-venv)
have curl || missing+=(curl)
have chromium || missing+=(chromium)
have wrk || missing+=(wrk)

if ((${#missing[@]} == 0)); then
  log "all dependencies present"
  exit 0
fi

have apt-get || die "missing ${missing[*]} and apt-get is not available; install them by hand"

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if have sudo; then
    SUDO=(sudo)
  else
    die "missing ${missing[*]}; not root and no sudo: install them by hand (or set BROKERHUB_SKIP_INSTALL=1)"
  fi
fi

apt_get() {
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a \
    apt-get -y -q \
    -o DPkg::Lock::Timeout=600 \
    -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold \
    "$@"
}

log "installing: ${missing[*]}"
apt_get update </dev/null
apt_get install --no-install-recommends "${missing[@]}" </dev/null

# Verify.
still=()
pkg_installed libsqlite3-dev || [[ -f /usr/include/sqlite3.h ]] || still+=(libsqlite3-dev)
pkg_installed zlib1g-dev || [[ -f /usr/include/zlib.h ]] || still+=(zlib1g-dev)
have redis-server || still+=(redis-server)
have redis-cli || still+=(redis-tools)
pg_server_present || still+=(postgresql)
{ have psql && have pg_isready; } || still+=(postgresql-client)
pkg_installed python3-venv || still+=(python3-venv)
have curl || still+=(curl)
have chromium || still+=(chromium)
have wrk || still+=(wrk)
((${#still[@]} == 0)) || die "still missing after install: ${still[*]}"
log "done"
