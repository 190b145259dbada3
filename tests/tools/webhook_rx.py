#!/usr/bin/env python3
"""tests/tools/webhook_rx.py -- a webhook receiver for centinela's alert
router (tests/unit/test_fraud_alert.c), checking what a real receiver
should check.

  webhook_rx.py --secret-env NAME [--port N]

Listens on 127.0.0.1 (port N, or a free one when N is 0 or absent),
prints the port on one line and serves until killed (it exits by itself
after 300 s in any case). The HMAC key is read from the environment
variable NAME, never from the command line.

Every POST is checked: X-Centinela-Signature must be
"sha256=" + hex HMAC-SHA256(key, X-Centinela-Timestamp + "." + body)
(compared in constant time), the timestamp within 300 s of now, the
body a JSON object whose "id" is X-Centinela-Alert-Id and which has
exactly the fields id, ts, severity, rule, subject, text, node. A POST
that fails a check gets 401 (signature, timestamp) or 400 (body).
Otherwise the answer is 200, unless failures were asked for:

  GET /fail/N    the next N checked POSTs get 500
  GET /posts     every POST so far as a JSON list of
                 {"id", "status", "sig_ok", "body"} (status: what we
                 answered; body: the parsed JSON or null)
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time

FIELDS = {"id", "ts", "severity", "rule", "subject", "text", "node"}

lock = threading.Lock()
posts = []
fail_next = [0]
key = b""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if parts[0] == "posts":
            with lock:
                out = json.dumps(posts).encode()
            self.answer(200, out)
        elif parts[0] == "fail" and len(parts) == 2 and parts[1].isdigit():
            with lock:
                fail_next[0] = int(parts[1])
            self.answer(200, b"{}")
        else:
            self.answer(404, b"{}")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        ts = self.headers.get("X-Centinela-Timestamp", "")
        sig = self.headers.get("X-Centinela-Signature", "")
        aid = self.headers.get("X-Centinela-Alert-Id", "")
        want = "sha256=" + hmac.new(key, ts.encode() + b"." + raw,
                                    hashlib.sha256).hexdigest()
        sig_ok = hmac.compare_digest(want, sig)
        fresh = ts.isdigit() and abs(time.time() - int(ts)) <= 300
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not sig_ok or not fresh:
            status = 401
        elif (not isinstance(body, dict) or set(body) != FIELDS or
              body.get("id") != aid):
            status = 400
        else:
            with lock:
                if fail_next[0] > 0:
                    fail_next[0] -= 1
                    status = 500
                else:
                    status = 200
        with lock:
            posts.append({"id": aid, "status": status, "sig_ok": sig_ok,
                          "body": body})
        self.answer(status, b"{}")


def main():
    global key
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--secret-env", required=True)
    opts = ap.parse_args()
    key = os.environ.get(opts.secret_env, "").encode()
    if not key:
        sys.exit("webhook_rx: %s is not set" % opts.secret_env)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", opts.port), Handler)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    threading.Timer(300, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
