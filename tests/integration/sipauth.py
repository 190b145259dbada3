#!/usr/bin/env python3
"""tests/integration/sipauth.py -- a small digest-authenticating SIP UA
for the auth and registrar tests (RFC 3261 section 22, RFC 7616/8760).

Standard library only; every wait is bounded. Each subcommand prints one
line per check ("ok: ..." / "FAIL: ...") and exits 0 when all held.

  sipauth.py register   --port P --user U --secret S [--alg MD5|SHA-256]
                        [--bind IP] [--expires N] [--contact-port N]
  sipauth.py suite      --port P --user U --secret S --bind IP
                        [--lifetime N] (challenge form, both algorithms,
                        wrong secret, replay, stale, identity, expiry,
                        re-registration, '*' unregister, 423, limits)
  sipauth.py enumerate  --port P --user U --unknown U2 --bind IP
                        [--rounds N] (existing vs unknown user: the same
                        challenge for REGISTER, INVITE, OPTIONS, MESSAGE,
                        SUBSCRIBE naming either as caller or callee; the
                        same answer to a wrong secret as to an unknown
                        user; the same median time for that answer)
  sipauth.py retrans    --port P --user U --secret S --other U2
                        --unknown U3 --bind IP [--bind2 IP2] (the key of
                        an answered REGISTER reused for another AOR and
                        Contact without credentials: no binding, and no
                        difference between an existing and an unknown
                        AOR)
"""
import argparse
import hashlib
import random
import re
import socket
import statistics
import sys
import time

FAILS = []
REALM = "centinela.local"


def ok(msg):
    print("    ok: " + msg, flush=True)


def bad(msg):
    print("    FAIL: " + msg, flush=True)
    FAILS.append(msg)


def expect(cond, msg):
    (ok if cond else bad)(msg)
    return cond


def rnd(n=16):
    return "%0*x" % (n, random.getrandbits(4 * n))


def H(alg, s):
    f = hashlib.sha256 if alg == "SHA-256" else hashlib.md5
    return f(s.encode()).hexdigest()


class Rsp:
    def __init__(self, data):
        self.raw = data
        text = data.decode(errors="replace")
        head = text.split("\r\n\r\n", 1)[0]
        lines = head.split("\r\n")
        m = re.match(r"SIP/2\.0 (\d{3}) (.*)", lines[0])
        self.status = int(m.group(1)) if m else None
        self.reason = m.group(2) if m else ""
        self.hdrs = []
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                self.hdrs.append((k.strip().lower(), v.strip()))

    def all(self, name):
        return [v for k, v in self.hdrs if k == name.lower()]

    def get(self, name):
        a = self.all(name)
        return a[0] if a else None

    def branch(self):
        m = re.search(r";branch=([^;,\s]+)", self.get("Via") or "")
        return m.group(1) if m else None


def parse_challenge(v):
    assert v.lower().startswith("digest ")
    d = {}
    for m in re.finditer(r'(\w+)=("([^"]*)"|[^,\s]+)', v[7:]):
        d[m.group(1).lower()] = m.group(3) if m.group(3) is not None \
            else m.group(2)
    return d


