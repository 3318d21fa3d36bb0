#!/usr/bin/env bash
# Installs moto server, pinned (tests/moto/requirements.txt), into a virtualenv.
# Idempotent: a venv whose requirements match is left alone.
# Usage: scripts/install-moto.sh [VENV_DIR]   (default: .venv in the repository)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-${GATEWAY_MOTO_VENV:-$root/.venv}}"
requirements="$root/tests/moto/requirements.txt"
stamp="$venv/.requirements"

if [ -x "$venv/bin/moto_server" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
  exit 0
fi

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "install-moto: $python not found; moto server needs Python 3.9 or later" >&2
  exit 1
fi
echo "install-moto: installing moto server into $venv" >&2
if ! "$python" -m venv "$venv"; then
  echo "install-moto: could not create a virtualenv with $python; on Debian/Ubuntu install python3-venv" >&2
  exit 1
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
"$venv/bin/python" -c "import moto; print(\"install-moto: moto\", moto.__version__)" >&2
