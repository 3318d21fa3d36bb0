#!/usr/bin/env bash
# Runs the tutorial's API locally, without an AWS account: starts moto server
# (a Kinesis API, with SigV4 signature checking on) on 127.0.0.1:4567, creates
# an IAM user in it, and serves gateway.yaml on 127.0.0.1:8080 in front of it.
# Ctrl-C stops both. Extra arguments go to `gateway run`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
moto_port="${MOTO_PORT:-4567}"
venv="${GATEWAY_MOTO_VENV:-$root/.venv}"

scripts/install-moto.sh "$venv"
cargo build --release --locked --bin gateway

log="$(mktemp -t moto.XXXXXX.log)"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$moto_port") 2>/dev/null; then break; fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then
    echo "demo: moto server did not start; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done

key="$("$venv/bin/python" scripts/moto_auth.py --endpoint "http://127.0.0.1:$moto_port")"
AWS_ACCESS_KEY_ID="$("$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["access_key_id"])' <<<"$key")"
AWS_SECRET_ACCESS_KEY="$("$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["secret_access_key"])' <<<"$key")"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
export AWS_REGION=us-east-1
echo "demo: moto server (Kinesis, signature checking on) at $AWS_ENDPOINT_URL; log in $log" >&2

target/release/gateway run --config gateway.yaml "$@"
