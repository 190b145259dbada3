#!/usr/bin/env python3
"""tests/tools/guard_sip.py -- one SIP request from a chosen loopback
address, for the guard integration tests: prints the status code of the
final answer, or "none" when nothing answered within --wait seconds.

  guard_sip.py --bind IP --port P [--method OPTIONS] [--wait S]
               [--count N] [--time]

With --count N the request is sent N times (fresh transactions, one
socket) and one line is printed per request. With --time each line
also gives the seconds the request took: "403 0.512". Exit status 0 unless the
request could not be sent. Standard library only (tests/integration/
sipauth.py builds the requests).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import sipauth  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--method", default="OPTIONS")
    p.add_argument("--wait", type=float, default=1.5)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--time", action="store_true")
    a = p.parse_args()
    try:
        ua = sipauth.UA("127.0.0.1", a.port, a.bind)
        for _ in range(a.count):
            if a.method == "OPTIONS":
                data, _ = ua.build("OPTIONS", "ping",
                                   ruri="sip:%s:%d" % ua.dst)
            else:
                data, _ = ua.build(a.method, "guardtest",
                                   to_user="5551234")
            t0 = time.monotonic()
            r = ua.xact(data, wait=a.wait)
            dt = time.monotonic() - t0
            if r is not None and a.method == "INVITE" and r.status >= 300:
                ua.ack(data, r)
            st = r.status if r is not None else "none"
            print("%s %.3f" % (st, dt) if a.time else st, flush=True)
    except OSError as e:
        print("guard_sip.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
