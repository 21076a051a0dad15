#!/usr/bin/env bash
# Runs every test, on a clean Debian machine too: as root it installs what is missing (Debian's
# chromium, thunderbird with xvfb and xdotool for the real-Thunderbird test, python3 with venv, node
# with npm, Postfix for the mail-flow tests, libmilter and a C compiler to build pymilter, Tesseract
# with its English model and zbar, which read pictures, and the DejaVu fonts the picture tests draw
# with) from apt, and nothing when all is there. Then it
# creates .venv, installs the package with its test extras and the Node test tools, and runs
# ruff and pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v thunderbird >/dev/null 2>&1 || missing+=(thunderbird)
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
command -v xdotool >/dev/null 2>&1 || missing+=(xdotool)
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1 || ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3 python3-venv)
fi
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ -x /usr/sbin/postfix ] || missing+=(postfix)
[ -f /usr/include/libmilter/mfapi.h ] || missing+=(libmilter-dev)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
# grep without -q reads to the end: with pipefail, a closed pipe would fail the check.
{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -x eng >/dev/null; } \
  || missing+=(tesseract-ocr tesseract-ocr-eng)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
"$python" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  >/dev/null 2>&1 || missing+=(python3-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/test.sh: missing ${missing[*]}; install them (as root: apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  # Wait for another apt run to finish rather than fail on its lock.
  apt-get -o DPkg::Lock::Timeout=600 update
  # Postfix's package must not configure or start the machine's own mail server (port 25): the
  # tests run private instances on other ports, each with its own configuration directory.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'

(cd tests/addins/js && npm ci --no-audit --no-fund --loglevel=error)

.venv/bin/ruff check .
# The layers (pyproject.toml [tool.importlinter]): a wrong import fails here, naming the contract.
.venv/bin/lint-imports
# pytest exits 5 when it collected no tests: a failure here too, since `set -e` stops on any non-zero.
.venv/bin/pytest "$@"
