#!/usr/bin/env python3
"""tests/tools/robinson_httpd.py -- a fake Lista Robinson API for
tests/unit/test_callerid_robinson.c.

  robinson_httpd.py [--port N] [--delay MS] [--mode MODE]
                    [--key ID --secret SECRET] [HASH ...]

Listens on 127.0.0.1 (port N, or a free one when N is 0 or absent),
prints the port on one line and serves until killed (it exits by itself
after 300 s in any case).

A POST's body is comma-separated SHA-256 hex hashes; the answer is a
JSON object keyed by each hash, {"found": true} for the HASHes given on
the command line, {"found": false} for the others, as the real API does
(it also sends "sectors" and "signature"; so do we). A duplicated hash
gets 400, as from the real API.

MODE (default "ok") changes the answer; a path starting with
/mode/MODE/ overrides it for that request:

  ok        the answer above
  500       status 500, a JSON error body
  badjson   status 200, a body that is not JSON
  notobject status 200, a JSON array
  partial   status 200, only the first hash answered
  hang      no answer for 60 s

--delay MS waits MS milliseconds before answering ("/delay/MS/" in the
path does the same for one request).

With --key and --secret every POST must carry an AWS SigV4
Authorization header (AWS4-HMAC-SHA256, that key id) and X-Amz-Date;
the signature is checked over the canonical request (RFC-less but
documented by AWS: method, path, query, signed headers, payload hash).
A missing or wrong signature gets 403.

  GET /count   the number of POSTs received so far
  GET /log     one line per POST: its body
  GET /auth    the Authorization header of the last POST ("" if none)
"""
import argparse
import hashlib
import hmac
import http.server
import json
import sys
import threading
import time

lock = threading.Lock()
posts = []
last_auth = [""]
opts = None


def sigv4_ok(handler, body):
    """Check the SigV4 signature of this request; returns an error or ""."""
    auth = handler.headers.get("Authorization", "")
    date = handler.headers.get("X-Amz-Date", "")
    if not auth or not date:
        return "missing Authorization or X-Amz-Date"
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "not AWS4-HMAC-SHA256"
    fields = {}
    for part in auth[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    cred = fields.get("Credential", "").split("/")
    if len(cred) != 5 or cred[0] != opts.key or cred[4] != "aws4_request":
        return "bad Credential"
    day, region, service = cred[1], cred[2], cred[3]
    if not date.startswith(day):
        return "date mismatch"
    signed = fields.get("SignedHeaders", "").split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return "host or x-amz-date not signed"
    path, _, query = handler.path.partition("?")
    qs = "&".join(sorted(q for q in query.split("&") if q))
    canon_hdrs = ""
    for name in signed:
        v = handler.headers.get(name)
        if v is None:
            return "signed header %s absent" % name
        canon_hdrs += name + ":" + " ".join(v.split()) + "\n"
    creq = "\n".join([handler.command, path, qs, canon_hdrs, ";".join(signed),
                      hashlib.sha256(body).hexdigest()])
    scope = "/".join([day, region, service, "aws4_request"])
    sts = "\n".join(["AWS4-HMAC-SHA256", date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])

    def mac(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    k = mac(("AWS4" + opts.secret).encode(), day)
    k = mac(k, region)
    k = mac(k, service)
    k = mac(k, "aws4_request")
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, fields.get("Signature", "")):
        return "signature mismatch"
    return ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        with lock:
            if self.path == "/count":
                body = "%d\n" % len(posts)
            elif self.path == "/log":
                body = "".join(p + "\n" for p in posts)
            elif self.path == "/auth":
                body = last_auth[0] + "\n"
            else:
                self.answer(404, b"{}")
                return
        self.answer(200, body.encode(), "text/plain")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n > 0 else b""
        with lock:
            posts.append(body.decode("ascii", "replace"))
            last_auth[0] = self.headers.get("Authorization", "")
        mode, delay = opts.mode, opts.delay
        parts = self.path.split("/")
        i = 1
        while i + 1 < len(parts):
            if parts[i] == "mode":
                mode = parts[i + 1]
            elif parts[i] == "delay":
                delay = int(parts[i + 1])
            else:
                break
            i += 2
        if delay:
            time.sleep(delay / 1000.0)
        if opts.key:
            err = sigv4_ok(self, body)
            if err:
                self.answer(403, json.dumps({"message": err}).encode())
                return
        hashes = [h for h in body.decode("ascii", "replace").split(",") if h]
        if len(set(hashes)) != len(hashes):
            self.answer(400, b'{"message":"duplicated hash"}')
            return
        if mode == "hang":
            time.sleep(60)
            return
        if mode == "500":
            self.answer(500, b'{"message":"Internal server error"}')
            return
        if mode == "badjson":
            self.answer(200, b'{"abc": tru')
            return
        if mode == "notobject":
            self.answer(200, b"[1, 2, 3]")
            return
        if mode == "partial":
            hashes = hashes[:1]
        out = {}
        for h in hashes:
            found = h in opts.listed
            out[h] = {"found": found, "sectors": ["1"] if found else [],
                      "signature": "c2lnbmF0dXJl"}
        self.answer(200, json.dumps(out).encode())


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global opts
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--delay", type=int, default=0)
    ap.add_argument("--mode", default="ok")
    ap.add_argument("--key", default="")
    ap.add_argument("--secret", default="")
    ap.add_argument("listed", nargs="*")
    opts = ap.parse_args()
    opts.listed = set(h.lower() for h in opts.listed)
    srv = Server(("127.0.0.1", opts.port), Handler)
    print(srv.server_address[1], flush=True)
    threading.Timer(300, lambda: srv.shutdown()).start()
    srv.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
