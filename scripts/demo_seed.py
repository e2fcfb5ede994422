#!/usr/bin/python3
"""demo_seed.py - the ServiceNow side of `make demo`'s data set, made to
match the Kigo fake's.

The Kigo fake builds its customers with tests/fakes/seed.py from
(--seed, --customers, --big-tokens, --catalog); called with the same
numbers, this builds the tickets and callers the ServiceNow fake loads
(its --seed FILE), so that callers' emails find their Kigo customers:

  INC0010001  Jane Doe, a token in every status          (P2, In Progress)
  INC0010002  another customer with a handful of tokens  (P3, New)
  INC0010003  a caller who has no Kigo customer yet: press n to create one
  INC0010004  the customer with hundreds of tokens       (P3, On Hold)
  INC0010005  hidden by an ACL: "not found or not visible"

    demo_seed.py --seed N --customers N --big-tokens N --catalog N --out FILE
"""

import argparse
import hashlib
import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
import seed  # noqa: E402

AGENT = {"name": "Demo Agent", "email": "demo.agent@cvs.example", "phone": ""}
NOBODY = {"name": "Pat Nobody", "email": "pat.nobody@example.net", "phone": "+14015550199"}


def sid(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def user_of(c):
    return {"name": c["name"], "email": c.get("email") or "", "phone": c.get("phone") or "",
            "sys_id": sid("user:" + (c.get("email") or c["id"]))}


def build(data):
    custs = data["customers"]
    counts = {}
    for t in data["tokens"]:
        counts[t["customer_id"]] = counts.get(t["customer_id"], 0) + 1
    jane = next(c for c in custs if c["id"] == seed.JANE_ID)
    big = next(c for c in custs if c["id"] == seed.BIG_ID)
    other = next(c for c in custs[2:] if c.get("email") and c.get("phone")
                 and counts.get(c["id"], 0) >= 4)
    known = {(c.get("email") or "").lower() for c in custs}
    if NOBODY["email"] in known:
        raise SystemExit("demo_seed: %s unexpectedly has a Kigo customer" % NOBODY["email"])
    users = [user_of(jane), user_of(other), dict(NOBODY), user_of(big), dict(AGENT)]
    for u in users[2:3] + users[4:]:
        u["sys_id"] = sid("user:" + u["email"])
    agent = users[4]["sys_id"]
    tickets = [
        ("INC0010001", "ExtraBucks not applied at checkout", "2", "2", users[0], agent, False),
        ("INC0010002", "Coupon expired before I could use it", "1", "3", users[1], "", False),
        ("INC0010003", "No loyalty account found for my phone number", "1", "4", users[2], "",
         False),
        ("INC0010004", "Reward missing after a return", "3", "3", users[3], agent, False),
        ("INC0010005", "Restricted: HR matter", "2", "1", users[0], agent, True),
    ]
    return {"users": users,
            "tickets": [{"number": n, "short_description": d, "state": st, "priority": p,
                         "caller_id": u["sys_id"], "assigned_to": a, "hidden": h}
                        for n, d, st, p, u, a, h in tickets]}


def main(argv=None):
    p = argparse.ArgumentParser(description="ServiceNow seed matching the Kigo demo data")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--customers", type=int, default=200)
    p.add_argument("--big-tokens", type=int, default=5000)
    p.add_argument("--catalog", type=int, default=2000)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    data = seed.generate(a.customers, a.seed, a.big_tokens, a.catalog)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(build(data), f, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
