#!/usr/bin/env bash
# Side-by-side benchmark, one machine, one run:
#   (a) wrk -> nginx upstream (a fixed PutRecord-shaped reply)
#   (b) wrk -> nginx proxy_pass (keepalive) -> upstream
#   (c) wrk -> gateway (root gateway.yaml, PUT /streams/s/record) -> upstream
#   (d) wrk -> gateway (PUT /streams/s/records, 100 records) -> upstream
# Prints a table (req/s, p50, p99, gateway RSS, start-up time) and writes
# bench/results/latest.json. Needs nginx and wrk: installed from the system
# packages when run as root with apt-get, otherwise it says what is missing.
#
# Settings (environment): BENCH_DURATION (seconds per run, default 10),
# BENCH_CONNECTIONS (default 32), BENCH_WRK_THREADS (default 2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
duration="${BENCH_DURATION:-10}"
connections="${BENCH_CONNECTIONS:-32}"
wrk_threads="${BENCH_WRK_THREADS:-2}"
cores="$(nproc)"

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

cargo build --release --locked --bin gateway >&2
gateway_bin="$root/target/release/gateway"

work="$(mktemp -d -t gateway-bench.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 5000); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.001
  done
  echo "bench: nothing listens on port $1" >&2
  return 1
}

upstream_port="$(free_port)"
proxy_port="$(free_port)"
gateway_port="$(free_port)"

# Writes $work/<name>.conf and starts nginx on it: settings shared by both
# servers (no access log, long keep-alive, bodies in memory) around the
# given http-block content.
start_nginx() {
  local name="$1" workers="$2" http_block="$3"
  cat >"$work/$name.conf" <<CONF
worker_processes $workers;
pid $work/$name.pid;
error_log $work/$name.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_buffer_size 1m;
$http_block
}
CONF
  "$nginx_bin" -c "$work/$name.conf" -g 'daemon off;' 2>>"$work/$name.err" &
  pids+=($!)
}

# The upstream: Kinesis's PutRecord reply, fixed. One worker, as a stand-in backend.
reply='{"SequenceNumber":"49559409944537880850133345460169886593573102115167928386","ShardId":"shardId-000000000004"}'
start_nginx upstream 1 "
  server {
    listen 127.0.0.1:$upstream_port;
    location / {
      default_type application/x-amz-json-1.1;
      return 200 '$reply';
    }
  }"

# The proxy to compare with: as many workers as the gateway has threads (one
# per core), keepalive to the upstream.
start_nginx proxy "$cores" "
  upstream kinesis {
    server 127.0.0.1:$upstream_port;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$proxy_port;
    location / {
      proxy_pass http://kinesis;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }"
wait_port "$upstream_port"
wait_port "$proxy_port"

# The gateway: the root gateway.yaml, pointed at the upstream, with static
# credentials. Access logs off on both sides (nginx: access_log off).
{ printf 'access_log:\n  enabled: false\n'; cat gateway.yaml; } >"$work/gateway.yaml"
start_ns="$(date +%s%N)"
AWS_ENDPOINT_URL="http://127.0.0.1:$upstream_port" AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret \
  AWS_EC2_METADATA_DISABLED=true GATEWAY_LOG=warn \
  "$gateway_bin" run --config "$work/gateway.yaml" --listen "127.0.0.1:$gateway_port" 2>"$work/gateway.err" &
gateway_pid=$!
pids+=("$gateway_pid")
wait_port "$gateway_port"
startup_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
sleep 0.5
rss_idle_kb="$(awk '/^VmRSS/ {print $2}' "/proc/$gateway_pid/status")"

cat >"$work/put_record.lua" <<'LUA'
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"Data": "some data", "PartitionKey": "some key"}'
LUA
python3 - "$work/put_records.lua" <<'PY'
import json, sys
records = [{"data": f"record number {i} with some payload", "partition-key": f"key-{i}"} for i in range(100)]
body = json.dumps({"records": records})
with open(sys.argv[1], "w") as f:
    f.write('wrk.method = "PUT"\nwrk.headers["Content-Type"] = "application/json"\n')
    f.write("wrk.body = " + json.dumps(body) + "\n")
PY

# Check every target answers 200 before measuring it.
check() {
  local code
  code="$(python3 - "$1" "$2" <<'PY'
import sys, urllib.request
body = open(sys.argv[2]).read().split("wrk.body = ", 1)[1].strip()
import json
body = body[1:-1] if body.startswith("'") else json.loads(body)
req = urllib.request.Request(sys.argv[1], data=body.encode(), method="PUT", headers={"Content-Type": "application/json"})
try:
    print(urllib.request.urlopen(req).status)
except Exception as e:
    print(getattr(e, "code", e))
PY
)"
  if [ "$code" != 200 ]; then echo "bench: $1 answered $code, not 200" >&2; cat "$work/gateway.err" >&2; exit 1; fi
}

