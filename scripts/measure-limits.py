#!/usr/bin/env python3
"""Measures what hostile clients can make the gateway hold.

Runs the real gateway binary on the root gateway.yaml, in front of a small
stand-in for Kinesis on loopback (it reads each request and answers a fixed
PutRecord reply), and reports, for each scenario, the gateway's peak resident
memory (VmHWM) and how the clients were ended:

  slow-uploads   200 uploads declaring 10 MB that trickle 1 KiB every 500 ms
  large-bodies   40 concurrent PutRecord bodies of 9.9 MB
  zeros          one 9.9 MB body of [0,0,...], and a small request on the same
                 worker meanwhile
  silent         100 connections that send nothing and 100 that stop in their
                 headers

Usage: scripts/measure-limits.py [--gateway target/release/gateway] [scenario...]
The figures are printed as one JSON object per scenario. Python 3.9+, no
packages. Each scenario starts its own gateway, so VmHWM is its own.
"""

import argparse
import http.server
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PUT_RECORD_REPLY = b'{"SequenceNumber": "1", "ShardId": "shardId-000000000000"}'


class Stub(http.server.BaseHTTPRequestHandler):
    """A stand-in Kinesis: reads the body, answers PutRecord's shape."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (the standard library's name)
        length = int(self.headers.get("Content-Length", "0"))
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(PUT_RECORD_REPLY)))
        self.end_headers()
        self.wfile.write(PUT_RECORD_REPLY)

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    def __init__(self, binary, upstream, workers=None, extra_config=""):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="gateway-limits-")
        config = pathlib.Path(self.dir, "gateway.yaml")
        # The root gateway.yaml as it is, so that older versions load it too;
        # the access log, if any, goes to /dev/null with stdout.
        config.write_text(extra_config + (ROOT / "gateway.yaml").read_text())
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": self.dir,
            "AWS_ACCESS_KEY_ID": "AKIDLIMITS",
            "AWS_SECRET_ACCESS_KEY": "limits-secret",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": upstream,
            "AWS_EC2_METADATA_DISABLED": "true",
            "GATEWAY_LOG": "warn",
        }
        args = [binary, "run", "--config", str(config), "--listen", f"127.0.0.1:{self.port}"]
        if workers:
            args += ["--workers", str(workers)]
        self.process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("the gateway did not start")
        self.peak = 0
        self.watching = True
        threading.Thread(target=self._watch, daemon=True).start()

    def _status(self, field):
        try:
            for line in pathlib.Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _watch(self):
        while self.watching:
            self.peak = max(self.peak, self._status("VmHWM"))
            time.sleep(0.1)

    def rss(self):
        return self._status("VmRSS")

    def stop(self):
        self.peak = max(self.peak, self._status("VmHWM"))
        self.watching = False
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()


def mib(n):
    return round(n / (1024 * 1024), 1)


def head(path, length, extra=""):
    return (
        f"PUT {path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


def read_status(sock):
    """The status of the answer on `sock`, or None when it was closed without one."""
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    if data.startswith(b"HTTP/1.1 "):
        return int(data[9:12])
    return None


def slow_uploads(binary, upstream, count=200, limit_s=150):
    gateway = Gateway(binary, upstream)
    baseline = gateway.rss()
    ended = {}
    started = time.time()

    def client(n):
        sock = socket.create_connection(("127.0.0.1", gateway.port))
        sock.settimeout(0.5)
        try:
            sock.sendall(head("/streams/s/record", 10 * 1024 * 1024))
            while time.time() - started < limit_s:
                try:
                    sock.sendall(b" " * 1024)
                except OSError:
                    break
                try:
                    data = sock.recv(4096)
                    ended[n] = (time.time() - started, int(data[9:12]) if data.startswith(b"HTTP/1.1 ") else None)
                    break
                except socket.timeout:
                    continue
                except OSError:
                    ended[n] = (time.time() - started, None)
                    break
        finally:
            sock.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gateway.stop()
    times = [t for t, _ in ended.values()]
    statuses = sorted({str(s) for _, s in ended.values()})
    return {
        "scenario": "slow-uploads",
        "clients": count,
        "ended_by_gateway": len(ended),
        "latest_end_s": round(max(times), 1) if times else None,
        "statuses": statuses,
        "rss_idle_mib": mib(baseline),
        "peak_rss_mib": mib(gateway.peak),
    }


def large_bodies(binary, upstream, count=40):
    gateway = Gateway(binary, upstream)
    data = "x" * (9_900_000 - 40)
    body = json.dumps({"Data": data, "PartitionKey": "k"}).encode()
    statuses = []

    def client():
        sock = socket.create_connection(("127.0.0.1", gateway.port))
        sock.settimeout(120)
        try:
            sock.sendall(head("/streams/s/record", len(body)) + body)
            statuses.append(read_status(sock))
        except OSError:
            statuses.append(None)
        finally:
            sock.close()

    threads = [threading.Thread(target=client) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gateway.stop()
    counts = {}
    for s in statuses:
        counts[str(s)] = counts.get(str(s), 0) + 1
    return {
        "scenario": "large-bodies",
        "clients": count,
        "body_bytes": len(body),
        "statuses": counts,
        "peak_rss_mib": mib(gateway.peak),
    }


def zeros(binary, upstream):
    gateway = Gateway(binary, upstream, workers=1)
    time.sleep(0.3)
    baseline = gateway.rss()
    count = (9_900_000 - 40) // 2
    body = ('{"Data": [' + ",".join(["0"] * count) + '], "PartitionKey": "k"}').encode()
    result = {}

    def big():
        sock = socket.create_connection(("127.0.0.1", gateway.port))
        sock.settimeout(120)
        started = time.time()
        sock.sendall(head("/streams/s/record", len(body)) + body)
        result["big_status"] = read_status(sock)
        result["big_s"] = round(time.time() - started, 2)
        sock.close()

    thread = threading.Thread(target=big)
    thread.start()
    # A small request while the big one is being read or rendered.
    time.sleep(0.2)
    small = json.dumps({"Data": "small", "PartitionKey": "k"}).encode()
    sock = socket.create_connection(("127.0.0.1", gateway.port))
    sock.settimeout(30)
    started = time.time()
    sock.sendall(head("/streams/s/record", len(small)) + small)
    result["small_status"] = read_status(sock)
    result["small_s"] = round(time.time() - started, 3)
    sock.close()
    thread.join()
    gateway.stop()
    return {
        "scenario": "zeros",
        "body_bytes": len(body),
        **result,
        "rss_before_mib": mib(baseline),
        "peak_rss_mib": mib(gateway.peak),
        "rss_growth_mib": mib(gateway.peak - baseline),
    }


def silent(binary, upstream, count=100, limit_s=150):
    gateway = Gateway(binary, upstream)
    started = time.time()
    closed = []

    def client(stall):
        sock = socket.create_connection(("127.0.0.1", gateway.port))
        sock.settimeout(limit_s)
        try:
            if stall:
                sock.sendall(b"PUT /streams/s/record HTTP/1.1\r\nHost: gateway\r\nContent-")
            while sock.recv(4096):
                pass
            closed.append(time.time() - started)
        except OSError:
            pass
        finally:
            sock.close()

    threads = [threading.Thread(target=client, args=(n % 2 == 1,)) for n in range(2 * count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gateway.stop()
    return {
        "scenario": "silent",
        "connections": 2 * count,
        "closed_by_gateway": len(closed),
        "latest_close_s": round(max(closed), 1) if closed else None,
        "peak_rss_mib": mib(gateway.peak),
    }


SCENARIOS = {
    "slow-uploads": slow_uploads,
    "large-bodies": large_bodies,
    "zeros": zeros,
    "silent": silent,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default=str(ROOT / "target/release/gateway"))
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    upstream = f"http://127.0.0.1:{server.server_address[1]}"
    for name in args.scenarios:
        print(json.dumps(SCENARIOS[name](args.gateway, upstream)), flush=True)
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
