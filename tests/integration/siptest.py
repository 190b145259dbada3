#!/usr/bin/env python3
"""tests/integration/siptest.py -- raw SIP over sockets for the black-box
tests: what SIPp cannot send (malformed bytes, slow writers, many
connections, keep-alive pings) and small checks (one OPTIONS).

Standard library only. Every subcommand exits 0 when all its assertions
held, 1 otherwise, printing one line per check ("ok: ..." / "FAIL: ...").
Every wait is bounded.

  siptest.py options   --tp udp|tcp --host H --port P [--bind IP]
                       [--expect CODE|none] [--wait S]
  siptest.py malformed --host H --port P --log FILE [--max-size N]
  siptest.py slowloris --host H --port P --log FILE [--header-timeout MS]
  siptest.py connlimit --host H --port P --log FILE --limit N [--total N]
  siptest.py keepalive --host H --port P
"""
import argparse
import os
import random
import re
import socket
import ssl
import sys
import threading
import time

FAILS = []


def ok(msg):
    print("    ok: " + msg, flush=True)


def bad(msg):
    print("    FAIL: " + msg, flush=True)
    FAILS.append(msg)


def expect(cond, msg):
    (ok if cond else bad)(msg)
    return cond


def hostport(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def rnd():
    return "%016x" % random.getrandbits(64)


def request(method="OPTIONS", ruri=None, host="127.0.0.1", port=5060,
            tp="UDP", local=("127.0.0.1", 0), cseq=None, maxf="70",
            extra="", body="", clen=None, callid=None):
    """A well-formed request; pieces can be overridden to break it."""
    ruri = ruri or "sip:" + hostport(host, port)
    callid = callid or rnd() + "@siptest"
    lines = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/%s %s;branch=z9hG4bK%s;rport"
        % (tp, hostport(local[0], local[1] or 9), rnd()),
    ]
    if maxf is not None:
        lines.append("Max-Forwards: %s" % maxf)
    lines += [
        "From: <sip:siptest@%s>;tag=%s" % (hostport(local[0], 9), rnd()[:8]),
        "To: <%s>" % ruri if ruri.startswith("sip") else "To: <sip:x@%s>"
        % hostport(host, port),
        "Call-ID: %s" % callid,
        "CSeq: %s" % (cseq or "1 " + method),
    ]
    if method == "INVITE":
        lines.append("Contact: <sip:siptest@%s>" % hostport(local[0], 9))
    if extra:
        lines += extra.rstrip("\r\n").split("\r\n")
    lines.append("Content-Length: %d" % (len(body) if clen is None else clen))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode(), callid


STATUS_RE = re.compile(rb"^SIP/2\.0 (\d{3}) ")
CALLID_RE = re.compile(rb"\r\n(?:Call-ID|i):[ \t]*([^\r\n]+)", re.I)


def status_of(data):
    m = STATUS_RE.match(data)
    return int(m.group(1)) if m else None


def callid_of(data):
    m = CALLID_RE.search(data)
    return m.group(1).strip().decode(errors="replace") if m else None


class Udp:
    def __init__(self, host, port, bind=None):
        self.dst = (host, port)
        self.s = socket.socket(family(host), socket.SOCK_DGRAM)
        self.s.bind((bind or ("::1" if ":" in host else "127.0.0.1"), 0))
        self.local = self.s.getsockname()[:2]

    def send(self, data):
        self.s.sendto(data, self.dst)

    def recv_for(self, callid, wait):
        """First final response for callid within wait seconds."""
        end = time.monotonic() + wait
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                data, _ = self.s.recvfrom(70000)
            except socket.timeout:
                return None
            st = status_of(data)
            if st is None or (callid and callid_of(data) != callid):
                continue
            if st >= 200:
                return data


