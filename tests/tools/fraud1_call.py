#!/usr/bin/env python3
"""tests/tools/fraud1_call.py -- one call through centinela, for the
toll-fraud integration tests (t_fraud_burst.sh, t_fraud_restart.sh).

  fraud1_call.py --port P --number N [--bind IP] [--user U --secret S]
                 [--alg MD5|SHA-256] [--hold MS] [--wait S]

Sends an INVITE for sip:N@127.0.0.1:P over UDP from IP (default
127.0.0.1, the customer trunk of the tests), From <sip:U@REALM> (U is
"sipp" without --user). A 407 is ACKed and, with --user/--secret, the
INVITE is sent again with a Proxy-Authorization for the challenge
(digest, qop=auth, the algorithm --alg when offered, else the first
one). Then:

  - a 2xx: ACK and, after --hold ms, BYE along the route set (the
    Record-Route of the 2xx, reversed) to the callee's Contact, sent to
    centinela; the BYE must be answered 200;
  - a final failure: ACKed (RFC 3261 17.1.1.3).

Prints one line and exits 0 when the call got a final answer:

  result=200
  result=403 reason=FRAUD-CPM
  result=503 reason=FRAUD-CONCURRENT retry_after=60
  result=407 reason=none challenged-after-credentials

(reason= is the text="..." of the Reason header, or none). Exits 1
with "result=error ..." when something did not happen in time (no final
answer to the INVITE within --wait s, no 200 to the BYE). Standard
library only; every wait is bounded.
"""
import argparse
import hashlib
import random
import re
import socket
import sys
import time

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id",
           "m": "contact", "l": "content-length", "c": "content-type"}
SDP = ("v=0\r\no=fraud1 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\n"
       "t=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def rnd(n=16):
    return "%0*x" % (n, random.getrandbits(4 * n))


class Msg:
    def __init__(self, data):
        text = data.decode(errors="replace")
        head = text.split("\r\n\r\n", 1)[0]
        lines = head.split("\r\n")
        self.first = lines[0]
        m = re.match(r"SIP/2\.0 (\d{3})", lines[0])
        self.status = int(m.group(1)) if m else None
        self.hdrs = []
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                k = k.strip().lower()
                self.hdrs.append((COMPACT.get(k, k), v.strip()))

    def all(self, name, split=False):
        """Every value of header "name"; split: also the comma-separated
        values of one header line (Route, Record-Route, Contact)."""
        out = []
        for k, v in self.hdrs:
            if k != name:
                continue
            if split:
                out.extend(x.strip() for x in split_commas(v) if x.strip())
            else:
                out.append(v)
        return out

    def get(self, name):
        for k, v in self.hdrs:
            if k == name:
                return v
        return None

    def branch(self):
        m = re.search(r";branch=([^;,\s]+)", self.get("via") or "")
        return m.group(1) if m else None

    def cseq_method(self):
        c = (self.get("cseq") or "").split()
        return c[1] if len(c) == 2 else None


def split_commas(v):
    """Split a header value at commas outside <> and quotes."""
    out, cur, inq, ina = [], "", False, False
    for ch in v:
        if ch == '"' and not ina:
            inq = not inq
        elif ch == "<" and not inq:
            ina = True
        elif ch == ">" and not inq:
            ina = False
        if ch == "," and not inq and not ina:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def parse_challenge(v):
    d = {}
    for m in re.finditer(r'(\w+)=("([^"]*)"|[^,\s]+)', v[7:]):
        d[m.group(1).lower()] = (m.group(3) if m.group(3) is not None
                                 else m.group(2))
    return d


def H(alg, s):
    f = hashlib.sha256 if alg.upper() == "SHA-256" else hashlib.md5
    return f(s.encode()).hexdigest()


class Call:
    def __init__(self, a):
        self.a = a
        self.dst = ("127.0.0.1", a.port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((a.bind, 0))
        self.ip, self.lport = self.s.getsockname()
        self.callid = rnd() + "@fraud1"
        self.ftag = rnd(8)
        self.user = a.user or "sipp"
        self.ruri = "sip:%s@127.0.0.1:%d" % (a.number, a.port)
        self.cseq = 0

    def via(self, branch):
        return "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (
            self.ip, self.lport, branch)

    def invite(self, auth=None):
        self.cseq += 1
        branch = "z9hG4bK" + rnd()
        body = SDP.format(ip=self.ip)
        lines = [
            "INVITE %s SIP/2.0" % self.ruri,
            self.via(branch),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=%s" % (self.user, self.a.realm,
                                          self.ftag),
            "To: <sip:%s@127.0.0.1:%d>" % (self.a.number, self.a.port),
            "Call-ID: %s" % self.callid,
            "CSeq: %d INVITE" % self.cseq,
            "Contact: <sip:%s@%s:%d>" % (self.user, self.ip, self.lport),
        ]
        if auth:
            lines.append(auth)
        lines += ["Content-Type: application/sdp",
                  "Content-Length: %d" % len(body)]
        data = ("\r\n".join(lines) + "\r\n\r\n" + body).encode()
        return data, branch, self.cseq

    def send(self, data):
        self.s.sendto(data, self.dst)

    def final(self, data, branch, method, wait):
        """Send "data" (retransmitted as RFC 3261 timer A/E, T1 500 ms)
        until a final response with our branch; None on time-out."""
        self.send(data)
        end = time.monotonic() + wait
        t1, nxt, provisional = 0.5, time.monotonic() + 0.5, False
        while True:
            now = time.monotonic()
            if now >= end:
                return None
            self.s.settimeout(max(0.01, min(end, nxt) - now))
            try:
                d, _ = self.s.recvfrom(65536)
            except socket.timeout:
                if time.monotonic() >= nxt and not provisional:
                    self.send(data)
                    t1 = min(2 * t1, 4.0)
                    nxt = time.monotonic() + t1
                elif time.monotonic() >= nxt:
                    nxt = time.monotonic() + 4.0
                continue
            r = Msg(d)
            if r.status is None:
                continue   # a request: nothing of ours
            if r.branch() != branch or r.cseq_method() != method:
                continue
            if r.status < 200:
                provisional = True
                continue
            return r

    def ack_failure(self, data, r, cseq):
        head = data.decode().split("\r\n\r\n", 1)[0].split("\r\n")
        keep = [ln for ln in head[1:] if ln.split(":", 1)[0].lower() in
                ("via", "max-forwards", "from", "call-id")]
        lines = (["ACK %s SIP/2.0" % self.ruri] + keep +
                 ["To: %s" % r.get("to"), "CSeq: %d ACK" % cseq,
                  "Content-Length: 0"])
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def in_dialog(self, method, r, cseq):
        """ACK or BYE along the dialog of the 2xx "r"."""
        routes = list(reversed(r.all("record-route", split=True)))
        contact = r.all("contact", split=True)
        m = re.search(r"<([^>]+)>", contact[0] if contact else "")
        target = m.group(1) if m else self.ruri
        branch = "z9hG4bK" + rnd()
        lines = ["%s %s SIP/2.0" % (method, target), self.via(branch),
                 "Max-Forwards: 70",
                 "From: <sip:%s@%s>;tag=%s" % (self.user, self.a.realm,
                                               self.ftag),
                 "To: %s" % r.get("to"),
                 "Call-ID: %s" % self.callid,
                 "CSeq: %d %s" % (cseq, method)]
        lines += ["Route: %s" % x for x in routes]
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode(), branch


