#!/usr/bin/python3
"""The workflow metrics (issue 10), end to end: a scripted session of the real
full-screen client against the fakes, with one forced sync failure, then
`kigo-tui stats --json` must report exactly what happened, and nothing that
identifies the customer or the ticket may be in the metric tables.
"""

import json
import os
import sqlite3
import urllib.request

import stacklib
from stacklib import Stack, check


def journal(st):
    ctx = __import__("ssl").create_default_context(cafile=st.ca)
    with urllib.request.urlopen(st.sn_url + "/__sn/journal", context=ctx, timeout=10) as r:
        return json.load(r)["entries"]


def scenario():
    with Stack() as st:
        st.login()
        st.tui("INC0010001")
        st.wait_for("Customers (1)")   # the caller's search found her
        st.keys("Enter")
        st.wait_for("Tokens of Jane Doe (8)")
        # dispute the first token (active, expires soonest)
        st.keys("d")
        st.wait_for("Reason")
        st.type("customer says the coupon was refused")
        st.keys("Enter")
        st.wait_for("Disputed tok_")
        # the first return fails: ServiceNow answers 503 to every PATCH
        st.sn.fault("503", path="/api/now/table/incident", method="PATCH", next=20)
        st.keys("R")
        st.wait_for("Return to ServiceNow")
        st.keys("y")
        st.wait_for("still pending", timeout=40)
        check(journal(st) == [], "a failed send left a journal entry")
        # ServiceNow is back: back to the ticket, and the same summary goes out once
        st.sn.clear_faults()
        st.keys("Escape")
        st.wait_for("1 pending sync")
        st.keys("R")
        st.wait_for("Return to ServiceNow")
        st.keys("y")
        check(st.tui_rc(timeout=30) == 0, "the return did not end the client")
        entries = journal(st)
        check(len(entries) == 1, "expected one journal entry, got %d" % len(entries))
        check("kigo-sync-id: " in entries[0]["value"], "the entry has no sync id")

        r = st.run("stats", "--json")
        check(r.returncode == 0, "stats failed: %s" % r.stderr)
        s = json.loads(r.stdout)
        check(s["sessions"] == 1, "sessions %r" % s["sessions"])
        check(s["actions"]["dispute"]["applied"] == 1, "dispute count %r" % s["actions"])
        others = sum(v for k, kinds in s["actions"].items() for o, v in kinds.items()
                     if not (k == "dispute" and o == "applied"))
        check(others == 0, "unexpected actions: %r" % s["actions"])
        check(s["action_latency"]["n"] == 1, "action latency %r" % s["action_latency"])
        sync = s["sync"]
        check(sync["queued"] == 1 and sync["confirmed"] == 1 and sync["pending"] == 0,
              "sync %r" % sync)
        check(sync["attempts"] >= 2, "the forced failure was not counted: %r" % sync)
        check(sync["success_rate"] == 1.0, "success rate %r" % sync["success_rate"])
        check(sync["time_to_confirm"]["n"] == 1, "time to confirm %r" % sync)
        for k in ("transition_in", "time_on_task", "transition_out", "first_paint"):
            check(s[k]["n"] == 1 and s[k]["median_ms"] >= 0, "%s %r" % (k, s[k]))
        check(s["time_on_task"]["median_ms"] >= s["transition_in"]["median_ms"],
              "time on task shorter than the transition in")

        # --since after the session: nothing
        r = st.run("stats", "--json", "--since", "2999-01-01")
        check(r.returncode == 0 and json.loads(r.stdout)["sessions"] == 0,
              "--since in the future still counted: %s" % r.stdout)
        r = st.run("stats")
        check(r.returncode == 0 and "success rate 100.0%" in r.stdout,
              "table output: %s" % r.stdout)

        # no customer data, ticket number or token id in the metric tables
        db = sqlite3.connect(os.path.join(st.state_dir, "kigo-tui.db"))
        dump = "\n".join(db.iterdump())
        metric_rows = [l for l in dump.splitlines() if l.startswith('INSERT INTO "metric_')]
        db.close()
        check(metric_rows, "no metric rows were written")
        for needle in ("INC0010001", "cus_", "tok_", "Jane", "jane@", "coupon"):
            check(not any(needle in l for l in metric_rows),
                  "metric tables hold %r" % needle)


if __name__ == "__main__":
    stacklib.main(scenario)
