#!/usr/bin/python3
"""kigo_fake.py - the Kigo token API v1 test double, over HTTPS (fakelib).

Implements the contract exactly (kigo-token-api-v1): customers, catalog,
tokens, activity, every endpoint under /api/v1; versions (+1 per change, a
note does not bump), ETag on token answers, the transition table,
Idempotency-Key replay for 24 h with "Idempotent-Replayed: true", 422
idempotency_mismatch for a reused key with another body, 412 with
details.current, 409 with details.existing_id, 428 without If-Match, 400
for an inactive catalog item or bad input, pagination with next_cursor
(server-chosen small pages: 100 tokens, 50 catalog items, 20 activity
entries), X-Request-Id on every answer, 401 without a known Bearer.
Data comes from seed.py (deterministic).

Options (besides fakelib's --cert --key --port-file --host --plain):
    --seed N --customers N --big-tokens N --catalog N   seed.generate()
    --bearer TOKEN (repeatable)     accepted access tokens
    --readonly-bearer TOKEN         accepted for GETs, 403 on every POST
    --permissive                    any non-empty Bearer is accepted

Control endpoints (fakelib's /__control/* plus, never logged or faulted):
    GET  /__control/kigo/applied        {"applied": {key: times applied}}
    POST /__control/kigo/bearer         {"token": T, "readonly": false}
    POST /__control/kigo/permissive     {"on": true}
    GET  /__control/kigo/token/ID       the token as stored (404 if none)
    POST /__control/kigo/token/ID       {member: value}: change a token as
                                        another agent would (version +1)
    POST /__control/kigo/expire-keys    forget idempotency keys (the 24 h pass)
"""

import copy
import json
import datetime
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakelib  # noqa: E402
import seed  # noqa: E402

API = "/api/v1"
PAGE_TOKENS = 100
PAGE_CATALOG = 50
PAGE_ACTIVITY = 20
KEY_TTL = 24 * 3600
REASON_MAX = 500
STATUSES = ("active", "redeemed", "expired", "disputed", "removed")
# The contract's transition table: action -> statuses it is allowed from.
ALLOWED = {
    "remove": ("active", "expired", "disputed"),
    "reissue": ("active", "expired"),
    "dispute": ("active", "redeemed", "expired"),
    "resolve_dispute": ("disputed",),
    "extend": ("active",),
    "note": STATUSES,
}
ACTOR = "agent@cvs.example"


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def today():
    return datetime.date.today()


class ApiError(Exception):
    def __init__(self, status, code, message, details=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}
        self.headers = headers or {}


