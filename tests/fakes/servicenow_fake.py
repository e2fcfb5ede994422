#!/usr/bin/python3
"""servicenow_fake.py - a ServiceNow Table API fake for kigo-tui's tests.

    servicenow_fake.py --cert server.pem --key server.key --port-file FILE
        [--seed seed.json] [--user admin --password secret]
        [--bearer TOKEN ...] [--permissive-bearer]

The subset kigo-tui uses, with ServiceNow's real shapes:
    GET   /api/now/table/{table}?sysparm_query=&sysparm_limit=&sysparm_fields=
          &sysparm_display_value=false|true|all        -> {"result": [record...]}
    GET   /api/now/table/{table}/{sys_id}              -> {"result": record} or 404
    PATCH /api/now/table/{table}/{sys_id}  {"field": "value", ...}
          journal fields (work_notes, comments) read back as "" and append an
          entry to sys_journal_field; other fields are updated
    GET   /api/now/table/sys_journal_field?sysparm_query=...
Every value is a string.  Reference fields (caller_id, assigned_to) come as
{"link","value"} (display_value=false), {"display_value","link"} (true) or
{"display_value","value","link"} (all); with all, other fields are
{"display_value","value"}.  sysparm_exclude_reference_link=true drops the
link (a reference is then its value, its display value, or both).
Dot-walked fields (sysparm_fields=caller_id.email) come back as members
named by their path, with the referenced record's value in the same
shapes ("" when the reference is empty).  A journal field's value is "" and its display
value is its entries as text, newest first.  An empty reference is "".  Errors use the
envelope {"error": {"message", "detail"}, "status": "failure"}.

Encoded queries: conditions joined by ^ (AND), ^OR, and ^NQ (a new query
OR'ed with the rest); operators = != LIKE STARTSWITH ENDSWITH IN.  As in
ServiceNow, a condition on a field the table does not have is ignored
silently, which is exactly why values must never be pasted in raw.

Auth: Basic with --user/--password, or Bearer when the token was given with
--bearer or POST /__sn/bearer, or the IdP's userinfo endpoint (--userinfo
URL, --userinfo-ca PEM) accepts it (as ServiceNow validates Okta tokens), or
any non-empty Bearer with --permissive-bearer.  Otherwise 401 with
ServiceNow's envelope.

Seeds (--seed FILE or the defaults): {"users": [{"sys_id", "name", "email",
"phone"}...], "tickets": [{"number", "short_description", "state",
"priority", "caller_id", "assigned_to", "hidden": bool}...]}.  Defaults:
INC0010001..INC0010005 with callers; INC0010003's caller (Pat Nobody) has no
Kigo customer; INC0010005 is hidden by an ACL (404 by sys_id, absent from
queries); sys_ids are md5(number) and md5("user:"+email).

Test controls (on top of fakelib's /__control/ requests and faults; these
routes need no auth and appear in the request log under /__sn/):
    GET  /__sn/journal                  -> {"entries": [...]} every journal entry
    GET  /__sn/tickets                  -> {"tickets": [...]} raw records
    POST /__sn/bearer {"token": T}      accept Bearer T from now on
    POST /__sn/acl {"journal_readable": false}
         sys_journal_field queries return no rows (an ACL hiding them)
    POST /__sn/acl {"dot_walk": false}
         dot-walked fields are left out of answers (journal_readable back
         to true unless given too)
    POST /__sn/hold {"next": N, "hang_s": S}
         the next N PATCHes are applied, then the reply is held for S seconds
         (default 60) and the connection closed without an answer
"""

import hashlib
import json
import os
import sys
import threading
import time
import base64
import ssl
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakelib  # noqa: E402

app = fakelib.FakeServer()


class HoldDrop(BaseException):
    """Ends a held PATCH without an answer.  A BaseException so that it
    passes fakelib's handler guard; the server thread closes the socket."""


_hook = threading.excepthook


