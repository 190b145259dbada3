#!/usr/bin/env python3
"""tests/tools/feed_httpd.py -- the HTTP server of tests/unit/test_guard_feed.c.

Listens on 127.0.0.1 at a free port, prints the port on one line and
serves until killed (it exits by itself after 120 s in any case):

  /plain, /json               a small list in that format
  /apiban/banned              APIBan first page (ID 100)
  /apiban/banned/100          next page (ID 101)
  /apiban/banned/101          400 {"ipaddress":["no new bans"],"ID":"none"}
  /status/N                   status N with a short body
  /announce/N                 announces Content-Length N, sends 16 bytes
  /stream/N                   N bytes without Content-Length, then close
  /redirect/plain             302 to /plain
  /redirect/ftp               302 to an ftp:// URL
  /log                        the paths asked so far, one a line
"""
import http.server
import os
import sys
import threading

PLAIN = b"# test list\n192.0.2.1\n198.51.100.0/24 # a net\r\n2001:db8::/32\n"
JSON = (b'{"version":1,"bans":[{"addr":"192.0.2.7/32","reason":"scanner",'
        b'"until":1790000000},{"addr":"2001:db8::1"}]}')
APIBAN = {
    "/apiban/banned": (200, b'{"ipaddress":["192.0.2.10","192.0.2.11"],'
                            b'"ID":"100"}'),
    "/apiban/banned/100": (200, b'{"ipaddress":["192.0.2.12"],"ID":"101"}'),
    "/apiban/banned/101": (400, b'{"ipaddress":["no new bans"],"ID":"none"}'),
}

log = []
log_lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, body, ctype="text/plain", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        with log_lock:
            if p != "/log":
                log.append(p)
        if p == "/plain":
            self.answer(200, PLAIN)
        elif p == "/json":
            self.answer(200, JSON, "application/json")
        elif p in APIBAN:
            code, body = APIBAN[p]
            self.answer(code, body, "application/json")
        elif p.startswith("/status/"):
            self.answer(int(p[8:]), b"status body\n")
        elif p.startswith("/announce/"):
            self.send_response(200)
            self.send_header("Content-Length", p[10:])
            self.end_headers()
            self.wfile.write(b"0123456789abcdef")
            self.close_connection = True
        elif p.startswith("/stream/"):
            n = int(p[8:])
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"x" * 4096
            try:
                while n > 0:
                    self.wfile.write(chunk[:min(n, len(chunk))])
                    n -= len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
        elif p == "/redirect/plain":
            self.answer(302, b"", headers=[("Location", "/plain")])
        elif p == "/redirect/ftp":
            self.answer(302, b"",
                        headers=[("Location", "ftp://127.0.0.1:1/x")])
        elif p == "/log":
            with log_lock:
                body = "".join(x + "\n" for x in log).encode()
            self.answer(200, body)
        else:
            self.answer(404, b"not found\n")


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    timer = threading.Timer(120, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