def parse_date(s, member):
    if not isinstance(s, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        raise ApiError(400, "invalid_request", "%s must be a date YYYY-MM-DD" % member)
    try:
        return datetime.date.fromisoformat(s)
    except ValueError:
        raise ApiError(400, "invalid_request", "%s is not a real date" % member)


def need_future(s, member):
    d = parse_date(s, member)
    if d <= today():
        raise ApiError(400, "invalid_request", "%s must be after today" % member)
    return d


def need_reason(body):
    r = body.get("reason")
    if not isinstance(r, str) or not (1 <= len(r) <= REASON_MAX):
        raise ApiError(400, "invalid_request", "reason is required (1..500 characters)")
    return r


def opt_str(body, member):
    v = body.get(member)
    if v is not None and not isinstance(v, str):
        raise ApiError(400, "invalid_request", "%s must be a string" % member)
    return v


class KigoFake(fakelib.FakeServer):
    def __init__(self, data, bearers=(), readonly=(), permissive=False):
        super().__init__()
        self.customers = {c["id"]: dict(c) for c in data["customers"]}
        self.catalog = [dict(c) for c in data["catalog"]]
        self.sku = {c["sku"]: c for c in self.catalog}
        self.tokens = {}
        self.by_customer = {}
        for t in data["tokens"]:
            self._put_token(dict(t))
        self.activity = {}         # customer id -> [entry], newest first
        self.keys = {}             # idempotency key -> remembered answer
        self.applied = {}          # idempotency key -> times applied
        self.bearers = set(bearers)
        self.readonly = set(readonly)
        self.permissive = permissive
        self.serial = 0
        self._routes()

    # ---- state helpers ------------------------------------------------
    def _put_token(self, t):
        self.tokens[t["id"]] = t
        lst = self.by_customer.setdefault(t["customer_id"], [])
        if t["id"] not in lst:
            lst.append(t["id"])

    def _next(self, prefix):
        self.serial += 1
        return "%s_F%05d" % (prefix, self.serial)

    def _customer_tokens(self, cid):
        toks = [self.tokens[i] for i in self.by_customer.get(cid, [])]
        toks.sort(key=lambda t: (t["issued_at"], t["id"]), reverse=True)
        return toks

    def _record(self, action, cid, body, before, after, token_id):
        e = {"id": self._next("act"), "at": now_rfc3339(), "actor": ACTOR, "action": action,
             "token_id": token_id, "customer_id": cid, "ticket_ref": body.get("ticket_ref"),
             "reason": body.get("reason") if action != "other" else body.get("note"),
             "before": copy.deepcopy(before), "after": copy.deepcopy(after)}
        self.activity.setdefault(cid, []).insert(0, e)
        return e

    # ---- plumbing -----------------------------------------------------
    def _control(self, req):
        what = req.path[len("/__control/"):]
        if not what.startswith("kigo/"):
            return super()._control(req)
        what = what[len("kigo/"):]
        with self.lock:
            body = req.json() or {}
            if what == "applied":
                return fakelib.Response(200, {"applied": dict(self.applied)})
            if what == "bearer" and req.method == "POST":
                (self.readonly if body.get("readonly") else self.bearers).add(body["token"])
                return fakelib.Response(204)
            if what == "permissive" and req.method == "POST":
                self.permissive = bool(body.get("on", True))
                return fakelib.Response(204)
            if what == "expire-keys" and req.method == "POST":
                self.keys.clear()
                return fakelib.Response(204)
            m = re.fullmatch(r"token/([^/]+)", what)
            if m:
                t = self.tokens.get(m.group(1))
                if t is None:
                    return fakelib.Response(404, {"error": "no such token"})
                if req.method == "POST":
                    t.update(body)
                    t["version"] += 1
                return fakelib.Response(200, t, {"ETag": '"%d"' % t["version"]})
        return fakelib.Response(404, {"error": "no such kigo control endpoint"})

    def _error(self, req, e):
        hdrs = dict(e.headers)
        return fakelib.Response(e.status, {"error": {"code": e.code, "message": e.message,
                                                     "request_id": req.request_id,
                                                     "details": e.details}}, hdrs)

    def _auth(self, req, mutation):
        h = req.headers.get("Authorization") or ""
        tok = h[7:].strip() if h.startswith("Bearer ") else ""
        if not tok or not (self.permissive or tok in self.bearers or tok in self.readonly):
            raise ApiError(401, "unauthorized", "access token missing, expired or revoked")
        if mutation and tok in self.readonly and tok not in self.bearers:
            raise ApiError(403, "forbidden", "agent lacks the tokens:write permission")

    def _json_body(self, req):
        b = req.json()
        if not isinstance(b, dict):
            raise ApiError(400, "invalid_request", "body must be a JSON object")
        return b

    def handle(self, req, fn, mutation=False):
        """Run fn(req) -> (status, body[, headers]) with auth, errors and,
        for mutations, the idempotency rules."""
        try:
            self._auth(req, mutation)
            if not mutation:
                return fn(req)
            key = req.headers.get("Idempotency-Key")
            if not key:
                raise ApiError(400, "invalid_request", "Idempotency-Key header is required")
            seen = self.keys.get(key)
            if seen and time.time() - seen["at"] > KEY_TTL:
                seen = None
            if seen:
                if seen["method"] != req.method or seen["path"] != req.path or \
                        seen["body"] != req.body:
                    raise ApiError(422, "idempotency_mismatch",
                                   "Idempotency-Key was already used with a different request")
                hdrs = dict(seen["headers"], **{"Idempotent-Replayed": "true"})
                return fakelib.Response(seen["status"], seen["payload"], hdrs)
            try:
                status, payload, hdrs = fn(req)
            except ApiError as e:
                resp = self._error(req, e)
                status, payload, hdrs = e.status, None, None
                if e.status not in (401, 403, 429) and e.status < 500:
                    self.keys[key] = {"method": req.method, "path": req.path, "body": req.body,
                                      "status": e.status, "payload": json.loads(resp.body),
                                      "headers": dict(e.headers), "at": time.time()}
                return resp
            self.applied[key] = self.applied.get(key, 0) + 1
            self.keys[key] = {"method": req.method, "path": req.path, "body": req.body,
                              "status": status, "payload": payload, "headers": hdrs,
                              "at": time.time()}
            return fakelib.Response(status, payload, hdrs)
        except ApiError as e:
            return self._error(req, e)

    @staticmethod
    def _page(items, req, size):
        cur = req.arg("cursor")
        start = 0
        if cur is not None:
            if not re.fullmatch(r"o\d{1,9}", cur):
                raise ApiError(400, "invalid_request", "cursor is not one this server gave")
            start = int(cur[1:])
        chunk = items[start:start + size]
        nxt = "o%d" % (start + size) if start + size < len(items) else None
        return 200, {"items": chunk, "next_cursor": nxt}, {}

    # ---- routes -------------------------------------------------------
    def _routes(self):
        r = self.route

        @r("GET", API + r"/customers")
        def search(req):
            def fn(req):
                q = (req.arg("q") or "").lower()
                try:
                    limit = int(req.arg("limit", "25"))
                except ValueError:
                    raise ApiError(400, "invalid_request", "limit must be an integer")
                if not 1 <= limit <= 100:
                    raise ApiError(400, "invalid_request", "limit must be 1..100")
                hits = [c for c in self.customers.values()
                        if not q or any(q in (c.get(f) or "").lower()
                                        for f in ("name", "email", "phone", "loyalty_id"))]
                hits.sort(key=lambda c: (c["name"].lower(), c["id"]))
                return self._page(hits, req, limit)
            return self.handle(req, fn)

        @r("POST", API + r"/customers")
        def create_customer(req):
            def fn(req):
                b = self._json_body(req)
                name = b.get("name")
                if not isinstance(name, str) or not name.strip():
                    raise ApiError(400, "invalid_request", "name is required")
                vals = {f: opt_str(b, f) or None for f in ("email", "phone", "loyalty_id")}
                opt_str(b, "ticket_ref")
                if not any(vals.values()):
                    raise ApiError(400, "invalid_request",
                                   "one of email, phone, loyalty_id is required")
                for c in self.customers.values():
                    if (vals["email"] and (c.get("email") or "").lower() == vals["email"].lower()) \
                            or (vals["loyalty_id"] and c.get("loyalty_id") == vals["loyalty_id"]):
                        raise ApiError(409, "conflict",
                                       "a customer with that email or loyalty id exists",
                                       {"existing_id": c["id"]})
                ts = now_rfc3339()
                c = dict(id=self._next("cus"), name=name, created_at=ts, updated_at=ts, **vals)
                self.customers[c["id"]] = c
                act = self._record("create_customer", c["id"], b, None, None, None)
                return 201, {"customer": c, "activity": act}, {}
            return self.handle(req, fn, mutation=True)

        @r("GET", API + r"/customers/(?P<id>[^/]+)")
        def get_customer(req):
            def fn(req):
                return 200, self._customer(req.match["id"]), {}
            return self.handle(req, fn)

        @r("GET", API + r"/catalog")
        def catalog(req):
            return self.handle(req, lambda req: self._page(self.catalog, req, PAGE_CATALOG))

        @r("GET", API + r"/customers/(?P<id>[^/]+)/tokens")
        def tokens(req):
            def fn(req):
                self._customer(req.match["id"])
                st = req.arg("status")
                if st is not None and st not in STATUSES:
                    raise ApiError(400, "invalid_request", "status must be one of " +
                                   ", ".join(STATUSES))
                toks = [t for t in self._customer_tokens(req.match["id"])
                        if st is None or t["status"] == st]
                return self._page(toks, req, PAGE_TOKENS)
            return self.handle(req, fn)

        @r("POST", API + r"/customers/(?P<id>[^/]+)/tokens")
        def add_token(req):
            def fn(req):
                cid = req.match["id"]
                self._customer(cid)
                b = self._json_body(req)
                sku = b.get("sku")
                item = self.sku.get(sku) if isinstance(sku, str) else None
                if item is None:
                    raise ApiError(400, "invalid_request", "unknown sku %r" % (sku,))
                if not item["active"]:
                    raise ApiError(400, "invalid_request",
                                   "catalog item %s is inactive and cannot be added" % sku)
                reason = opt_str(b, "reason")
                if reason is not None and not 1 <= len(reason) <= REASON_MAX:
                    raise ApiError(400, "invalid_request", "reason must be 1..500 characters")
                opt_str(b, "ticket_ref")
                issued = datetime.datetime.now(datetime.timezone.utc)
                if b.get("expires_at") is not None:
                    exp = need_future(b["expires_at"], "expires_at")
                else:
                    exp = issued.date() + datetime.timedelta(days=item["default_validity_days"])
                t = {"id": self._next("tok"), "customer_id": cid, "sku": sku,
                     "name": item["name"], "status": "active",
                     "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "expires_at": exp.isoformat(), "disputed_reason": None, "version": 1}
                self._put_token(t)
                act = self._record("add", cid, b, None, t, t["id"])
                return 201, {"token": t, "activity": act}, {"ETag": '"1"'}
            return self.handle(req, fn, mutation=True)

        @r("POST", API + r"/tokens/(?P<id>[^/]+)/(?P<verb>remove|reissue|dispute|actions)")
        def token_action(req):
            return self.handle(req, self._token_action, mutation=True)

        @r("GET", API + r"/customers/(?P<id>[^/]+)/activity")
        def activity(req):
            def fn(req):
                self._customer(req.match["id"])
                return self._page(self.activity.get(req.match["id"], []), req, PAGE_ACTIVITY)
            return self.handle(req, fn)

    def _customer(self, cid):
        c = self.customers.get(cid)
        if c is None:
            raise ApiError(404, "not_found", "customer %s does not exist" % cid)
        return c

    def _token_action(self, req):
        t = self.tokens.get(req.match["id"])
        if t is None:
            raise ApiError(404, "not_found", "token %s does not exist" % req.match["id"])
        im = req.headers.get("If-Match")
        if im is None:
            raise ApiError(428, "precondition_required", "If-Match is required")
        m = re.fullmatch(r'\s*(?:W/)?"(\d+)"\s*', im)
        if not m:
            raise ApiError(400, "invalid_request", 'If-Match must be "<version>"')
        b = self._json_body(req)
        opt_str(b, "ticket_ref")
        verb = req.match["verb"]
        if verb == "actions":
            kind = b.get("type")
            if kind not in ("note", "resolve_dispute", "extend"):
                raise ApiError(400, "invalid_request",
                               "type must be note, resolve_dispute or extend")
            note = opt_str(b, "note")
            if kind == "note" and not note:
                raise ApiError(400, "invalid_request", "note is required")
            if kind == "extend":
                exp = need_future(b.get("expires_at"), "expires_at")
        else:
            kind = verb
            need_reason(b)
            if verb == "reissue":
                exp = need_future(b.get("expires_at"), "expires_at")
        if int(m.group(1)) != t["version"]:
            raise ApiError(412, "precondition_failed",
                           "token %s is at version %d" % (t["id"], t["version"]),
                           {"current": copy.deepcopy(t)}, {"ETag": '"%d"' % t["version"]})
        if t["status"] not in ALLOWED[kind]:
            raise ApiError(422, "invalid_transition",
                           "cannot %s a token that is %s" % (kind.replace("_", " "),
                                                              t["status"]))
        if kind == "extend" and exp <= datetime.date.fromisoformat(t["expires_at"]):
            raise ApiError(400, "invalid_request", "extend needs a later expires_at than %s"
                           % t["expires_at"])
        before = copy.deepcopy(t)
        if kind == "remove":
            t["status"] = "removed"
        elif kind == "reissue":
            t["status"], t["expires_at"] = "active", exp.isoformat()
        elif kind == "dispute":
            t["status"], t["disputed_reason"] = "disputed", b["reason"]
        elif kind == "resolve_dispute":
            t["status"], t["disputed_reason"] = "active", None
        elif kind == "extend":
            t["expires_at"] = exp.isoformat()
        if kind != "note":
            t["version"] += 1
        act = self._record(verb if verb != "actions" else "other", t["customer_id"], b,
                           before, t, t["id"])
        return 200, {"token": copy.deepcopy(t), "activity": act}, {"ETag": '"%d"' % t["version"]}


def build(args):
    data = seed.generate(args.customers, args.seed, args.big_tokens, args.catalog)
    return KigoFake(data, args.bearer or (), args.readonly_bearer or (), args.permissive)


def main(argv=None):
    p = fakelib.arg_parser("Kigo token API v1 fake")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--customers", type=int, default=200)
    p.add_argument("--big-tokens", type=int, default=5000)
    p.add_argument("--catalog", type=int, default=2000)
    p.add_argument("--bearer", action="append")
    p.add_argument("--readonly-bearer", action="append")
    p.add_argument("--permissive", action="store_true")
    holder = {}

    class Proxy:
        """fakelib.main wants the app before the arguments are known."""
        def __getattr__(self, name):
            return getattr(holder["app"], name)

        def __setattr__(self, name, value):
            setattr(holder["app"], name, value)

    def setup(args):
        holder["app"] = build(args)

    fakelib.main(Proxy(), argv, p, setup)


if __name__ == "__main__":
    main()