class Tcp:
    def __init__(self, host, port, bind=None, timeout=3.0):
        self.s = socket.socket(family(host), socket.SOCK_STREAM)
        if bind:
            self.s.bind((bind, 0))
        self.s.settimeout(timeout)
        self.s.connect((host, port))
        self.local = self.s.getsockname()[:2]
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def read_msg(self, wait):
        """One framed message (headers + Content-Length body), or None
        on timeout; raises EOFError when the peer closed."""
        end = time.monotonic() + wait
        while True:
            while self.buf.startswith(b"\r\n"):
                self.buf = self.buf[2:]
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                m = re.search(rb"\r\n(?:Content-Length|l):[ \t]*(\d+)",
                              self.buf[:i + 2], re.I)
                n = int(m.group(1)) if m else 0
                if len(self.buf) >= i + 4 + n:
                    msg = self.buf[:i + 4 + n]
                    self.buf = self.buf[i + 4 + n:]
                    return msg
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                raise EOFError
            if not d:
                raise EOFError
            self.buf += d

    def recv_for(self, callid, wait):
        end = time.monotonic() + wait
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            m = self.read_msg(left)
            if m is None:
                return None
            st = status_of(m)
            if st is not None and st >= 200 and \
                    (not callid or callid_of(m) == callid):
                return m

    def closed_within(self, wait):
        """True when the peer closes (EOF/RST) within wait seconds;
        whatever else arrives is discarded."""
        end = time.monotonic() + wait
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                return True
            if not d:
                return True

    def close(self):
        self.s.close()


class Tls(Tcp):
    """A TLS client connection (no certificate check: the test's
    certificate is self-signed)."""

    def __init__(self, host, port, timeout=3.0):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection((host, port), timeout=timeout)
        self.s = ctx.wrap_socket(raw)
        self.s.settimeout(timeout)
        self.local = self.s.getsockname()[:2]
        self.buf = b""


def options_ok(conn, host, port, tp, wait=2.0):
    """Send an OPTIONS to centinela itself on conn; True on a 200."""
    data, cid = request(host=host, port=port, tp=tp, local=conn.local)
    try:
        conn.send(data)
        r = conn.recv_for(cid, wait)
    except (EOFError, OSError):
        return False
    return r is not None and status_of(r) == 200


class Log:
    """Follows the daemon's log from the current end."""

    def __init__(self, path):
        self.path = path
        self.mark()

    def mark(self):
        self.pos = os.path.getsize(self.path)

    def new(self):
        with open(self.path, "rb") as f:
            f.seek(self.pos)
            return f.read().decode(errors="replace")

    def wait_reason(self, reason, wait=3.0):
        """True when a line with reason=<reason> (human) or
        "reason":"<reason>" (JSON) appeared after the mark; a reason
        "status=NNN" looks for that status instead (a rejection that
        has no reason code)."""
        if reason.startswith("status="):
            n = reason[7:]
            pat = re.compile(r'status=%s\b|"status":"%s"' % (n, n))
        else:
            pat = re.compile(r'reason=%s\b|"reason":"%s"'
                             % (reason, reason))
        end = time.monotonic() + wait
        while True:
            if any(pat.search(l) for l in self.new().splitlines()):
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.05)


# ---- subcommands --------------------------------------------------------

def cmd_options(a):
    tp = a.tp.upper()
    try:
        conn = Udp(a.host, a.port, a.bind) if tp == "UDP" else \
            Tcp(a.host, a.port, a.bind)
    except OSError as e:
        if a.expect == "none":
            return expect(True, "connection refused/closed: %s" % e)
        return expect(False, "cannot connect: %s" % e)
    data, cid = request(host=a.host, port=a.port, tp=tp, local=conn.local)
    try:
        conn.send(data)
        r = conn.recv_for(cid, a.wait)
    except (EOFError, OSError):
        r = None
    if a.expect == "none":
        return expect(r is None, "%s OPTIONS from %s: no answer within "
                      "%.1fs" % (tp, conn.local[0], a.wait))
    st = status_of(r) if r else None
    return expect(st == int(a.expect), "%s OPTIONS from %s: %s (want %s)"
                  % (tp, conn.local[0], st, a.expect))


def cmd_burst(a):
    """--count OPTIONS over UDP as fast as they are answered (--window
    outstanding): every one must get its 200."""
    conn = Udp(a.host, a.port, a.bind)
    msgs = [request(host=a.host, port=a.port, local=conn.local)[0]
            for _ in range(a.count)]
    sent = got = 0
    t0 = time.monotonic()
    end = t0 + a.wait
    conn.s.settimeout(1.0)
    while got < a.count and time.monotonic() < end:
        while sent < a.count and sent - got < a.window:
            conn.send(msgs[sent])
            sent += 1
        try:
            data, _ = conn.s.recvfrom(70000)
        except socket.timeout:
            break
        if status_of(data) == 200:
            got += 1
    dt = time.monotonic() - t0
    return expect(got == a.count, "UDP burst: %d of %d OPTIONS answered "
                  "200 in %.2fs (%.0f/s)" % (got, a.count, dt,
                                             got / dt if dt else 0))