class UA:
    def __init__(self, host, port, bind):
        self.dst = (host, port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((bind, 0))
        self.local = self.s.getsockname()
        self.callid = rnd() + "@sipauth"
        self.cseq = 0
        self.ftag = rnd(8)

    def build(self, method, user, to_user=None, auth=None, expires=None,
              contact=None, callid=None, ruri=None, extra=""):
        self.cseq += 1
        to_user = to_user or user
        ruri = ruri or ("sip:%s:%d" % self.dst if method == "REGISTER"
                        else "sip:%s@%s:%d" % (to_user, self.dst[0],
                                               self.dst[1]))
        lines = [
            "%s %s SIP/2.0" % (method, ruri),
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport"
            % (self.local[0], self.local[1], rnd()),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=%s" % (user, REALM, self.ftag),
            "To: <sip:%s@%s>" % (to_user, REALM),
            "Call-ID: %s" % (callid or self.callid),
            "CSeq: %d %s" % (self.cseq, method),
        ]
        if contact is not None:
            if contact:
                lines.append("Contact: %s" % contact)
        elif method in ("REGISTER", "INVITE"):
            lines.append("Contact: <sip:%s@%s:%d>"
                         % (user, self.local[0], self.local[1]))
        if expires is not None:
            lines.append("Expires: %d" % expires)
        if auth:
            lines.append(auth)
        if extra:
            lines.append(extra)
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode(), ruri

    def xact(self, data, wait=3.0):
        """Send, return the first final response to it (or None): one
        whose top Via carries the request's branch, so that a late
        answer to an earlier request on this socket is not taken for
        this one's."""
        m = re.search(rb"\r\nVia:[^\r]*;branch=([^;,\s]+)", data)
        branch = m.group(1).decode() if m else None
        self.s.sendto(data, self.dst)
        end = time.monotonic() + wait
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                d, _ = self.s.recvfrom(65536)
            except socket.timeout:
                return None
            r = Rsp(d)
            if branch and r.branch() != branch:
                continue
            if r.status and r.status >= 200:
                return r

    def ack(self, data, r):
        """ACK a non-2xx final answer "r" to the INVITE "data" (RFC 3261
        17.1.1.3: the INVITE's Via and From, the answer's To)."""
        head = data.decode().split("\r\n\r\n", 1)[0].split("\r\n")
        ruri = head[0].split(" ")[1]
        keep = [ln for ln in head[1:] if ln.split(":", 1)[0].lower() in
                ("via", "max-forwards", "from", "call-id")]
        cseq = next(ln for ln in head if ln.lower().startswith("cseq:"))
        lines = (["ACK %s SIP/2.0" % ruri] + keep +
                 ["To: %s" % r.get("To"),
                  "CSeq: %s ACK" % cseq.split(":", 1)[1].split()[0],
                  "Content-Length: 0"])
        self.s.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(),
                      self.dst)


def authorization(method, uri, user, secret, ch, alg, nc=1, cnonce=None,
                  realm=None, hdr="Authorization", response=None):
    realm = realm or ch["realm"]
    cnonce = cnonce or rnd(8)
    ha1 = H(alg, "%s:%s:%s" % (user, realm, secret))
    ha2 = H(alg, "%s:%s" % (method, uri))
    ncs = "%08x" % nc
    resp = response or H(alg, "%s:%s:%s:%s:auth:%s" % (ha1, ch["nonce"], ncs,
                                                      cnonce, ha2))
    return ('%s: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=%s, qop=auth, nc=%s, cnonce="%s"'
            % (hdr, user, realm, ch["nonce"], uri, resp, alg, ncs, cnonce))


def challenges(r, hdr="WWW-Authenticate"):
    return {c["algorithm"]: c for c in map(parse_challenge, r.all(hdr))}


def register(ua, user, secret, alg="SHA-256", expires=None, contact=None,
             auth_user=None):
    """Full two-step registration; returns (challenge rsp, final rsp)."""
    data, ruri = ua.build("REGISTER", user, expires=expires, contact=contact)
    r1 = ua.xact(data)
    if not r1 or r1.status != 401:
        return r1, None
    ch = challenges(r1).get(alg)
    if not ch:
        return r1, None
    auth = authorization("REGISTER", ruri, auth_user or user, secret, ch, alg)
    data, _ = ua.build("REGISTER", user, expires=expires, contact=contact,
                       auth=auth)
    return r1, ua.xact(data)


def cmd_register(a):
    ua = UA("127.0.0.1", a.port, a.bind)
    r1, r2 = register(ua, a.user, a.secret, a.alg, a.expires)
    expect(r1 is not None and r1.status == 401, "first REGISTER gets 401")
    expect(r2 is not None and r2.status == 200,
           "REGISTER with %s credentials gets 200 (got %s)"
           % (a.alg, r2.status if r2 else None))


