#!/usr/bin/python3
"""test_ui_workflows.py - the full-screen client's workflow, one branch at a
time, with the real binary in tmux against the ServiceNow, Kigo and IdP
fakes (stacklib): invalid -> remove (reason, confirm y), expired ->
reissue, not honoured -> dispute, missing -> add from the catalog, other
action (note), then return -> exactly one work note listing them; a caller
with no Kigo customer -> create one; quit with pending actions warns and
leaves them queued; a dialog survives a resize; 79x23 says the terminal is
too small; keys answer while the Kigo fake hangs for 5 seconds.
Exit 0 pass, 77 skip, else fail.
"""

import json
import re
import time
import urllib.request

import stacklib
from stacklib import Stack, check

MARK = "\u25b8"  # the selection marker


def journal(st):
    ctx = __import__("ssl").create_default_context(cafile=st.ca)
    with urllib.request.urlopen(st.sn_url + "/__sn/journal", context=ctx, timeout=10) as r:
        return json.load(r)["entries"]


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


def select_status(st, status):
    """Move the token selection to the first row in `status`; returns its id."""
    rows, sel = token_rows(st.screen())
    for i, (tid, s) in enumerate(rows):
        if s == status:
            for _ in range(abs(i - (sel or 0))):
                st.keys("j" if i > (sel or 0) else "k")
            st.wait_for(MARK + tid)
            return tid
    raise stacklib.Failure("no %s token on screen:\n%s" % (status, st.screen()))


def kigo_token(st, tid):
    return st.kigo.call("GET", "/__control/kigo/token/" + tid)


def open_jane(st):
    st.tui("INC0010001")
    st.wait_for("Customers (1)")
    st.keys("Enter")
    st.wait_for("Tokens of Jane Doe (8)")
    st.keys("Tab")


def branches(st):
    open_jane(st)
    # missing -> add from the catalog, filter as you type
    st.keys("a")
    st.wait_for("pick from the catalog")
    st.wait_for("valid")         # the catalog is there
    st.type("ExtraB")
    st.wait_for("Filter: ExtraB")
    check("RX-10OFF" not in st.screen(), "the filter did not filter")
    st.keys("Enter")
    st.wait_for("Expires")
    st.keys("Enter")
    st.wait_for("1 action")

    # invalid -> remove: the reason is required, then y
    tid = select_status(st, "active")
    st.keys("x")
    st.wait_for("Remove the selected token")
    st.keys("Enter")
    st.wait_for("Reason is required")
    st.type("duplicate issued by mistake")
    st.keys("Enter")
    st.wait_for("y removes it")
    st.keys("y")
    st.wait_for("2 actions")

    # expired -> reissue with a new date
    tid = select_status(st, "expired")
    st.keys("e")
    st.wait_for("New expiry")
    st.keys("Tab")
    st.type("customer could not use it in time")
    st.keys("Enter")
    st.wait_for("3 actions")

    # not honoured -> dispute
    tid = select_status(st, "active")
    st.keys("d")
    st.wait_for("Dispute the selected token")
    st.type("refused at the register")
    st.keys("Enter")
    st.wait_for("4 actions")

    # other action: a note
    st.keys("o")
    st.wait_for("Other action")
    st.keys("Enter")
    st.wait_for("Other action: note")
    st.type("called the store manager")
    st.keys("Enter")
    st.wait_for("5 actions")

    # return: preview, y, exactly one work note with every action
    st.keys("R")
    st.wait_for("this note will be added")
    check(journal(st) == [], "something was sent before y")
    st.keys("y")
    check(st.tui_rc(timeout=30) == 0, "the return did not end the client")
    entries = journal(st)
    check(len(entries) == 1, "expected one work note, got %d" % len(entries))
    text = entries[0]["value"]
    # the note lists Kigo's activity ids: every action reached Kigo
    for word in ("Removed", "Reissued", "Disputed", "Added", "Noted", "kigo-sync-id: "):
        check(word in text, "the work note lacks %r:\n%s" % (word, text))
    hist = st.history()
    check("INC0010001" in hist and "nav_to.do" in hist, "no ticket link printed:\n" + hist)


def create_customer(st):
    st.tui("INC0010003")
    st.wait_for("Customers (0)")
    st.keys("n")
    st.wait_for("New customer")
    st.keys("Enter")
    st.wait_for("Name is required")
    st.type("Pat Example")
    st.keys("Tab")
    st.type("pat@example.com")
    # a resize in the middle of the dialog keeps it and what was typed
    st._tmux("resize-window", "-x", "120", "-y", "40")
    st.wait_for("pat@example.com")
    st._tmux("resize-window", "-x", "79", "-y", "23")
    st.wait_for("terminal too small (need 80x24, have 79x23)")
    st._tmux("resize-window", "-x", "100", "-y", "30")
    st.wait_for("pat@example.com")
    st.keys("Enter")
    st.wait_for("Pat Example")


def quit_pending(st):
    open_jane(st)
    select_status(st, "active")
    st.keys("d")
    st.wait_for("Dispute the selected token")
    st.type("never received")
    st.keys("Enter")
    st.wait_for("1 action")
    st.keys("q")
    st.wait_for("not in ServiceNow yet")
    st.keys("n")
    time.sleep(0.3)
    check("Tokens of Jane Doe" in st.screen(), "n did not keep the client open")
    st.keys("q")
    st.wait_for("Quit anyway")
    st.keys("y")
    check(st.tui_rc() == 0, "quit did not end the client")
    hist = st.history()
    check("stay queued" in hist or "stays queued" in hist, "no warning printed:\n" + hist)
    check(journal(st) == [], "quit sent the summary")


def hang(st):
    st.kigo.fault("hang", hang_s=5, path="/api/v1/customers", next=5)
    st.tui("INC0010001")
    st.wait_for("INC0010001")
    t0 = time.time()
    st.keys("?")
    st.wait_for("Return to ServiceNow", timeout=3)
    check(time.time() - t0 < 3, "help took %.1fs during the hang" % (time.time() - t0))
    st.keys("Escape")
    st.keys("q")
    check(st.tui_rc(timeout=10) == 0, "q did not quit during the hang")


def scenario():
    for fn in (branches, create_customer, quit_pending, hang):
        with Stack() as st:
            st.login()
            try:
                fn(st)
            except stacklib.Failure as e:
                raise stacklib.Failure("%s: %s" % (fn.__name__, e))


if __name__ == "__main__":
    stacklib.main(scenario)
