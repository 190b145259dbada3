#!/usr/bin/env python3
"""tests/integration/media_dialog.py -- a PBX and a phone around centinela
for the media-anchor dialog tests (t_media_guard.sh, t_media_tags.sh).

The phone (account --user, UDP, --phone-ip) registers with its device
secret; the PBX (a pbx peer, UDP, --pbx-ip:--pbx-port) calls it through
centinela, whose media anchor (rtpengine) rewrites the SDP. Standard
library only; every wait is bounded. Prints one line per check ("ok:" /
"FAIL:") and exits 0 when all held.

  media_dialog.py zombie --port P --metrics-port M ...
      The phone answers 486; the call is deleted at rtpengine. After the
      transaction is gone (6 s) the PBX retransmits the very INVITE: it
      must not reach the phone, nor anchor the call again.
  media_dialog.py forged-bye --port P --metrics-port M ...
      The phone answers 200; a BYE with the right Call-ID but another
      To tag (a forged or stray BYE, another fork's) passes on but must
      leave the media anchored; the real BYE ends it.
  media_dialog.py cap --port P --metrics-port M ...
      rtpengine is stopped (SIGSTOP by the test): three INVITEs of one
      Call-ID (new branches) at once. Two offers wait for rtpengine and
      fail (503 media anchor unavailable); the third is over the
      per-call cap: 503 at once, as our overload, not counted as an
      rtpengine failure.
  media_dialog.py refused-copy --port P --metrics-port M ...
      The PBX calls user 599 (registered nowhere): 480 from centinela
      after the offer. Copies of that INVITE (a lost 480 on UDP) must
      get the 480 again, not be dropped as a late copy of an ended call.
  media_dialog.py foreign-caller --port P --metrics-port M ...
      A call rings; initial INVITEs with the same Call-ID but other From
      tags are refused (403, media_call_conflict) and never offered to
      rtpengine: they cannot ride the call past max_calls.
"""
import argparse
import os
import random
import re
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipauth  # noqa: E402

FAILS = []


def ok(msg):
    print("    ok: " + msg, flush=True)


def bad(msg):
    print("    FAIL: " + msg, flush=True)
    FAILS.append(msg)


def expect(cond, msg):
    (ok if cond else bad)(msg)


def rnd():
    return "%016x" % random.getrandbits(64)


def hdr(data, name):
    m = re.search(rb"\r\n" + name.encode() + rb":\s*([^\r]*)", data, re.I)
    return m.group(1).decode() if m else ""


def hdrs(data, name):
    return [v.decode() for v in
            re.findall(rb"\r\n" + name.encode() + rb":\s*([^\r]*)", data,
                       re.I)]


def metric(port, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=5) as f:
        for line in f.read().decode().splitlines():
            k, _, v = line.partition(" ")
            if k == name:
                return int(float(v))
    return None


def wait_metric(port, name, want, wait=5.0):
    end = time.monotonic() + wait
    v = None
    while time.monotonic() < end:
        v = metric(port, name)
        if v == want:
            return v
        time.sleep(0.1)
    return v


class Peer:
    """One UDP socket; messages are read with a filter and a deadline."""

    def __init__(self, ip, port=0):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((ip, port))
        self.local = self.s.getsockname()

    def send(self, data, dst):
        self.s.sendto(data, dst)

    def wait(self, pred, wait):
        end = time.monotonic() + wait
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None, None
            self.s.settimeout(left)
            try:
                d, src = self.s.recvfrom(65536)
            except socket.timeout:
                return None, None
            if d.startswith(b"OPTIONS "):
                continue  # probes and keep-alives
            if pred(d):
                return d, src


def sdp(ip, port):
    return ("v=0\r\no=pbx 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=sendrecv\r\n" % (ip, ip, port))


