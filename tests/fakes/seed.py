#!/usr/bin/python3
"""seed.py - deterministic, realistic Kigo data for the fakes, the demo and benchmarks.

Same seed, same data: names, emails, phone numbers (NANP 555-01xx test
range), loyalty ids, a catalog of ExtraBucks-style rewards (some inactive),
tokens in every status.  Two customers have fixed ids the tests rely on:

    cus_8XK2  Jane Doe: a small inventory with a token in every status
    cus_BIG1  Harriet Okafor-Lindqvist: 5,000 tokens (big_tokens)

Python 3 standard library only.  Importable:

    import seed
    data = seed.generate(customers=200, seed=1)
    # {"customers": [...], "tokens": [...], "catalog": [...]}, contract shapes

or a CLI writing JSON:

    seed.py [--seed N] [--customers N] [--big-tokens N] [--catalog N]
            [--today YYYY-MM-DD] [--out FILE]

Dates are relative to --today (default: the real local date), so active
tokens are never already expired; everything else depends only on the seed.
"""

import argparse
import datetime
import json
import random
import sys

FIRST = ["Jane", "John", "Maria", "Wei", "Aisha", "Carlos", "Olivia", "Liam", "Noah", "Emma",
         "Sofia", "Mateo", "Yuki", "Priya", "Fatima", "Lucas", "Chloe", "Ethan", "Ava", "Omar",
         "Zoe", "Hannah", "Diego", "Grace", "Ibrahim", "Mei", "Anika", "Jorge", "Nina", "Samuel",
         "Leah", "Tomás", "Chiara", "Kwame", "Ingrid", "Ravi", "Elena", "Malik", "Rosa", "Finn"]
LAST = ["Doe", "Smith", "Garcia", "Chen", "Okafor", "Rodriguez", "Nguyen", "Johnson", "Patel",
        "Kim", "Müller", "Rossi", "Haddad", "Kowalski", "O'Brien", "Silva", "Tanaka", "Novak",
        "Andersen", "Hernández", "Lindqvist", "Mensah", "Dubois", "Ivanova", "Cohen", "Walker",
        "Santos", "Fischer", "Ahmed", "Murphy", "Brown", "Lopez", "Wright", "Yilmaz", "Costa"]
DOMAINS = ["example.com", "example.net", "example.org", "mail.example", "post.example"]
REWARDS = [("XB", "ExtraBucks", [2, 3, 5, 10, 20]),
           ("PCT", "% off beauty", [10, 15, 20, 25, 30]),
           ("PH", "% off photo", [15, 25, 40]),
           ("RX", "pharmacy reward", [5, 10]),
           ("GC", "gift card bonus", [5, 10, 25])]
STATUSES = ["active", "redeemed", "expired", "disputed", "removed"]
REASONS = ["customer says it never arrived", "not honoured at register",
           "expired before use", "duplicate issue", "goodwill for long wait",
           "store closed early", "coupon did not scan"]

JANE_ID = "cus_8XK2"
BIG_ID = "cus_BIG1"


def _ts(d, rnd):
    """RFC 3339 UTC timestamp on day d at a random time."""
    return "%sT%02d:%02d:%02dZ" % (d.isoformat(), rnd.randrange(8, 21), rnd.randrange(60),
                                  rnd.randrange(60))


