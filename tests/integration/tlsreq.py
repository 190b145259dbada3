#!/usr/bin/env python3
"""tests/integration/tlsreq.py -- one SIP request over UDP, TCP or TLS
(optionally with a client certificate) and a check of its answer, for
the TLS policy tests.

Standard library only. Prints one line "status=CODE reason=TEXT" (or
"status=none error=...") and exits 0 when the status is --expect, else 1.
Every wait is bounded.

  tlsreq.py --tp udp|tcp|tls --port P [--host H] [--bind IP]
            [--method REGISTER|INVITE|OPTIONS] [--user U] [--domain D]
            [--ruri URI] [--cert PEM --key PEM] [--expect CODE|none]
            [--wait S] [--secret S]

With --secret, a 401/407 challenge is answered once (digest, qop=auth,
the first algorithm offered) on the same connection and the answer to
that retry is the one checked.
"""
import argparse
import hashlib
import random
import re
import socket
import ssl
import sys
import time


def build(a, local, tp, callid=None, cseq=1, auth=""):
    dom = a.domain or "%s:%d" % (a.host, a.port)
    callid = callid or "%016x@tlsreq" % random.getrandbits(64)
    if a.method == "REGISTER":
        ruri = a.ruri or "sip:%s" % dom
        to = "<sip:%s@%s>" % (a.user, dom)
    else:
        ruri = a.ruri or "sip:%s@%s" % (a.callee, dom)
        to = "<%s>" % ruri
    body = ""
    extra = ""
    if a.method == "INVITE":
        body = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
                "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"
                "a=rtpmap:0 PCMU/8000\r\n" % (local[0], local[0]))
        extra = "Content-Type: application/sdp\r\n"
    if a.method == "REGISTER":
        extra += "Expires: 60\r\n"
    extra += auth
    msg = ("%s %s SIP/2.0\r\n"
           "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK%016x;rport\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:%s@%s>;tag=%08x\r\n"
           "To: %s\r\n"
           "Call-ID: %s\r\n"
           "CSeq: %d %s\r\n"
           "Contact: <sip:%s@%s:%d;transport=%s>\r\n"
           "%s"
           "Content-Length: %d\r\n\r\n%s"
           % (a.method, ruri, tp.upper(), local[0], local[1],
              random.getrandbits(64), a.user, dom, random.getrandbits(32),
              to, callid, cseq, a.method, a.user, local[0], local[1], tp, extra,
              len(body.encode()), body))
    return msg.encode(), callid, ruri


def answer(data, callid, cseq=1):
    """(status, Reason, headers) of the first non-100 response to
    CSeq cseq of callid in data, or None."""
    for m in re.finditer(rb"SIP/2\.0 (\d{3}) [^\r]*\r\n(.*?)\r\n\r\n", data,
                         re.S):
        h = m.group(2)
        if callid.encode() in h and m.group(1) != b"100" and \
                re.search(rb"CSeq: %d " % cseq, h):
            r = re.search(rb"\r\nReason: ([^\r]*)", b"\r\n" + h)
            return (int(m.group(1)), (r.group(1).decode() if r else ""),
                    h.decode(errors="replace"))
    return None


def digest(a, hdrs, ruri, status):
    """An Authorization / Proxy-Authorization line for the challenge."""
    name = "WWW-Authenticate" if status == 401 else "Proxy-Authenticate"
    ch = re.search(name + r": Digest ([^\r\n]*)", hdrs)
    if not ch:
        return None
    prm = dict(re.findall(r'(\w+)="?([^",]*)"?', ch.group(1)))
    alg = prm.get("algorithm", "MD5")
    h = (lambda x: hashlib.sha256(x.encode()).hexdigest()) \
        if alg == "SHA-256" else (lambda x: hashlib.md5(x.encode()).hexdigest())
    realm, nonce = prm["realm"], prm["nonce"]
    cn, nc = "%08x" % random.getrandbits(32), "00000001"
    ha1 = h("%s:%s:%s" % (a.user, realm, a.secret))
    ha2 = h("%s:%s" % (a.method, ruri))
    resp = h("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cn, ha2))
    return ('%s: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=%s, qop=auth, nc=%s, cnonce="%s"\r\n'
            % ("Authorization" if status == 401 else "Proxy-Authorization",
               a.user, realm, nonce, ruri, resp, alg, nc, cn))


def exchange(a, s, tp, data, callid, cseq):
    if tp == "udp":
        s.sendto(data, (a.host, a.port))
    else:
        s.sendall(data)
    got = b""
    end = time.monotonic() + a.wait
    while time.monotonic() < end:
        try:
            chunk = s.recv(65535)
        except socket.timeout:
            break
        if not chunk:
            break
        got += chunk
        r = answer(got, callid, cseq)
        if r:
            return r
    return None


def one(a):
    tp = a.tp.lower()
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    st = socket.SOCK_DGRAM if tp == "udp" else socket.SOCK_STREAM
    s = socket.socket(fam, st)
    s.settimeout(a.wait)
    if a.bind:
        s.bind((a.bind, 0))
    try:
        if tp != "udp":
            s.connect((a.host, a.port))
        if tp == "tls":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            if a.cert:
                ctx.load_cert_chain(a.cert, a.key)
            s = ctx.wrap_socket(s)
        local = s.getsockname()[:2]
        data, callid, ruri = build(a, local, tp)
        r = exchange(a, s, tp, data, callid, 1)
        if r and r[0] in (401, 407) and a.secret:
            auth = digest(a, r[2], ruri, r[0])
            data, _, _ = build(a, local, tp, callid, 2, auth or "")
            r = exchange(a, s, tp, data, callid, 2)
        return r[:2] if r else None
    except (OSError, ssl.SSLError) as e:
        return ("none", "error=%s" % e.__class__.__name__)
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tp", default="udp")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind")
    ap.add_argument("--method", default="REGISTER")
    ap.add_argument("--user", default="100")
    ap.add_argument("--callee", default="200")
    ap.add_argument("--domain")
    ap.add_argument("--ruri")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--expect", default="200")
    ap.add_argument("--wait", type=float, default=3.0)
    ap.add_argument("--secret", default="")
    a = ap.parse_args()
    r = one(a)
    if r is None:
        print("status=none error=no-answer")
        code = "none"
    elif r[0] == "none":
        print("status=none %s" % r[1])
        code = "none"
    else:
        print("status=%d reason=%s" % r)
        code = str(r[0])
    sys.exit(0 if code == a.expect else 1)


if __name__ == "__main__":
    main()
