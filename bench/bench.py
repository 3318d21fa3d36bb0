#!/usr/bin/env python3
"""The side-by-side benchmark (started by bench/run.sh, which installs and
builds what it needs).

Every server runs on loopback in one run of this script:

- a stand-in Kinesis: nginx answering every request with a fixed PutRecord
  reply, over plain HTTP and over HTTPS (a CA made for the run);
- nginx proxy_pass with keepalive (and TLS session reuse to the HTTPS
  stand-in), a JSON access log to a file, one worker per core;
- Envoy with its aws_request_signing filter as an upstream filter (it signs
  the request it actually sends), a JSON access log to a file, one worker
  per core;
- the gateway in a production configuration: the root gateway.yaml with a
  JSON access log to a file, the admin listener (metrics), and an API key
  whose usage plan throttles far above the load; one process per stand-in.

For each case (PutRecord over HTTP and HTTPS, PutRecords with 100 records, a
1 MB PutRecord) wrk drives each target, and the CPU time of the target's own
processes is read from /proc/<pid>/stat before and after: CPU per request is
that difference over the requests wrk completed. nginx and Envoy forward the
Kinesis request as the client sends it; the gateway receives the tutorial's
request and renders, signs and sends the Kinesis one.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")
API_KEY = "bench-key-0123456789abcdef"
REPLY = '{"SequenceNumber":"49559409944537880850133345460169886593573102115167928386","ShardId":"shardId-000000000004"}'


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, process=None, name="", err=None):
    for _ in range(5000):
        if process is not None and process.poll() is not None:
            detail = open(err).read()[-2000:] if err and os.path.exists(err) else ""
            raise SystemExit(f"bench: {name} exited with {process.returncode} before listening\n{detail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return
        except OSError:
            time.sleep(0.002)
    raise SystemExit(f"bench: nothing listens on port {port} ({name})")


# --- the requests -----------------------------------------------------------


def cases():
    """Each case: the upstream it uses, the gateway's request, and the
    Kinesis request that nginx and Envoy forward as they get it."""
    records = [{"data": f"record number {i} with some payload", "partition-key": f"key-{i}"} for i in range(100)]
    big = "x" * (1024 * 1024 - 64)
    import base64

    def kinesis(action, payload):
        return {
            "method": "POST",
            "path": f"/?Action={action}",
            "headers": {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Kinesis_20131202.{action}"},
            "body": json.dumps(payload),
        }

    def tutorial(path, payload):
        return {
            "method": "PUT",
            "path": path,
            "headers": {"Content-Type": "application/json", "x-api-key": API_KEY},
            "body": json.dumps(payload),
        }

    put = {"Data": "some data", "PartitionKey": "some key"}
    put_kinesis = {"StreamName": "s", "Data": base64.b64encode(b'"some data"').decode(), "PartitionKey": "some key"}
    return {
        "put_record": {
            "label": "PutRecord",
            "tls": False,
            "gateway": tutorial("/streams/s/record", put),
            "proxied": kinesis("PutRecord", put_kinesis),
        },
        "put_record_tls": {
            "label": "PutRecord, HTTPS upstream",
            "tls": True,
            "gateway": tutorial("/streams/s/record", put),
            "proxied": kinesis("PutRecord", put_kinesis),
        },
        "put_records_100": {
            "label": "PutRecords x100",
            "tls": False,
            "gateway": tutorial("/streams/s/records", {"records": records}),
            "proxied": kinesis(
                "PutRecords",
                {
                    "StreamName": "s",
                    "Records": [
                        {"Data": base64.b64encode(r["data"].encode()).decode(), "PartitionKey": r["partition-key"]}
                        for r in records
                    ],
                },
            ),
        },
        "put_record_1mb": {
            "label": "PutRecord, 1 MB body",
            "tls": False,
            "gateway": tutorial("/streams/s/record", {"Data": big, "PartitionKey": "some key"}),
            "proxied": kinesis(
                "PutRecord",
                {"StreamName": "s", "Data": base64.b64encode(big.encode()).decode(), "PartitionKey": "some key"},
            ),
        },
    }


def wrk_script(path, request):
    lines = [f'wrk.method = "{request["method"]}"', f"wrk.path = {json.dumps(request['path'])}"]
    for name, value in request["headers"].items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    lines.append(f"wrk.body = {json.dumps(request['body'])}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def check(port, request, name):
    """The target answers the request with 200 before it is measured."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{request['path']}",
        data=request["body"].encode(),
        method=request["method"],
        headers=request["headers"],
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    if status != 200:
        raise SystemExit(f"bench: {name} answered {status}, not 200: {body[:300]!r}")