def _quiet_hook(args):
    if args.exc_type is not HoldDrop:
        _hook(args)


threading.excepthook = _quiet_hook

JOURNAL_FIELDS = ("work_notes", "comments")
REFERENCES = {"caller_id": "sys_user", "assigned_to": "sys_user"}
STATES = {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed",
          "8": "Canceled"}
PRIORITIES = {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low",
              "5": "5 - Planning"}
TICKET_FIELDS = ("number", "short_description", "state", "priority", "caller_id",
                 "assigned_to", "sys_updated_on", "sys_created_on", "sys_id", "work_notes",
                 "comments", "active")
USER_FIELDS = ("sys_id", "name", "email", "phone", "mobile_phone", "user_name")
JOURNAL_COLS = ("sys_id", "element_id", "element", "name", "value", "sys_created_on",
                "sys_created_by")

state = {
    "tables": {"incident": {}, "sys_user": {}, "sys_journal_field": {}},
    "hidden": set(),
    "users": {},             # basic auth user -> password
    "bearers": set(),
    "permissive": False,
    "hold": {"next": 0, "hang_s": 60.0},
    "journal_seq": 0,
    "journal_readable": True,   # False: an ACL hides sys_journal_field rows
    "dot_walk": True,           # False: dot-walked fields are left out
}