run() { # name url script
  check "$2" "$3"
  echo "bench: $1 ($duration s, $connections connections)" >&2
  wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency -s "$3" "$2" >"$work/$1.txt"
}

run upstream "http://127.0.0.1:$upstream_port/?Action=PutRecord" "$work/put_record.lua"
run nginx_proxy "http://127.0.0.1:$proxy_port/?Action=PutRecord" "$work/put_record.lua"
run gateway_put_record "http://127.0.0.1:$gateway_port/streams/s/record" "$work/put_record.lua"
rss_put_record_kb="$(awk '/^VmHWM/ {print $2}' "/proc/$gateway_pid/status")"
run gateway_put_records_100 "http://127.0.0.1:$gateway_port/streams/s/records" "$work/put_records.lua"
rss_load_kb="$(awk '/^VmHWM/ {print $2}' "/proc/$gateway_pid/status")"

mkdir -p bench/results
python3 - "$work" "$duration" "$connections" "$wrk_threads" "$cores" "$startup_ms" "$rss_idle_kb" "$rss_put_record_kb" "$rss_load_kb" <<'PY'
import json, platform, re, subprocess, sys, datetime
work, duration, connections, wrk_threads, cores, startup_ms, rss_idle, rss_put, rss_load = sys.argv[1:]

def ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

def parse(name):
    out = open(f"{work}/{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: (.*)", out)
    return {"requests_per_second": rps, "p50_ms": p50, "p99_ms": p99,
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket.group(1) if socket else None}

runs = {name: parse(name) for name in ["upstream", "nginx_proxy", "gateway_put_record", "gateway_put_records_100"]}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
result = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": {"cpu": cpu, "cores": int(cores), "kernel": platform.release()},
    "settings": {"duration_s": int(duration), "connections": int(connections), "wrk_threads": int(wrk_threads)},
    "runs": runs,
    "gateway": {"startup_ms": int(startup_ms), "rss_idle_mb": round(int(rss_idle) / 1024, 1),
                "rss_peak_put_record_mb": round(int(rss_put) / 1024, 1),
                "rss_peak_mb": round(int(rss_load) / 1024, 1)},
    "ratio_gateway_to_nginx_proxy": round(runs["gateway_put_record"]["requests_per_second"] / runs["nginx_proxy"]["requests_per_second"], 3),
}
json.dump(result, open("bench/results/latest.json", "w"), indent=2)
open("bench/results/latest.json", "a").write("\n")

labels = {"upstream": "(a) nginx upstream, direct", "nginx_proxy": "(b) nginx proxy_pass", 
          "gateway_put_record": "(c) gateway, PutRecord", "gateway_put_records_100": "(d) gateway, PutRecords x100"}
print(f"Machine: {cpu}, {cores} cores; {connections} connections, {duration} s per run, wrk with {wrk_threads} threads")
print()
print("| target | req/s | p50 (ms) | p99 (ms) |")
print("|---|---:|---:|---:|")
for name, r in runs.items():
    flag = "" if r["non_2xx"] == 0 and not r["socket_errors"] else f" ({r['non_2xx']} non-2xx, socket errors: {r['socket_errors']})"
    print(f"| {labels[name]}{flag} | {r['requests_per_second']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} |")
g = result["gateway"]
print()
print(f"Gateway / nginx proxy throughput (PutRecord): {result['ratio_gateway_to_nginx_proxy']:.2f}x")
print(f"Gateway RSS: {g['rss_idle_mb']} MB idle, {g['rss_peak_put_record_mb']} MB peak after PutRecord load, {g['rss_peak_mb']} MB peak after PutRecords x100; start to listening: {g['startup_ms']} ms")
print()
print("Results: bench/results/latest.json")
PY