# --- the servers ------------------------------------------------------------


class Servers:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.processes = []
        self.cores = os.cpu_count() or 1

    def start(self, name, argv, env=None, stdout=None):
        err = open(os.path.join(self.work, f"{name}.err"), "w")
        process = subprocess.Popen(
            argv, env=env, stdout=stdout or subprocess.DEVNULL, stderr=err, start_new_session=True
        )
        self.processes.append(process)
        return process

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def certificates(self):
        """A CA and a server certificate for 127.0.0.1 and localhost."""
        w = self.work
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{w}/ca.key", "-out", f"{w}/ca.pem", "-days", "2", "-subj", "/CN=bench CA")
        run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{w}/server.key", "-out", f"{w}/server.csr", "-subj", "/CN=localhost")
        with open(f"{w}/san.ext", "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", f"{w}/server.csr", "-CA", f"{w}/ca.pem", "-CAkey", f"{w}/ca.key",
            "-CAcreateserial", "-out", f"{w}/server.pem", "-days", "2", "-extfile", f"{w}/san.ext")

    def nginx(self, name, workers, http_block):
        conf = os.path.join(self.work, f"{name}.conf")
        with open(conf, "w") as f:
            f.write(
                f"""worker_processes {workers};
pid {self.work}/{name}.pid;
error_log {self.work}/{name}.error.log warn;
events {{ worker_connections 4096; }}
http {{
  keepalive_requests 1000000;
  client_body_buffer_size 2m;
  client_max_body_size 4m;
{http_block}
}}
"""
            )
        return self.start(name, [self.args.nginx, "-c", conf, "-g", "daemon off;"])


def nginx_pids(master):
    children = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
    return [master.pid] + [int(c) for c in children]


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            # The command name may hold spaces; the fields after it do not.
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def rss_kb(pids, field="VmRSS"):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
    return total


def worker_counts(admin_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    counts = {}
    for m in re.finditer(r'^gateway_worker_requests_total\{worker="(\d+)"\} (\S+)$', text, re.M):
        counts[int(m.group(1))] = float(m.group(2))
    return counts


def ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out):
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99_ms": ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "non_2xx": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0,
        "socket_errors": m.group(1) if (m := re.search(r"Socket errors: (.*)", out)) else None,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--nginx", required=True)
    parser.add_argument("--envoy", required=True)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--cases", default="")
    parser.add_argument("--targets", default="")
    args = parser.parse_args()

    all_cases = cases()
    chosen_cases = args.cases.split() or list(all_cases)
    for name in chosen_cases:
        if name not in all_cases:
            raise SystemExit(f"bench: unknown case {name}; the cases are: {' '.join(all_cases)}")
    all_targets = ["upstream", "nginx", "envoy", "gateway"]
    chosen_targets = args.targets.split() or all_targets
    for name in chosen_targets:
        if name not in all_targets:
            raise SystemExit(f"bench: unknown target {name}; the targets are: {' '.join(all_targets)}")

    work = tempfile.mkdtemp(prefix="gateway-bench.")
    servers = Servers(args, work)
    try:
        results = run(args, servers, work, all_cases, chosen_cases, chosen_targets)
    finally:
        servers.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(args, results, servers.cores)


