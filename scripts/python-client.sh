#!/usr/bin/env bash
# The Python client's test suite (clients/python, pytest) against a live hub on the project's mock broker:
# makes (once) a virtualenv at .venv-python-client, installs pytest and the client itself from the checkout
# (`pip install clients/python`, the way a user installs it), builds `brokerhub` if it is missing, and runs
# pytest; its fixtures start the mock and the hub on free loopback ports and stop them afterwards.
#
#   scripts/python-client.sh            # the whole suite
#   scripts/python-client.sh -k async   # extra arguments go to pytest
#
# Environment:
#   BROKERHUB_PYTHON_CLIENT_PYTHON   interpreter for the venv (default python3; the client needs >= 3.9)
#   BROKERHUB_BIN                    the brokerhub binary to test against (default: swift build's debug one)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv-python-client"
PYTHON="${BROKERHUB_PYTHON_CLIENT_PYTHON:-python3}"
PYTEST="pytest==8.3.5"

log() { printf 'python-client: %s\n' "$*"; }

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating virtualenv $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import pytest, sys; sys.exit(0 if pytest.__version__ == "8.3.5" else 1)' 2>/dev/null; then
  log "installing $PYTEST"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$PYTEST"
fi
# Reinstalled every run: the suite tests the package as pip builds it from this checkout.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$ROOT/clients/python"
rm -rf "$ROOT/clients/python/build" "$ROOT"/clients/python/*.egg-info

if [[ -z "${BROKERHUB_BIN:-}" ]]; then
  BROKERHUB_BIN="$(swift build --show-bin-path)/brokerhub"
  if [[ ! -x "$BROKERHUB_BIN" ]]; then
    log "building brokerhub"
    swift build --product brokerhub >/dev/null
  fi
fi
export BROKERHUB_BIN
log "pytest against $BROKERHUB_BIN"
# From the tests' directory with the installed package (not the source tree) on the path.
cd "$ROOT/clients/python/tests"
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider --rootdir "$ROOT/clients/python/tests" "$@" .
