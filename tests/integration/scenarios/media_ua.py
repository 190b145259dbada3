#!/usr/bin/env python3
"""tests/integration/scenarios/media_ua.py -- a small phone for the media
tests (t_media_*.sh): one INVITE with a chosen session description, over
UDP or TLS, with digest authentication (407), and what happens next.

Standard library only; every wait is bounded. Prints one line per check
("ok: ..." / "FAIL: ...") and exits 0 when all held.

  media_ua.py call --tp udp|tls --port P --bind IP --user U --secret S
                   --sdp plain|sdes|dtls|bad|none [--callee N]
                   [--expect CODE] [--reason TEXT] [--hold S]
                   [--wait-bye S]

--expect CODE: the final answer wanted (default 200). --reason TEXT: it
must carry a Reason header containing TEXT. On a 2xx the call is
acknowledged (ACK along the Record-Route), held for --hold seconds, then
hung up with BYE (its 200 expected); with --wait-bye S it waits up to S
seconds for a BYE from the network instead, answers 200 and checks it.
"""
import argparse
import hashlib
import random
import re
import socket
import ssl
import sys
import time

FAILS = []
REALM = "centinela.local"
KEY = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzcyBpbnZhbGlk"
FP = ":".join(["4A"] * 32)


def ok(msg):
    print("    ok: " + msg, flush=True)


def bad(msg):
    print("    FAIL: " + msg, flush=True)
    FAILS.append(msg)


def rnd():
    return "%016x" % random.getrandbits(64)