def invite(a, pbx, callid, ftag, branch):
    body = sdp(a.pbx_ip, a.pbx_media)
    lines = [
        "INVITE sip:%s@127.0.0.1:%d SIP/2.0" % (a.user, a.port),
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s" % (pbx.local + (branch,)),
        "Max-Forwards: 70",
        "From: <sip:pbx@%s>;tag=%s" % (a.pbx_ip, ftag),
        "To: <sip:%s@%s>" % (a.user, sipauth.REALM),
        "Call-ID: %s" % callid,
        "CSeq: 1 INVITE",
        "Contact: <sip:pbx@%s:%d>" % pbx.local,
        "Content-Type: application/sdp",
        "Content-Length: %d" % len(body),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def answer(req, status, phrase, totag, contact=None, body=""):
    """A response of the phone to request "req" (Via, RR copied)."""
    lines = ["SIP/2.0 %d %s" % (status, phrase)]
    lines += ["Via: " + v for v in hdrs(req, "Via")]
    lines += ["Record-Route: " + v for v in hdrs(req, "Record-Route")]
    to = hdr(req, "To")
    if totag and ";tag=" not in to:
        to += ";tag=" + totag
    lines += ["From: " + hdr(req, "From"), "To: " + to,
              "Call-ID: " + hdr(req, "Call-ID"), "CSeq: " + hdr(req, "CSeq")]
    if contact:
        lines.append("Contact: " + contact)
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def status(d):
    m = re.match(rb"SIP/2.0 (\d{3})", d or b"")
    return int(m.group(1)) if m else 0


def is_req(method, callid):
    return lambda d: (d.startswith(method.encode() + b" ") and
                      hdr(d, "Call-ID") == callid)


def is_final(callid, method="INVITE"):
    return lambda d: (status(d) >= 200 and hdr(d, "Call-ID") == callid and
                      hdr(d, "CSeq").endswith(method))


def register(a, phone):
    ua = sipauth.UA("127.0.0.1", a.port, a.phone_ip)
    ua.s.close()
    ua.s = phone.s  # the registered contact is the phone's socket
    ua.local = phone.local
    _, r = sipauth.register(ua, a.user, a.secret, expires=300)
    if not r or r.status != 200:
        bad("phone %s not registered (%s)" % (a.user, r and r.status))
        return False
    ok("phone %s registered from %s:%d" % ((a.user,) + phone.local))
    return True


def anchored_sdp(d):
    """Did rtpengine rewrite the PBX's SDP (its media address gone)?"""
    body = d.split(b"\r\n\r\n", 1)[1].decode(errors="replace")
    return "m=audio" in body and "IN IP4 127.0.0.1" in body


def cmd_zombie(a):
    pbx, phone = Peer(a.pbx_ip, a.pbx_port), Peer(a.phone_ip)
    if not register(a, phone):
        return
    dst = ("127.0.0.1", a.port)
    callid, ftag, branch = rnd() + "@pbx", rnd()[:8], rnd()
    inv = invite(a, pbx, callid, ftag, branch)
    pbx.send(inv, dst)
    d, src = phone.wait(is_req("INVITE", callid), 5)
    if not d:
        return bad("the phone got no INVITE")
    expect(anchored_sdp(d), "the INVITE reached the phone anchored")
    expect(wait_metric(a.metrics_port, "centinela_media_calls", 1) == 1,
           "one call anchored")
    phone.send(answer(d, 486, "Busy Here", rnd()[:8]), src)
    r, _ = pbx.wait(is_final(callid), 5)
    expect(status(r) == 486, "the PBX got the 486 (%s)" % status(r))
    if r:
        ack = ("ACK sip:%s@127.0.0.1:%d SIP/2.0\r\n"
               "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s\r\n"
               "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
               "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
               % ((a.user, a.port) + pbx.local +
                  (branch, hdr(r, "From"), hdr(r, "To"), callid))).encode()
        pbx.send(ack, dst)
    expect(wait_metric(a.metrics_port, "centinela_media_calls", 0) == 0,
           "the failed call was deleted at rtpengine")
    # The proxy's transaction lingers 5 s; after it, only the anchor's
    # memory of the deleted call stands between the copy and rtpengine.
    time.sleep(6.5)
    pbx.send(inv, dst)
    d, _ = phone.wait(is_req("INVITE", callid), 2.5)
    expect(d is None, "the late INVITE retransmission did not reach the "
           "phone")
    expect(metric(a.metrics_port, "centinela_media_calls") == 0,
           "no call anchored again")
    v = metric(a.metrics_port, "centinela_media_retransmitted_offers_total")
    expect(v == 1, "centinela_media_retransmitted_offers_total = %s" % v)
    # A new call (new Call-ID) is still anchored.
    callid2 = rnd() + "@pbx"
    pbx.send(invite(a, pbx, callid2, rnd()[:8], rnd()), dst)
    d, src = phone.wait(is_req("INVITE", callid2), 5)
    expect(d is not None and anchored_sdp(d), "a new call is anchored")
    if d:
        phone.send(answer(d, 486, "Busy Here", rnd()[:8]), src)
        pbx.wait(is_final(callid2), 5)


def cmd_forged_bye(a):
    pbx, phone = Peer(a.pbx_ip, a.pbx_port), Peer(a.phone_ip)
    if not register(a, phone):
        return
    dst = ("127.0.0.1", a.port)
    callid, ftag, totag = rnd() + "@pbx", rnd()[:8], rnd()[:8]
    pbx.send(invite(a, pbx, callid, ftag, rnd()), dst)
    d, src = phone.wait(is_req("INVITE", callid), 5)
    if not d:
        return bad("the phone got no INVITE")
    expect(anchored_sdp(d), "the INVITE reached the phone anchored")
    contact = "<sip:%s@%s:%d>" % ((a.user,) + phone.local)
    phone.send(answer(d, 200, "OK", totag, contact,
                      sdp(a.phone_ip, a.phone_media)), src)
    r, _ = pbx.wait(is_final(callid), 5)
    if status(r) != 200:
        return bad("the PBX got no 200 (%s)" % status(r))
    ok("the PBX got the 200")
    route = ", ".join(reversed(hdrs(r, "Record-Route")))
    cseq = [1]

    def in_dialog(method, to_tag, branch=None):
        if method != "ACK":
            cseq[0] += 1
        lines = [
            "%s %s SIP/2.0" % (method, contact[1:-1]),
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s"
            % (pbx.local + (branch or rnd(),)),
            "Max-Forwards: 70",
            "Route: " + route,
            "From: <sip:pbx@%s>;tag=%s" % (a.pbx_ip, ftag),
            "To: <sip:%s@%s>;tag=%s" % (a.user, sipauth.REALM, to_tag),
            "Call-ID: " + callid,
            "CSeq: %d %s" % (1 if method == "ACK" else cseq[0], method),
            "Content-Length: 0",
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    pbx.send(in_dialog("ACK", totag), dst)
    phone.wait(is_req("ACK", callid), 3)
    expect(wait_metric(a.metrics_port, "centinela_media_calls", 1) == 1,
           "the call is anchored and confirmed")
    # The forged BYE: right Call-ID and From tag, another To tag.
    pbx.send(in_dialog("BYE", rnd()[:8]), dst)
    d, src = phone.wait(is_req("BYE", callid), 3)
    expect(d is not None, "the foreign BYE passed on to the phone")
    if d:
        phone.send(answer(d, 481, "Call/Transaction Does Not Exist", None),
                   src)
        pbx.wait(is_final(callid, "BYE"), 3)
    time.sleep(0.5)
    v = metric(a.metrics_port, "centinela_media_calls")
    expect(v == 1, "the foreign BYE left the media anchored (calls %s)" % v)
    v = metric(a.metrics_port, "centinela_media_foreign_deletes_total")
    expect(v is not None and v >= 1,
           "centinela_media_foreign_deletes_total = %s" % v)
    # The real BYE ends it.
    pbx.send(in_dialog("BYE", totag), dst)
    d, src = phone.wait(is_req("BYE", callid), 3)
    expect(d is not None, "the real BYE reached the phone")
    if d:
        phone.send(answer(d, 200, "OK", None), src)
        r, _ = pbx.wait(is_final(callid, "BYE"), 3)
        expect(status(r) == 200, "the PBX got the BYE's 200")
    expect(wait_metric(a.metrics_port, "centinela_media_calls", 0) == 0,
           "the real BYE deleted the call at rtpengine")


def cmd_cap(a):
    pbx = Peer(a.pbx_ip, a.pbx_port)
    dst = ("127.0.0.1", a.port)
    failed0 = metric(a.metrics_port,
                     'centinela_media_offers_total{result="failed"}') or 0
    callid, ftag = rnd() + "@pbx", rnd()[:8]
    branches = [rnd() for _ in range(3)]
    t0 = time.monotonic()
    for b in branches:
        pbx.send(invite(a, pbx, callid, ftag, b), dst)
    got = {}
    end = time.monotonic() + 5
    while len(got) < 3 and time.monotonic() < end:
        r, _ = pbx.wait(is_final(callid), end - time.monotonic())
        if not r:
            break
        m = re.search(r"branch=z9hG4bK([0-9a-f]+)", hdr(r, "Via"))
        if m and m.group(1) not in got:
            got[m.group(1)] = (status(r), hdr(r, "Reason"),
                               time.monotonic() - t0)
    expect(len(got) == 3, "three final answers (%d)" % len(got))
    capped = [g for g in got.values() if "in flight" in g[1]]
    failed = [g for g in got.values() if "anchor unavailable" in g[1]]
    expect(len(capped) == 1 and capped[0][0] == 503,
           "one INVITE over the per-call cap: 503 %s" % capped)
    expect(capped and capped[0][2] < 0.4,
           "the capped INVITE answered at once (%.2f s)"
           % (capped[0][2] if capped else -1))
    expect(len(failed) == 2, "two offers failed at rtpengine (%d)"
           % len(failed))
    v = metric(a.metrics_port, 'centinela_media_capped_total{message="offer"}')
    expect(v == 1, "centinela_media_capped_total{offer} = %s" % v)
    v = metric(a.metrics_port,
               'centinela_media_offers_total{result="failed"}') - failed0
    expect(v == 2, "rtpengine failures counted: %s (the cap is not one)" % v)


def cmd_refused_copy(a):
    pbx = Peer(a.pbx_ip, a.pbx_port)
    dst = ("127.0.0.1", a.port)
    a2 = argparse.Namespace(**vars(a))
    a2.user = "599"
    inv = invite(a2, pbx, rnd() + "@pbx", rnd()[:8], rnd())
    for i in range(3):
        pbx.send(inv, dst)
        r, _ = pbx.wait(lambda d: status(d) >= 200, 3)
        expect(status(r) == 480,
               "copy %d of the refused INVITE: %s (want 480)"
               % (i, status(r)))
    expect(metric(a.metrics_port, "centinela_media_calls") == 0,
           "no call stays anchored")
    v = metric(a.metrics_port, "centinela_media_retransmitted_offers_total")
    expect(not v, "no copy counted as a late INVITE (%s)" % v)


def cmd_foreign_caller(a):
    pbx, phone = Peer(a.pbx_ip, a.pbx_port), Peer(a.phone_ip)
    if not register(a, phone):
        return
    dst = ("127.0.0.1", a.port)
    callid = rnd() + "@pbx"
    pbx.send(invite(a, pbx, callid, rnd()[:8], rnd()), dst)
    d, src = phone.wait(is_req("INVITE", callid), 5)
    if not d:
        return bad("the phone got no INVITE")
    phone.send(answer(d, 180, "Ringing", rnd()[:8]), src)
    expect(wait_metric(a.metrics_port, "centinela_media_calls", 1) == 1,
           "the first call is anchored")
    okey = 'centinela_media_offers_total{result="ok"}'
    offers0 = metric(a.metrics_port, okey)
    for i in range(3):
        pbx.send(invite(a, pbx, callid, "other%03d" % i, rnd()), dst)
        r, _ = pbx.wait(lambda d: status(d) >= 200 and
                        b"other%03d" % i in d, 3)
        expect(status(r) == 403 and "another dialog" in hdr(r, "Reason"),
               "INVITE %d of another caller, same Call-ID: %s %s"
               % (i, status(r), r and hdr(r, "Reason")))
    d2, _ = phone.wait(is_req("INVITE", callid), 0.5)
    expect(d2 is None, "none of them reached the phone")
    v = metric(a.metrics_port, okey)
    expect(v == offers0, "no further offer to rtpengine (%s -> %s)"
           % (offers0, v))
    expect(metric(a.metrics_port, "centinela_media_calls") == 1,
           "still one anchored call")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=("zombie", "forged-bye", "cap",
                                   "refused-copy", "foreign-caller"))
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--metrics-port", type=int, required=True)
    p.add_argument("--user", default="500")
    p.add_argument("--secret", required=True)
    p.add_argument("--phone-ip", default="127.0.0.2")
    p.add_argument("--phone-media", type=int, default=40000)
    p.add_argument("--pbx-ip", default="127.0.0.3")
    p.add_argument("--pbx-port", type=int, required=True)
    p.add_argument("--pbx-media", type=int, default=40002)
    a = p.parse_args()
    {"zombie": cmd_zombie, "forged-bye": cmd_forged_bye,
     "cap": cmd_cap, "refused-copy": cmd_refused_copy,
     "foreign-caller": cmd_foreign_caller}[a.cmd](a)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