def run(args, servers, work, all_cases, chosen_cases, chosen_targets):
    cores = servers.cores
    servers.certificates()
    port = {name: free_port() for name in [
        "upstream", "upstream_tls", "nginx", "nginx_tls", "envoy", "envoy_tls",
        "gateway", "gateway_tls", "admin", "admin_tls"]}

    # The stand-in Kinesis: one worker, HTTP and HTTPS.
    upstream = servers.nginx("upstream", 1, f"""
  access_log off;
  server {{
    listen 127.0.0.1:{port['upstream']};
    listen 127.0.0.1:{port['upstream_tls']} ssl;
    ssl_certificate {work}/server.pem;
    ssl_certificate_key {work}/server.key;
    location / {{
      default_type application/x-amz-json-1.1;
      return 200 '{REPLY}';
    }}
  }}""")

    # nginx proxy_pass: keepalive, a JSON access log, one worker per core.
    nginx = servers.nginx("nginx", cores, f"""
  log_format json escape=json '{{"time":"$time_iso8601","remote_addr":"$remote_addr","request":"$request",'
    '"status":$status,"bytes":$body_bytes_sent,"request_time":$request_time,'
    '"upstream_time":"$upstream_response_time","request_id":"$request_id"}}';
  access_log {work}/nginx.access.log json;
  upstream kinesis {{ server 127.0.0.1:{port['upstream']}; keepalive 64; }}
  upstream kinesis_tls {{ server 127.0.0.1:{port['upstream_tls']}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port['nginx']};
    location / {{
      proxy_pass http://kinesis;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
  server {{
    listen 127.0.0.1:{port['nginx_tls']};
    location / {{
      proxy_pass https://kinesis_tls;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_session_reuse on;
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      proxy_ssl_server_name on;
      proxy_ssl_trusted_certificate {work}/ca.pem;
    }}
  }}""")

    credentials = {
        "AWS_ACCESS_KEY_ID": "AKIDBENCHMARK",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }

    # Envoy: the SigV4 filter as an upstream filter, so it signs the request
    # that goes to the cluster; a JSON access log; one worker per core.
    envoy_conf = os.path.join(work, "envoy.yaml")
    with open(envoy_conf, "w") as f:
        yaml.safe_dump(envoy_config(work, port), f)
    envoy = servers.start(
        "envoy",
        [args.envoy, "-c", envoy_conf, "--concurrency", str(cores), "--log-level", "warn",
         "--base-id", str(os.getpid() % 60000)],
        env=credentials,
    )

    # The gateway, production configuration, one process per stand-in.
    gateways = {}
    for name, scheme, upstream_port, admin in [
        ("gateway", "http", port["upstream"], port["admin"]),
        ("gateway_tls", "https", port["upstream_tls"], port["admin_tls"]),
    ]:
        conf = os.path.join(work, f"{name}.yaml")
        with open(conf, "w") as f:
            yaml.safe_dump(gateway_config(work, name, admin), f, sort_keys=False)
        env = dict(credentials, AWS_ENDPOINT_URL=f"{scheme}://127.0.0.1:{upstream_port}", GATEWAY_LOG="warn")
        if scheme == "https":
            env["AWS_CA_BUNDLE"] = f"{work}/ca.pem"
        started = time.monotonic()
        process = servers.start(name, [args.gateway, "run", "--config", conf, "--listen", f"127.0.0.1:{port[name]}"], env=env)
        wait_port(port[name], process, name, os.path.join(work, f"{name}.err"))
        gateways[name] = {"process": process, "admin": admin, "startup_ms": round((time.monotonic() - started) * 1000)}

    wait_port(port["upstream"], upstream, "upstream")
    wait_port(port["upstream_tls"], upstream, "upstream")
    wait_port(port["nginx"], nginx, "nginx")
    wait_port(port["envoy"], envoy, "envoy", os.path.join(work, "envoy.err"))
    time.sleep(0.5)
    idle_rss = {name: rss_kb([g["process"].pid]) for name, g in gateways.items()}

    results = []
    for case_name in chosen_cases:
        case = all_cases[case_name]
        tls = case["tls"]
        targets = []
        if "upstream" in chosen_targets and not tls and case_name == "put_record":
            targets.append(("upstream", port["upstream"], case["proxied"], nginx_pids(upstream)))
        if "nginx" in chosen_targets:
            targets.append(("nginx", port["nginx_tls" if tls else "nginx"], case["proxied"], nginx_pids(nginx)))
        if "envoy" in chosen_targets:
            targets.append(("envoy", port["envoy_tls" if tls else "envoy"], case["proxied"], [envoy.pid]))
        if "gateway" in chosen_targets:
            g = gateways["gateway_tls" if tls else "gateway"]
            targets.append(("gateway", port["gateway_tls" if tls else "gateway"], case["gateway"], [g["process"].pid]))
        for target, target_port, request, pids in targets:
            script = os.path.join(work, f"{case_name}-{target}.lua")
            wrk_script(script, request)
            check(target_port, request, f"{target} ({case_name})")
            gateway = gateways["gateway_tls" if tls else "gateway"] if target == "gateway" else None
            counts_before = worker_counts(gateway["admin"]) if gateway else None
            log(f"{case['label']}: {target} ({args.duration} s, {args.connections} connections)")
            ticks = cpu_ticks(pids)
            out = subprocess.run(
                ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
                 "-s", script, f"http://127.0.0.1:{target_port}"],
                capture_output=True, text=True, check=True,
            ).stdout
            ticks = cpu_ticks(pids) - ticks
            result = parse_wrk(out)
            result.update(
                case=case_name,
                target=target,
                cpu_us_per_request=round(ticks / CLK_TCK * 1e6 / max(result["requests"], 1), 1),
                rss_mb=round(rss_kb(pids) / 1024, 1),
            )
            if gateway:
                after = worker_counts(gateway["admin"])
                result["per_worker_requests"] = [int(after.get(w, 0) - counts_before.get(w, 0)) for w in sorted(after)]
                result["peak_rss_mb"] = round(rss_kb(pids, "VmHWM") / 1024, 1)
            results.append(result)
    return {
        "results": results,
        "gateway": {
            name: {"startup_ms": g["startup_ms"], "rss_idle_mb": round(idle_rss[name] / 1024, 1)}
            for name, g in gateways.items()
        },
    }


