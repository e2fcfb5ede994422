#!/usr/bin/python3
"""test_crash.py - kill -9 at randomized points loses nothing and sends
nothing twice (issue 9).

Mode "sync" (the full-screen client is not in this build's scripted
session yet): the ServiceNow fake over HTTPS, summaries queued in the real
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


def run():
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