def catalog_items(rnd, n):
    items = []
    for i in range(n):
        prefix, label, values = REWARDS[i % len(REWARDS)]
        v = values[(i // len(REWARDS)) % len(values)]
        sku = "%s-%dOFF-%04d" % (prefix, v, i)
        if prefix in ("XB", "RX", "GC"):
            name = "$%d %s" % (v, label)
            cents = v * 100
        else:
            name = "%d%s" % (v, label)
            cents = 0
        items.append({"sku": sku, "name": name,
                      "description": "%s (promotion %d)" % (name, i),
                      "value_cents": cents,
                      "default_validity_days": rnd.choice([14, 30, 30, 60, 90]),
                      "active": i % 10 != 9})
    # the contract's own example item, always first and active
    items[0] = {"sku": "XB-5OFF", "name": "$5 ExtraBucks", "description": "Five dollars off",
                "value_cents": 500, "default_validity_days": 30, "active": True}
    return items


def _customer(rnd, cid, name, today, serial):
    first, last = name.split(" ", 1)
    local = "%s.%s%d" % (first.lower(), "".join(c for c in last.lower() if c.isalpha()), serial)
    created = today - datetime.timedelta(days=rnd.randrange(30, 900))
    updated = created + datetime.timedelta(days=rnd.randrange(0, (today - created).days + 1))
    c = {"id": cid, "name": name,
         "email": "%s@%s" % (local, rnd.choice(DOMAINS)),
         "phone": "+1%03d55501%02d" % (rnd.choice([401, 212, 617, 312, 415, 206]), serial % 100),
         "loyalty_id": "EC40%08d" % (serial * 7919 % 100000000),
         "created_at": _ts(created, rnd), "updated_at": _ts(updated, rnd)}
    # some customers lack one of the optional members (null is allowed)
    if serial % 11 == 5:
        c["email"] = None
    if serial % 13 == 6:
        c["phone"] = None
    if serial % 17 == 7:
        c["loyalty_id"] = None
    return c


def _token(rnd, tid, cid, item, status, today):
    issued = today - datetime.timedelta(days=rnd.randrange(1, 400))
    if status == "active":
        expires = today + datetime.timedelta(days=rnd.randrange(3, 120))
    elif status == "expired":
        expires = today - datetime.timedelta(days=rnd.randrange(1, 60))
    else:
        expires = issued + datetime.timedelta(days=item["default_validity_days"])
    return {"id": tid, "customer_id": cid, "sku": item["sku"], "name": item["name"],
            "status": status, "issued_at": _ts(issued, rnd), "expires_at": expires.isoformat(),
            "disputed_reason": rnd.choice(REASONS) if status == "disputed" else None,
            "version": rnd.randrange(1, 6)}


def generate(customers=200, seed=1, big_tokens=5000, catalog=2000, today=None):
    """The whole data set as a dict of contract-shaped lists."""
    rnd = random.Random(seed)
    today = today or datetime.date.today()
    cat = catalog_items(rnd, max(catalog, 1))
    active_items = [c for c in cat if c["active"]]
    custs = [_customer(rnd, JANE_ID, "Jane Doe", today, 0),
             _customer(rnd, BIG_ID, "Harriet Okafor-Lindqvist", today, 1)]
    custs[0].update(email="jane@example.com", phone="+14015550100", loyalty_id="EC4012345678")
    used = {c["name"] for c in custs}
    serial = 2
    while len(custs) < customers:
        name = "%s %s" % (rnd.choice(FIRST), rnd.choice(LAST))
        if name in used and rnd.random() < 0.7:
            name = "%s %s-%s" % (rnd.choice(FIRST), rnd.choice(LAST), rnd.choice(LAST))
        used.add(name)
        custs.append(_customer(rnd, "cus_%05X" % (0x10000 + serial), name, today, serial))
        serial += 1
    tokens = []
    tn = [0]

    def add(cid, status):
        tn[0] += 1
        tokens.append(_token(rnd, "tok_%06X" % tn[0], cid, rnd.choice(active_items), status,
                             today))

    for st in STATUSES + ["active", "active", "expired"]:   # Jane: every status
        add(JANE_ID, st)
    for i in range(big_tokens):
        add(BIG_ID, STATUSES[i % len(STATUSES)] if i % 3 else "active")
    for c in custs[2:]:
        for _ in range(rnd.randrange(0, 8)):
            add(c["id"], rnd.choice(STATUSES + ["active", "active"]))
    return {"customers": custs, "tokens": tokens, "catalog": cat}


def main(argv=None):
    p = argparse.ArgumentParser(description="deterministic Kigo seed data as JSON")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--customers", type=int, default=200)
    p.add_argument("--big-tokens", type=int, default=5000)
    p.add_argument("--catalog", type=int, default=2000)
    p.add_argument("--today", help="YYYY-MM-DD (default: local date)")
    p.add_argument("--out", help="file (default stdout)")
    a = p.parse_args(argv)
    today = datetime.date.fromisoformat(a.today) if a.today else None
    data = generate(a.customers, a.seed, a.big_tokens, a.catalog, today)
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