def malformed_cases(h, p, maxsize, local):
    """(name, bytes, expected status or None for a drop, reason)."""
    big, _ = request(host=h, port=p, local=local,
                     extra="X-Pad: " + "a" * (maxsize + 500))
    trunc, _ = request(host=h, port=p, local=local)
    trunc = trunc[:trunc.index(b"CSeq:") + 7]
    clbig, _ = request(method="MESSAGE", host=h, port=p, local=local,
                       extra="Content-Type: text/plain", body="0123456789",
                       clen=100)
    nul, _ = request(host=h, port=p, local=local, extra="Subject: a\0b")
    lf, _ = request(host=h, port=p, local=local)
    lf = lf.replace(b"\r\n", b"\n")
    rng = random.Random(5060)
    garbage = bytes(rng.randrange(256) for _ in range(700))
    garbage = b"\x16\x03\x01" + garbage   # never starts with CR/LF
    mism, _ = request(host=h, port=p, local=local, cseq="1 INVITE")
    mf0, _ = request(host=h, port=p, local=local, maxf="0")
    ack0, _ = request(method="ACK", host=h, port=p, local=local, maxf="0")
    mailto, _ = request(ruri="mailto:someone@example.com", host=h, port=p,
                        local=local)
    tel, _ = request(ruri="tel:+15551234567", host=h, port=p, local=local)
    preq, _ = request(host=h, port=p, local=local,
                      extra="Proxy-Require: com.example.magic")
    nocontact, _ = request(method="INVITE", host=h, port=p, local=local)
    nocontact = re.sub(rb"Contact: [^\r]*\r\n", b"", nocontact)
    cancel, _ = request(method="CANCEL", ruri="sip:nobody@" +
                        hostport(h, p), host=h, port=p, local=local)
    stray = ("SIP/2.0 200 OK\r\n"
             "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnotours\r\n"
             "From: <sip:a@192.0.2.1>;tag=1\r\n"
             "To: <sip:b@192.0.2.1>;tag=2\r\n"
             "Call-ID: %s@siptest\r\n"
             "CSeq: 1 INVITE\r\n"
             "Content-Length: 0\r\n\r\n" % rnd()).encode()
    return [
        ("truncated message", trunc, None, "parse_error"),
        ("oversized datagram (%d bytes)" % len(big), big, None,
         "msg_too_big"),
        ("Content-Length larger than the body", clbig, None, "parse_error"),
        ("NUL byte in a header", nul, None, "parse_error"),
        ("bare-LF line endings", lf, None, "parse_error"),
        ("binary garbage", garbage, None, "parse_error"),
        ("CSeq method mismatch", mism, 400, "cseq_mismatch"),
        ("Max-Forwards: 0", mf0, 483, "max_forwards"),
        ("ACK with Max-Forwards: 0 (never answered)", ack0, None,
         "max_forwards"),
        ("mailto: Request-URI", mailto, 416, "unsupported_uri"),
        # tel: passes the sanity guard; with no upstream configured the
        # pool answers 503.
        ("tel: Request-URI (accepted, no upstream)", tel, 503,
         "no_upstream"),
        ("Proxy-Require", preq, 420, "bad_extension"),
        ("INVITE without Contact", nocontact, 400, "missing_header"),
        ("CANCEL matching no transaction", cancel, 481, "status=481"),
        ("response whose top Via is not ours", stray, None,
         "stray_response"),
    ]


def cmd_case(a):
    """Send one malformed case (chosen by a word of its name) over UDP
    and check its answer (or silence) and log reason."""
    h, p = a.host, a.port
    log = Log(a.log)
    u = Udp(h, p)
    cases = [c for c in malformed_cases(h, p, a.max_size, u.local)
             if a.name.lower() in c[0].lower()]
    if not cases:
        return expect(False, "no case matches %r" % a.name)
    name, data, want, reason = cases[0]
    u.send(data)
    r = u.recv_for(callid_of(data) if want else None,
                   2.0 if want else 0.3)
    got = status_of(r) if r else None
    expect(got == want, "UDP %s: answer %s (want %s)" % (name, got, want))
    return expect(log.wait_reason(reason), "UDP %s: log line with "
                  "reason=%s" % (name, reason))


