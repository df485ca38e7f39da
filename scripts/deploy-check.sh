#!/usr/bin/env bash
# Validates the deploy files (deploy/) against the code: YAML/JSON parse, every brokerhub command line's
# subcommand and options (from the built binary's --help), every variable named in .env.example, read by the
# code and documented, every metric the Prometheus rules and the Grafana dashboard query exported by the code,
# the systemd units' restart and hardening, the Dockerfile's stages and user (deploy/check.py). There is no
# container engine on the test machines: this is what can be checked without one.
#
# Environment:
#   BROKERHUB_DEPLOY_CHECK_PYTHON   interpreter for the venv (default python3)
#   BROKERHUB_BIN                   the brokerhub binary (default: swift build's debug one)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv-deploy-check"
PYTHON="${BROKERHUB_DEPLOY_CHECK_PYTHON:-python3}"

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "deploy-check: creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import yaml, sys; sys.exit(0 if yaml.__version__ == "6.0.2" else 1)' 2>/dev/null; then
  echo "deploy-check: installing PyYAML==6.0.2"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "PyYAML==6.0.2"
fi
if [[ -z "${BROKERHUB_BIN:-}" ]]; then
  BROKERHUB_BIN="$(swift build --show-bin-path)/brokerhub"
  [[ -x "$BROKERHUB_BIN" ]] || swift build --product brokerhub >/dev/null
fi
BROKERHUB_BIN="$BROKERHUB_BIN" exec "$VENV/bin/python" "$ROOT/deploy/check.py"
