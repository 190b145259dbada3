#!/usr/bin/env python3
"""bench/regload.py -- REGISTER with digest at a fixed rate, timed in
microseconds; MD5 or SHA-256. Standard library only.

Why next to SIPp (bench/register.xml):
  * SIPp 3.6.1 only answers MD5 challenges: this drives SHA-256
    (RFC 7616 / RFC 8760), so that centinela's SHA-256 path can be
    measured, and MD5 the same way for the comparison;
  * SIPp's response times come in steps of 4 ms on the bench machine
    (every timestamp in its -trace_rtt file is a multiple of 4 ms, with
    -timer_resol 1 too), too coarse for "p99 < 5 ms": run at a low rate
    next to a SIPp load, this is a probe with microsecond timing.

Open loop: registration i starts at t0 + i / rate whatever happened to
the earlier ones; each is REGISTER, 401, REGISTER with Authorization
(the challenge of --alg), 200. Requests are retransmitted after 500 ms,
1 s, 2 s (RFC 3261 timer E, T1 = 500 ms); a registration without its
200 within 5 s fails (SIPp's -recv_timeout 5000 in the bench scripts).
Accounts: the SIPp injection file (-inf format: "SEQUENTIAL", then
"user;secret;k"), taken in order from --offset, wrapping around.
Bounded: --count registrations and --max-secs seconds at most.

Prints one line of "key=value" figures (ok, failed, sent, elapsed_s,
achieved, and the response times in ms: reg_p50/p99/max = the REGISTER
with credentials to its 200, chal_p99 = the first REGISTER to its 401)
and exits 0 if every registration succeeded, 1 otherwise.

A Python process: a few thousand registrations per second at most, well
below what the servers sustain; for a maximum rate, use SIPp.
"""
import argparse
import hashlib
import os
import random
import select
import socket
import sys
import time

REALM = "centinela.local"
T1 = 0.5
DEADLINE = 5.0


def H(alg, s):
    f = hashlib.sha256 if alg == "SHA-256" else hashlib.md5
    return f(s.encode()).hexdigest()


def parse_challenges(text, hdr=b"www-authenticate"):
    """{algorithm: {param: value}} of every WWW-Authenticate."""
    out = {}
    for ln in text.split(b"\r\n")[1:]:
        if not ln:
            break
        k, _, v = ln.partition(b":")
        if k.strip().lower() != hdr:
            continue
        v = v.strip().decode(errors="replace")
        if not v.lower().startswith("digest "):
            continue
        d = {}
        for part in split_params(v[7:]):
            pk, _, pv = part.partition("=")
            pv = pv.strip()
            if pv.startswith('"') and pv.endswith('"'):
                pv = pv[1:-1]
            d[pk.strip().lower()] = pv
        out[d.get("algorithm", "MD5").upper()] = d
    return out


def split_params(s):
    parts, cur, q = [], [], False
    for c in s:
        if c == '"':
            q = not q
        if c == "," and not q:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    if cur:
        parts.append("".join(cur).strip())
    return parts


