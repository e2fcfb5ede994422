#!/usr/bin/python3
"""The start-up request sequence of the full-screen client launched with a
ticket number alone, counted in order at the fakes: the ticket brings its
caller's e-mail along (dot-walked fields, one ServiceNow request, no
sys_user), the Kigo connection is opened while the ticket is in flight
(HEAD warm-up), and the search for the caller goes out on that same
connection.  Then the fallback: an instance that leaves the dot-walked
fields out gets the separate sys_user request, and the search still
follows.
"""

import subprocess
import time
import urllib.parse

import stacklib
from stacklib import Stack, check

JANE_EMAIL = "jane@example.com"   # the demo seed's Jane Doe (cus_8XK2)


def api(ctl):
    return [r for r in ctl.requests() if not r["path"].startswith("/__")]


def query(r):
    return dict(urllib.parse.parse_qsl(r["query"], keep_blank_values=True))


def wait_requests(ctl, pred, what, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        reqs = api(ctl)
        if pred(reqs):
            return reqs
        time.sleep(0.1)
    raise stacklib.Failure("timed out waiting for %s; requests: %r" % (
        what, [(r["method"], r["path"], r["query"], r["conn"]) for r in api(ctl)]))


def relaunch(st, *args):
    """st.tui again: tmux may still be stopping the last server (busy machine)."""
    for _ in range(10):
        try:
            return st.tui(*args)
        except subprocess.CalledProcessError:
            time.sleep(0.5)
    return st.tui(*args)


def is_search(r):
    return r["method"] == "GET" and r["path"] == "/api/v1/customers"


def check_kigo(st):
    """The warm-up first, then the caller's search on its connection."""
    reqs = wait_requests(st.kigo, lambda rs: any(is_search(r) for r in rs), "the search")
    first = reqs.index(next(r for r in reqs if is_search(r)))
    before = reqs[:first]
    check([r["method"] for r in before] == ["HEAD"],
          "before the search Kigo saw %r, expected the HEAD warm-up alone"
          % [(r["method"], r["path"]) for r in before])
    warm, search = before[0], reqs[first]
    check(warm["path"] == "/api/v1", "warm-up path %r" % warm["path"])
    check("Authorization" not in warm["headers"], "the warm-up carried credentials")
    check(search["conn"] == warm["conn"],
          "the search opened connection %s, not the warm-up's %s"
          % (search["conn"], warm["conn"]))
    check(query(search).get("q") == JANE_EMAIL, "search query %r" % search["query"])


def scenario():
    with Stack() as st:
        st.login()

        # 1. the dot-walked caller: one ServiceNow request
        st.sn.clear_requests()
        st.kigo.clear_requests()
        st.tui("INC0010001")
        st.wait_for("ExtraBucks not applied")
        st.wait_for("Customers (1)")
        check_kigo(st)
        sn = api(st.sn)
        check(len(sn) == 1, "ServiceNow saw %d requests, expected the ticket alone: %r"
              % (len(sn), [(r["method"], r["path"]) for r in sn]))
        t = sn[0]
        check(t["method"] == "GET" and t["path"] == "/api/now/table/incident",
              "ticket request %s %s" % (t["method"], t["path"]))
        fields = query(t)["sysparm_fields"].split(",")
        check("caller_id.email" in fields and "caller_id.phone" in fields,
              "the caller's fields were not asked for: %r" % fields)
        st.keys("q")
        check(st.tui_rc() == 0, "the client did not quit cleanly")

        # 2. the instance leaves dot-walked fields out: sys_user is read instead
        st.sn.call("POST", "/__sn/acl", {"dot_walk": False})
        st.sn.clear_requests()
        st.kigo.clear_requests()
        relaunch(st, "INC0010001")
        st.wait_for("ExtraBucks not applied")
        check_kigo(st)
        sn = wait_requests(st.sn, lambda rs: len(rs) >= 2, "the sys_user request")
        check([(r["method"], r["path"].rsplit("/", 1)[0]) for r in sn] ==
              [("GET", "/api/now/table"), ("GET", "/api/now/table/sys_user")],
              "ServiceNow requests %r" % [(r["method"], r["path"]) for r in sn])
        check(sn[1]["conn"] == sn[0]["conn"], "sys_user did not reuse the ticket's connection")
        st.wait_for("Customers (1)")
        st.keys("q")
        check(st.tui_rc() == 0, "the client did not quit cleanly")


if __name__ == "__main__":
    stacklib.main(scenario)