def envoy_config(work, port):
    def listener(name, listen_port, cluster):
        return {
            "name": name,
            # The SigV4 filter buffers the body to sign it: room for the 1 MB case.
            "per_connection_buffer_limit_bytes": 4 * 1024 * 1024,
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": listen_port}},
            "filter_chains": [{"filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": name,
                    "access_log": [{
                        "name": "envoy.access_loggers.file",
                        "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
                            "path": f"{work}/envoy.access.log",
                            "log_format": {"json_format": {
                                "time": "%START_TIME%", "remote_addr": "%DOWNSTREAM_REMOTE_ADDRESS%",
                                "request": "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%",
                                "status": "%RESPONSE_CODE%", "bytes": "%BYTES_SENT%", "duration": "%DURATION%",
                                "upstream_time": "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
                                "request_id": "%REQ(X-REQUEST-ID)%"}},
                        },
                    }],
                    "route_config": {"virtual_hosts": [{
                        "name": "all", "domains": ["*"],
                        "routes": [{"match": {"prefix": "/"}, "route": {
                            "cluster": cluster, "host_rewrite_literal": "kinesis.us-east-1.amazonaws.com"}}],
                    }]},
                    "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],
                },
            }]}],
        }

    def cluster(name, upstream_port, tls):
        c = {
            "name": name,
            "type": "STATIC",
            "per_connection_buffer_limit_bytes": 4 * 1024 * 1024,
            "connect_timeout": "1s",
            "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [{"endpoint": {
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": upstream_port}}}}]}]},
            "typed_extension_protocol_options": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "explicit_http_config": {"http_protocol_options": {}},
                "http_filters": [
                    {"name": "envoy.filters.http.aws_request_signing", "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.aws_request_signing.v3.AwsRequestSigning",
                        "service_name": "kinesis", "region": "us-east-1", "use_unsigned_payload": False}},
                    {"name": "envoy.filters.http.upstream_codec", "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec"}},
                ],
            }},
        }
        if tls:
            c["transport_socket"] = {"name": "envoy.transport_sockets.tls", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                "sni": "localhost",
                "common_tls_context": {"validation_context": {"trusted_ca": {"filename": f"{work}/ca.pem"}}},
            }}
        return c

    return {
        "static_resources": {
            "listeners": [listener("plain", port["envoy"], "kinesis"), listener("tls", port["envoy_tls"], "kinesis_tls")],
            "clusters": [cluster("kinesis", port["upstream"], False), cluster("kinesis_tls", port["upstream_tls"], True)],
        },
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": free_port()}}},
    }


