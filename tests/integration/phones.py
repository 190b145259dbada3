#!/usr/bin/env python3
"""tests/integration/phones.py -- registered phones and a PBX caller for
the forking tests. Standard library only; every wait is bounded.

  phones.py phones --port P --user U --secret S --binds IP,IP,...
                   --answers A,A,... --seconds N --report FILE
      each phone registers (digest, SHA-256) from its own socket, then
      answers INVITEs: A is a status ("200", "486", "603") sent after
      180 and 300 ms, or "ring" (180 only: it waits for CANCEL and
      answers 487). Counts what each phone saw into FILE (JSON), then
      unregisters.
  phones.py call   --port P --from-bind IP --ruri URI --expect CODE
      a PBX call: INVITE, final answer must be CODE; on 200, ACK and BYE.
"""
import argparse
import hashlib
import json
import random
import re
import socket
import sys
import threading
import time


def rnd(n=16):
    return "%0*x" % (n, random.getrandbits(4 * n))


def hdr(msg, name):
    m = re.search(r"\r\n%s:[ \t]*([^\r\n]*)" % re.escape(name), msg, re.I)
    return m.group(1).strip() if m else None


def hdrs(msg, name):
    return [v.strip() for v in
            re.findall(r"\r\n%s:[ \t]*([^\r\n]*)" % re.escape(name), msg,
                       re.I)]


def response(req, code, reason, totag=None, extra=""):
    head = req.split("\r\n\r\n", 1)[0].split("\r\n")
    keep = [h for h in head[1:] if re.match(
        r"(Via|From|Call-ID|CSeq|Record-Route):", h, re.I)]
    to = hdr(req, "To")
    if totag and ";tag=" not in to:
        to += ";tag=" + totag
    lines = ["SIP/2.0 %d %s" % (code, reason)] + keep + ["To: " + to]
    if extra:
        lines.append(extra)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Phone(threading.Thread):
    def __init__(self, a, bind, answer):
        super().__init__(daemon=True)
        self.a, self.answer = a, answer
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((bind, 0))
        self.local = self.s.getsockname()
        self.dst = ("127.0.0.1", a.port)
        self.seen = {"INVITE": 0, "ACK": 0, "BYE": 0, "CANCEL": 0,
                     "OPTIONS": 0, "registered": False}
        self.stop = False
        self.pending = {}

    def register(self, expires):
        ruri = "sip:127.0.0.1:%d" % self.a.port
        callid, tag = rnd() + "@phone", rnd(8)
        auth = None
        for cseq in (1, 2):
            lines = ["REGISTER %s SIP/2.0" % ruri,
                     "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport"
                     % (self.local + (rnd(),)),
                     "Max-Forwards: 70",
                     "From: <sip:%s@centinela.local>;tag=%s" % (self.a.user,
                                                                 tag),
                     "To: <sip:%s@centinela.local>" % self.a.user,
                     "Call-ID: " + callid,
                     "CSeq: %d REGISTER" % (cseq + (2 if expires == 0
                                                    else 0)),
                     "Contact: <sip:%s@%s:%d>" % ((self.a.user,) +
                                                  self.local),
                     "Expires: %d" % expires]
            if auth:
                lines.append(auth)
            lines.append("Content-Length: 0")
            self.s.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(),
                          self.dst)
            self.s.settimeout(3)
            while True:
                d = self.s.recv(65536).decode(errors="replace")
                if d.startswith("SIP/2.0 ") and int(d[8:11]) >= 200:
                    break
            code = int(d[8:11])
            if code == 200:
                return True
            if code != 401:
                return False
            ch = [c for c in hdrs(d, "WWW-Authenticate")
                  if "SHA-256" in c][0]
            realm = re.search(r'realm="([^"]*)"', ch).group(1)
            nonce = re.search(r'nonce="([^"]*)"', ch).group(1)
            H = lambda x: hashlib.sha256(x.encode()).hexdigest()
            ha1 = H("%s:%s:%s" % (self.a.user, realm, self.a.secret))
            cn = rnd(8)
            resp = H("%s:%s:00000001:%s:auth:%s" % (
                ha1, nonce, cn, H("REGISTER:" + ruri)))
            auth = ('Authorization: Digest username="%s", realm="%s", '
                    'nonce="%s", uri="%s", response="%s", '
                    'algorithm=SHA-256, qop=auth, nc=00000001, '
                    'cnonce="%s"' % (self.a.user, realm, nonce, ruri,
                                     resp, cn))
        return False

    def run(self):
        self.s.settimeout(0.1)
        totag = rnd(8)
        while not self.stop:
            now = time.monotonic()
            for cid, (t, req) in list(self.pending.items()):
                if now >= t:
                    del self.pending[cid]
                    code = int(self.answer)
                    reason = {200: "OK", 486: "Busy Here",
                              603: "Decline"}.get(code, "X")
                    extra = ("Contact: <sip:%s@%s:%d>" % ((self.a.user,) +
                                                          self.local)
                             if code == 200 else "")
                    self.s.sendto(response(req, code, reason, totag, extra),
                                  self.dst)
            try:
                d, src = self.s.recvfrom(65536)
            except socket.timeout:
                continue
            m = d.decode(errors="replace")
            meth = m.split(" ", 1)[0]
            if meth not in self.seen:
                continue
            self.seen[meth] += 1
            cid = hdr(m, "Call-ID")
            if meth == "INVITE":
                self.invite = m
                self.s.sendto(response(m, 180, "Ringing", totag), src)
                if self.answer != "ring":
                    self.pending[cid] = (time.monotonic() + 0.3, m)
            elif meth == "CANCEL":
                self.s.sendto(response(m, 200, "OK", totag), src)
                self.pending.pop(cid, None)
                inv = getattr(self, "invite", None)
                if inv:
                    self.s.sendto(response(inv, 487, "Request Terminated",
                                           totag), src)
            elif meth in ("BYE", "OPTIONS"):
                self.s.sendto(response(m, 200, "OK", totag), src)


