#!/usr/bin/env bash
# Installs redis-server from the distribution's packages (Debian/Ubuntu), for
# the end-to-end tests of shared throttles and quotas. Idempotent: nothing
# happens when redis-server is already on the PATH.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-redis: redis-server is missing and apt-get is not available; install redis-server with your package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-redis: installing redis-server" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
redis-server --version >&2