def cmd_suite(a):
    h, p = "127.0.0.1", a.port
    ua = UA(h, p, a.bind)
    data, ruri = ua.build("REGISTER", a.user, expires=300)
    r = ua.xact(data)
    expect(r and r.status == 401, "unauthenticated REGISTER: 401")
    chs = r.all("WWW-Authenticate") if r else []
    algs = [parse_challenge(c).get("algorithm") for c in chs]
    expect(algs == ["SHA-256", "MD5"],
           "one challenge per algorithm, SHA-256 first (%s)" % algs)
    c = parse_challenge(chs[0]) if chs else {}
    expect(c.get("qop") == "auth" and c.get("realm") == REALM,
           "qop=auth, realm %s" % REALM)

    for alg in ("SHA-256", "MD5"):
        ua2 = UA(h, p, a.bind)
        r1, r2 = register(ua2, a.user, a.secret, alg, expires=300)
        expect(r2 and r2.status == 200, "REGISTER with %s: 200" % alg)
        if r2:
            cts = r2.all("Contact")
            expect(any("%s:%d" % ua2.local in ct for ct in cts),
                   "200 lists the new contact (%s)" % cts)

    # wrong secret
    ua3 = UA(h, p, a.bind)
    r1, r2 = register(ua3, a.user, a.secret + "x")
    expect(r2 and r2.status == 401, "wrong secret: 401 again")

    # replay: the same Authorization (same nonce, same nc) twice
    ua4 = UA(h, p, a.bind)
    data, ruri = ua4.build("REGISTER", a.user, expires=300)
    r1 = ua4.xact(data)
    ch = challenges(r1)["SHA-256"]
    auth = authorization("REGISTER", ruri, a.user, a.secret, ch, "SHA-256",
                         nc=1, cnonce="fixedcnonce")
    d1, _ = ua4.build("REGISTER", a.user, expires=300, auth=auth)
    r2 = ua4.xact(d1)
    expect(r2 and r2.status == 200, "first use of nonce/nc 1: 200")
    d2, _ = ua4.build("REGISTER", a.user, expires=300, auth=auth)
    r3 = ua4.xact(d2)
    expect(r3 and r3.status == 401, "replayed nc 1 in a new request: 401")
    auth2 = authorization("REGISTER", ruri, a.user, a.secret, ch, "SHA-256",
                          nc=2)
    d3, _ = ua4.build("REGISTER", a.user, expires=300, auth=auth2)
    r4 = ua4.xact(d3)
    expect(r4 and r4.status == 200, "next nc (2) with the same nonce: 200")
    # a UDP retransmission (same bytes) is answered, not a replay
    r5 = ua4.xact(d3)
    expect(r5 and r5.status == 200, "retransmitted REGISTER: 200 again")

    # nonce from another source address
    ua5 = UA(h, p, "127.0.0.%d" % (int(a.bind.split(".")[3]) + 1))
    auth3 = authorization("REGISTER", ruri, a.user, a.secret, ch, "SHA-256",
                          nc=3)
    d5, _ = ua5.build("REGISTER", a.user, expires=300, auth=auth3)
    r6 = ua5.xact(d5)
    expect(r6 and r6.status == 401, "nonce used from another IP: 401")

    # identity: authenticated as U, registering someone else
    ua6 = UA(h, p, a.bind)
    data, ruri = ua6.build("REGISTER", a.other, expires=300)
    r1 = ua6.xact(data)
    ch = challenges(r1)["SHA-256"] if r1 else {}
    auth = authorization("REGISTER", ruri, a.user, a.secret, ch, "SHA-256")
    data, _ = ua6.build("REGISTER", a.other, expires=300, auth=auth)
    r2 = ua6.xact(data)
    expect(r2 and r2.status == 403,
           "credentials of %s for %s's AOR: 403" % (a.user, a.other))

    # 423 below min_expires
    ua7 = UA(h, p, a.bind)
    r1, r2 = register(ua7, a.user, a.secret, expires=1)
    expect(r2 and r2.status == 423 and r2.get("Min-Expires"),
           "Expires 1: 423 with Min-Expires")

    # expiry and re-registration
    ua8 = UA(h, p, a.bind)
    r1, r2 = register(ua8, a.user, a.secret, expires=a.min_expires)
    mine = "%s:%d" % ua8.local
    expect(r2 and r2.status == 200 and any(mine in c for c in
                                           r2.all("Contact")),
           "short registration (%d s): 200" % a.min_expires)
    time.sleep(a.min_expires + 1.5)
    ua9 = UA(h, p, a.bind)
    r1, r2 = register(ua9, a.user, a.secret, expires=300, contact="")
    cts = r2.all("Contact") if r2 else []
    expect(r2 and r2.status == 200 and not any(mine in c for c in cts),
           "after %d s the short binding is gone (query: %s)"
           % (a.min_expires + 1, cts))
    r1, r2 = register(ua8, a.user, a.secret, expires=300)
    expect(r2 and any(mine in c for c in r2.all("Contact")),
           "re-registration brings it back")

    # stale nonce
    if a.lifetime:
        ua10 = UA(h, p, a.bind)
        data, ruri = ua10.build("REGISTER", a.user, expires=300)
        r1 = ua10.xact(data)
        ch = challenges(r1)["MD5"]
        time.sleep(a.lifetime + 1.5)
        auth = authorization("REGISTER", ruri, a.user, a.secret, ch, "MD5")
        data, _ = ua10.build("REGISTER", a.user, expires=300, auth=auth)
        r2 = ua10.xact(data)
        stale = [parse_challenge(c).get("stale") for c in
                 (r2.all("WWW-Authenticate") if r2 else [])]
        expect(r2 and r2.status == 401 and "true" in stale,
               "nonce older than %d s: 401 with stale=true" % a.lifetime)
        ch = challenges(r2)["MD5"]
        auth = authorization("REGISTER", ruri, a.user, a.secret, ch, "MD5")
        data, _ = ua10.build("REGISTER", a.user, expires=300, auth=auth)
        r3 = ua10.xact(data)
        expect(r3 and r3.status == 200, "re-challenged: 200")

    # '*' unregister (authenticated, Expires: 0)
    ua11 = UA(h, p, a.bind)
    data, ruri = ua11.build("REGISTER", a.user, expires=0, contact="*")
    r1 = ua11.xact(data)
    ch = challenges(r1)["SHA-256"]
    auth = authorization("REGISTER", ruri, a.user, a.secret, ch, "SHA-256")
    data, _ = ua11.build("REGISTER", a.user, expires=0, contact="*",
                         auth=auth)
    r2 = ua11.xact(data)
    expect(r2 and r2.status == 200 and not r2.all("Contact"),
           "'*' with Expires 0: 200 and no binding left")
    data, _ = ua11.build("REGISTER", a.user, contact="*", auth=None)
    r3 = ua11.xact(data)
    expect(r3 and r3.status == 401, "'*' unauthenticated: 401")

    # INVITE from a public source: 407 with Proxy-Authenticate
    ua12 = UA(h, p, a.bind)
    data, ruri = ua12.build("INVITE", a.user, to_user="5551234")
    r = ua12.xact(data)
    expect(r and r.status == 407 and len(r.all("Proxy-Authenticate")) == 2,
           "unauthenticated INVITE: 407 with two Proxy-Authenticate")