def cmd_phones(a):
    ps = [Phone(a, b, ans) for b, ans in zip(a.binds.split(","),
                                             a.answers.split(","))]
    for p in ps:
        p.seen["registered"] = p.register(300)
    for p in ps:
        p.start()
    with open(a.report + ".ready", "w") as f:
        f.write("ready\n")
    time.sleep(a.seconds)
    for p in ps:
        p.stop = True
    for p in ps:
        p.join(2)
    out = {"%s:%d" % p.local: dict(p.seen, answer=p.answer) for p in ps}
    with open(a.report, "w") as f:
        json.dump(out, f)
    print(json.dumps(out))
    sys.exit(0 if all(p.seen["registered"] for p in ps) else 1)


def cmd_call(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.from_bind, 0))
    local = s.getsockname()
    dst = ("127.0.0.1", a.port)
    cid, tag = rnd() + "@pbx", rnd(8)
    via = "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport"
    base = ["Max-Forwards: 70",
            "From: <sip:pbx@%s:%d>;tag=%s" % (local + (tag,)),
            "To: <%s>" % a.ruri, "Call-ID: " + cid]
    inv = ["INVITE %s SIP/2.0" % a.ruri, via % (local + (rnd(),))] + base + [
        "CSeq: 1 INVITE", "Contact: <sip:pbx@%s:%d>" % local,
        "Content-Length: 0"]
    s.sendto(("\r\n".join(inv) + "\r\n\r\n").encode(), dst)
    s.settimeout(5)
    final = None
    end = time.monotonic() + 8
    while time.monotonic() < end:
        try:
            d = s.recv(65536).decode(errors="replace")
        except socket.timeout:
            break
        if d.startswith("SIP/2.0 ") and int(d[8:11]) >= 200:
            final = d
            break
    code = int(final[8:11]) if final else None
    print("    %s: final answer %s (want %s)" % (
        "ok" if code == a.expect else "FAIL", code, a.expect))
    if code == 200:
        to = hdr(final, "To")
        contact = re.search(r"<([^>]*)>", hdr(final, "Contact")).group(1)
        routes = [re.sub(r"\s+", "", r) for r in
                  reversed(hdrs(final, "Record-Route"))]
        for meth, cseq in (("ACK", 1), ("BYE", 2)):
            req = ["%s %s SIP/2.0" % (meth, contact),
                   via % (local + (rnd(),))] + base[:2] + [
                "To: " + to, "Call-ID: " + cid,
                "CSeq: %d %s" % (cseq, meth)]
            req += ["Route: " + r for r in routes]
            req.append("Content-Length: 0")
            s.sendto(("\r\n".join(req) + "\r\n\r\n").encode(), dst)
        try:
            d = s.recv(65536).decode(errors="replace")
            ok = d.startswith("SIP/2.0 200") and "BYE" in hdr(d, "CSeq")
        except socket.timeout:
            ok = False
        print("    %s: BYE answered 200" % ("ok" if ok else "FAIL"))
        if not ok:
            sys.exit(1)
    sys.exit(0 if code == a.expect else 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["phones", "call"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", default="100")
    ap.add_argument("--secret", default="")
    ap.add_argument("--binds", default="127.0.0.2")
    ap.add_argument("--answers", default="200")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--report", default="phones.json")
    ap.add_argument("--from-bind", default="127.0.0.1")
    ap.add_argument("--ruri", default="")
    ap.add_argument("--expect", type=int, default=200)
    a = ap.parse_args()
    {"phones": cmd_phones, "call": cmd_call}[a.cmd](a)


if __name__ == "__main__":
    main()
