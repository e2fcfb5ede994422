#!/usr/bin/python3
"""test_faults_tui.py - the fault matrix for the full-screen client (issue 9):
the real kigo-tui in tmux against the three fakes, the Kigo API broken in
the middle of a session.

  - a Kigo that stalls forever (tcpproxy --stall): the screen comes up, `?`
    opens the help while the request hangs, q ends the program at once;
  - 503 on every token list: the status bar says 503 and the request id;
  - a dispute whose answer is lost after the backend applied it
    (commit_then_drop), or that meets 429 with Retry-After, 503 once, or a
    reset before the backend sees it: applied exactly once (the fake's
    count per Idempotency-Key), in the local activity table, and the
    summary reaches ServiceNow once after R.

Bad bodies (fakelib's "oversize", "truncate", "shape", "html"):
  - reads: the ticket, the customer search, the token list and the catalog meet a
    spoiled answer once: the status bar says what happened with the
    request id the fake sent, `?` still answers (and shows the whole
    message), and r (a, for the catalog) loads it;
  - every mutation kind (add, remove, reissue, dispute, note, extend,
    resolve dispute, create customer) meets a spoiled answer AFTER the fake applied it:
    re-sent with the same Idempotency-Key, applied once, in the activity
    table, and in the one work note R sends;
  - a mutation whose every answer is spoiled stays pending (said on
    screen, row kept), and r completes it once the fault is gone;
  - the return's work note meets a spoiled answer (applied, or a proxy's
    page that never reached ServiceNow): exactly one note in the end.
Cases can be picked with KG_FAULT_CASES=REGEX.
Exit 0 pass, 77 skip, anything else fail.
"""

import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as F  # noqa: E402
from faultlib import check  # noqa: E402

env = F.Env("kg-faults-tui-")
TOKENS = "/api/v1/customers/%s/tokens" % F.JANE


def open_jane(t, wait_tokens=True):
    t.wait_for("Customers (1)", timeout=30)
    t.keys("Enter")
    if wait_tokens:   # the rows, not only the title: keys act on loaded rows
        t.wait_for("Tokens of Jane Doe", timeout=30)
        t.wait_for("tok_0", timeout=30)


def case_stall():
    st = F.Stack(env, "stall")
    st.login()
    px = env.proxy(st.kigo.port, "--stall")
    st2 = env.config(name="stall2.conf", sn=st.sn.base, sn_auth="okta",
                     kigo="https://127.0.0.1:%d/api/v1" % px, okta=st.idp.base,
                     state_dir=st.state)
    st.conf = st2
    t = st.tui("INC0010001")
    try:
        t.wait_for("INC0010001", timeout=30)
        t.wait_for("Customers", timeout=30)
        t0 = time.time()
        t.keys("?")
        t.wait_for("Return to ServiceNow", timeout=3, what="help during a stall")
        check(time.time() - t0 < 3, "help took %.1fs during a stall" % (time.time() - t0))
        t.keys("Escape")
        t0 = time.time()
        t.keys("q")
        rc = t.rc(timeout=8)
        check(time.time() - t0 < 8, "q took %.1fs during a stall" % (time.time() - t0))
        check(rc == 0, "exit %s after q during a stall" % rc)
    finally:
        t.close()


def case_503_tokens():
    st = F.Stack(env, "t503")
    st.login()
    st.kigo.ctl.fault("503", next=1000, path=TOKENS, method="GET")
    # at 100 columns the message goes on over the hints row: what failed,
    # the status code and the request id are all readable
    t = st.tui("INC0010001", width=100)
    try:
        open_jane(t, wait_tokens=False)
        scr = t.wait_for(lambda s: "HTTP 503" in prose(s), timeout=30, what="HTTP 503")
        ids = [q["request_id"] for q in st.kigo.ctl.requests() if q["path"] == TOKENS]
        check(any(i in scr.replace("\n", "") for i in ids),
              "no request id of %r on screen:\n%s" % (ids, scr))
        check("Loading the tokens of customer" in prose(scr), "what failed:\n" + scr)
        t.keys("?")
        t.wait_for("Keys (Esc closes)", timeout=3, what="help after a 503")
        t.keys("Escape", "q")
        check(t.rc() == 0, "exit")
    finally:
        t.close()


