#!/usr/bin/env python3
"""tests/tools/fraud1_alerts.py -- check what the alert router delivered,
for the toll-fraud integration tests (t_fraud_burst.sh).

  fraud1_alerts.py --hook URL --mail DIR --list FILE --node NODE
                   --from ADDR --to ADDR
                   --expect "SEVERITY RULE SUBJECT" [--expect ...]

URL is tests/tools/webhook_rx.py's base (http://127.0.0.1:PORT), DIR
the directory tests/tools/smtp_rx.py writes its messages to, FILE the
output of `centinelactl alerts list --json`. The --expect entries are
the alerts wanted, in the order they were raised (SUBJECT may hold
spaces: everything after the rule; " | TEXT" after it: the alert's
text must contain TEXT). Checks, one "ok:"/"FAIL:" line
each, exit status 0 when all held:

  - the webhook got exactly one POST per expected alert and nothing
    else, each answered 200 (so signature, timestamp and body checked
    by webhook_rx.py), with that severity, rule and subject, our node,
    an id of the form al-XXXXXXXXXXXXXXXXXXXX, a text "SUBJECT: ..."
    holding the TEXT given;
  - the ids (time-ordered) and the "ts" fields are in the expected
    order;
  - the SMTP server got exactly one message per alert: envelope
    from/to, Subject "[centinela SEVERITY] RULE SUBJECT",
    X-Centinela-Alert-Id the webhook's id, Message-ID <id.mail@NODE>,
    Auto-Submitted: auto-generated, and the summary lines;
  - `centinelactl alerts list --json` lists the same ids with the same
    severity, rule and subject, delivered ("done") to both channels.

With --ids FILE the ids are written there, one per line, in order.
"""
import argparse
import email
import email.policy
import json
import os
import re
import sys
import urllib.request

FAILS = []


def ok(msg):
    print("    ok: " + msg, flush=True)


def bad(msg):
    print("    FAIL: " + msg, flush=True)
    FAILS.append(msg)


def expect(cond, msg):
    (ok if cond else bad)(msg)
    return cond


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hook", required=True)
    ap.add_argument("--mail", required=True)
    ap.add_argument("--list", required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--from", dest="mfrom", required=True)
    ap.add_argument("--to", dest="mto", required=True)
    ap.add_argument("--expect", action="append", required=True)
    ap.add_argument("--ids")
    a = ap.parse_args()

    want, frag = [], {}
    for e in a.expect:
        e, _, text = e.partition(" | ")
        sev, rule, subj = e.split(" ", 2)
        want.append((sev, rule, subj))
        frag[(sev, rule, subj)] = text

    # ---- the webhook ------------------------------------------------
    with urllib.request.urlopen(a.hook + "/posts", timeout=5) as r:
        posts = json.loads(r.read())
    expect(len(posts) == len(want),
           "webhook: %d POSTs, want %d" % (len(posts), len(want)))
    for p in posts:
        expect(p["status"] == 200 and p["sig_ok"],
               "webhook: POST %s answered %s, signature %s"
               % (p["id"], p["status"], "valid" if p["sig_ok"] else
                  "INVALID"))
    ids = []
    for w in want:
        got = [p for p in posts if p["body"] and
               (p["body"]["severity"], p["body"]["rule"],
                p["body"]["subject"]) == w]
        if not expect(len(got) == 1, "webhook: %d POST(s) of %s, want 1"
                      % (len(got), " ".join(w))):
            ids.append(None)
            continue
        b = got[0]["body"]
        expect(re.fullmatch(r"al-[0-9a-z]{20}", b["id"]) is not None and
               b["node"] == a.node and b["text"].startswith(w[2] + ": ") and
               frag[w] in b["text"],
               "webhook: %s: id %s, node %s, text \"%s\""
               % (" ".join(w), b["id"], b["node"], b["text"]))
        ids.append(b)
    if all(ids):
        order = [b["id"] for b in ids]
        expect(order == sorted(order) and
               [b["ts"] for b in ids] == sorted(b["ts"] for b in ids),
               "webhook: alerts raised in the expected order (%s)"
               % ", ".join("%s %s" % (b["severity"], b["rule"])
                           for b in ids))
    id_of = {w: (b["id"] if b else None) for w, b in zip(want, ids)}

    # ---- the mail -----------------------------------------------------
    files = sorted(f for f in os.listdir(a.mail) if f.endswith(".eml"))
    expect(len(files) == len(want),
           "mail: %d messages, want %d" % (len(files), len(want)))
    msgs = {}
    for f in files:
        with open(os.path.join(a.mail, f), "rb") as fh:
            m = email.message_from_binary_file(fh,
                                               policy=email.policy.compat32)
        msgs.setdefault(m["X-Centinela-Alert-Id"], []).append(m)
    for w in want:
        aid = id_of[w]
        if not aid:
            continue
        ms = msgs.get(aid, [])
        if not expect(len(ms) == 1, "mail: %d message(s) for %s (%s), "
                      "want 1" % (len(ms), aid, " ".join(w))):
            continue
        m = ms[0]
        subj = "[centinela %s] %s %s" % (w[0].upper(), w[1], w[2])
        body = m.get_payload()
        checks = [
            (m["X-Envelope-From"] == a.mfrom, "envelope from %s"
             % m["X-Envelope-From"]),
            (m["X-Envelope-To"] == a.mto, "envelope to %s"
             % m["X-Envelope-To"]),
            (m["Subject"] == subj, "Subject \"%s\"" % m["Subject"]),
            (m["Message-ID"] == "<%s.mail@%s>" % (aid, a.node),
             "Message-ID %s" % m["Message-ID"]),
            (m["Auto-Submitted"] == "auto-generated", "Auto-Submitted %s"
             % m["Auto-Submitted"]),
            ("Severity: %s\r\n" % w[0] in body or
             "Severity: %s\n" % w[0] in body, "Severity line"),
            (re.search(r"^Rule: +%s\r?$" % re.escape(w[1]), body, re.M)
             is not None, "Rule line"),
        ]
        for c, what in checks:
            expect(c, "mail %s: %s" % (aid, what))

    # ---- centinelactl alerts list --json --------------------------------
    with open(a.list) as fh:
        listed = json.load(fh)["alerts"]
    by_id = {x["id"]: x for x in listed}
    for w in want:
        aid = id_of[w]
        if not aid:
            continue
        x = by_id.get(aid)
        if not expect(x is not None, "alerts list: %s listed" % aid):
            continue
        st = {d["channel"]: d["state"] for d in x["deliveries"]}
        expect((x["severity"], x["rule"], x["subject"]) == w and
               st == {"hook": "done", "mail": "done"},
               "alerts list: %s %s, deliveries %s"
               % (aid, " ".join((x["severity"], x["rule"], x["subject"])),
                  " ".join("%s:%s" % kv for kv in sorted(st.items()))))
    expect(len(listed) == len(want),
           "alerts list: %d alerts, want %d" % (len(listed), len(want)))
    if a.ids:
        with open(a.ids, "w") as fh:
            for w in want:
                fh.write("%s\n" % (id_of[w] or "none"))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