def cmd_malformed(a):
    h, p = a.host, a.port
    log = Log(a.log)
    u = Udp(h, p)
    expect(options_ok(u, h, p, "UDP"), "UDP OPTIONS answered before")
    for name, data, want, reason in malformed_cases(h, p, a.max_size,
                                                    u.local):
        log.mark()
        u.send(data)
        cid = callid_of(data) if want else None
        r = u.recv_for(cid, 2.0 if want else 0.3)
        if want is None:
            expect(r is None, "UDP %s: no answer within 300 ms" % name)
        else:
            expect(r is not None and status_of(r) == want,
                   "UDP %s: answered %s (want %d)"
                   % (name, status_of(r) if r else None, want))
        expect(log.wait_reason(reason),
               "UDP %s: log line with reason=%s" % (name, reason))
        expect(options_ok(u, h, p, "UDP"),
               "UDP OPTIONS answered after %s" % name)

    # Streams: a connection that sends garbage is closed; another one,
    # opened before, is unaffected.
    good = Tcp(h, p)
    expect(options_ok(good, h, p, "TCP"), "TCP OPTIONS on the good "
           "connection")
    cases = malformed_cases(h, p, a.max_size, good.local)
    tcp_cases = [
        ("binary garbage", cases[5][1], "stream_garbage"),
        ("bare-LF request", cases[4][1], "stream_garbage"),
        ("NUL byte in a header", cases[3][1], "stream_garbage"),
        ("header section above the size limit", cases[1][1],
         "msg_too_big"),
    ]
    for name, data, reason in tcp_cases:
        log.mark()
        c = Tcp(h, p)
        try:
            c.send(data)
        except OSError:
            pass
        expect(c.closed_within(3.0), "TCP %s: connection closed by "
               "centinela" % name)
        c.close()
        expect(log.wait_reason(reason),
               "TCP %s: log line with reason=%s" % (name, reason))
        expect(options_ok(good, h, p, "TCP"),
               "TCP OPTIONS on the good connection after %s" % name)
    good.close()
    return not FAILS


def cmd_slowloris(a):
    h, p = a.host, a.port
    log = Log(a.log)
    req, _ = request(host=h, port=p, tp="TCP")
    res = {}

    def slow():
        # One byte every 100 ms: 20 s for the whole header section,
        # far beyond the header timeout.
        c = Tcp(h, p)
        res["closed"], res["sent"] = slow_send(c, req)
        c.close()

    th = threading.Thread(target=slow)
    th.start()
    # Meanwhile well-behaved clients are served, over UDP and TCP.
    u = Udp(h, p)
    served = tries = 0
    end = time.monotonic() + a.header_timeout / 1000.0 + 1.0
    good = Tcp(h, p)
    while time.monotonic() < end:
        tries += 2
        served += options_ok(u, h, p, "UDP", 1.0)
        served += options_ok(good, h, p, "TCP", 1.0)
        time.sleep(0.1)
    th.join(20)
    expect(served == tries, "normal clients served during the slow "
           "upload: %d/%d" % (served, tries))
    t = res.get("closed")
    lim = a.header_timeout / 1000.0
    expect(t is not None and lim * 0.8 <= t <= lim + 1.5,
           "slow client cut off after %s s (header timeout %.1f s, "
           "%s bytes sent)" % ("%.2f" % t if t else t, lim,
                               res.get("sent")))
    expect(log.wait_reason("header_timeout"),
           "log line with reason=header_timeout")
    expect(options_ok(good, h, p, "TCP"), "normal TCP client still served")
    good.close()
    if not a.idle_timeout:
        return not FAILS

    # Idle connections: one that says nothing after its OPTIONS is
    # closed after tcp.idle_timeout; one that sends RFC 5626 pings is
    # not, even well past it.
    idle = a.idle_timeout / 1000.0
    log.mark()
    quiet = Tcp(h, p)
    pinger = Tcp(h, p)
    expect(options_ok(quiet, h, p, "TCP") and options_ok(pinger, h, p,
           "TCP"), "two fresh TCP connections served")
    t0 = time.monotonic()
    closed_at = None
    while time.monotonic() - t0 < idle * 2 + 0.5:
        pinger.send(b"\r\n\r\n")
        pinger.read_msg(0.01)           # drains the pongs
        if closed_at is not None:
            time.sleep(0.5)
        elif quiet.closed_within(0.5):
            closed_at = time.monotonic() - t0
    expect(closed_at is not None and idle * 0.8 <= closed_at <= idle + 1.5,
           "idle connection closed after %s s (idle timeout %.1f s)"
           % ("%.2f" % closed_at if closed_at else closed_at, idle))
    expect(log.wait_reason("idle_timeout"), "log line with "
           "reason=idle_timeout")
    expect(options_ok(pinger, h, p, "TCP"), "connection kept alive by "
           "pings for %.1f s still served" % (time.monotonic() - t0))
    quiet.close()
    pinger.close()
    return not FAILS


