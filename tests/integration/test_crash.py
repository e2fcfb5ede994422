#!/usr/bin/python3
"""test_crash.py - kill -9 at randomized points loses nothing and sends
nothing twice (issue 9).

Mode "tui" (when the full-screen client is in the build): a scripted
session of the real client in tmux against the three fakes (open the
ticket's customer, then a random sequence of dispute, remove, reissue, note,
add and new customer, then R and y), killed with SIGKILL at a random moment;
after every kill `PRAGMA integrity_check` is ok.  At the end the client is
started once more (it resumes what was in flight), returns (R, y), and
`kigo-tui sync` runs: every activity the Kigo fake recorded for the session
is in the local activity table, every Idempotency-Key was applied once, every
summary is in ServiceNow's journal exactly once, nothing is pending.

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

KG_CRASH_POINTS (default 20) kill points; KG_CRASH_SEED fixes the random
choices (the seed is printed, so a failure can be replayed).
Exit 0 pass, 77 skip, anything else fail.
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as F  # noqa: E402
from faultlib import check  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(F.ROOT, BUILD)
TOOL = os.path.join(BUILD, "tools", "sn_tool")
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
            deadline = time.time() + 10
            while self.patches() == before and p.poll() is None and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))
        else:
            time.sleep(rng.uniform(0, 0.6))
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
# the client's points take seconds each: KG_CRASH_POINTS / 4, at most 3, unless set
TUI_POINTS = int(os.environ.get("KG_CRASH_TUI_POINTS") or max(1, min(3, POINTS // 4)))


class TuiCrash:
    def __init__(self):
        self.env = F.Env("kg-crash-tui-")
        self.st = F.Stack(self.env, "crash")
        self.st.login()
        self.db = os.path.join(self.st.state, "kigo-tui.db")
        self.baseline = self.kigo_activity_ids()
        self.kills = 0
        self.n = 0

    def kigo_activity_ids(self):
        ids = set()
        custs = [F.JANE] + [c["id"] for c in self.st.kigo_get("/customers?q=crash.test")["items"]]
        for cid in custs:
            path = "/customers/%s/activity" % cid
            while path:
                page = self.st.kigo_get(path)
                ids |= {a["id"] for a in page["items"]}
                cur = page.get("next_cursor")
                path = "/customers/%s/activity?cursor=%s" % (cid, cur) if cur else None
        return ids

    def steps(self, rng):
        """The scripted session: (keys, literal text, pause) steps."""
        self.n += 1
        out = [("wait", "Customers ("), ("keys", "Enter"), ("wait", "Tokens of Jane"), ("wait", "tok_0"),
               ("keys", "Tab")]
        for _ in range(rng.randint(2, 4)):
            k = rng.choice("dxeoan")
            out += [("keys", "j")] * rng.randint(0, 3)
            if k == "d":
                out += [("keys", "d"), ("type", "crash dispute %d" % self.n), ("keys", "Enter")]
            elif k == "x":
                out += [("keys", "x"), ("type", "crash remove %d" % self.n), ("keys", "Enter"),
                        ("keys", "y")]
            elif k == "e":
                out += [("keys", "e"), ("keys", "Tab"), ("type", "crash reissue %d" % self.n),
                        ("keys", "Enter")]
            elif k == "o":
                out += [("keys", "o"), ("keys", "Enter"), ("type", "crash note %d" % self.n),
                        ("keys", "Enter")]
            elif k == "a":
                out += [("keys", "a"), ("keys", "Enter"), ("keys", "Tab"),
                        ("type", "crash add %d" % self.n), ("keys", "Enter")]
            else:
                out += [("keys", "n"), ("type", "Crash Person %d" % self.n), ("keys", "Tab"),
                        ("type", "p%d.%d@crash.test" % (self.n, rng.randrange(1 << 20))),
                        ("keys", "Enter")]
            out += [("pause", 0.4), ("keys", "Escape"), ("keys", "Escape")]
        out += [("keys", "R"), ("pause", 0.5), ("keys", "y")]
        return out

    def play(self, t, steps, kill_at=None, from_tokens=True):
        """Run steps; kill_at counts from when the token rows are on screen
        (from_tokens) or from the start."""
        start = time.time()
        for kind, arg in steps:
            if kill_at is not None and time.time() - start >= kill_at:
                return True
            if kind == "wait":
                try:
                    t.wait_for(arg, timeout=20)
                except AssertionError:
                    return False
                if from_tokens and arg == "tok_0":
                    start = time.time()
            elif kind == "keys":
                t.keys(arg)
            elif kind == "type":
                t.type(arg)
            else:
                time.sleep(arg)
            time.sleep(0.05)
        if kill_at is not None:
            while time.time() - start < kill_at and not t.dead():
                time.sleep(0.02)
            return True
        return False

    def point(self, i, rng):
        t = self.st.tui("INC0010001")
        try:
            # mostly while actions are under way, sometimes while starting
            early = rng.random() < 0.15
            kill_at = rng.uniform(0.0, 2.0) if early else rng.uniform(0.0, 9.0)
            self.play(t, self.steps(rng), kill_at, from_tokens=not early)
            pid = t.prog_pid()
            if pid:
                os.kill(pid, signal.SIGKILL)
                self.kills += 1
            t.rc(timeout=10)
        finally:
            t.close()
        if os.path.exists(self.db):
            con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
            try:
                ok = con.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                con.close()
            check(ok == "ok", "integrity_check after kill %d: %s" % (i, ok))

    def finish(self):
        t = self.st.tui("INC0010001")
        try:
            t.wait_for("Customers (", timeout=30)
            time.sleep(2)           # what was in flight is resumed
            t.keys("R")
            time.sleep(1)
            t.keys("y")
            time.sleep(1)
            if not t.dead():
                t.keys("Escape", "q")
                time.sleep(0.5)
                t.keys("q")
            t.rc(timeout=30)
        finally:
            t.close()
        r = self.env.run(self.st.conf, "sync", timeout=120)
        check(r.rc == 0, "the final sync: %r" % r)
        st = json.loads(self.env.run(self.st.conf, "status", "--json").out)
        check(st["pending_sync"] == 0, "pending after the final sync: %r" % st)
        applied = self.st.kigo.call("GET", "/__control/kigo/applied")["applied"]
        twice = {k: n for k, n in applied.items() if n != 1}
        check(not twice, "keys applied more than once: %r" % twice)
        backend = self.kigo_activity_ids() - self.baseline
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity")
            local = {r[0] for r in con.execute("SELECT id FROM activity")}
            sids = [r[0] for r in con.execute("SELECT sync_id FROM outbox")]
        finally:
            con.close()
        missing = backend - local
        check(not missing, "applied by Kigo, not in the activity log: %r" % sorted(missing))
        counts = {}
        for e in self.st.sn.call("GET", "/__sn/journal")["entries"]:
            for line in e["value"].splitlines():
                if line.startswith("kigo-sync-id: "):
                    sid = line.split(": ", 1)[1].strip()
                    counts[sid] = counts.get(sid, 0) + 1
        bad = {s: counts.get(s, 0) for s in sids if counts.get(s, 0) != 1}
        check(not bad, "summaries not in ServiceNow exactly once: %r" % bad)
        return len(backend), len(local), len(sids)


def run_tui():
    print("tui: seed %d, %d points" % (SEED, TUI_POINTS), flush=True)
    c = TuiCrash()
    try:
        rng = random.Random(SEED ^ 0x5eed)
        start = time.time()
        for i in range(TUI_POINTS):
            c.point(i, rng)
        applied, local, summaries = c.finish()
        print("ok: tui %d points, %d killed, %d actions applied by Kigo (all in the log of %d), "
              "%d summaries each once in ServiceNow, %.1fs" % (
                  TUI_POINTS, c.kills, applied, local, summaries, time.time() - start))
        return 0
    except AssertionError as e:
        print("FAIL tui (seed %d): %s" % (SEED, e))
        return 1
    finally:
        c.env.close()


def run():
    rc = run_sync()
    if rc in (0, F.SKIP) and F.tui_in_build() and os.environ.get("KG_CRASH_MODES", "sync,tui") \
            .find("tui") >= 0:
        rc2 = run_tui()
        return rc2 if rc2 != 0 else 0
    return rc


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
    sys.exit(run())
