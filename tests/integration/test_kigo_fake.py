#!/usr/bin/python3
"""test_kigo_fake.py - the Kigo fake speaks the token API v1 contract exactly.

Checked from outside with Python's own HTTPS client (the C client's view is
build/tests/test_kigo): X-Request-Id on every answer, 401 without a known
Bearer, pagination and order, idempotency replay and mismatch, 428, 412 with
details.current and ETag, versions (a note does not bump), the transition
table, 409 with details.existing_id, 400 on bad input, the applied-count
control endpoint; and seed.py is deterministic and writes JSON.
Exit 0 pass, 77 skip, anything else fail.
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import ssl
import uuid

ROOT = os.environ.get("KG_TEST_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
FAKES = os.path.join(ROOT, "tests", "fakes")
sys.path.insert(0, FAKES)
import seed  # noqa: E402

TOKEN = "integration-token"


class Api:
    def __init__(self, base, ca):
        self.base = base
        self.ctx = ssl.create_default_context(cafile=ca)

    def call(self, method, path, body=None, bearer=TOKEN, key=None, if_match=None, raw=None):
        hdrs = {"Accept": "application/json"}
        if bearer:
            hdrs["Authorization"] = "Bearer " + bearer
        if key:
            hdrs["Idempotency-Key"] = key
        if if_match is not None:
            hdrs["If-Match"] = if_match
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        rq = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(rq, context=self.ctx, timeout=20) as r:
                st, h, b = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            st, h, b = e.code, e.headers, e.read()
        assert h.get("X-Request-Id"), "X-Request-Id missing on %s %s" % (method, path)
        return st, h, (json.loads(b) if b else None)

    def post(self, path, body, **kw):
        kw.setdefault("key", str(uuid.uuid4()))
        return self.call("POST", path, body, **kw)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def err_code(body):
    return body["error"]["code"]


def walk(api, path, size):
    items, cur, pages = [], None, 0
    while True:
        st, _, b = api.call("GET", path + (("&" if "?" in path else "?") + "cursor=" + cur
                                           if cur else ""))
        check(st == 200, "page %s: %s" % (path, st))
        check(len(b["items"]) <= size, "page larger than %d" % size)
        items += b["items"]
        pages += 1
        cur = b["next_cursor"]
        if cur is None:
            return items, pages


def main():
    if shutil.which("openssl") is None:
        print("openssl not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="kg-kigo-fake-")
    proc = None
    try:
        subprocess.run(["sh", os.path.join(FAKES, "testca.sh"), tmp], check=True)
        port_file = os.path.join(tmp, "port")
        log = open(os.path.join(tmp, "fake.log"), "w")
        proc = subprocess.Popen([sys.executable, os.path.join(FAKES, "kigo_fake.py"),
                                 "--cert", os.path.join(tmp, "server.pem"),
                                 "--key", os.path.join(tmp, "server.key"),
                                 "--port-file", port_file, "--bearer", TOKEN,
                                 "--customers", "30", "--big-tokens", "250",
                                 "--catalog", "120"], stdout=log, stderr=log)
        deadline = time.time() + 15
        while not os.path.exists(port_file):
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit("kigo_fake did not start; see " + log.name)
            time.sleep(0.02)
        with open(port_file) as f:
            port = int(f.read())
        host = "https://127.0.0.1:%d" % port
        api = Api(host + "/api/v1", os.path.join(tmp, "ca.pem"))
        ctl = Api(host, os.path.join(tmp, "ca.pem"))

        # ---- auth ----
        st, _, b = api.call("GET", "/customers/cus_8XK2", bearer=None)
        check(st == 401 and err_code(b) == "unauthorized", "401 without a Bearer")
        check(b["error"]["request_id"], "request_id in the envelope")
        st, _, _ = api.call("GET", "/customers/cus_8XK2", bearer="stranger")
        check(st == 401, "401 with an unknown Bearer")
        ctl.call("POST", "/__control/kigo/bearer", {"token": "stranger"}, bearer=None)
        st, _, _ = api.call("GET", "/customers/cus_8XK2", bearer="stranger")
        check(st == 200, "a Bearer added on the control endpoint is accepted")

        # ---- reads, order, pagination ----
        st, _, c = api.call("GET", "/customers/cus_8XK2")
        check(st == 200 and c["name"] == "Jane Doe" and c["email"] == "jane@example.com",
              "GET customer")
        st, _, b = api.call("GET", "/customers/cus_NOPE")
        check(st == 404 and err_code(b) == "not_found", "404 not_found")
        custs, pages = walk(api, "/customers?q=&limit=7", 7)
        check(len(custs) == 30 and pages == 5, "customers paginate (%d, %d)" % (len(custs), pages))
        names = [x["name"].lower() for x in custs]
        check(names == sorted(names), "customers by name")
        st, _, b = api.call("GET", "/customers?q=EC4012345678")
        check([x["id"] for x in b["items"]] == ["cus_8XK2"], "q matches the loyalty id")
        st, _, b = api.call("GET", "/customers?q=JANE@EXAMPLE")
        check(any(x["id"] == "cus_8XK2" for x in b["items"]), "q is case-insensitive")
        st, _, b = api.call("GET", "/customers?limit=0")
        check(st == 400 and err_code(b) == "invalid_request", "limit 1..100")
        st, _, b = api.call("GET", "/customers?limit=101")
        check(st == 400, "limit over 100")
        cat, pages = walk(api, "/catalog", 50)
        check(len(cat) == 120 and pages == 3, "catalog 50 a page")
        toks, pages = walk(api, "/customers/cus_BIG1/tokens", 100)
        check(len(toks) == 250 and pages == 3, "tokens 100 a page")
        issued = [t["issued_at"] for t in toks]
        check(issued == sorted(issued, reverse=True), "tokens newest issued first")
        jane, _ = walk(api, "/customers/cus_8XK2/tokens", 100)
        check({t["status"] for t in jane} == set(seed.STATUSES), "Jane has every status")
        act, _ = walk(api, "/customers/cus_8XK2/tokens?status=active", 100)
        check(act and all(t["status"] == "active" for t in act), "status filter")
        st, _, _ = api.call("GET", "/customers/cus_8XK2/tokens?status=lost")
        check(st == 400, "unknown status filter is 400")
        st, _, _ = api.call("GET", "/catalog?cursor=bogus")
        check(st == 400, "a cursor the server did not give is 400")

        # ---- idempotency ----
        tok = act[0]
        path = "/tokens/%s/actions" % tok["id"]
        st, _, b = api.call("POST", path, {"type": "note", "note": "n"}, if_match='"%d"' % tok["version"])
        check(st == 400 and "Idempotency-Key" in b["error"]["message"], "key required")
        key = str(uuid.uuid4())
        body = {"type": "note", "note": "called back", "ticket_ref": "INC1"}
        st, h, first = api.post(path, body, key=key, if_match='"%d"' % tok["version"])
        check(st == 200 and first["token"]["version"] == tok["version"], "a note does not bump")
        check(first["activity"]["action"] == "other", "note is action other")
        check(h.get("ETag") == '"%d"' % tok["version"], "ETag")
        check(h.get("Idempotent-Replayed") is None, "first answer is not a replay")
        st, h, again = api.post(path, body, key=key, if_match='"%d"' % tok["version"])
        check(st == 200 and h.get("Idempotent-Replayed") == "true", "replay header")
        check(again == first, "replay returns the first answer")
        st, _, b = api.post(path, dict(body, note="other"), key=key,
                            if_match='"%d"' % tok["version"])
        check(st == 422 and err_code(b) == "idempotency_mismatch", "422 on another body")
        _, _, applied = ctl.call("GET", "/__control/kigo/applied", bearer=None)
        check(applied["applied"] == {key: 1}, "applied once: %r" % applied)

        # ---- versions, 428, 412 ----
        st, _, b = api.post("/tokens/%s/remove" % tok["id"], {"reason": "dup", "ticket_ref": "I"})
        check(st == 428 and err_code(b) == "precondition_required", "428 without If-Match")
        st, h, b = api.post("/tokens/%s/remove" % tok["id"], {"reason": "dup", "ticket_ref": "I"},
                            if_match='"%d"' % (tok["version"] + 7))
        check(st == 412 and err_code(b) == "precondition_failed", "412")
        check(b["error"]["details"]["current"]["version"] == tok["version"], "details.current")
        st, h, b = api.post("/tokens/%s/remove" % tok["id"], {"reason": "dup", "ticket_ref": "I"},
                            if_match='"%d"' % tok["version"])
        check(st == 200 and b["token"]["status"] == "removed", "remove")
        check(b["token"]["version"] == tok["version"] + 1, "+1 per change")
        check(b["activity"]["before"]["status"] == "active", "activity before")
        check(h.get("ETag") == '"%d"' % (tok["version"] + 1), "ETag follows")
        v = b["token"]["version"]

        # ---- transitions ----
        st, _, b = api.post("/tokens/%s/dispute" % tok["id"], {"reason": "x"}, if_match='"%d"' % v)
        check(st == 422 and err_code(b) == "invalid_transition", "dispute a removed token")
        st, _, b = api.post("/tokens/%s/remove" % tok["id"], {"reason": ""}, if_match='"%d"' % v)
        check(st == 400, "empty reason")
        st, _, b = api.post("/tokens/%s/remove" % tok["id"], {"reason": "x" * 501},
                            if_match='"%d"' % v)
        check(st == 400, "reason over 500")
        tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
        today = datetime.date.today().isoformat()
        st, _, b = api.post("/tokens/%s/reissue" % act[1]["id"],
                            {"expires_at": today, "reason": "r"},
                            if_match='"%d"' % act[1]["version"])
        check(st == 400, "reissue needs a date after today")
        st, _, b = api.post("/tokens/%s/reissue" % act[1]["id"],
                            {"expires_at": tomorrow, "reason": "r"},
                            if_match='"%d"' % act[1]["version"])
        check(st == 200 and b["token"]["expires_at"] == tomorrow, "reissue")
        disputed = [t for t in jane if t["status"] == "disputed"][0]
        st, _, b = api.post("/tokens/%s/actions" % disputed["id"], {"type": "resolve_dispute"},
                            if_match='"%d"' % disputed["version"])
        check(st == 200 and b["token"]["status"] == "active" and
              b["token"]["disputed_reason"] is None, "resolve_dispute")
        st, _, b = api.post("/tokens/%s/actions" % disputed["id"], {"type": "extend",
                            "expires_at": "2001-01-01"}, if_match='"%d"' % b["token"]["version"])
        check(st == 400, "extend to the past")
        st, _, b = api.post("/tokens/tok_NOPE/remove", {"reason": "x"}, if_match='"1"')
        check(st == 404, "unknown token")

        # ---- add, create customer ----
        inactive = [c for c in cat if not c["active"]][0]
        st, _, b = api.post("/customers/cus_8XK2/tokens", {"sku": inactive["sku"]})
        check(st == 400 and "inactive" in b["error"]["message"], "inactive item is 400")
        st, h, b = api.post("/customers/cus_8XK2/tokens", {"sku": "XB-5OFF", "ticket_ref": "I"})
        check(st == 201 and b["token"]["version"] == 1 and b["activity"]["before"] is None,
              "add")
        check(b["token"]["expires_at"] ==
              (datetime.datetime.now(datetime.timezone.utc).date() +
               datetime.timedelta(days=30)).isoformat(), "default validity")
        st, _, b = api.post("/customers", {"name": "Dup", "email": "JANE@example.com"})
        check(st == 409 and b["error"]["details"]["existing_id"] == "cus_8XK2", "409 email")
        st, _, b = api.post("/customers", {"name": "Dup", "loyalty_id": "EC4012345678"})
        check(st == 409 and b["error"]["details"]["existing_id"] == "cus_8XK2", "409 loyalty")
        st, _, b = api.post("/customers", {"name": "Only Name"})
        check(st == 400, "name alone is not enough")
        st, _, b = api.post("/customers", {"name": "New Person", "phone": "+14015550199",
                                           "ticket_ref": "INC1"})
        check(st == 201 and b["customer"]["email"] is None and
              b["activity"]["action"] == "create_customer", "create customer")
        st, _, b = api.post("/customers", None, raw=b"{not json")
        check(st == 400, "bad JSON body")

        acts, _ = walk(api, "/customers/cus_8XK2/activity", 20)
        check(acts[0]["action"] == "add", "activity newest first")

        # ---- seed ----
        a = seed.generate(customers=12, seed=5, big_tokens=10, catalog=20,
                          today=datetime.date(2026, 1, 1))
        b2 = seed.generate(customers=12, seed=5, big_tokens=10, catalog=20,
                           today=datetime.date(2026, 1, 1))
        check(a == b2, "seed is deterministic")
        out = os.path.join(tmp, "seed.json")
        subprocess.run([sys.executable, os.path.join(FAKES, "seed.py"), "--customers", "12",
                        "--seed", "5", "--big-tokens", "10", "--catalog", "20",
                        "--today", "2026-01-01", "--out", out], check=True)
        with open(out, encoding="utf-8") as f:
            check(json.load(f) == a, "the CLI writes the same data")
        print("kigo fake: contract checks passed")
        return 0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