def normalize(r, users=()):
    """An answer with what may differ between two requests for different
    users blanked out: the user names themselves, tags, branches,
    nonces, ports, the Call-ID and the CSeq number."""
    out = [str(r.status), r.reason]
    for k, v in r.hdrs:
        for u in users:
            v = re.sub(r"(?<![\w.-])%s(?![\w.-])" % re.escape(u), "U", v)
        v = re.sub(r'nonce="[^"]*"', 'nonce="N"', v)
        v = re.sub(r"tag=[^;>,\s]+", "tag=T", v)
        v = re.sub(r"branch=[^;,\s]+", "branch=B", v)
        v = re.sub(r"rport=\d+", "rport=P", v)
        v = re.sub(r":\d+(?=[;>,\s]|$)", ":P", v)
        if k in ("call-id", "i"):
            v = "C"
        elif k == "date":
            v = "D"
        elif k == "cseq":
            v = re.sub(r"^\d+", "N", v)
        out.append("%s: %s" % (k, v))
    return out


TARGET = "5551234"      # the callee when the probed user is the caller
CALLER = "anonymous"    # the caller when the probed user is the callee


def auth_hdrs(method):
    return (("WWW-Authenticate", "Authorization") if method == "REGISTER"
            else ("Proxy-Authenticate", "Proxy-Authorization"))


