#!/usr/bin/env python3
"""A webhook receiver for end-to-end tests: answers every POST with 200, and writes one
JSON file per request into --out: the headers, the body, and whether its
X-Nurture-Signature checks out under --secret, verified here with Python's own hmac
(independently of Nurture's code), and how many requests were in flight when it came
(itself included), and when it was answered. --delay-ms holds each answer that long (a slow CRM). Prints
"READY <port>" once it listens."""
import argparse
import hashlib
import hmac
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--secret", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--delay-ms", type=int, default=0)
args = parser.parse_args()
# The test process blocks SIGTERM in the thread that starts us, and we inherit the mask.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
os.makedirs(args.out, exist_ok=True)
count = 0
in_flight = 0
lock = threading.Lock()


def signature_valid(header, body):
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in parts or "v1" not in parts:
        return False
    if abs(time.time() - int(parts["t"])) > 300:
        return False
    expected = hmac.new(args.secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global count, in_flight
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            in_flight += 1
            concurrent = in_flight
        time.sleep(args.delay_ms / 1000)
        with lock:
            in_flight -= 1
            count += 1
            number = count
        record = {
            "path": self.path,
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": json.loads(body),
            "signature_valid": signature_valid(self.headers.get("X-Nurture-Signature", ""), body),
            "concurrent": concurrent,
            "answered_at": time.time(),
        }
        with open(os.path.join(args.out, f"{number}.json"), "w") as out:
            json.dump(record, out)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_):
        pass


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
print(f"READY {server.server_address[1]}", flush=True)
server.serve_forever()
