#!/usr/bin/env python3
# bench/rtt_probe.py -- round trips of OPTIONS to a proxy under load,
# in microseconds: what one hop through the proxy costs a message
# while the load runs (SIPp's own response times come in 4 ms steps on
# the bench VM, far too coarse for that).
#
#   rtt_probe.py HOST PORT DELAY_S SECS INTERVAL_MS
#
# Waits DELAY_S, then for SECS sends one OPTIONS every INTERVAL_MS from
# its own socket and waits for its 200 (at most 1 s). Prints one line:
# "p50 p90 p99 max answered sent" (microseconds, "-" with no answer;
# counts). Bounded in
# count and time; loopback only.
import os
import socket
import sys
import time


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    delay, secs = float(sys.argv[3]), float(sys.argv[4])
    gap = float(sys.argv[5]) / 1000.0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(1.0)
    lport = s.getsockname()[1]
    time.sleep(delay)
    rtts, sent = [], 0
    end = time.monotonic() + secs
    tag = os.getpid()
    while time.monotonic() < end and sent < 100000:
        sent += 1
        cid = "probe-%d-%d" % (tag, sent)
        msg = ("OPTIONS sip:%s:%d SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKp%d%d;rport\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:probe@127.0.0.1>;tag=p%d\r\n"
               "To: <sip:%s:%d>\r\n"
               "Call-ID: %s\r\n"
               "CSeq: 1 OPTIONS\r\n"
               "Content-Length: 0\r\n\r\n"
               % (host, port, lport, tag, sent, sent, host, port, cid)
               ).encode()
        t0 = time.perf_counter_ns()
        s.sendto(msg, (host, port))
        while True:
            try:
                data = s.recv(65535)
            except socket.timeout:
                break
            if cid.encode() in data and data.startswith(b"SIP/2.0 200"):
                rtts.append((time.perf_counter_ns() - t0) // 1000)
                break
        left = gap - (time.perf_counter_ns() - t0) / 1e9
        if left > 0:
            time.sleep(left)
    rtts.sort()

    def pct(p):
        return rtts[min(len(rtts) - 1, int(p * len(rtts)))] if rtts else "-"
    print(pct(0.5), pct(0.9), pct(0.99), pct(1.0), len(rtts), sent)


if __name__ == "__main__":
    main()