def dispute_case(kind, **kw):
    def fn():
        st = F.Stack(env, "d-" + kind)
        st.login()
        t = st.tui("INC0010001")
        try:
            open_jane(t)
            st.kigo.ctl.fault(kind, next=1, path="/api/v1/tokens/", method="POST", **kw)
            t.keys("Tab", "d")
            t.wait_for("Reason:", timeout=10)
            t.type("fault " + kind)
            t.keys("Enter")
            t.wait_for(lambda s: "Disputed tok_" in s or "disputed" in s.split("Activity")[-1],
                       timeout=40, what="the dispute confirmed")
            t.keys("R")
            t.wait_for("kigo-sync-id", timeout=10)
            t.keys("y")
            rc = t.rc(timeout=40)
            check(rc == 0, "exit %s; screen:\n%s" % (rc, t.screen()))
        finally:
            t.close()
        applied = st.kigo.call("GET", "/__control/kigo/applied")["applied"]
        check(applied and all(n == 1 for n in applied.values()),
              "applied counts per key: %r" % applied)
        db = sqlite3.connect(os.path.join(st.state, "kigo-tui.db"))
        acts = db.execute("SELECT action, reason FROM activity").fetchall()
        db.close()
        check(("dispute", "fault " + kind) in acts, "activity rows: %r" % acts)
        notes = [e for e in st.sn.call("GET", "/__sn/journal")["entries"]
                 if "fault " + kind in e["value"]]
        check(len(notes) == 1, "%d summaries in ServiceNow" % len(notes))
    return "dispute/" + kind, fn


# -- bad bodies ---------------------------------------------------------------
MARK = "\u25b8"  # the selection marker
SN_API = "/api/now/table/"


def token_rows(screen):
    """(id, status) of the token rows on screen, in order, and the selected index."""
    rows, sel = [], None
    for line in screen.splitlines():
        m = re.search(r"([\u25b8 ])(tok_\S+)\s.*?\b(active|redeemed|expired|disputed|removed)\b",
                      line)
        if m and "\u2502" in line and line.index("\u2502") < m.start(2):
            if m.group(1) == MARK:
                sel = len(rows)
            rows.append((m.group(2), m.group(3)))
    return rows, sel


def select_status(t, status, skip=()):
    """Move the token selection to the first row in `status`; its id."""
    rows, sel = token_rows(t.screen())
    for i, (tid, st) in enumerate(rows):
        if st == status and tid not in skip:
            for _ in range(abs(i - (sel or 0))):
                t.keys("j" if i > (sel or 0) else "k")
            t.wait_for(MARK + tid, timeout=10)
            return tid
    raise AssertionError("no %s token on screen:\n%s" % (status, t.screen()))


def flat(scr):
    return scr.replace("\n", "")


def prose(scr):
    """The screen's text as one line: of each row its longest stretch
    between box edges (a dialog's or the help's text, not what shows
    beside it), rows joined by a space, runs of spaces squeezed, so a
    sentence wrapped over rows reads whole."""
    rows = [max(r.split("\u2502"), key=len).strip(" \u2500\u250c\u2510\u2514\u2518")
            for r in scr.splitlines()]
    return re.sub(r"\s+", " ", " ".join(r for r in rows if r))


def faulted_ids(fake, kind):
    return [q["request_id"] for q in fake.ctl.requests() if q["fault"] == kind]


def said_with_rid(t, fake, kind, words, timeout=30):
    """The status bar tells of the fault with the request id it came with."""
    def ok(scr):
        ids = faulted_ids(fake, kind)
        return ids and any(i in flat(scr) for i in ids) and \
            all(re.search(w, prose(scr), re.I) for w in words)
    return t.wait_for(ok, timeout=timeout, what="%s said with its request id %s" % (
        words, faulted_ids(fake, kind)))


