#!/usr/bin/env bash
# Runs InviteGuard on a fresh machine: creates .venv, installs the package, then
# `inviteguard serve` on http://127.0.0.1:8080 with an embedded Redis persisted under ./var/.
# Extra arguments go to `inviteguard serve` (e.g. --port 9000 --workers 4 --redis-url redis://...).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# Install only when pyproject.toml changed since the last install: a restart should be instant.
stamp=.venv/.inviteguard-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e .
  touch "$stamp"
fi
exec .venv/bin/inviteguard serve "$@"
