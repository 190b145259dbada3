#!/usr/bin/env python3
"""tests/tools/stir_httpd.py -- the HTTPS x5u server of
tests/unit/test_callerid_stir.c.

  stir_httpd.py CERT KEY DOCROOT

Listens on 127.0.0.1 at a free port, prints the port on one line and
serves until killed (it exits by itself after 300 s in any case):

  /f/NAME             DOCROOT/NAME with Cache-Control: max-age=3600
  /ma/N/NAME          the same with Cache-Control: max-age=N
  /exp/N/NAME         the same with Expires: now + N s (and Date)
  /nostore/NAME       the same with Cache-Control: no-store
  /status/N           status N with a short body
  /big                200 KB of PEM-looking text
  /slow               waits 8 s, then answers 200
  /count              how many other requests were received so far
  /log                their paths, one a line
"""
import email.utils
import http.server
import os
import ssl
import sys
import threading
import time

log = []
log_lock = threading.Lock()
docroot = "."


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, body, headers=()):
        self.send_response(code)
        self.send_header("Content-Type", "application/pem-certificate-chain")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def file(self, name, headers):
        path = os.path.join(docroot, os.path.basename(name))
        try:
            with open(path, "rb") as f:
                body = f.read()
        except OSError:
            self.answer(404, b"not found\n")
            return
        self.answer(200, body, headers)

    def do_GET(self):
        p = self.path
        if p not in ("/count", "/log"):
            with log_lock:
                log.append(p)
        parts = p.split("/")
        if p.startswith("/f/"):
            self.file(p[3:], [("Cache-Control", "max-age=3600")])
        elif p.startswith("/ma/") and len(parts) == 4:
            self.file(parts[3], [("Cache-Control", "max-age=" + parts[2])])
        elif p.startswith("/exp/") and len(parts) == 4:
            now = time.time()
            self.file(parts[3], [
                ("Expires", email.utils.formatdate(now + int(parts[2]),
                                                   usegmt=True))])
        elif p.startswith("/nostore/"):
            self.file(p[9:], [("Cache-Control", "no-store")])
        elif p.startswith("/status/"):
            self.answer(int(p[8:]), b"status body\n")
        elif p == "/big":
            self.answer(200, b"-----BEGIN CERTIFICATE-----\n" +
                        b"A" * 200000 + b"\n-----END CERTIFICATE-----\n")
        elif p == "/slow":
            time.sleep(8)
            self.answer(200, b"late\n")
        elif p == "/count":
            with log_lock:
                n = len(log)
            self.answer(200, b"%d\n" % n)
        elif p == "/log":
            with log_lock:
                body = "".join(x + "\n" for x in log).encode()
            self.answer(200, body)
        else:
            self.answer(404, b"not found\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, ctx):
        super().__init__(addr, Handler)
        self.ctx = ctx

    def get_request(self):
        # the TLS handshake runs in the handler thread, so a client that
        # never sends a ClientHello cannot stall the accept loop
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True,
                                    do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass


def main():
    global docroot
    cert, key, docroot = sys.argv[1], sys.argv[2], sys.argv[3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = Server(("127.0.0.1", 0), ctx)
    timer = threading.Timer(300, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