def help_shows_all(t, words):
    """? answers at once and shows the whole last error."""
    t0 = time.time()
    t.keys("?")
    scr = t.wait_for("Keys (Esc closes)", timeout=3, what="help")
    check(time.time() - t0 < 3, "help took %.1fs" % (time.time() - t0))
    for w in words:
        check(re.search(w, prose(scr), re.I), "help lacks /%s/:\n%s" % (w, scr))
    t.keys("Escape")


def read_case(name, svc, path, method, kind, words, before, after, **kw):
    """A read meets a spoiled answer once: said with the request id, ?
    answers, r loads it."""
    def fn():
        st = F.Stack(env, "r-" + name)
        st.login()
        fake = st.sn if svc == "sn" else st.kigo
        fake.ctl.fault(kind, next=1, path=path, method=method, **kw)
        t = st.tui("INC0010001")
        try:
            if before:
                before(t)
            said_with_rid(t, fake, kind, words[:1])   # the start and the request id
            help_shows_all(t, words)                  # the whole sentence
            t.keys("r")
            t.wait_for(after, timeout=30)
            t.keys("q")
            check(t.rc() == 0, "exit")
        finally:
            t.close()
    return "read/" + name, fn


def open_only(t):
    t.wait_for("Customers (1)", timeout=30)
    t.keys("Enter")


READS = [
    read_case("ticket_no_result", "sn", SN_API + "incident", "GET", "shape",
              [r"ticket INC0010001", r"could not be read"], None, "Caller:", shape="missing"),
    read_case("search_html", "kigo", "/api/v1/customers", "GET", "html",
              [r"Searching Kigo customers", r"HTML page"], None, "Customers (1)"),
    read_case("tokens_truncated", "kigo", TOKENS, "GET", "truncate",
              [r"tokens of customer", r"could not be read"], open_only, "tok_0"),
    read_case("tokens_over_cap", "kigo", TOKENS, "GET", "oversize",
              [r"tokens of customer", r"larger than the limit"], open_only, "tok_0",
              length=False),
    read_case("tokens_wrong_types", "kigo", TOKENS, "GET", "shape",
              [r"tokens of customer", r"could not be read"], open_only, "tok_0",
              shape="types"),
]


def case_catalog():
    """The catalog (loaded when a is pressed) meets an array for an object:
    said with the request id; the next a loads it."""
    st = F.Stack(env, "r-catalog")
    st.login()
    st.kigo.ctl.fault("shape", next=1, path="/api/v1/catalog", method="GET", shape="array")
    t = st.tui("INC0010001")
    try:
        open_jane(t)
        t.keys("Tab", "a")
        said_with_rid(t, st.kigo, "shape", [r"catalog"])
        t.keys("Escape")
        t.wait_for(lambda s: "pick from the catalog" not in s, timeout=10, what="picker closed")
        help_shows_all(t, [r"Loading the Kigo catalog failed", r"not a JSON object|could not"])
        t.keys("a")
        t.wait_for("pick from the catalog", timeout=10)
        t.wait_for("valid", timeout=30)
        t.keys("Escape")
        t.keys("q")
        check(t.rc() == 0, "exit")
    finally:
        t.close()


READS.append(("read/catalog_array", case_catalog))


def db_rows(st, sql):
    db = sqlite3.connect(os.path.join(st.state, "kigo-tui.db"))
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def notes(st, word):
    return [e for e in st.sn.call("GET", "/__sn/journal")["entries"] if word in e["value"]]


def acted(t, n, verb):
    """The n-th action is confirmed (its result said, the count shown)."""
    t.wait_for("%d action" % n, timeout=20)
    t.wait_for(lambda s: re.search(verb + r" tok_", s), timeout=40,
               what="%r confirmed" % verb)


