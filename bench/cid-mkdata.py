#!/usr/bin/env python3
"""bench/cid-mkdata.py -- the numbering data of bench/callerid-calls.sh.

Writes, into OUTDIR, a made-up CNMC register in the layout of the files
of bd-num.zip (NXY#BLOCK#AREA#STATUS#HOLDER#DATE, CRLF, ASCII, so it
reads the same as windows-1252), an own inventory, and the SIPp
injection files of the calls. Deterministic (--seed).

  register.txt  every fixed NXY of etc/numplan.conf (150) with 3-digit
                blocks, --assigned-pct of them "Asignado" and some of
                those also "Subasignado a,b,c" (1-digit sub-blocks, one
                range each); every mobile NXY (150) with 2-digit blocks.
  own.csv       our blocks (block), numbers given to customers
                (service) and numbers ported in (ported_in), in
                blocks no call of the bench uses as its calling number
                (R-07 would block them on a national peer).
  calls.csv     SEQUENTIAL; --calls lines "CLI;CALLED": 9-digit national
                numbers, the CLI a fixed number in an assigned range
                (not ours), the called number a fixed number too.
  probe-bad.csv one line: a fixed CLI in a block the register assigns to
                no one (ES-A4.2 must block it).
  summary.txt   "key value" lines: ranges, rows, own entries, ...
"""
import argparse
import os
import random


def expand(prefix, cls):
    return [prefix + d for d in cls]


def fixed_nxys():
    d = "0123456789"
    out = []
    for a in "1356":
        out += expand("8" + a, d)
    for a in "28":
        out += expand("8" + a, "012345678")
    for a in "47":
        out += expand("8" + a, "123456789")
    for a in "135":
        out += expand("9" + a, d)
    for a in "268":
        out += expand("9" + a, "012345678")
    out += expand("94", "123456789")
    out += expand("97", "12456789")  # 97[124-9]
    return sorted(set(out))


def mobile_nxys():
    d = "0123456789"
    out = expand("6", [a + b for a in d for b in d])
    for a in "1234":
        out += expand("7" + a, d)
    out += expand("78", d)
    return out


AREAS = {"81": "Madrid", "91": "Madrid", "83": "Barcelona",
         "93": "Barcelona", "85": "Sevilla", "95": "Sevilla"}
HOLDERS = ["TELEFONICA DE ESPANA, S.A. UNIPERSONAL",
           "VODAFONE ESPANA, S.A. UNIPERSONAL",
           "ORANGE ESPAGNE, S.A. UNIPERSONAL",
           "XFERA MOVILES, S.A. UNIPERSONAL",
           "AIRE NETWORKS DEL MEDITERRANEO, S.L. UNIPERSONAL",
           "LYCAMOBILE, S.L.", "AVATEL TELECOM, S.A.",
           "DIGI SPAIN TELECOM, S.L.U."]
OURS = "NOSOTROS TELECOMUNICACION, S.L."


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--assigned-pct", type=int, default=90)
    ap.add_argument("--sub-pct", type=int, default=15)
    ap.add_argument("--calls", type=int, default=100000)
    ap.add_argument("--own-blocks", type=int, default=40)
    ap.add_argument("--own-services", type=int, default=5000)
    ap.add_argument("--ported-in", type=int, default=1000)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)

    rows = 0
    ranges = 0
    assigned = []       # fixed 6-digit prefixes (NXY + 3-digit block)
    subs = {}           # fixed prefix -> its sub-blocks
    unassigned = []
    with open(os.path.join(a.outdir, "register.txt"), "w",
              newline="") as f:
        def row(nxy, blk, status, holder):
            y = 1998 + rnd.randrange(28)
            f.write("%s#%s#%s#%s#%s#%02d/%02d/%d\r\n" % (
                nxy, blk, AREAS.get(nxy[:2], ""), status, holder,
                1 + rnd.randrange(28), 1 + rnd.randrange(12), y))

        for nxy in fixed_nxys():
            for b in range(1000):
                blk = "%03d" % b
                if rnd.randrange(100) >= a.assigned_pct:
                    unassigned.append(nxy + blk)
                    continue
                row(nxy, blk, "Asignado", rnd.choice(HOLDERS))
                rows += 1
                ranges += 1
                assigned.append(nxy + blk)
                if rnd.randrange(100) < a.sub_pct:
                    sb = rnd.sample("0123456789", 3)
                    subs[nxy + blk] = sb
                    row(nxy, blk, "Subasignado " + ",".join(sb),
                        rnd.choice(HOLDERS))
                    rows += 1
                    ranges += len(sb)
        nmob = 0
        for nxy in mobile_nxys():
            for b in range(100):
                if rnd.randrange(100) >= 95:
                    continue
                blk = "%02d" % b
                row(nxy, blk, "Asignado", rnd.choice(HOLDERS))
                rows += 1
                ranges += 1
                nmob += 1
                if rnd.randrange(100) < 10:
                    sb = rnd.sample("0123456789", 2)
                    row(nxy, blk, "Subasignado " + ",".join(sb),
                        rnd.choice(HOLDERS))
                    rows += 1
                    ranges += len(sb)

    # Ours: --own-blocks assigned fixed blocks (services and ported-in
    # numbers inside them); no call presents a number from them.
    rnd.shuffle(assigned)
    own = assigned[:a.own_blocks]
    usable = assigned[a.own_blocks:]
    nown = 0
    with open(os.path.join(a.outdir, "own.csv"), "w") as f:
        f.write("# generated by bench/cid-mkdata.py\n")
        for p in own:
            f.write("block,34%s,bench block\n" % p)
            nown += 1
        seen = set()
        while len(seen) < a.own_services + a.ported_in:
            seen.add(rnd.choice(own) + "%03d" % rnd.randrange(1000))
        nums = sorted(seen)
        rnd.shuffle(nums)
        for i, n in enumerate(nums):
            kind = "service" if i < a.own_services else "ported_in"
            f.write("%s,34%s\n" % (kind, n))
            nown += 1

    def number(prefixes):
        p = rnd.choice(prefixes)
        sb = subs.get(p)
        if sb and rnd.randrange(2):
            p += rnd.choice(sb)
        return p + "".join(rnd.choice("0123456789")
                           for _ in range(9 - len(p)))

    with open(os.path.join(a.outdir, "calls.csv"), "w") as f:
        f.write("SEQUENTIAL\n")
        for _ in range(a.calls):
            f.write("%s;%s\n" % (number(usable), number(usable)))
    bad = rnd.choice(unassigned) + "%03d" % rnd.randrange(1000)
    with open(os.path.join(a.outdir, "probe-bad.csv"), "w") as f:
        f.write("SEQUENTIAL\n%s;%s\n" % (bad, number(usable)))
    with open(os.path.join(a.outdir, "summary.txt"), "w") as f:
        f.write("register_rows %d\nregister_ranges %d\n" % (rows, ranges))
        f.write("fixed_blocks_assigned %d\nfixed_blocks_subassigned %d\n"
                % (len(assigned), len(subs)))
        f.write("mobile_blocks_assigned %d\n" % nmob)
        f.write("own_entries %d\nown_blocks %d\n" % (nown, len(own)))
        f.write("calls_csv_lines %d\nprobe_bad_cli %s\n" % (a.calls, bad))


if __name__ == "__main__":
    main()