def gateway_config(work, name, admin_port):
    """The root gateway.yaml as it would run in production: a JSON access
    log to a file, the admin listener, and an API key whose usage plan
    throttles far above anything this load reaches."""
    with open(os.path.join(ROOT, "gateway.yaml")) as f:
        config = yaml.safe_load(f)
    config.pop("listen", None)
    config["access_log"] = {"enabled": True, "format": "json", "destination": f"{work}/{name}.access.log"}
    config["admin"] = {"listen": f"127.0.0.1:{admin_port}"}
    config["api_keys"] = {"bench": {"value": API_KEY}}
    config["usage_plans"] = {"bench": {"api_keys": ["bench"], "throttle": {"rate": 1_000_000, "burst": 1_000_000}}}
    for path in ["/streams/{stream-name}/record", "/streams/{stream-name}/records"]:
        config["resources"][path]["PUT"]["api_key_required"] = True
    return config


def report(args, results, cores):
    runs = results["results"]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    out = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu, "cores": cores, "kernel": platform.release()},
        "settings": {"duration_s": args.duration, "connections": args.connections, "wrk_threads": args.wrk_threads},
        "runs": runs,
        "gateway": results["gateway"],
    }
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/results/latest.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")

    labels = {name: case["label"] for name, case in cases().items()}
    print(f"Machine: {cpu}, {cores} cores, Linux {platform.release()}; {args.connections} connections, "
          f"{args.duration} s per run, wrk with {args.wrk_threads} threads")
    print()
    print("| case | target | req/s | p50 (ms) | p99 (ms) | CPU per request (µs) | RSS (MB) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in runs:
        flag = "" if r["non_2xx"] == 0 and not r["socket_errors"] else f" ({r['non_2xx']} non-2xx, socket errors: {r['socket_errors']})"
        print(f"| {labels[r['case']]} | {r['target']}{flag} | {r['requests_per_second']:,.0f} | {r['p50_ms']:.2f} | "
              f"{r['p99_ms']:.2f} | {r['cpu_us_per_request']:.1f} | {r['rss_mb']:.1f} |")
    print()
    for r in runs:
        if "per_worker_requests" in r:
            print(f"Gateway per-worker requests, {labels[r['case']]}: {r['per_worker_requests']}")
    for name, g in results["gateway"].items():
        print(f"{name}: {g['rss_idle_mb']} MB idle, start to listening {g['startup_ms']} ms")
    # RSS under the PutRecord load, and separately after the large bodies,
    # which hold several copies of each megabyte in flight.
    peak = max((r.get("peak_rss_mb", 0) for r in runs if r["case"] in ("put_record", "put_record_tls")), default=0)
    peak_all = max((r.get("peak_rss_mb", 0) for r in runs), default=0)
    print(f"Gateway peak RSS: {peak} MB under PutRecord load; {peak_all} MB over the whole run")
    print()
    by = {(r["case"], r["target"]): r for r in runs}
    for case in ["put_record", "put_record_tls"]:
        g, n = by.get((case, "gateway")), by.get((case, "nginx"))
        if g and n:
            verdict = "met" if g["cpu_us_per_request"] <= n["cpu_us_per_request"] else "NOT met"
            print(f"Target, {labels[case]}: gateway CPU per request {g['cpu_us_per_request']} µs "
                  f"<= nginx {n['cpu_us_per_request']} µs: {verdict}")
    g = by.get(("put_record", "gateway"))
    if g:
        print(f"Target, p99 <= 2 ms at {args.connections} connections (PutRecord): {g['p99_ms']:.2f} ms: "
              f"{'met' if g['p99_ms'] <= 2 else 'NOT met'}")
    print(f"Target, RSS <= 60 MB under PutRecord load: {peak} MB: {'met' if peak <= 60 else 'NOT met'}")
    print()
    print("Results: bench/results/latest.json")


if __name__ == "__main__":
    main()
