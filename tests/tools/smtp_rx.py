#!/usr/bin/env python3
"""tests/tools/smtp_rx.py -- a real SMTP server (aiosmtpd, Debian's
python3-aiosmtpd) for centinela's alert router
(tests/unit/test_fraud_alert.c).

  smtp_rx.py DIR [--port N] [--auth-env NAME]

Listens on 127.0.0.1 (port N, or a free one), prints the port on one
line and serves until killed (it exits by itself after 300 s). Each
message accepted is written to DIR/NNNN.eml: the envelope first
("X-Envelope-From: ...", one "X-Envelope-To: ..." per recipient,
"X-Auth-User: ..." after AUTH), then the message exactly as received.
The file appears whole (written beside, then renamed).

With --auth-env NAME the environment variable NAME holds "user:password":
the server offers AUTH PLAIN and LOGIN (without TLS, on loopback) and
refuses mail from a client that did not authenticate with them.

aiosmtpd belongs to Debian's python3: when the python3 running this
lacks it (a pyenv or venv interpreter first on PATH), the script runs
itself again with Debian's.
"""
import argparse
import os
import socket
import sys
import threading
import time

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError:
    DEB = "/usr/bin/python3"
    if (os.path.exists(DEB) and
            os.path.realpath(sys.executable) != os.path.realpath(DEB)):
        os.execv(DEB, [DEB] + sys.argv)
    raise


class Handler:
    def __init__(self, outdir, auth):
        self.outdir = outdir
        self.auth = auth
        self.n = 0
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        if self.auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        head = "X-Envelope-From: %s\r\n" % envelope.mail_from
        for r in envelope.rcpt_tos:
            head += "X-Envelope-To: %s\r\n" % r
        if session.auth_data is not None:
            user = session.auth_data.login
            if isinstance(user, bytes):
                user = user.decode()
            head += "X-Auth-User: %s\r\n" % user
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        path = os.path.join(self.outdir, "%04d.eml" % n)
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode() + data)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--auth-env")
    opts = ap.parse_args()
    auth = None
    if opts.auth_env:
        v = os.environ.get(opts.auth_env, "")
        if ":" not in v:
            sys.exit("smtp_rx: %s must hold user:password" % opts.auth_env)
        auth = tuple(v.split(":", 1))

    def authenticator(server, session, envelope, mechanism, data):
        ok = (isinstance(data, LoginPassword) and auth is not None and
              data.login.decode() == auth[0] and
              data.password.decode() == auth[1])
        return AuthResult(success=ok, auth_data=data if ok else None)

    port = opts.port or free_port()
    kw = {}
    if auth:
        kw = {"authenticator": authenticator, "auth_require_tls": False}
    ctl = Controller(Handler(opts.dir, auth), hostname="127.0.0.1",
                     port=port, **kw)
    ctl.start()
    print(port, flush=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        time.sleep(1)
    ctl.stop()


if __name__ == "__main__":
    main()