def reason_text(r):
    for v in r.all("reason"):
        m = re.search(r'text="([^"]*)"', v)
        if m:
            return m.group(1)
    return "none"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--number", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--user", default="")
    ap.add_argument("--secret", default="")
    ap.add_argument("--realm", default="centinela.local")
    ap.add_argument("--alg", default="MD5")
    ap.add_argument("--hold", type=int, default=200)
    ap.add_argument("--wait", type=float, default=8.0)
    a = ap.parse_args()

    c = Call(a)
    data, branch, cseq = c.invite()
    r = c.final(data, branch, "INVITE", a.wait)
    if r is None:
        print("result=error no final answer to the INVITE")
        return 1
    if r.status == 407 and a.user:
        c.ack_failure(data, r, cseq)
        chs = [parse_challenge(v) for v in r.all("proxy-authenticate")
               if v.lower().startswith("digest ")]
        if not chs:
            print("result=error 407 without a Digest challenge")
            return 1
        ch = next((x for x in chs if x.get("algorithm", "MD5").upper() ==
                   a.alg.upper()), chs[0])
        alg = ch.get("algorithm", "MD5")
        realm = ch["realm"]
        cnonce, nc = rnd(8), "00000001"
        ha1 = H(alg, "%s:%s:%s" % (a.user, realm, a.secret))
        ha2 = H(alg, "INVITE:%s" % c.ruri)
        resp = H(alg, "%s:%s:%s:%s:auth:%s" % (ha1, ch["nonce"], nc,
                                               cnonce, ha2))
        auth = ('Proxy-Authorization: Digest username="%s", realm="%s", '
                'nonce="%s", uri="%s", response="%s", algorithm=%s, '
                'qop=auth, nc=%s, cnonce="%s"'
                % (a.user, realm, ch["nonce"], c.ruri, resp, alg, nc,
                   cnonce))
        if "opaque" in ch:
            auth += ', opaque="%s"' % ch["opaque"]
        data, branch, cseq = c.invite(auth)
        r = c.final(data, branch, "INVITE", a.wait)
        if r is None:
            print("result=error no final answer to the INVITE with "
                  "credentials")
            return 1
        if r.status == 407:
            c.ack_failure(data, r, cseq)
            print("result=407 reason=%s challenged-after-credentials"
                  % reason_text(r))
            return 0
    if r.status >= 300:
        c.ack_failure(data, r, cseq)
        line = "result=%d reason=%s" % (r.status, reason_text(r))
        if r.get("retry-after"):
            line += " retry_after=%s" % r.get("retry-after").split(";")[0]
        print(line)
        return 0
    ack, _ = c.in_dialog("ACK", r, cseq)
    c.send(ack)
    time.sleep(a.hold / 1000.0)
    bye, bb = c.in_dialog("BYE", r, cseq + 1)
    br = c.final(bye, bb, "BYE", a.wait)
    if br is None or br.status != 200:
        print("result=error BYE answered %s"
              % (br.status if br else "nothing"))
        return 1
    print("result=200")
    return 0


if __name__ == "__main__":
    sys.exit(main())