def sdp_of(kind, ip, port):
    head = ("v=0\r\no=phone 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
            "t=0 0\r\n" % (ip, ip))
    if kind == "plain":
        return head + ("m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                       "a=sendrecv\r\n" % port)
    if kind == "sdes":
        return head + ("m=audio %d RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n"
                       % (port, KEY))
    if kind == "dtls":
        return head + ("m=audio %d UDP/TLS/RTP/SAVP 0\r\n"
                       "a=rtpmap:0 PCMU/8000\r\na=setup:actpass\r\n"
                       "a=fingerprint:sha-256 %s\r\n" % (port, FP))
    if kind == "bad":
        return head + "m=audio 99999 RTP/AVP 0\r\n"
    return ""


class Conn:
    """One socket toward centinela: datagrams or a TLS stream."""

    def __init__(self, tp, host, port, bind):
        self.tp = tp
        self.buf = b""
        if tp == "udp":
            self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.s.bind((bind, 0))
            self.s.connect((host, port))
        else:
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.bind((bind, 0))
            raw.settimeout(5)
            raw.connect((host, port))
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.s = ctx.wrap_socket(raw)
        self.local = self.s.getsockname()

    def send(self, data):
        self.s.sendall(data.encode())

    def recv(self, wait):
        """One message (str) or None after "wait" seconds."""
        end = time.time() + wait
        while True:
            if self.tp != "udp":
                m = self._frame()
                if m is not None:
                    return m
            left = end - time.time()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                data = self.s.recv(65535)
            except (socket.timeout, ssl.SSLError, OSError):
                return None
            if self.tp == "udp":
                return data.decode(errors="replace")
            if not data:
                return None
            self.buf += data

    def _frame(self):
        while self.buf.startswith(b"\r\n"):
            self.buf = self.buf[2:]
        i = self.buf.find(b"\r\n\r\n")
        if i < 0:
            return None
        head = self.buf[:i].decode(errors="replace")
        m = re.search(r"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
        n = int(m.group(1)) if m else 0
        if len(self.buf) < i + 4 + n:
            return None
        msg = self.buf[:i + 4 + n]
        self.buf = self.buf[i + 4 + n:]
        return msg.decode(errors="replace")


def hdr(msg, name):
    m = re.search(r"(?im)^%s\s*:\s*(.*)$" % re.escape(name), msg)
    return m.group(1).strip() if m else ""


def hdrs(msg, name):
    return [v.strip() for v in
            re.findall(r"(?im)^%s\s*:\s*(.*)$" % re.escape(name), msg)]


def status(msg):
    m = re.match(r"SIP/2\.0 (\d{3})", msg or "")
    return int(m.group(1)) if m else 0


def digest(method, uri, user, secret, chal):
    p = dict(re.findall(r'(\w+)="?([^",]*)"?', chal))
    ha1 = hashlib.md5(("%s:%s:%s" % (user, p["realm"], secret)).encode())
    ha2 = hashlib.md5(("%s:%s" % (method, uri)).encode()).hexdigest()
    cnonce = rnd()
    resp = hashlib.md5(("%s:%s:00000001:%s:auth:%s" % (
        ha1.hexdigest(), p["nonce"], cnonce, ha2)).encode()).hexdigest()
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=MD5, qop=auth, nc=00000001, '
            'cnonce="%s"' % (user, p["realm"], p["nonce"], uri, resp, cnonce))


def cmd_call(a):
    c = Conn(a.tp, a.host, a.port, a.bind)
    lip, lport = c.local
    tpu = a.tp.upper()
    ruri = "sip:%s@%s" % (a.callee, REALM)
    callid = rnd() + "@media-ua"
    ftag = rnd()
    branch = lambda: "z9hG4bK" + rnd()
    contact = "<sip:%s@%s:%d%s>" % (a.user, lip, lport,
                                    ";transport=tls" if a.tp == "tls" else "")
    body = sdp_of(a.sdp, lip, 40000 + random.randrange(0, 1000, 2))
    cseq = 1

    def invite(auth):
        return ("INVITE %s SIP/2.0\r\nVia: SIP/2.0/%s %s:%d;branch=%s;rport\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=%s\r\nTo: <%s>\r\n"
                "Call-ID: %s\r\nCSeq: %d INVITE\r\nContact: %s\r\n%s"
                "%sContent-Length: %d\r\n\r\n%s" % (
                    ruri, tpu, lip, lport, branch(), a.user, REALM, ftag, ruri,
                    callid, cseq, contact, auth,
                    "Content-Type: application/sdp\r\n" if body else "",
                    len(body), body))

    def final(wait=10):
        end = time.time() + wait
        while time.time() < end:
            m = c.recv(end - time.time())
            if m is None:
                return None
            if status(m) >= 200 and hdr(m, "Call-ID") == callid:
                return m
        return None

    def ack_non2xx(m):
        c.send("ACK %s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\nFrom: %s\r\n"
               "To: %s\r\nCall-ID: %s\r\nCSeq: %d ACK\r\nContent-Length: 0"
               "\r\n\r\n" % (ruri, hdr(m, "Via"), hdr(m, "From"), hdr(m, "To"),
                             callid, cseq))

    c.send(invite(""))
    m = final()
    if status(m) == 407:
        ack_non2xx(m)
        cseq += 1
        c.send(invite("Proxy-Authorization: %s\r\n" % digest(
            "INVITE", ruri, a.user, a.secret,
            hdr(m, "Proxy-Authenticate"))))
        m = final()
    st = status(m)
    if st != a.expect:
        bad("INVITE (%s offer over %s) answered %s, want %d%s" % (
            a.sdp, a.tp, st or "nothing", a.expect,
            (" (Reason: %s)" % hdr(m, "Reason")) if m else ""))
        return
    ok("INVITE (%s offer over %s) answered %d" % (a.sdp, a.tp, st))
    if a.reason:
        r = hdr(m, "Reason")
        if a.reason in r:
            ok("Reason: %s" % r)
        else:
            bad("Reason %r does not contain %r" % (r, a.reason))
    if st >= 300:
        ack_non2xx(m)
        return
    # A dialog: ACK and BYE along the route set.
    rr = hdrs(m, "Record-Route")
    route = ", ".join(reversed(", ".join(rr).split(", "))) if rr else ""
    target = re.search(r"<([^>]*)>", hdr(m, "Contact")).group(1)
    totag = hdr(m, "To")
    rhdr = ("Route: %s\r\n" % route) if route else ""
    c.send("ACK %s SIP/2.0\r\nVia: SIP/2.0/%s %s:%d;branch=%s;rport\r\n"
           "Max-Forwards: 70\r\n%sFrom: <sip:%s@%s>;tag=%s\r\nTo: %s\r\n"
           "Call-ID: %s\r\nCSeq: %d ACK\r\nContent-Length: 0\r\n\r\n" % (
               target, tpu, lip, lport, branch(), rhdr, a.user, REALM, ftag,
               totag, callid, cseq))
    ok("ACK sent; the answer's media: %s" % (
        re.search(r"(?m)^m=.*$", m).group(0).strip()
        if re.search(r"(?m)^m=", m) else "none"))
    if a.wait_bye:
        end = time.time() + a.wait_bye
        while time.time() < end:
            q = c.recv(end - time.time())
            if q and q.startswith("BYE ") and hdr(q, "Call-ID") == callid:
                c.send("SIP/2.0 200 OK\r\n%s\r\nFrom: %s\r\nTo: %s\r\n"
                       "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n"
                       % ("\r\n".join("Via: " + v for v in hdrs(q, "Via")),
                          hdr(q, "From"), hdr(q, "To"), callid,
                          hdr(q, "CSeq")))
                ok("BYE from the network, Reason: %s" % hdr(q, "Reason"))
                if a.reason_bye and a.reason_bye not in hdr(q, "Reason"):
                    bad("the BYE's Reason lacks %r" % a.reason_bye)
                return
        bad("no BYE within %d s" % a.wait_bye)
        return
    time.sleep(a.hold)
    cseq += 1
    c.send("BYE %s SIP/2.0\r\nVia: SIP/2.0/%s %s:%d;branch=%s;rport\r\n"
           "Max-Forwards: 70\r\n%sFrom: <sip:%s@%s>;tag=%s\r\nTo: %s\r\n"
           "Call-ID: %s\r\nCSeq: %d BYE\r\nContent-Length: 0\r\n\r\n" % (
               target, tpu, lip, lport, branch(), rhdr, a.user, REALM, ftag,
               totag, callid, cseq))
    m = final()
    if status(m) == 200:
        ok("BYE answered 200")
    else:
        bad("BYE answered %s" % (status(m) or "nothing"))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("call")
    q.add_argument("--tp", choices=["udp", "tls"], default="udp")
    q.add_argument("--host", default="127.0.0.1")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--bind", default="127.0.0.2")
    q.add_argument("--user", required=True)
    q.add_argument("--secret", required=True)
    q.add_argument("--callee", default="5551000")
    q.add_argument("--sdp", default="plain",
                   choices=["plain", "sdes", "dtls", "bad", "none"])
    q.add_argument("--expect", type=int, default=200)
    q.add_argument("--reason", default="")
    q.add_argument("--reason-bye", default="")
    q.add_argument("--hold", type=float, default=0.5)
    q.add_argument("--wait-bye", type=int, default=0)
    a = ap.parse_args()
    try:
        cmd_call(a)
    except (OSError, AttributeError) as e:
        bad("error: %s" % e)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