def case_mutations():
    """Every token action meets a spoiled answer after Kigo applied it."""
    st = F.Stack(env, "mut")
    st.login()
    k = st.kigo.ctl
    t = st.tui("INC0010001")
    done = []
    try:
        open_jane(t)
        t.keys("Tab")
        # add: every leaf of the wrong type
        k.fault("shape", path=TOKENS, method="POST", shape="types")
        t.keys("a")
        t.wait_for("pick from the catalog", timeout=10)
        t.wait_for("valid", timeout=20)
        t.keys("Enter")
        t.wait_for("Expires", timeout=10)
        t.keys("Enter")
        acted(t, 1, "Added")
        # remove: the JSON cut, Content-Length honest
        tid = select_status(t, "active")
        done.append(tid)
        k.fault("truncate", path="/api/v1/tokens/%s/remove" % tid, method="POST")
        t.keys("x")
        t.wait_for("Remove the selected token", timeout=10)
        t.type("fault remove")
        t.keys("Enter")
        t.wait_for("y removes it", timeout=10)
        t.keys("y")
        acted(t, 2, "Removed")
        # reissue: an answer over the cap, no Content-Length
        tid = select_status(t, "expired", done)
        done.append(tid)
        k.fault("oversize", path="/api/v1/tokens/%s/reissue" % tid, method="POST",
                length=False)
        t.keys("e")
        t.wait_for("New expiry", timeout=10)
        t.keys("Tab")
        t.type("fault reissue")
        t.keys("Enter")
        acted(t, 3, "Reissued")
        # dispute: a proxy's HTML page with 200
        tid = select_status(t, "active", done)
        done.append(tid)
        k.fault("html", path="/api/v1/tokens/%s/dispute" % tid, method="POST")
        t.keys("d")
        t.wait_for("Dispute the selected token", timeout=10)
        t.type("fault dispute")
        t.keys("Enter")
        acted(t, 4, "Disputed")
        # other (note): the transfer cut short
        k.fault("truncate", path="/api/v1/tokens/", method="POST", close=True)
        t.keys("o")
        t.wait_for("Other action", timeout=10)
        t.keys("Enter")
        t.wait_for("Other action: note", timeout=10)
        t.type("fault note")
        t.keys("Enter")
        acted(t, 5, "Recorded")
        # other (extend an active token): an array for an object
        tid = select_status(t, "active", done)
        k.fault("shape", path="/api/v1/tokens/%s/actions" % tid, method="POST", shape="array")
        t.keys("o")
        t.wait_for("Other action", timeout=10)
        t.keys("Down", "Down", "Enter")
        t.wait_for("Other action: extend", timeout=10)
        t.keys("Tab")           # the new expiry as proposed
        t.type("fault extend")
        t.keys("Enter")
        acted(t, 6, "Recorded")
        # other (resolve a dispute): the first 10 bytes of the answer only
        tid = select_status(t, "disputed")
        k.fault("truncate", path="/api/v1/tokens/%s/actions" % tid, method="POST", keep=10)
        t.keys("o")
        t.wait_for("Other action", timeout=10)
        t.keys("Down", "Enter")
        t.wait_for("Other action: resolve dispute", timeout=10)
        t.type("fault resolve")
        t.keys("Enter")
        acted(t, 7, "Recorded")
        # return: one work note with all seven
        t.keys("R")
        t.wait_for("this note will be added", timeout=10)
        t.keys("y")
        rc = t.rc(timeout=40)
        check(rc == 0, "exit %s; screen:\n%s" % (rc, t.screen()))
    finally:
        t.close()
    applied = st.kigo.call("GET", "/__control/kigo/applied")["applied"]
    check(len(applied) == 7 and all(n == 1 for n in applied.values()),
          "applied counts per key: %r" % applied)
    faults = [q["fault"] for q in st.kigo.ctl.requests() if q["method"] == "POST"]
    check(sorted(f for f in faults if f) == ["html", "oversize", "shape", "shape", "truncate",
                                             "truncate", "truncate"], "faults met: %r" % faults)
    acts = db_rows(st, "SELECT action FROM activity")
    check(len(acts) == 7, "activity rows: %r" % acts)
    muts = db_rows(st, "SELECT kind, state FROM mutations")
    check(all(m[1] == "done" for m in muts) and len(muts) == 7, "mutations: %r" % muts)
    n = notes(st, "kigo-sync-id")
    check(len(n) == 1, "%d work notes" % len(n))
    for word in ("Added", "Removed", "Reissued", "Disputed", "fault note", "fault extend",
                 "Resolved the dispute", "fault resolve"):
        check(word in n[0]["value"], "the work note lacks %r:\n%s" % (word, n[0]["value"]))


