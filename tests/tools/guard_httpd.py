#!/usr/bin/env python3
"""tests/tools/guard_httpd.py -- a tiny HTTP server for the guard
integration tests (feeds): serves the files of a directory.

  guard_httpd.py DIR PORT

Listens on 127.0.0.1:PORT. GET /a/b answers the file DIR/a_b (every
'/' after the first becomes '_', so an APIBan URL and its next pages,
/apiban/banned and /apiban/banned/100, are two plain files), read at
each request so that a test changes the answer by replacing the file
(write a new file and rename it over the old one). When DIR/a_b.status
exists it holds the HTTP status to answer with (APIBan's last page is
a 400). A missing file is a 404. Every path asked is appended to
DIR/requests.log, one a line, flushed at once. Exits by itself after
300 s in any case.
"""
import http.server
import os
import sys
import threading

DIR = "."


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with open(os.path.join(DIR, "requests.log"), "a") as f:
            f.write(self.path + "\n")
        name = self.path.lstrip("/").replace("/", "_")
        path = os.path.join(DIR, name)
        code = 200
        if not name or name.startswith(".") or not os.path.isfile(path):
            code, body = 404, b"not found\n"
        else:
            with open(path, "rb") as f:
                body = f.read()
            if os.path.isfile(path + ".status"):
                with open(path + ".status") as f:
                    code = int(f.read().strip())
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    global DIR
    if len(sys.argv) != 3:
        print("usage: guard_httpd.py DIR PORT", file=sys.stderr)
        return 2
    DIR = sys.argv[1]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])),
                                          Handler)
    srv.daemon_threads = True
    timer = threading.Timer(300, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
