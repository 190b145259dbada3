#!/usr/bin/env python3
"""bench/mkaccounts.py -- the accounts of the authenticated benchmarks.

Writes N digest accounts, the same ones, into
  * centinela's SQLite store (--centinela-db; table "accounts", HA1 for
    MD5 and SHA-256 as `centinelactl user add` stores them), in one
    transaction, then bumps meta.generation so that a running daemon
    reloads;
  * a Kamailio auth_db subscriber table (--kamailio-db; db_sqlite
    schema from the Debian package, ha1 column for calculate_ha1 = 0);
  * a SIPp injection file (--csv): "SEQUENTIAL", then one
    "user;secret;k" line per account and contact index k (--contacts K:
    k = 0..K-1; default one line per account, k = 0).

Why not `centinelactl user add` 10,000 times: each call opens the store
and commits once (~30 ms each with a password; without one still a
process and a commit per account). Here: well under a second. The
store's schema must already exist: bench scripts create it with one
`centinelactl user add` first (so the schema and its version are
centinela's own), then call this, which replaces that account too.

Users are USER_BASE + i (default 100000 .. 100000 + N - 1); every
secret is 24 random letters and digits (like centinelactl's device
secrets), from a seeded generator so that a run can be reproduced.
HA1 = H(user ":" realm ":" secret), realm = the domain.
"""
import argparse
import hashlib
import os
import random
import sqlite3
import string
import sys
import time

KAM_SQL = "/usr/share/kamailio/db_sqlite"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--user-base", type=int, default=100000)
    ap.add_argument("--realm", default="centinela.local")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--centinela-db")
    ap.add_argument("--kamailio-db")
    ap.add_argument("--kamailio-location-db",
                    help="also create usrloc's location table here "
                         "(Kamailio usrloc db_mode 2)")
    ap.add_argument("--csv")
    ap.add_argument("--contacts", type=int, default=1,
                    help="CSV: K lines per account, \"user;secret;k\" for "
                         "k = 0..K-1, k-major (line i*N + j = account j, "
                         "contact i)")
    ap.add_argument("--max-contacts", type=int, default=0,
                    help="accounts.max_contacts (0 = registrar default)")
    a = ap.parse_args()

    rnd = random.Random(a.seed)
    abc = string.ascii_letters + string.digits
    accts = []
    for i in range(a.n):
        user = str(a.user_base + i)
        secret = "".join(rnd.choice(abc) for _ in range(24))
        h1 = f"{user}:{a.realm}:{secret}".encode()
        accts.append((user, secret, hashlib.md5(h1).hexdigest(),
                      hashlib.sha256(h1).hexdigest()))
    now = int(time.time())

    if a.centinela_db:
        db = sqlite3.connect(a.centinela_db)
        have = {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "accounts" not in have or "meta" not in have:
            sys.exit(f"{a.centinela_db}: no centinela schema (run "
                     "`centinelactl user add` once first)")
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO accounts (username, domain, status,"
                " ha1_md5, ha1_sha256, pw_hash, created, secret_rotated,"
                " pw_changed, max_contacts, allow_cidrs)"
                " VALUES (?, ?, 0, ?, ?, '', ?, ?, 0, ?, '')",
                [(u, a.realm, m, s, now, now, a.max_contacts)
                 for (u, _, m, s) in accts])
            db.execute("UPDATE meta SET value = value + 1"
                       " WHERE key = 'generation'")
        n = db.execute("SELECT count(*) FROM accounts").fetchone()[0]
        db.close()
        print(f"centinela store {a.centinela_db}: {n} accounts")

    if a.kamailio_db:
        if os.path.exists(a.kamailio_db):
            os.unlink(a.kamailio_db)
        db = sqlite3.connect(a.kamailio_db)
        for f in ("standard-create.sql", "auth_db-create.sql"):
            with open(os.path.join(KAM_SQL, f)) as fh:
                db.executescript(fh.read())
        with db:
            db.executemany(
                "INSERT INTO subscriber (username, domain, password, ha1,"
                " ha1b) VALUES (?, ?, '', ?, '')",
                [(u, a.realm, m) for (u, _, m, _) in accts])
        db.close()
        print(f"kamailio subscriber {a.kamailio_db}: {len(accts)} rows")

    if a.kamailio_location_db:
        if os.path.exists(a.kamailio_location_db):
            os.unlink(a.kamailio_location_db)
        db = sqlite3.connect(a.kamailio_location_db)
        for f in ("standard-create.sql", "usrloc-create.sql"):
            with open(os.path.join(KAM_SQL, f)) as fh:
                db.executescript(fh.read())
        db.close()

    if a.csv:
        with open(a.csv, "w") as fh:
            fh.write("SEQUENTIAL\n")
            for k in range(a.contacts):
                for (u, s, _, _) in accts:
                    fh.write(f"{u};{s};{k}\n")
        print(f"SIPp injection file {a.csv}: {len(accts) * a.contacts} "
              "lines")


if __name__ == "__main__":
    main()