def case_create_customer():
    """Creating a customer meets an answer with no members, after Kigo made it."""
    st = F.Stack(env, "mkcus")
    st.login()
    st.kigo.ctl.fault("shape", path="/api/v1/customers", method="POST", shape="missing")
    t = st.tui("INC0010003")
    try:
        t.wait_for("Customers (0)", timeout=30)
        t.keys("n")
        t.wait_for("New customer", timeout=10)
        t.type("Pat Example")
        t.keys("Tab")
        t.type("pat@example.com")
        t.keys("Enter")
        t.wait_for("Created customer Pat Example", timeout=40)
        t.keys("q")
        t.wait_for(lambda s: "Quit anyway" in s or "not in ServiceNow" in s, timeout=10,
                   what="the quit warning")
        t.keys("y")
        t.rc(timeout=20)
    finally:
        t.close()
    applied = st.kigo.call("GET", "/__control/kigo/applied")["applied"]
    check(len(applied) == 1 and all(n == 1 for n in applied.values()),
          "applied counts per key: %r" % applied)
    acts = db_rows(st, "SELECT action FROM activity")
    check(acts == [("create_customer",)], "activity rows: %r" % acts)


def case_pending_then_r():
    """Every answer to a dispute is spoiled: pending, said, kept; r completes it once."""
    st = F.Stack(env, "pend")
    st.login()
    t = st.tui("INC0010001")
    try:
        open_jane(t)
        t.keys("Tab")
        tid = select_status(t, "active")
        st.kigo.ctl.fault("html", next=1000, path="/api/v1/tokens/%s/dispute" % tid,
                          method="POST")
        t.keys("d")
        t.wait_for("Dispute the selected token", timeout=10)
        t.type("fault pending")
        t.keys("Enter")
        said_with_rid(t, st.kigo, "html", [r"Disputing token", r"HTML page"], timeout=40)
        help_shows_all(t, [r"Disputing token", r"HTML page", r"not known", r"pending",
                           r"same idempotency key"])
        muts = db_rows(st, "SELECT state FROM mutations")
        check(muts == [("pending",)], "mutations while spoiled: %r" % muts)
        sends = len([q for q in st.kigo.ctl.requests() if q["method"] == "POST"])
        check(sends == 3, "POSTs while spoiled: %d (1 + 2 re-reads)" % sends)
        # in no activity row yet, but counted where the agent looks
        t.wait_for("1 unknown (r retries)", timeout=10)
        t.keys("R")
        t.wait_for("of unknown outcome", timeout=10)
        t.keys("Escape")
        t.wait_for(lambda s: "of unknown outcome" not in s, timeout=10, what="preview closed")
        # q warns, and the words left on the terminal say how it completes
        t.keys("q")
        t.wait_for("not in ServiceNow", timeout=10)
        t.keys("y")
        check(t.rc(timeout=20) == 0, "quit; screen:\n%s" % t.screen())
        check("had no readable answer from Kigo" in t.screen(),
              "the exit words on an unknown outcome:\n%s" % t.screen())
        t.close()
        t = st.tui("INC0010001")    # the start resumes it (spoiled again)
        t.wait_for("Tokens of Jane Doe", timeout=30)   # the ticket's customer, remembered
        t.wait_for("1 unknown (r retries)", timeout=40)
        st.kigo.ctl.clear_faults()
        t.keys("r")
        t.wait_for(lambda s: "disputed" in s.split("Activity")[-1] or
                   db_rows(st, "SELECT state FROM mutations") == [("done",)], timeout=30,
                   what="the dispute completed by r")
        t.keys("R")
        t.wait_for("this note will be added", timeout=10)
        t.keys("y")
        check(t.rc(timeout=40) == 0, "exit; screen:\n%s" % t.screen())
    finally:
        t.close()
    applied = st.kigo.call("GET", "/__control/kigo/applied")["applied"]
    check(list(applied.values()) == [1], "applied counts per key: %r" % applied)
    check(db_rows(st, "SELECT state FROM mutations") == [("done",)], "mutation not done")
    check(len(notes(st, "fault pending")) == 1, "summaries: %r" % notes(st, "fault pending"))


