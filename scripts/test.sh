#!/usr/bin/env bash
# The whole test suite: unit tests, the template conformance suite, and the
# end-to-end tests that run the real gateway binary against moto server with
# SigV4 signature checking on, and against redis-server for shared throttles.
# Installs moto (pinned) and redis-server first, and Chromium for the CORS
# test in a real browser (skipped, with a message, without it).
# Extra arguments go to `cargo test`, e.g. scripts/test.sh -- tutorial
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/install-moto.sh
scripts/install-redis.sh
scripts/install-chromium.sh
cargo test --workspace --locked "$@"
