#!/usr/bin/env bash
# Installs headless Chromium from the system's packages (Debian's `chromium`)
# for the CORS test that runs a real browser. Idempotent: an installed
# Chromium is left alone. Never fatal: where it cannot be installed, the
# browser test says it is skipped and why.
set -uo pipefail

for name in chromium chromium-browser google-chrome; do
  if command -v "$name" >/dev/null 2>&1; then
    exit 0
  fi
done
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: no apt-get here; the CORS browser test will be skipped" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo -n"
  else
    echo "install-chromium: not root and no sudo; the CORS browser test will be skipped" >&2
    exit 0
  fi
fi
echo "install-chromium: installing chromium" >&2
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } >&2; then
  echo "install-chromium: could not install chromium; the CORS browser test will be skipped" >&2
fi
exit 0