def header(text, name):
    for ln in text.split(b"\r\n")[1:]:
        if not ln:
            break
        k, _, v = ln.partition(b":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def pct(v, p):
    if not v:
        return "-"
    v = sorted(v)
    i = max(1, int(len(v) * p)) - 1
    return "%.3f" % (v[i] * 1e3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True, help="host:port")
    ap.add_argument("--bind", default="127.0.0.3")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--alg", default="MD5", choices=("MD5", "SHA-256"))
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--max-secs", type=float, default=60)
    ap.add_argument("--contact-tag", default="p",
                    help="Contact user part is USER-TAG")
    ap.add_argument("--samples", help="write every REGISTER->200 time "
                    "(ms) here, one a line")
    a = ap.parse_args()

    host, port = a.target.rsplit(":", 1)
    dst = (host, int(port))
    accts = []
    with open(a.csv) as fh:
        for ln in fh:
            ln = ln.strip()
            if not ln or ln == "SEQUENTIAL" or ln == "RANDOM":
                continue
            f = ln.split(";")
            accts.append((f[0], f[1]))
    if not accts:
        sys.exit("no accounts in " + a.csv)

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.bind((a.bind, a.port))
    s.setblocking(False)
    lip, lport = s.getsockname()
    tag0 = "%x" % random.getrandbits(32)
    ruri = "sip:%s" % REALM

    def build(i, user, cseq, auth):
        callid = "%s-%d@regload" % (tag0, i)
        lines = [
            "REGISTER %s SIP/2.0" % ruri,
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s%d.%d;rport"
            % (lip, lport, tag0, i, cseq),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=%s%d" % (user, REALM, tag0, i),
            "To: <sip:%s@%s>" % (user, REALM),
            "Call-ID: %s" % callid,
            "CSeq: %d REGISTER" % cseq,
            "Contact: <sip:%s-%s@%s:%d>" % (user, a.contact_tag, lip, lport),
            "Expires: 3600",
            "User-Agent: centinela-bench-regload",
        ]
        if auth:
            lines.append(auth)
        lines.append("Content-Length: 0")
        return callid, ("\r\n".join(lines) + "\r\n\r\n").encode()

    # callid -> [i, user, secret, state(1|2), t_start_of_state, data,
    #            next_retrans, interval, t_first]
    live = {}
    reg_t, chal_t = [], []
    ok = failed = sent = 0
    t0 = time.perf_counter()
    stop_at = t0 + a.max_secs
    started = 0
    t_last = t0
    next_scan = t0
    while True:
        now = time.perf_counter()
        # new registrations due
        while started < a.count and now >= t0 + started / a.rate and \
                now < stop_at:
            user, secret = accts[(a.offset + started) % len(accts)]
            callid, data = build(started, user, 1, None)
            s.sendto(data, dst)
            sent += 1
            live[callid] = [started, user, secret, 1, now, data,
                            now + T1, T1, now]
            started += 1
            t_last = now
        # retransmissions and deadlines, every 10 ms
        if now >= next_scan:
            next_scan = now + 0.01
            for cid in list(live):
                c = live[cid]
                if now - c[8] >= DEADLINE:
                    failed += 1
                    del live[cid]
                elif now >= c[6]:
                    s.sendto(c[5], dst)
                    c[7] = min(c[7] * 2, 4.0)
                    c[6] = now + c[7]
        if (started >= a.count or now >= stop_at) and not live:
            break
        if now >= stop_at + DEADLINE:
            failed += len(live)
            break
        nxt = t0 + started / a.rate if started < a.count else now + 0.05
        wait = max(0.0, min(nxt - now, 0.05))
        r, _, _ = select.select([s], [], [], wait)
        if not r:
            continue
        while True:
            try:
                d = s.recv(65536)
            except BlockingIOError:
                break
            t = time.perf_counter()
            if not d.startswith(b"SIP/2.0 "):
                continue
            code = int(d[8:11])
            cid = header(d, b"call-id")
            c = live.get(cid.decode() if cid else "")
            if not c or code < 200:
                continue
            cseq = header(d, b"cseq") or b""
            num = int(cseq.split()[0]) if cseq.split() else 0
            if num != c[3]:
                continue
            if c[3] == 1 and code == 401:
                chal_t.append(t - c[4])
                ch = parse_challenges(d).get(a.alg)
                if not ch:
                    failed += 1
                    del live[cid.decode()]
                    continue
                cnonce = "%08x" % random.getrandbits(32)
                ha1 = H(a.alg, "%s:%s:%s" % (c[1], ch["realm"], c[2]))
                ha2 = H(a.alg, "REGISTER:%s" % ruri)
                resp = H(a.alg, "%s:%s:00000001:%s:auth:%s"
                         % (ha1, ch["nonce"], cnonce, ha2))
                auth = ('Authorization: Digest username="%s", realm="%s", '
                        'nonce="%s", uri="%s", response="%s", algorithm=%s, '
                        'qop=auth, nc=00000001, cnonce="%s"'
                        % (c[1], ch["realm"], ch["nonce"], ruri, resp, a.alg,
                           cnonce))
                if "opaque" in ch:
                    auth += ', opaque="%s"' % ch["opaque"]
                _, data = build(c[0], c[1], 2, auth)
                now2 = time.perf_counter()
                s.sendto(data, dst)
                sent += 1
                c[3], c[4], c[5], c[6], c[7] = 2, now2, data, now2 + T1, T1
            elif c[3] == 2 and code == 200:
                reg_t.append(t - c[4])
                ok += 1
                del live[cid.decode()]
            else:
                failed += 1
                del live[cid.decode()]
    el = time.perf_counter() - t0
    if a.samples:
        with open(a.samples, "w") as fh:
            for v in reg_t:
                fh.write("%.3f\n" % (v * 1e3))
    print("ok=%d failed=%d started=%d sent=%d elapsed_s=%.2f achieved=%.1f "
          "reg_p50=%s reg_p99=%s reg_max=%s chal_p50=%s chal_p99=%s n=%d"
          % (ok, failed, started, sent, el,
             (started - 1) / (t_last - t0) if t_last > t0 else 0,
             pct(reg_t, 0.5),
             pct(reg_t, 0.99), pct(reg_t, 1.0), pct(chal_t, 0.5),
             pct(chal_t, 0.99), len(reg_t)))
    return 0 if ok == started == a.count else 1


if __name__ == "__main__":
    sys.exit(main())
