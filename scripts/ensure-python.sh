#!/usr/bin/env bash
# Create the virtual environment with a Python that is recent enough, or say what is missing.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "facilitator needs Python 3.11 or newer: '$python' was not found." >&2
  echo "Install it (Debian: apt-get install python3 python3-venv) or pass PYTHON=/path/to/python3." >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "facilitator needs Python 3.11 or newer; $python is $("$python" --version 2>&1)." >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -m venv "$venv"; then
    echo "Could not create $venv: install the venv module (Debian: apt-get install python3-venv)." >&2
    exit 1
  fi
fi
