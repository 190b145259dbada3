#!/usr/bin/env python3
"""attack.py -- small attackers for the guard tests, built on sipauth.py's
UA (one UDP socket bound to a chosen loopback address).

Every command sends one request at a time and waits (bounded) for its
answer; it stops at the first request left unanswered ("silenced": the
source is banned and dropped) and prints one line:

    answered=N silenced_at=K

K is the 1-based number of the first unanswered request (0: all were
answered). The exit status is 0 unless the command could not run.

  enum   --bind IP --port P --users A-B [--method REGISTER]
         REGISTER (or INVITE/OPTIONS) for every user A..B, no credentials
  crack  --bind IP --port P --user U --count N
         REGISTER with digest credentials computed from wrong secrets
  forge  --bind IP --port P --user U --count N --as IP2
         like crack, with From/Contact/Via naming IP2 (e.g. the PBX)
  junk   --bind IP --port P --count N
         malformed datagrams, then one OPTIONS to see if still answered
  ping   --bind IP --port P
         one OPTIONS to centinela; answered=1 or silenced_at=1
  ua     --bind IP --port P --agent TEXT
         one OPTIONS with that User-Agent
  flood  --bind IP --port P --count N [--rate R]
         N OPTIONS to centinela back to back (R per second; 0, the
         default: as fast as the socket takes them), without waiting
         for answers; then the answers are collected until none came
         for --wait seconds. N counts the OPTIONS answered, K the
         first one that was not (a flood cap drops from there on).
"""
import argparse
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipauth  # noqa: E402


def result(answered, silenced_at):
    print("answered=%d silenced_at=%d" % (answered, silenced_at))


def run(ua, reqs, wait):
    """Send the requests in turn; stop at the first without an answer."""
    n = 0
    for i, data in enumerate(reqs, 1):
        if ua.xact(data, wait=wait) is None:
            result(n, i)
            return
        n += 1
    result(n, 0)


def cmd_enum(a):
    lo, hi = (int(x) for x in a.users.split("-"))
    ua = sipauth.UA("127.0.0.1", a.port, a.bind)

    def gen():
        for u in range(lo, hi + 1):
            ua.callid = sipauth.rnd() + "@enum"
            data, _ = ua.build(a.method, str(u), expires=60
                               if a.method == "REGISTER" else None)
            yield data
    run(ua, gen(), a.wait)


def crack_reqs(ua, user, count, forged=None):
    """REGISTERs whose credentials answer a real challenge with a wrong
    secret; with "forged", From/Contact/Via name that address."""
    for i in range(count):
        data, ruri = ua.build("REGISTER", user, expires=60)
        r1 = ua.xact(data, wait=1.0)
        if r1 is None:
            yield data  # silenced already: let run() see it
            return
        ch = sipauth.challenges(r1).get("MD5") or \
            sipauth.challenges(r1).get("SHA-256")
        alg = "MD5" if sipauth.challenges(r1).get("MD5") else "SHA-256"
        auth = sipauth.authorization("REGISTER", ruri, user,
                                     "wrong-%d" % i, ch, alg)
        data, _ = ua.build("REGISTER", user, expires=60, auth=auth)
        if forged:
            txt = data.decode()
            txt = txt.replace("%s:%d" % ua.local, "%s:5060" % forged)
            txt = txt.replace("@%s>" % sipauth.REALM, "@%s>" % forged)
            data = txt.encode()
        yield data


def cmd_crack(a):
    ua = sipauth.UA("127.0.0.1", a.port, a.bind)
    run(ua, crack_reqs(ua, a.user, a.count), a.wait)


def cmd_forge(a):
    ua = sipauth.UA("127.0.0.1", a.port, a.bind)
    run(ua, crack_reqs(ua, a.user, a.count, forged=getattr(a, "as")),
        a.wait)


def options(ua, agent=None):
    data, _ = ua.build("OPTIONS", "ping", ruri="sip:%s:%d" % ua.dst,
                       extra="User-Agent: %s" % agent if agent else "")
    return data


def cmd_junk(a):
    ua = sipauth.UA("127.0.0.1", a.port, a.bind)
    for i in range(a.count):
        ua.s.sendto(b"GARBAGE %d \x00\x01 not sip\r\n\r\n" % i, ua.dst)
        time.sleep(0.01)
    time.sleep(0.3)
    run(ua, [options(ua)], a.wait)


def cmd_ping(a):
    ua = sipauth.UA("127.0.0.1", a.port, a.bind)
    run(ua, [options(ua)], a.wait)


def cmd_ua(a):
    ua = sipauth.UA("127.0.0.1", a.port, a.bind)
    run(ua, [options(ua, a.agent)], a.wait)


def cmd_flood(a):
    ua = sipauth.UA("127.0.0.1", a.port, a.bind)
    index = {}
    gap = 1.0 / a.rate if a.rate > 0 else 0.0
    t = time.monotonic()
    for i in range(1, a.count + 1):
        data = options(ua)
        m = re.search(rb"\r\nVia:[^\r]*;branch=([^;,\s]+)", data)
        index[m.group(1).decode()] = i
        ua.s.sendto(data, ua.dst)
        if gap:
            t += gap
            time.sleep(max(0.0, t - time.monotonic()))
    answered = set()
    ua.s.settimeout(a.wait)
    while len(answered) < a.count:
        try:
            d, _ = ua.s.recvfrom(65536)
        except socket.timeout:
            break
        r = sipauth.Rsp(d)
        i = index.get(r.branch())
        if i and r.status and r.status >= 200:
            answered.add(i)
    first = next((i for i in range(1, a.count + 1) if i not in answered), 0)
    result(len(answered), first)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("enum", "crack", "forge", "junk", "ping", "ua", "flood"):
        s = sub.add_parser(name)
        s.add_argument("--bind", required=True)
        s.add_argument("--port", type=int, required=True)
        s.add_argument("--wait", type=float, default=1.0)
        if name == "enum":
            s.add_argument("--users", required=True)
            s.add_argument("--method", default="REGISTER")
        if name in ("crack", "forge"):
            s.add_argument("--user", required=True)
        if name in ("crack", "forge", "junk", "flood"):
            s.add_argument("--count", type=int, required=True)
        if name == "flood":
            s.add_argument("--rate", type=float, default=0.0)
        if name == "forge":
            s.add_argument("--as", required=True)
        if name == "ua":
            s.add_argument("--agent", required=True)
    a = p.parse_args()
    try:
        {"enum": cmd_enum, "crack": cmd_crack, "forge": cmd_forge,
         "junk": cmd_junk, "ping": cmd_ping, "ua": cmd_ua,
         "flood": cmd_flood}[a.cmd](a)
    except OSError as e:
        print("attack.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
