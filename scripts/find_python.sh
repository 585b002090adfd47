#!/usr/bin/env bash
# Prints the path of a working Python 3.10 (TFX 1.16 needs it): $PYTHON if set, else a working
# `python3.10`, else a pyenv install (the pyenv shim refuses to run unless asked), else
# /usr/bin or /usr/local/bin.
set -u
find_python() {
  local candidates=()
  if [ -n "${PYTHON:-}" ]; then
    candidates=("$PYTHON")
  else
    candidates=(python3.10)
    if command -v pyenv >/dev/null 2>&1; then
      candidates+=("$(pyenv root)"/versions/3.10.*/bin/python3.10)
    fi
    candidates+=("$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10
                 /usr/local/bin/python3.10)
  fi
  for py in "${candidates[@]}"; do
    if "$py" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
      echo "$py"; return 0
    fi
  done
  if [ -n "${PYTHON:-}" ]; then
    echo "PYTHON=$PYTHON is not a working Python 3.10 with venv (TFX 1.16 needs Python 3.10)." >&2
  else
    echo "No Python 3.10 found (tried python3.10, pyenv, /usr/bin). Install one or set PYTHON=/path/to/python3.10." >&2
  fi
  return 1
}

find_python