def sid(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def now_str():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def default_seed():
    users = [
        {"name": "Jane Doe", "email": "jane.doe@example.com", "phone": "+14015550100"},
        {"name": "Omar Haddad", "email": "omar.haddad@example.com", "phone": "+14015550111"},
        {"name": "Pat Nobody", "email": "pat.nobody@example.net", "phone": "+14015550199"},
        {"name": "Li Wei", "email": "li.wei@example.com", "phone": ""},
        {"name": "Agent Smith", "email": "agent.smith@cvs.example", "phone": ""},
    ]
    for u in users:
        u["sys_id"] = sid("user:" + u["email"])
    agent = users[4]["sys_id"]
    tickets = [
        {"number": "INC0010001", "short_description": "ExtraBucks not applied", "state": "2",
         "priority": "2", "caller_id": users[0]["sys_id"], "assigned_to": agent},
        {"number": "INC0010002", "short_description": "Coupon expired before use",
         "state": "1", "priority": "3", "caller_id": users[1]["sys_id"], "assigned_to": ""},
        {"number": "INC0010003", "short_description": "Who am I? No loyalty account",
         "state": "1", "priority": "4", "caller_id": users[2]["sys_id"], "assigned_to": ""},
        {"number": "INC0010004", "short_description": "Reward missing after return",
         "state": "3", "priority": "3", "caller_id": users[3]["sys_id"], "assigned_to": agent},
        {"number": "INC0010005", "short_description": "Restricted: HR matter", "state": "2",
         "priority": "1", "caller_id": users[0]["sys_id"], "assigned_to": agent,
         "hidden": True},
    ]
    return {"users": users, "tickets": tickets}


def load_seed(seed):
    tables = state["tables"]
    for u in seed.get("users", []):
        rec = {k: str(u.get(k, "")) for k in USER_FIELDS}
        if not rec["sys_id"]:
            rec["sys_id"] = sid("user:" + rec["email"])
        rec["user_name"] = rec["user_name"] or rec["email"].split("@")[0]
        tables["sys_user"][rec["sys_id"]] = rec
    for t in seed.get("tickets", []):
        rec = {k: str(t.get(k, "")) for k in TICKET_FIELDS}
        rec["sys_id"] = rec["sys_id"] or sid(rec["number"])
        rec["sys_created_on"] = rec["sys_created_on"] or "2026-11-23 18:00:00"
        rec["sys_updated_on"] = rec["sys_updated_on"] or "2026-11-23 19:50:00"
        rec["active"] = "true"
        rec["work_notes"] = ""
        rec["comments"] = ""
        table = t.get("table", "incident")
        tables.setdefault(table, {})[rec["sys_id"]] = rec
        if t.get("hidden"):
            state["hidden"].add(rec["sys_id"])


# ---- auth -------------------------------------------------------------

def authorized(req):
    h = req.headers.get("Authorization") or ""
    if h.startswith("Basic "):
        try:
            user, _, pw = base64.b64decode(h[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user in state["users"] and state["users"][user] == pw
    if h.startswith("Bearer "):
        tok = h[7:].strip()
        if not tok:
            return False
        return state["permissive"] or tok in state["bearers"] or userinfo_ok(tok)
    return False


def userinfo_ok(tok):
    """Ask the IdP whether the access token is (still) good."""
    if not state.get("userinfo"):
        return False
    ctx = ssl.create_default_context(cafile=state.get("userinfo_ca"))
    rq = urllib.request.Request(state["userinfo"], headers={"Authorization": "Bearer " + tok})
    try:
        with urllib.request.urlopen(rq, context=ctx, timeout=10) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def unauthorized():
    return fakelib.error_response(401, "User Not Authenticated",
                                  "Required to provide Auth information",
                                  {"WWW-Authenticate": 'Basic realm="Service-now"'})


def not_found():
    return fakelib.error_response(404, "No Record found",
                                  "Record doesn't exist or ACL restricts the record retrieval")


# ---- encoded queries ----------------------------------------------------

OPERATORS = ("!=", "STARTSWITH", "ENDSWITH", "LIKE", "NOT IN", "IN", "=")


def parse_condition(cond):
    """field, op, value; None when no operator is found."""
    best = None
    for op in OPERATORS:
        i = cond.find(op)
        if i > 0 and (best is None or i < best[0]):
            best = (i, op)
    if best is None:
        return None
    i, op = best
    return cond[:i], op, cond[i + len(op):]


def match_one(rec, field, op, value):
    have = rec.get(field, "")
    if op == "=":
        return have == value
    if op == "!=":
        return have != value
    if op == "LIKE":
        return value.lower() in have.lower()
    if op == "STARTSWITH":
        return have.lower().startswith(value.lower())
    if op == "ENDSWITH":
        return have.lower().endswith(value.lower())
    if op == "IN":
        return have in value.split(",")
    if op == "NOT IN":
        return have not in value.split(",")
    return True


def query_matches(rec, query, columns):
    """ServiceNow semantics: ^NQ separates OR'ed queries; ^OR ORs a condition
    with the previous one; ^ ANDs; conditions on unknown fields are ignored."""
    if not query:
        return True
    for sub in query.split("^NQ"):
        ok = True
        groups = []
        for part in sub.split("^"):
            if part.startswith("OR") and groups:
                groups[-1].append(part[2:])
            elif part:
                groups.append([part])
        for group in groups:
            results = []
            for cond in group:
                parsed = parse_condition(cond)
                if parsed is None or parsed[0] not in columns:
                    continue  # ignored silently, as ServiceNow does
                results.append(match_one(rec, *parsed))
            if results and not any(results):
                ok = False
                break
        if ok:
            return True
    return False


# ---- rendering ------------------------------------------------------------

def journal_text(sys_id, field):
    """A journal field's display value: its entries as text, newest first."""
    label = "Work notes" if field == "work_notes" else "Additional comments"
    rows = [r for r in state["tables"]["sys_journal_field"].values()
            if r["element_id"] == sys_id and r["element"] == field]
    rows.sort(key=lambda r: -r["_seq"])
    return "".join("%s - %s (%s)\n%s\n\n" % (r["sys_created_on"], r["sys_created_by"], label,
                                             r["value"]) for r in rows)


def display_of(table, field, value, rec=None):
    if field in JOURNAL_FIELDS and rec is not None:
        return journal_text(rec["sys_id"], field)
    if field in REFERENCES:
        user = state["tables"]["sys_user"].get(value)
        return user["name"] if user else ""
    if table != "sys_user" and field == "state":
        return STATES.get(value, value)
    if table != "sys_user" and field == "priority":
        return PRIORITIES.get(value, value)
    return value


def dot_walked(mode, table, rec, path):
    """caller_id.email: the referenced record's field; None when ServiceNow
    would leave it out (not a reference, no such field, --acl dot_walk)."""
    ref, _, sub = path.partition(".")
    if (ref not in REFERENCES or table == "sys_journal_field" or "." in sub
            or not state["dot_walk"] or sub not in columns_of(REFERENCES[ref])):
        return None
    target = state["tables"][REFERENCES[ref]].get(rec.get(ref, ""))
    if target is None:
        return ""
    value = target.get(sub, "")
    label = display_of(REFERENCES[ref], sub, value, target)
    if mode == "true":
        return label
    if mode == "all":
        return {"display_value": label, "value": value}
    return value


def render(req, table, rec, fields):
    mode = (req.arg("sysparm_display_value") or "false").lower()
    no_link = (req.arg("sysparm_exclude_reference_link") or "").lower() == "true"
    base = "https://%s" % (req.headers.get("Host") or "127.0.0.1")
    out = {}
    for f in fields:
        if "." in f:
            got = dot_walked(mode, table, rec, f)
            if got is not None:
                out[f] = got
            continue
        if f not in rec:
            continue
        value = rec[f]
        if f in REFERENCES and table != "sys_journal_field":
            if not value:
                out[f] = ""
                continue
            link = "%s/api/now/table/%s/%s" % (base, REFERENCES[f], value)
            label = display_of(table, f, value)
            if no_link:
                out[f] = ({"display_value": label, "value": value} if mode == "all" else
                          label if mode == "true" else value)
            elif mode == "true":
                out[f] = {"display_value": label, "link": link}
            elif mode == "all":
                out[f] = {"display_value": label, "value": value, "link": link}
            else:
                out[f] = {"link": link, "value": value}
        elif mode == "true":
            out[f] = display_of(table, f, value, rec)
        elif mode == "all":
            out[f] = {"display_value": display_of(table, f, value, rec), "value": value}
        else:
            out[f] = value
    return out


def field_list(req, rec_fields):
    fields = req.arg("sysparm_fields")
    if not fields:
        return list(rec_fields)
    return [f.strip() for f in fields.split(",") if f.strip()]


def visible(table, rec):
    return not (table != "sys_user" and rec.get("sys_id") in state["hidden"])


def columns_of(table):
    if table == "sys_user":
        return USER_FIELDS
    if table == "sys_journal_field":
        return JOURNAL_COLS
    return TICKET_FIELDS


# ---- routes -----------------------------------------------------------------

@app.route("GET", r"/__sn/journal")
def sn_journal(req):
    rows = sorted(state["tables"]["sys_journal_field"].values(), key=lambda r: r["_seq"])
    return 200, {"entries": [{k: v for k, v in r.items() if k != "_seq"} for r in rows]}


@app.route("GET", r"/__sn/tickets")
def sn_tickets(req):
    return 200, {"tickets": list(state["tables"]["incident"].values())}


@app.route("POST", r"/__sn/bearer")
def sn_bearer(req):
    body = req.json() or {}
    if body.get("token"):
        state["bearers"].add(str(body["token"]))
    return 200, {"ok": True}


@app.route("POST", r"/__sn/acl")
def sn_acl(req):
    body = req.json() or {}
    state["journal_readable"] = bool(body.get("journal_readable", True))
    if "dot_walk" in body:
        state["dot_walk"] = bool(body["dot_walk"])
    return 200, {"ok": True}


@app.route("POST", r"/__sn/hold")
def sn_hold(req):
    body = req.json() or {}
    state["hold"] = {"next": int(body.get("next", 1)), "hang_s": float(body.get("hang_s", 60))}
    return 200, {"ok": True}


@app.route("GET", r"/api/now/table/(?P<table>[a-z0-9_]+)")
def table_list(req):
    if not authorized(req):
        return unauthorized()
    table = req.match["table"]
    if table not in state["tables"]:
        return fakelib.error_response(400, "Invalid table %s" % table, "")
    try:
        limit = int(req.arg("sysparm_limit") or "10000")
    except ValueError:
        limit = 10000
    query = req.arg("sysparm_query") or ""
    cols = columns_of(table)
    rows = [r for r in state["tables"][table].values()
            if visible(table, r) and query_matches(r, query, cols)]
    if table == "sys_journal_field" and not state["journal_readable"]:
        rows = []  # as ServiceNow does: rows an ACL hides are left out, no error
    if table == "sys_journal_field":
        rows.sort(key=lambda r: r["_seq"])
    rows = rows[:max(limit, 0)]
    fields = field_list(req, cols)
    return 200, {"result": [render(req, table, r, fields) for r in rows]}


@app.route("GET", r"/api/now/table/(?P<table>[a-z0-9_]+)/(?P<sys_id>[^/]+)")
def table_get(req):
    if not authorized(req):
        return unauthorized()
    table = req.match["table"]
    rec = state["tables"].get(table, {}).get(req.match["sys_id"])
    if rec is None or not visible(table, rec):
        return not_found()
    return 200, {"result": render(req, table, rec, field_list(req, columns_of(table)))}


@app.route("PATCH", r"/api/now/table/(?P<table>[a-z0-9_]+)/(?P<sys_id>[^/]+)", locked=False)
def table_patch(req):
    hold = 0.0
    with app.lock:
        if not authorized(req):
            return unauthorized()
        table = req.match["table"]
        rec = state["tables"].get(table, {}).get(req.match["sys_id"])
        if rec is None or not visible(table, rec):
            return not_found()
        body = req.json()
        if not isinstance(body, dict):
            return fakelib.error_response(400, "Exception while reading request",
                                          "The payload is not valid JSON.")
        for k, v in body.items():
            if not isinstance(v, str):
                v = json.dumps(v)
            if k in JOURNAL_FIELDS:
                if v.strip():
                    state["journal_seq"] += 1
                    jid = sid("journal:%d" % state["journal_seq"])
                    state["tables"]["sys_journal_field"][jid] = {
                        "sys_id": jid, "element_id": rec["sys_id"], "element": k,
                        "name": table, "value": v, "sys_created_on": now_str(),
                        "sys_created_by": "fake", "_seq": state["journal_seq"]}
            elif k in rec and k not in ("sys_id", "number"):
                rec[k] = v
        rec["sys_updated_on"] = now_str()
        result = render(req, table, rec, field_list(req, columns_of(table)))
        if state["hold"]["next"] > 0:
            state["hold"]["next"] -= 1
            hold = state["hold"]["hang_s"]
    if hold > 0:
        # applied; the reply is held, then the connection dropped unanswered
        app.stopping.wait(hold)
        raise HoldDrop()
    return 200, {"result": result}


def setup(args):
    seed = default_seed()
    if args.seed:
        with open(args.seed, encoding="utf-8") as f:
            seed = json.load(f)
    load_seed(seed)
    state["users"][args.user] = args.password
    state["bearers"].update(args.bearer or [])
    state["permissive"] = args.permissive_bearer
    state["userinfo"] = args.userinfo
    state["userinfo_ca"] = args.userinfo_ca


if __name__ == "__main__":
    parser = fakelib.arg_parser("ServiceNow Table API fake")
    parser.add_argument("--seed", help="JSON seed file (users, tickets)")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--bearer", action="append", help="accepted Bearer token")
    parser.add_argument("--permissive-bearer", action="store_true",
                        help="accept any non-empty Bearer token")
    parser.add_argument("--userinfo", help="IdP userinfo URL that validates Bearer tokens")
    parser.add_argument("--userinfo-ca", help="CA file for the userinfo URL")
    fakelib.main(app, parser=parser, setup=setup)
