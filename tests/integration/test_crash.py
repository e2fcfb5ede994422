#!/usr/bin/python3
"""test_crash.py - kill -9 at randomized points loses nothing and sends
nothing twice (issue 9).

Mode "tui" (when the full-screen client is in the build): the real client
in tmux (crashlib: one tmux server, the pane respawned per point) against
the three fakes, killed with SIGKILL at each point of a scripted session:
sometimes a logout first so the client logs in through its device-code
screen, then a search for Jane, Enter, 1-4 actions (add from the catalog,
remove, reissue, dispute, note, resolve dispute, extend, new customer; the
least exercised kinds most likely, on a token whose status allows it), and
sometimes R + y.  The kill lands at a random moment of the session, or while
the Kigo fake holds a mutation (delay: applied after the client died, reply
lost; hang: never applied) or the ServiceNow fake holds the summary PATCH
(applied, reply held; or never applied); some points also get a mutation
answered 503 or applied then reset, or a `kigo-tui sync` run alongside and
killed at a random moment too.  After every kill `PRAGMA
integrity_check` is ok.  At the end the client is started once more, resumes
what was in flight, returns (R, y), and `kigo-tui sync` runs: every activity
the Kigo fake recorded is in the local activity table and in a summary sent,
every Idempotency-Key was applied once, every summary is in ServiceNow's
journal exactly once (and no entry has a sync id the database lost), nothing
is pending.  It prints kills, kills with a request in flight, kills per
script step, actions per kind and summaries; with 50 points or more it fails
when a kind was never applied, no return reached ServiceNow, or more than
1 in 20 screen waits timed out.

Mode "sync" (always): the ServiceNow fake over HTTPS, summaries queued in the real
state database with the test tool ($BUILD/tools/sn_tool queue), and the
real `kigo-tui sync` killed with SIGKILL at a random moment, while the fake
does something random to the request in flight: nothing, holds the reply
after applying the note (a lost reply), stalls before applying it, answers
503 once, resets the connection, or applies it and drops the connection.
After every kill: `PRAGMA integrity_check` is ok and no activity row is
gone.  At the end, after `kigo-tui sync` runs to completion: every queued
summary is in ServiceNow's sys_journal_field exactly once (one entry per
kigo-sync-id, no entry with an unknown id), the outbox holds nothing
pending (`status --json`), every activity row is still there.

KG_CRASH_POINTS (default 20) kill points of `sync`, KG_CRASH_TUI_POINTS
(default KG_CRASH_POINTS) of the client; `make crash` runs 200 of each.
KG_CRASH_SEED fixes the random choices (the seed is printed, so a failure
can be replayed; the client's timing still varies); KG_CRASH_MODES=sync or
tui runs one mode; KG_CRASH_VERBOSE=1 prints one line per client point.
Exit 0 pass, 77 skip, anything else fail.
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crashlib as C  # noqa: E402
import faultlib as F  # noqa: E402
from faultlib import check  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(F.ROOT, BUILD)
TOOL = os.environ.get("SN_TOOL") or os.path.join(BUILD, "tools", "sn_tool")  # make valgrind wraps it
POINTS = int(os.environ.get("KG_CRASH_POINTS", "20"))
SEED = int(os.environ.get("KG_CRASH_SEED", str(random.SystemRandom().randrange(1 << 30))))
TICKETS = ["INC0010001", "INC0010002", "INC0010004"]
FAULTS = ["none", "hold", "stall", "503", "reset", "commit_then_drop"]


def md5(s):
    import hashlib
    return hashlib.md5(s.encode()).hexdigest()


def sync_available(env, conf):
    r = env.run(conf, "sync", timeout=30)
    return "not available in this build" not in r.err


class Crash:
    def __init__(self):
        self.env = F.Env("kg-crash-")
        self.sn = self.env.fake("servicenow_fake.py")
        self.state = self.env.path("state")
        self.conf = self.env.config(sn=self.sn.base, state_dir=self.state, secrets="memory")
        self.db = os.path.join(self.state, "kigo-tui.db")
        self.queued = {}       # sync_id -> ticket
        self.rows = 0          # activity rows queued
        self.kills = 0
        self.mid_request = 0   # kills while a request was in flight at the fake

    def tool(self, *args):
        p = subprocess.run([TOOL, self.conf] + list(args), capture_output=True, text=True,
                           env=self.env.env(), timeout=60)
        kv = dict(line.partition("=")[::2] for line in p.stdout.splitlines())
        check(p.returncode == 0, "sn_tool %s: %s %s" % (args, p.stdout, p.stderr))
        return kv

    def queue(self, rng):
        number = rng.choice(TICKETS)
        n = rng.randint(1, 3)
        sid = self.tool("queue", number, md5(number), str(n))["sync_id"]
        self.queued[sid] = number
        self.rows += n

    def patches(self):
        return sum(1 for q in self.sn.ctl.requests()
                   if q["method"] == "PATCH" and q["path"].startswith("/api/"))

    def db_check(self, when):
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()[0]
            check(ok == "ok", "integrity_check %s: %s" % (when, ok))
            rows = con.execute("SELECT count(*) FROM activity").fetchone()[0]
            check(rows == self.rows, "activity rows %s: %d, queued %d" % (when, rows, self.rows))
            sids = {r[0] for r in con.execute("SELECT sync_id FROM outbox")}
            check(set(self.queued) <= sids, "outbox rows lost %s: %r" % (
                when, set(self.queued) - sids))
        finally:
            con.close()

    def point(self, i, rng):
        fault = rng.choice(FAULTS)
        self.sn.ctl.clear_faults()
        self.sn.call("POST", "/__sn/hold", {"next": 0})
        if rng.random() < 0.7 or not self.pending():
            self.queue(rng)
        api = "/api/now/table/incident/"
        if fault == "hold":
            self.sn.call("POST", "/__sn/hold", {"next": 1, "hang_s": 5})
        elif fault == "stall":
            self.sn.ctl.fault("hang", path=api, method="PATCH", hang_s=5)
        elif fault in ("503", "reset", "commit_then_drop"):
            self.sn.ctl.fault(fault, path=api, method="PATCH")
        before = self.patches()
        p = subprocess.Popen([F.PROG, "-c", self.conf, "sync"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=self.env.env())
        if fault in ("hold", "stall") and rng.random() < 0.8:
            # most of these kills land while the PATCH is in flight
            deadline = time.time() + 10 * F.SLOW
            while self.patches() == before and p.poll() is None and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))
        else:
            # under valgrind (F.SLOW) the kill window stretches with the run
            time.sleep(rng.uniform(0, 0.6) * F.SLOW)
        if p.poll() is None:
            if self.patches() > before:
                self.mid_request += 1
            os.kill(p.pid, signal.SIGKILL)
            self.kills += 1
        p.wait()
        self.db_check("after kill %d (%s)" % (i, fault))

    def pending(self):
        r = self.env.run(self.conf, "status", "--json")
        return json.loads(r.out)["pending_sync"] if r.rc == 0 else 1

    def finish(self):
        self.sn.ctl.clear_faults()
        self.sn.call("POST", "/__sn/hold", {"next": 0})
        for _ in range(3):
            r = self.env.run(self.conf, "sync", timeout=120)
            if r.rc == 0:
                break
        check(r.rc == 0, "the final sync: %r" % r)
        check(self.pending() == 0, "summaries still pending after sync")
        self.db_check("at the end")
        counts = {}
        for e in self.sn.call("GET", "/__sn/journal")["entries"]:
            for line in e["value"].splitlines():
                if line.startswith("kigo-sync-id: "):
                    sid = line[len("kigo-sync-id: "):].strip()
                    counts[sid] = counts.get(sid, 0) + 1
        dup = {s: n for s, n in counts.items() if n > 1}
        lost = [s for s in self.queued if s not in counts]
        unknown = [s for s in counts if s not in self.queued]
        check(not dup, "summaries sent more than once: %r" % dup)
        check(not lost, "summaries never sent: %r" % lost)
        check(not unknown, "journal entries nobody queued: %r" % unknown)


# -- the full-screen client --------------------------------------------------
# A point costs what its session costs (about 0.5 s here): no tmux start-up,
# no fixed pauses, waits polled every 25 ms.  Earlier versions waited for
# "Customers (" (on screen as "Customers (0)" before the pre-filled search
# answered, so Enter hit an empty list) and for "Tokens of Jane" (after a new
# customer the client rightly reopens that customer for the ticket, so every
# later point waited 20 s in vain); the script now searches and opens Jane
# itself each time.
TUI_POINTS = int(os.environ.get("KG_CRASH_TUI_POINTS") or POINTS)
VERBOSE = os.environ.get("KG_CRASH_VERBOSE") == "1"
KINDS = ["add", "remove", "reissue", "dispute", "note", "resolve_dispute", "extend",
         "create_customer"]
NEEDS = {"remove": ("active", "expired", "disputed"), "reissue": ("active", "expired"),
         "dispute": ("active", "redeemed", "expired"), "resolve_dispute": ("disputed",),
         "extend": ("active",), "note": ("active", "redeemed", "expired", "disputed", "removed")}
VERBS = ("Added ", "Removed ", "Reissued ", "Disputed ", "Recorded ", "Created customer ")
OTHER_ROW = {"note": 0, "resolve_dispute": 1, "extend": 2}
JANE_ROW = "Jane Doe  jane@example.com"


def applied_kind(a):
    """The action kind of a Kigo activity entry ("other" split by effect)."""
    if a["action"] != "other":
        return a["action"]
    before, after = a.get("before") or {}, a.get("after") or {}
    if before.get("status") == "disputed" and after.get("status") == "active":
        return "resolve_dispute"
    if before.get("expires_at") != after.get("expires_at"):
        return "extend"
    return "note"


class TuiCrash:
    def __init__(self, rng):
        self.rng = rng
        self.env = F.Env("kg-crash-tui-")
        self.st = F.Stack(self.env, "crash")
        self.st.login()
        self.db = os.path.join(self.st.state, "kigo-tui.db")
        self.baseline = self.kigo_activity_ids()
        e = self.env.env({"TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                          "TZ": "UTC"})
        e.pop("NO_COLOR", None)
        self.pane = C.Pane(self.env, e, 120, 45)
        self.n = 0
        self.kills = 0
        self.in_flight = 0      # kills with any Kigo or ServiceNow request in flight
        self.mut_flight = 0     # ... with a Kigo mutation in flight
        self.sum_flight = 0     # ... with a summary PATCH in flight
        self.ended = 0          # points that ended by themselves (R + y)
        self.logins = 0
        self.searches = 0
        self.returns = 0        # R + y pressed
        self.submitted = {k: 0 for k in KINDS}
        self.stuck = []         # (point, what, screen)
        self.est = 2.0          # seconds a whole scripted point takes (measured)
        self.phases = {}        # kills per step of the script
        self.syncs = 0          # points with a `kigo-tui sync` running alongside
        self.sync_kills = 0
        self.where = "start"

    # -- the backend's view ------------------------------------------------
    def kigo_activity(self):
        acts = {}
        custs = [F.JANE] + [c["id"] for c in
                            self.st.kigo_get("/customers?q=crash.test&limit=100")["items"]]
        for cid in custs:
            path = "/customers/%s/activity" % cid
            while path:
                page = self.st.kigo_get(path)
                for a in page["items"]:
                    acts[a["id"]] = a
                cur = page.get("next_cursor")
                path = "/customers/%s/activity?cursor=%s" % (cid, cur) if cur else None
        return acts

    def kigo_activity_ids(self):
        return set(self.kigo_activity())

    def flight(self):
        """(any, mutation, summary) request in flight at the fakes now."""
        k = [q for q in self.st.kigo.ctl.requests() if q["status"] is None]
        s = [q for q in self.st.sn.ctl.requests() if q["status"] is None and
             not q["path"].startswith("/__")]
        return (bool(k or s), any(q["method"] == "POST" for q in k),
                any(q["method"] == "PATCH" for q in s))

    # -- one scripted session -----------------------------------------------
    def pick_kinds(self, count):
        """Kinds for this point, the least exercised ones most likely."""
        out = []
        for _ in range(count):
            w = [1.0 / (1 + self.submitted[k] + 3 * out.count(k)) for k in KINDS]
            out.append(self.rng.choices(KINDS, w)[0])
        return out

    def open_jane(self, p, k):
        p.wait("Customers (", k, timeout=20)
        self.where = "search"
        p.keys("/")
        p.keys("C-u")
        p.wait(C.search_empty, k, what="an empty search line")
        p.type("jane@example.com")
        self.searches += 1
        p.wait(JANE_ROW, k)
        p.keys("Enter")
        p.wait(lambda s: "Tokens of Jane Doe (" in s and C.token_rows(s)[0], k,
               what="Jane's tokens")
        p.keys("Tab")
        p.pause(0.06, k)

    def select(self, p, k, statuses):
        """Move the token selection to a row in one of statuses; False if none."""
        scr = p.screen()
        rows, sel = C.token_rows(scr)
        cands = [i for i, (_, s) in enumerate(rows) if s in statuses]
        if not cands:
            return False
        i = self.rng.choice(cands)
        sel = sel or 0
        for _ in range(abs(i - sel)):
            p.keys("j" if i > sel else "k")
        p.wait(lambda s: C.token_rows(s)[1] == i, k, what="selection on row %d" % i)
        return True

    def act(self, p, k, kind, settle=True):
        """One action through its dialogs; returns when its result shows
        (at once when not settle)."""
        tag = "crash %s %d" % (kind, self.n)
        if kind in NEEDS and not self.select(p, k, NEEDS[kind]):
            kind, tag = "add", "crash add %d" % self.n
        self.where = kind
        before = C.status_line(p.screen())
        if kind == "add":
            p.keys("a")
            p.wait(lambda s: "pick from the catalog" in s and "valid" in s, k,
                   what="the catalog")
            p.keys("Enter")
            p.wait("Expires", k)
            p.keys("Tab")
            p.type(tag)
            p.keys("Enter")
        elif kind == "remove":
            p.keys("x")
            p.wait("Remove the selected token", k)
            p.type(tag)
            p.keys("Enter")
            p.wait("y removes it", k)
            p.keys("y")
        elif kind == "reissue":
            p.keys("e")
            p.wait("New expiry", k)
            p.keys("Tab")
            p.type(tag)
            p.keys("Enter")
        elif kind == "dispute":
            p.keys("d")
            p.wait("Dispute the selected token", k)
            p.type(tag)
            p.keys("Enter")
        elif kind in OTHER_ROW:
            p.keys("o")
            p.wait("Other action", k)
            for _ in range(OTHER_ROW[kind]):
                p.keys("Down")
            p.keys("Enter")
            p.wait("Other action: " + kind.replace("_", " "), k)
            if kind == "extend":
                p.keys("Tab")
            p.type(tag)
            p.keys("Enter")
        else:
            p.keys("n")
            p.wait("New customer", k)
            p.type("Crash Person %d" % self.n)
            p.keys("Tab")
            p.type("p%d.%d@crash.test" % (self.n, self.rng.randrange(1 << 20)))
            p.keys("Enter")
        self.submitted[kind] += 1
        if not settle:
            return

        def settled(s):
            line = C.status_line(s)
            if "Sent:" in line or "Creating the customer" in line:
                return False
            return line != before and any(v in line for v in VERBS) or \
                ("error" in line and line != before)
        try:
            p.wait(settled, k, timeout=10, what="the result of " + kind)
        except C.Stuck:
            pass    # a refusal in the dialog, or the same words as before
        if C.dialog_open(p.screen()):
            # a refusal shown in the dialog, or the 412 "what changed" view
            p.keys("Escape")
            p.pause(0.06, k)
        if kind == "create_customer":
            self.open_jane(p, k)

    def script(self, p, k, kinds, ret):
        self.where = "login" if self.login_now else "start"
        if self.login_now:
            p.wait("Sign in with Okta", k, timeout=10)
            self.logins += 1
        self.open_jane(p, k)
        for kind in kinds:
            self.act(p, k, kind)
        if ret:
            self.where = "return"
            p.keys("R")
            p.wait("Return to ServiceNow", k)
            p.keys("y")
            self.returns += 1
            p.wait_dead(timeout=15, clock=k)

    def unsummarized(self):
        """Actions of the ticket in no summary sent, and unknown outcomes."""
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            acts = [r[0] for r in con.execute(
                "SELECT a.id FROM activity a LEFT JOIN outbox o ON o.id = a.outbox_id "
                "WHERE a.ticket_ref = 'INC0010001' AND (o.id IS NULL OR o.state != 'sent')")]
            muts = con.execute("SELECT count(*) FROM mutations WHERE state = 'pending'") \
                .fetchone()[0]
        finally:
            con.close()
        return acts, muts

    def return_in_flight(self):
        """R + y while an action is on its way to Kigo, or being resumed
        after a kill: the summary waits for it and lists it (it used to
        leave without it, and the action was never in a note)."""
        p, kg = self.pane, self.st.kigo.ctl
        for case in ("sent", "two", "resumed"):
            kg.clear_faults()
            p.start([F.PROG, "-c", self.st.conf, "INC0010001"])
            self.open_jane(p, None)
            if case == "sent":
                kg.fault("delay", path="/api/v1/", method="POST", delay_ms=1500)
                self.act(p, None, "dispute", settle=False)
            elif case == "two":
                # actions are not modal: a second one goes out before the
                # first answers, and the return waits for both
                kg.fault("delay", path="/api/v1/", method="POST", delay_ms=2500)
                self.act(p, None, "add", settle=False)
                F.wait_until(lambda: self.flight()[1], what="the first action to reach Kigo")
                kg.clear_faults()
                kg.fault("delay", path="/api/v1/", method="POST", delay_ms=400)
                self.act(p, None, "note", settle=False)
            else:
                kg.fault("hang", path="/api/v1/", method="POST", hang_s=1)
                self.act(p, None, "note", settle=False)
                F.wait_until(lambda: self.flight()[1], what="the note to reach Kigo")
                p.kill()
                p.wait_dead()
                kg.fault("delay", path="/api/v1/", method="POST", delay_ms=1500)
                p.start([F.PROG, "-c", self.st.conf, "INC0010001"])
                p.wait("Customers (", timeout=20)
            p.keys("R")
            p.wait("Return to ServiceNow", timeout=10)
            p.keys("y")
            try:
                st = p.wait_dead(timeout=20)
            except C.Stuck as e:
                raise AssertionError("return with an action in flight (%s): %s; screen:\n%s"
                                     % (case, e, e.screen))
            acts, muts = self.unsummarized()
            check(st == 0 and not acts and muts == 0,
                  "R + y with an action in flight (%s): exit %s, %d actions of unknown "
                  "outcome, in no summary: %r; screen:\n%s" % (case, st, muts, acts, p.screen()))
        kg.clear_faults()

    def point(self, i):
        rng = self.rng
        self.n += 1
        sn, kg = self.st.sn.ctl, self.st.kigo.ctl
        sn.clear_faults()
        kg.clear_faults()
        self.st.sn.call("POST", "/__sn/hold", {"next": 0})
        self.login_now = rng.random() < 0.06
        if self.login_now:
            r = self.env.run(self.st.conf, "logout")
            check(r.rc == 0, "logout: %r" % r)
        kinds = self.pick_kinds(rng.randint(1, 4))
        mode = rng.choices(["time", "mutation", "summary"], [5, 3, 2])[0]
        ret = mode == "summary" or rng.random() < 0.35
        if mode == "mutation":
            fault = rng.choice(["delay", "delay", "hang"])
            kg.fault(fault, path="/api/v1/", method="POST", delay_ms=rng.randint(300, 1500),
                     hang_s=3)
            clock = C.Clock(trigger=lambda: self.flight()[1], delay=rng.uniform(0, 0.4))
        elif mode == "summary":
            if rng.random() < 0.5:
                self.st.sn.call("POST", "/__sn/hold", {"next": 1, "hang_s": 3})
            else:
                sn.fault("hang", path="/api/now/table/incident/", method="PATCH", hang_s=3)
            clock = C.Clock(trigger=lambda: self.flight()[2], delay=rng.uniform(0, 0.5))
        else:
            if rng.random() < 0.3:
                # no kill needed to lose a reply: the client must resume these
                kg.fault(rng.choice(["commit_then_drop", "503"]), path="/api/v1/",
                         method="POST")
            clock = C.Clock(at=rng.uniform(0, self.est * 1.1))
        kg.clear_requests()
        sn.clear_requests()
        p = self.pane
        started = time.time()
        p.start([F.PROG, "-c", self.st.conf, "INC0010001"])
        sync = None
        if rng.random() < 0.1:
            # `kigo-tui sync` from another terminal at the same time, killed too
            sync = subprocess.Popen([F.PROG, "-c", self.st.conf, "sync"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    stdin=subprocess.DEVNULL, env=self.env.env())
            timer = threading.Timer(rng.uniform(0, 0.6), sync.kill)
            timer.start()
        try:
            self.script(p, clock, kinds, ret)
            if mode == "time":
                self.est = 0.8 * self.est + 0.2 * (time.time() - started)
            if not ret:
                self.where = "idle"
                p.pause(rng.uniform(0, 0.3), clock)
        except C.Kill:
            pass
        except C.Stuck as e:
            self.stuck.append((i, e.what, e.screen))
        flight = self.flight()
        killed = p.kill()
        if killed:
            self.kills += 1
            self.in_flight += flight[0]
            self.mut_flight += flight[1]
            self.sum_flight += flight[2]
            self.phases[self.where] = self.phases.get(self.where, 0) + 1
        else:
            self.ended += 1
        if VERBOSE:
            print("  point %d: %s %s%s %s at %.2fs in %s%s" % (
                i, mode, ",".join(kinds), " +R" if ret else "",
                "killed" if killed else "ended", time.time() - started, self.where,
                " (in flight: %s)" % "/".join(n for n, f in zip(("any", "mutation", "summary"),
                                                                 flight) if f)
                if flight[0] else ""), flush=True)
        p.wait_dead()
        if sync is not None:
            timer.cancel()
            sync.wait(timeout=60)
            self.syncs += 1
            self.sync_kills += sync.returncode == -signal.SIGKILL
        self.db_check("after point %d" % i)

    def db_check(self, when):
        if not os.path.exists(self.db):
            return
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            con.close()
        check(ok == "ok", "integrity_check %s: %s" % (when, ok))

    def pending_mutations(self):
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            return con.execute("SELECT count(*) FROM mutations WHERE state = 'pending'") \
                .fetchone()[0]
        finally:
            con.close()

    def finish(self):
        """Restart once (what was in flight is resumed), return, sync, check."""
        self.st.sn.ctl.clear_faults()
        self.st.kigo.ctl.clear_faults()
        self.st.sn.call("POST", "/__sn/hold", {"next": 0})
        time.sleep(3.2)     # held and hung requests of the last points end
        p = self.pane
        p.start([F.PROG, "-c", self.st.conf, "INC0010001"])
        try:
            p.wait("Customers (", timeout=30)
            F.wait_until(lambda: self.pending_mutations() == 0, timeout=30,
                         what="the interrupted actions to be resumed")
            p.keys("R")
            scr = p.wait("Return to ServiceNow", timeout=10)
            p.keys("y")
            st = p.wait_dead(timeout=30)
            check(st == 0, "the last return ended with %s; screen:\n%s\n%s"
                  % (st, scr, p.screen()))
        except C.Stuck as e:
            raise AssertionError("the last session: %s; screen:\n%s" % (e, e.screen))
        r = self.env.run(self.st.conf, "sync", timeout=120)
        check(r.rc == 0, "the final sync: %r" % r)
        st = json.loads(self.env.run(self.st.conf, "status", "--json").out)
        check(st["pending_sync"] == 0, "pending after the final sync: %r" % st)
        applied = self.st.kigo.call("GET", "/__control/kigo/applied")["applied"]
        twice = {k: n for k, n in applied.items() if n != 1}
        check(not twice, "keys applied more than once: %r" % twice)
        acts = self.kigo_activity()
        backend = set(acts) - self.baseline
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity")
            local = {r[0] for r in con.execute("SELECT id FROM activity")}
            unsent = [r[0] for r in con.execute(
                "SELECT a.id FROM activity a LEFT JOIN outbox o ON o.id = a.outbox_id "
                "WHERE a.ticket_ref = 'INC0010001' AND (o.id IS NULL OR o.state != 'sent')")]
            sids = [r[0] for r in con.execute("SELECT sync_id FROM outbox")]
        finally:
            con.close()
        missing = backend - local
        check(not missing, "applied by Kigo, not in the activity log: %r" % sorted(missing))
        check(not unsent, "activity in no summary sent to ServiceNow: %r" % unsent)
        counts = {}
        for e in self.st.sn.call("GET", "/__sn/journal")["entries"]:
            for line in e["value"].splitlines():
                if line.startswith("kigo-sync-id: "):
                    sid = line.split(": ", 1)[1].strip()
                    counts[sid] = counts.get(sid, 0) + 1
        bad = {s: counts.get(s, 0) for s in sids if counts.get(s, 0) != 1}
        check(not bad, "summaries not in ServiceNow exactly once: %r" % bad)
        unknown = [s for s in counts if s not in sids]
        check(not unknown, "journal entries with a sync id the database lost: %r" % unknown)
        per_kind = {k: 0 for k in KINDS}
        for a in backend:
            kd = applied_kind(acts[a])
            per_kind[kd] = per_kind.get(kd, 0) + 1
        return len(backend), len(local), len(sids), per_kind


def run_tui():
    print("tui: seed %d, %d points (KG_CRASH_SEED=%d KG_CRASH_TUI_POINTS=%d to replay)" % (
        SEED, TUI_POINTS, SEED, TUI_POINTS), flush=True)
    rng = random.Random(SEED ^ 0x5eed)
    c = TuiCrash(rng)
    start = time.time()
    try:
        c.return_in_flight()
        print("tui: ok: R + y with an action in flight or being resumed waits for it, "
              "%.1fs" % (time.time() - start), flush=True)
        for i in range(TUI_POINTS):
            c.point(i)
            if (i + 1) % 25 == 0:
                print("  %d points, %d kills, %.0fs" % (i + 1, c.kills, time.time() - start),
                      flush=True)
        applied, local, summaries, per_kind = c.finish()
        secs = time.time() - start
        print("tui: %d points in %.1fs (load %s): %d kills (%d with a request in flight: %d "
              "with a Kigo mutation, %d with a summary), %d ended by R + y, %d logins, "
              "%d searches, %d returns; `sync` alongside %d times, killed %d times" % (
                  TUI_POINTS, secs, " ".join("%.2f" % x for x in os.getloadavg()), c.kills,
                  c.in_flight, c.mut_flight, c.sum_flight, c.ended, c.logins, c.searches,
                  c.returns, c.syncs, c.sync_kills))
        print("tui: kills per step: %s" % " ".join(
            "%s=%d" % kv for kv in sorted(c.phases.items())))
        print("tui: actions submitted %s" % " ".join(
            "%s=%d" % (k, c.submitted[k]) for k in KINDS))
        print("tui: applied by Kigo %s (%d, all in the activity log of %d rows); %d summaries, "
              "each once in ServiceNow" % (" ".join("%s=%d" % (k, per_kind.get(k, 0))
                                                   for k in KINDS), applied, local, summaries))
        print("tui: %d screen waits timed out" % len(c.stuck))
        for i, what, scr in c.stuck[:3]:
            print("  point %d: waiting for %s; screen:\n%s" % (i, what, scr))
        if TUI_POINTS >= 50:
            never = [k for k in KINDS if per_kind.get(k, 0) == 0]
            check(not never, "action kinds never applied in %d points: %s" % (
                TUI_POINTS, ", ".join(never)))
            check(c.returns > 0 and summaries > 1, "no return (R + y) reached ServiceNow")
            check(len(c.stuck) <= TUI_POINTS // 20, "%d screen waits timed out (at most %d)"
                  % (len(c.stuck), TUI_POINTS // 20))
        print("ok: tui")
        return 0
    except AssertionError as e:
        print("FAIL tui (seed %d): %s" % (SEED, e))
        for i, what, scr in c.stuck[:3]:
            print("  point %d: waiting for %s; screen:\n%s" % (i, what, scr))
        return 1
    finally:
        c.pane.close()
        c.env.close()


def run():
    rc = run_sync()
    if rc in (0, F.SKIP) and F.tui_in_build() and os.environ.get("KG_CRASH_MODES", "sync,tui") \
            .find("tui") >= 0:
        rc2 = run_tui()
        rc = rc2 if rc2 != 0 else 0
    return rc


def san_reports():
    """Under SAN=1 the sanitizers write to files (the client's stderr is a
    tmux pane, the commands' is captured): print them, and fail on any."""
    if os.environ.get("SAN") != "1":
        return None
    import tempfile
    d = tempfile.mkdtemp(prefix="kg-crash-san-")
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        os.environ[var] = (os.environ.get(var, "") + ":log_path=%s/%s" % (
            d, var.split("_")[0].lower())).lstrip(":")
    return d


def san_check(d):
    import shutil
    bad = 0
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), errors="replace") as f:
            text = f.read()
        if "ERROR:" in text or "runtime error" in text:
            bad += 1
            print("sanitizer report %s:\n%s" % (name, text[:4000]))
    shutil.rmtree(d, ignore_errors=True)
    return bad


def run_sync():
    if "sync" not in os.environ.get("KG_CRASH_MODES", "sync,tui"):
        return F.SKIP
    if not os.path.exists(TOOL):
        print("SKIP: %s is not built (make check builds it)" % TOOL)
        return F.SKIP
    print("seed %d, %d points (KG_CRASH_SEED=%d to replay)" % (SEED, POINTS, SEED), flush=True)
    c = Crash()
    try:
        if not sync_available(c.env, c.conf):
            print("SKIP: kigo-tui sync is not in this build")
            return F.SKIP
        rng = random.Random(SEED)
        start = time.time()
        for i in range(POINTS):
            c.point(i, rng)
        c.finish()
        print("ok: %d points, %d killed (%d with a request in flight), %d summaries, "
              "%d activity rows, %.1fs" % (POINTS, c.kills, c.mid_request, len(c.queued),
                                           c.rows, time.time() - start))
        return 0
    except AssertionError as e:
        print("FAIL (seed %d): %s" % (SEED, e))
        return 1
    finally:
        c.env.close()


if __name__ == "__main__":
    san_dir = san_reports()
    status = run()
    if san_dir is not None and san_check(san_dir) and status in (0, F.SKIP):
        status = 1
    sys.exit(status)
