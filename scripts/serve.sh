#!/usr/bin/env bash
# Runs InviteGuard on a fresh machine: creates .venv, installs the package, then
# `inviteguard serve` on http://127.0.0.1:8080 with an embedded Redis persisted under ./var/.
# Extra arguments go to `inviteguard serve` (e.g. --port 9000 --workers 4 --redis-url redis://...).
set -euo pipefail
cd "$(dirname "$0")/.."

# Pictures in messages are read by Debian's Tesseract (with its English model) and zbar. As root
# they are installed when missing; otherwise, or when the install fails, the service still runs,
# and each verdict on a message with pictures says they were not read.
missing=()
# grep without -q reads to the end: with pipefail, a closed pipe would fail the check.
{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -x eng >/dev/null; } \
  || missing+=(tesseract-ocr tesseract-ocr-eng)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
      && apt-get -o DPkg::Lock::Timeout=600 update \
      && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}"; then
    :
  else
    echo "scripts/serve.sh: ${missing[*]} not installed (as root: apt-get install -y ${missing[*]});" \
      "pictures in messages will not be read until they are" >&2
  fi
fi

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