def cmd_connlimit(a):
    h, p = a.host, a.port
    log = Log(a.log)
    conns = []
    for i in range(a.limit):
        c = Tcp(h, p)
        conns.append(c)
        expect(options_ok(c, h, p, "TCP"), "connection %d of %d served"
               % (i + 1, a.limit))
    log.mark()
    extra = Tcp(h, p)
    t0 = time.monotonic()
    closed = extra.closed_within(2.0)
    expect(closed, "connection %d closed by centinela (%.2f s)"
           % (a.limit + 1, time.monotonic() - t0))
    extra.close()
    expect(log.wait_reason("conn_limit"), "log line with reason=conn_limit")
    for i, c in enumerate(conns):
        expect(options_ok(c, h, p, "TCP"), "connection %d still served"
               % (i + 1))
    # A slot freed by a close is usable again.
    conns.pop().close()
    ok_again = False
    end = time.monotonic() + 3
    while time.monotonic() < end and not ok_again:
        time.sleep(0.2)
        try:
            c = Tcp(h, p)
        except OSError:
            continue
        ok_again = options_ok(c, h, p, "TCP")
        c.close()
    expect(ok_again, "after closing one, a new connection is served")
    for c in conns:
        c.close()
    if not a.total:
        return not FAILS

    # The table of all connections: fill it from several sources, each
    # below its per-address cap; one more from yet another is refused.
    time.sleep(0.3)     # let centinela see the closes above
    conns = []
    srcs = ["127.0.0.%d" % i for i in range(2, 2 + a.total)]
    for i in range(a.total):
        c = Tcp(h, p, bind=srcs[i // a.limit])
        conns.append(c)
        expect(options_ok(c, h, p, "TCP"), "connection %d of %d (from %s) "
               "served" % (i + 1, a.total, c.local[0]))
    log.mark()
    last = srcs[-1]
    extra = Tcp(h, p, bind=last)
    expect(extra.closed_within(2.0), "connection %d (from %s, its first) "
           "closed: the table is full" % (a.total + 1, last))
    extra.close()
    expect(log.wait_reason("conn_limit"), "log line with reason=conn_limit")
    expect(options_ok(conns[0], h, p, "TCP"), "the first connection is "
           "still served")
    for c in conns:
        c.close()
    return not FAILS


def slow_send(c, data, gap=0.1):
    """Send data one byte every gap seconds until the peer closes;
    returns the seconds from the first byte to the close (None if it
    never closed) and the bytes sent."""
    t0 = time.monotonic()
    sent = 0
    try:
        for b in data:
            c.send(bytes([b]))
            sent += 1
            if c.closed_within(gap):
                return time.monotonic() - t0, sent
    except OSError:
        return time.monotonic() - t0, sent
    return None, sent


def cmd_tlsabuse(a):
    h, p = a.host, a.port
    lim = a.header_timeout / 1000.0
    log = Log(a.log)
    good = Tls(h, p)
    expect(options_ok(good, h, p, "TLS"), "TLS OPTIONS answered")

    # A client that connects and never starts the handshake.
    log.mark()
    c = Tcp(h, p)
    t0 = time.monotonic()
    closed = c.closed_within(lim + 2.0)
    t = time.monotonic() - t0
    c.close()
    expect(closed and lim * 0.8 <= t <= lim + 1.5, "silent client cut off "
           "after %.2f s (handshake must finish within %.1f s)" % (t, lim))
    expect(log.wait_reason("tls_handshake"), "log line with "
           "reason=tls_handshake (handshake timed out)")

    # Plain SIP on the TLS port.
    log.mark()
    c = Tcp(h, p)
    data, _ = request(host=h, port=p, tp="TLS", local=c.local)
    c.send(data)
    t0 = time.monotonic()
    closed = c.closed_within(2.0)
    c.close()
    expect(closed, "plaintext SIP on the TLS port: closed after %.2f s"
           % (time.monotonic() - t0))
    expect(log.wait_reason("tls_handshake"), "log line with "
           "reason=tls_handshake (not a ClientHello)")

    # Handshake done, then the request one byte at a time.
    log.mark()
    c = Tls(h, p)
    data, _ = request(host=h, port=p, tp="TLS", local=c.local)
    t, sent = slow_send(c, data)
    c.close()
    expect(t is not None and lim * 0.8 <= t <= lim + 1.5,
           "TLS slowloris cut off after %s s (%d bytes sent)"
           % ("%.2f" % t if t else t, sent))
    expect(log.wait_reason("header_timeout"), "log line with "
           "reason=header_timeout")

    # Garbage inside a good TLS session.
    log.mark()
    c = Tls(h, p)
    c.send(b"\x00\x01\x02 not SIP at all\r\n\r\n")
    expect(c.closed_within(2.0), "garbage inside TLS: connection closed")
    c.close()
    expect(log.wait_reason("stream_garbage"), "log line with "
           "reason=stream_garbage")

    expect(options_ok(good, h, p, "TLS"), "first TLS connection still "
           "served")
    good.close()
    return not FAILS


def cmd_keepalive(a):
    h, p = a.host, a.port
    c = Tcp(h, p)
    expect(options_ok(c, h, p, "TCP"), "OPTIONS before the ping")
    for i in range(2):
        c.send(b"\r\n\r\n")
        got = b""
        end = time.monotonic() + 2
        c.s.settimeout(2)
        try:
            while len(got) < 2 and time.monotonic() < end:
                d = c.s.recv(16)
                if not d:
                    break
                got += d
        except socket.timeout:
            pass
        expect(got == b"\r\n", "CRLFCRLF ping %d answered with CRLF pong "
               "(got %r)" % (i + 1, got))
    # A ping split across two writes is still one ping.
    c.send(b"\r\n")
    time.sleep(0.2)
    c.send(b"\r\n")
    c.s.settimeout(2)
    try:
        got = c.s.recv(16)
    except socket.timeout:
        got = b""
    expect(got == b"\r\n", "split ping answered with CRLF (got %r)" % got)
    expect(options_ok(c, h, p, "TCP"), "OPTIONS on the same connection "
           "after the pings")
    # A request followed by a stray CRLF (or half a ping) is not a
    # message in progress: the header timeout must not cut the
    # connection while it sits idle.
    data, cid = request(host=h, port=p, tp="TCP", local=c.local)
    c.send(data + b"\r\n")
    r = c.recv_for(cid, 2)
    expect(r is not None and status_of(r) == 200, "OPTIONS + CRLF "
           "answered 200")
    expect(not c.closed_within(a.header_timeout / 1000.0 + 1.0),
           "connection still open %.1f s after a trailing CRLF"
           % (a.header_timeout / 1000.0 + 1.0))
    c.send(b"\r\n")
    try:
        got = c.s.recv(16) if not c.buf else c.buf
    except socket.timeout:
        got = b""
    expect(got == b"\r\n", "trailing CRLF + CRLF make a ping: pong "
           "(got %r)" % got)
    # A ping glued to a request: pong, then the answer.
    data, cid = request(host=h, port=p, tp="TCP", local=c.local)
    c.send(b"\r\n\r\n" + data)
    r = c.recv_for(cid, 2)
    expect(r is not None and status_of(r) == 200,
           "ping + OPTIONS in one write: OPTIONS answered 200")
    c.close()
    return not FAILS


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    o = sp.add_parser("options")
    o.add_argument("--tp", default="udp")
    o.add_argument("--bind")
    o.add_argument("--expect", default="200")
    o.add_argument("--wait", type=float, default=2.0)
    b = sp.add_parser("burst")
    b.add_argument("--bind")
    b.add_argument("--count", type=int, default=20000)
    b.add_argument("--window", type=int, default=64)
    b.add_argument("--wait", type=float, default=30.0)
    for name in ("options", "malformed", "slowloris", "connlimit",
                 "keepalive", "case", "tlsabuse", "burst"):
        q = {"options": o, "burst": b}.get(name) or sp.add_parser(name)
        q.add_argument("--host", default="127.0.0.1")
        q.add_argument("--port", type=int, required=True)
        if name not in ("options", "keepalive", "burst"):
            q.add_argument("--log", required=True)
        if name in ("malformed", "case"):
            q.add_argument("--max-size", type=int, default=65535)
        if name == "case":
            q.add_argument("--name", required=True)
        if name in ("slowloris", "keepalive", "tlsabuse"):
            q.add_argument("--header-timeout", type=int, default=1000)
        if name == "slowloris":
            q.add_argument("--idle-timeout", type=int, default=0)
        if name == "connlimit":
            q.add_argument("--limit", type=int, required=True)
            q.add_argument("--total", type=int, default=0)
    a = ap.parse_args()
    random.seed()
    fn = globals()["cmd_" + a.cmd]
    try:
        fn(a)
    except Exception as e:      # a crash is a failed test, with a reason
        bad("%s: %r" % (a.cmd, e))
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