def probe(a, method, user, role="from", auth_secret=None, alg="SHA-256"):
    """One out-of-dialog request from a fresh socket on a.bind that
    names "user": as the registering / calling identity (role "from")
    or as the target (role "to", not for REGISTER). With auth_secret,
    answer the challenge with it and return the second answer.
    Returns (answer or None, seconds the last request took)."""
    u = UA("127.0.0.1", a.port, a.bind)
    if method == "REGISTER":
        frm, to = user, user
    elif role == "from":
        frm, to = user, TARGET
    else:
        frm, to = CALLER, user
    data, ruri = u.build(method, frm, to_user=to)
    t0 = time.perf_counter()
    r = u.xact(data)
    dt = time.perf_counter() - t0
    if r and method == "INVITE" and r.status >= 300:
        u.ack(data, r)
    if auth_secret is None or not r or r.status not in (401, 407):
        return r, dt
    ch = challenges(r, auth_hdrs(method)[0]).get(alg)
    if not ch:
        return None, dt
    auth = authorization(method, ruri, frm, auth_secret, ch, alg,
                         hdr=auth_hdrs(method)[1])
    data, _ = u.build(method, frm, to_user=to, auth=auth)
    t0 = time.perf_counter()
    r = u.xact(data)
    dt = time.perf_counter() - t0
    if r and method == "INVITE" and r.status >= 300:
        u.ack(data, r)
    return r, dt


def same_answer(a, what, r_ex, r_un, want):
    """Both answered, with status "want", identical once normalized."""
    if not expect(r_ex is not None and r_un is not None,
                  "%s: both answered" % what):
        return
    n0 = normalize(r_ex, (a.user, a.unknown))
    n1 = normalize(r_un, (a.user, a.unknown))
    expect(n0 == n1 and r_ex.status == want,
           "%s: existing and unknown user get the same answer "
           "(%d / %d, want %d)" % (what, r_ex.status, r_un.status, want))
    if n0 != n1:
        print("      existing: %s\n      unknown:  %s" % (n0, n1))


def cmd_enumerate(a):
    # 1. unauthenticated requests naming an existing or an unknown user
    for method in ("REGISTER", "INVITE", "OPTIONS", "MESSAGE", "SUBSCRIBE"):
        want = 401 if method == "REGISTER" else 407
        for role in (("from",) if method == "REGISTER" else ("from", "to")):
            what = "%s (user as %s)" % (method, role) \
                if method != "REGISTER" else method
            r_ex, _ = probe(a, method, a.user, role)
            r_un, _ = probe(a, method, a.unknown, role)
            same_answer(a, what, r_ex, r_un, want)
            if not (r_ex and r_un):
                continue
            hdr = auth_hdrs(method)[0]
            try:
                nonces = [parse_challenge(x.all(hdr)[0])["nonce"]
                          for x in (r_ex, r_un)]
            except (IndexError, KeyError, AssertionError):
                bad("%s: no %s challenge with a nonce" % (what, hdr))
                continue
            expect(len(nonces[0]) == len(nonces[1]) and
                   nonces[0] != nonces[1],
                   "%s: nonces have one form and do not repeat" % what)

    # 2. a wrong secret for an existing user vs any for an unknown one
    for method, alg in (("REGISTER", "SHA-256"), ("REGISTER", "MD5"),
                        ("INVITE", "SHA-256")):
        want = 401 if method == "REGISTER" else 407
        r_ex, _ = probe(a, method, a.user, auth_secret="WrongSecret123xyz",
                        alg=alg)
        r_un, _ = probe(a, method, a.unknown,
                        auth_secret="WrongSecret123xyz", alg=alg)
        same_answer(a, "%s with %s, wrong secret vs unknown user"
                    % (method, alg), r_ex, r_un, want)

    # 3. timing: medians over interleaved attempts, in random order
    tex, tun, lost = [], [], 0
    for i in range(a.rounds):
        pair = [(a.user, tex), (a.unknown, tun)]
        random.shuffle(pair)
        for user, acc in pair:
            r, dt = probe(a, "REGISTER", user, auth_secret="Wrong%d" % i)
            if r is None or r.status != 401:
                lost += 1
            else:
                acc.append(dt)
    if not expect(lost == 0 and tex and tun,
                  "timing: all %d wrong-secret attempts got 401"
                  % (2 * a.rounds)):
        return
    me, mu = statistics.median(tex), statistics.median(tun)
    expect(abs(me - mu) < max(0.25 * max(me, mu), 0.0003),
           "timing: median %.0f us (existing) vs %.0f us (unknown), "
           "%d rounds" % (me * 1e6, mu * 1e6, a.rounds))


