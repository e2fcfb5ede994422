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
Exit 0 pass, 77 skip, anything else fail.
"""

import os
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
    # wide enough for the whole message on the status bar (at 100 columns
    # its middle, with the status code, is elided; the request id stays)
    t = st.tui("INC0010001", width=220)
    try:
        open_jane(t, wait_tokens=False)
        scr = t.wait_for("503", timeout=30)
        ids = [q["request_id"] for q in st.kigo.ctl.requests() if q["path"] == TOKENS]
        check(any(i in scr.replace("\n", "") for i in ids),
              "no request id of %r on screen:\n%s" % (ids, scr))
        t.keys("?")
        t.wait_for("Return to ServiceNow", timeout=3, what="help after a 503")
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
    return F.run_cases(cases, jobs=2)


if __name__ == "__main__":
    try:
        rc = run()
    finally:
        env.close()
    sys.exit(rc)