def return_case(kind, **kw):
    """R's work note meets a spoiled answer; in the end exactly one note."""
    def fn():
        st = F.Stack(env, "ret-" + kind + ("-nc" if kw.get("commit") is False else ""))
        st.login()
        t = st.tui("INC0010001")
        try:
            open_jane(t)
            t.keys("Tab")
            select_status(t, "active")
            t.keys("d")
            t.wait_for("Dispute the selected token", timeout=10)
            t.type("fault return " + kind)
            t.keys("Enter")
            t.wait_for("1 action", timeout=20)
            t.wait_for(lambda s: re.search(r"Disputed tok_", s), timeout=30, what="disputed")
            st.sn.ctl.fault(kind, next=1000 if kw.get("commit") is False else 1,
                            path=SN_API + "incident/", method="PATCH", **kw)
            t.keys("R")
            t.wait_for("this note will be added", timeout=10)
            t.keys("y")
            if kw.get("commit") is False:
                # never reached ServiceNow: pending, said, the client stays
                said_with_rid(t, st.sn, kind, [r"pending", r"HTML page"], timeout=40)
                check(notes(st, "fault return") == [], "a note arrived through the proxy")
                st.sn.ctl.clear_faults()
                t.keys("Escape")        # back to the ticket; R again
                t.wait_for(lambda s: "Return to ServiceNow" not in s, timeout=10,
                           what="the dialog closed")
                t.keys("R")
                t.wait_for("this note will be added", timeout=10)
                t.keys("y")
            check(t.rc(timeout=40) == 0, "exit; screen:\n%s" % t.screen())
        finally:
            t.close()
        n = notes(st, "fault return")
        check(len(n) == 1, "%d work notes" % len(n))
        pend = db_rows(st, "SELECT count(*) FROM outbox WHERE state = 'pending'")
        check(pend == [(0,)], "outbox pending: %r" % pend)
    return "return/" + kind + ("_not_forwarded" if kw.get("commit") is False else ""), fn


RETURNS = [return_case("shape", shape="missing"), return_case("truncate", close=True),
           return_case("html"), return_case("html", commit=False)]


def run():
    if not F.tui_in_build():
        print("SKIP: the full-screen client is not in this build")
        return F.SKIP
    cases = [("kigo stalls: help and quit answer", case_stall),
             ("503 on the token list: said with request id", case_503_tokens),
             dispute_case("commit_then_drop"),
             dispute_case("429", retry_after=1),
             dispute_case("503"),
             dispute_case("reset")]
    cases += READS
    cases += [("mutation/every kind, spoiled answers", case_mutations),
              ("mutation/create customer, no members", case_create_customer),
              ("mutation/spoiled every time: pending, r", case_pending_then_r)]
    cases += RETURNS
    only = os.environ.get("KG_FAULT_CASES")   # a regex: run the matching cases only
    if only:
        cases = [c for c in cases if re.search(only, c[0])]
    return F.run_cases(cases, jobs=2)


if __name__ == "__main__":
    try:
        rc = run()
    finally:
        env.close()
    sys.exit(rc)