INTRUDER = "<sip:intruder@192.0.2.66:5060>"


def cmd_retrans(a):
    """The answered-REGISTER memory (a UDP retransmission is answered
    again, not taken for a replay) must not let anything else through:
    an unauthenticated REGISTER that reuses the transaction key of one
    just answered 200 (top Via, Call-ID, CSeq, From tag) but names
    another AOR and another Contact -- from the same address (the
    owner of one account reaching for the others) or from another --
    must neither tell an existing AOR from an unknown one nor create a
    binding."""
    h, p = "127.0.0.1", a.port
    for src in (a.bind, a.bind2):
        ua = UA(h, p, a.bind)
        data, ruri = ua.build("REGISTER", a.user, expires=300)
        r1 = ua.xact(data)
        ch = challenges(r1).get("SHA-256") if r1 else None
        if not expect(ch is not None, "REGISTER %s: challenged" % a.user):
            return
        auth = authorization("REGISTER", ruri, a.user, a.secret, ch,
                             "SHA-256")
        data, _ = ua.build("REGISTER", a.user, expires=300, auth=auth)
        r2 = ua.xact(data)
        if not expect(r2 is not None and r2.status == 200,
                      "authenticated REGISTER %s: 200" % a.user):
            return
        # the very same bytes again: a retransmission, answered again
        r3 = ua.xact(data)
        expect(r3 is not None and r3.status == 200,
               "retransmission of it: 200 again")
        text = data.decode()
        answers = {}
        for target in (a.user, a.other, a.unknown):
            x = re.sub(r"\r\nAuthorization:[^\r]*", "", text)
            x = x.replace("\r\nTo: <sip:%s@" % a.user,
                          "\r\nTo: <sip:%s@" % target)
            x = re.sub(r"\r\nContact: [^\r]*", "\r\nContact: " + INTRUDER, x)
            u = ua if src == a.bind else UA(h, p, src)
            r = u.xact(x.encode())
            answers[target] = r
            what = "same key, To %s, Contact intruder, no credentials, " \
                "from %s" % (target, src)
            expect(r is None or not any("intruder@" in c
                                        for c in r.all("Contact")),
                   "%s: no binding made (%s)"
                   % (what, "%d %s" % (r.status, r.reason) if r
                      else "no answer"))
        r_ex, r_un = answers[a.other], answers[a.unknown]
        n_ex = normalize(r_ex, (a.other, a.unknown)) if r_ex else None
        n_un = normalize(r_un, (a.other, a.unknown)) if r_un else None
        expect(n_ex == n_un,
               "from %s: existing %s and unknown %s get the same answer "
               "(%s / %s)" % (src, a.other, a.unknown,
                                     r_ex.status if r_ex else None,
                                     r_un.status if r_un else None))
        if n_ex != n_un:
            print("      existing: %s\n      unknown:  %s" % (n_ex, n_un))



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["register", "suite", "enumerate",
                                    "retrans"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--secret", default="")
    ap.add_argument("--other", default="101")
    ap.add_argument("--unknown", default="199")
    ap.add_argument("--alg", default="SHA-256")
    ap.add_argument("--bind", default="127.0.0.2")
    ap.add_argument("--bind2", default="127.0.0.9")
    ap.add_argument("--expires", type=int, default=300)
    ap.add_argument("--min-expires", type=int, default=2)
    ap.add_argument("--lifetime", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=40)
    a = ap.parse_args()
    {"register": cmd_register, "suite": cmd_suite,
     "enumerate": cmd_enumerate, "retrans": cmd_retrans}[a.cmd](a)
    print("%s: %d failure(s)" % (a.cmd, len(FAILS)))
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
