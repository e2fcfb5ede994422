"""sn_harness - shared set-up for the ServiceNow integration tests.

Starts tests/fakes/servicenow_fake.py over HTTPS with a CA made at test time,
writes a kigo-tui.conf for it ([servicenow] auth = basic, [tls] ca_bundle =
the test CA, a temporary state_dir) and runs the real binary ($PROG) and the
test tool ($BUILD/tools/sn_tool) against it.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.environ.get("KG_TEST_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
PROG = os.environ.get("PROG") or os.path.join(ROOT, "kigo-tui")
# $SN_TOOL: the tool behind a wrapper (make valgrind runs it under valgrind)
TOOL = os.environ.get("SN_TOOL") or os.path.join(BUILD, "tools", "sn_tool")
# Under `make valgrind` (KG_VALGRIND=1) every process is 10-50x slower: waits
# (never checks) stretch by KG_SLOW (default 8 there, 1 otherwise).
SLOW = float(os.environ.get("KG_SLOW") or (8 if os.environ.get("KG_VALGRIND") else 1))
FAKES = os.path.join(ROOT, "tests", "fakes")
sys.path.insert(0, FAKES)
import fakelib  # noqa: E402


def md5(s):
    import hashlib
    return hashlib.md5(s.encode()).hexdigest()


INC1 = "INC0010001"
SYS1 = md5(INC1)


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


class Env:
    """A temp dir with PKI, a running fake, a config and a state dir."""

    def __init__(self, seed=None, extra=(), start=True):
        if not os.path.exists(TOOL):
            skip("%s is not built (make integration builds it)" % TOOL)
        self.dir = tempfile.mkdtemp(prefix="kg-sn-")
        self.pki = os.path.join(self.dir, "pki")
        subprocess.run(["sh", os.path.join(FAKES, "testca.sh"), self.pki], check=True)
        self.state = os.path.join(self.dir, "state")
        self.conf = os.path.join(self.dir, "kigo-tui.conf")
        self.seed = seed
        self.extra = list(extra)
        self.proc = None
        self.log = None
        self.conf_opts = {}
        if start:
            self.start()

    # -- the fake -----------------------------------------------------------
    def start(self):
        portfile = os.path.join(self.dir, "port")
        if os.path.exists(portfile):
            os.unlink(portfile)
        args = ["/usr/bin/python3", os.path.join(FAKES, "servicenow_fake.py"),
                "--cert", os.path.join(self.pki, "server.pem"),
                "--key", os.path.join(self.pki, "server.key"), "--port-file", portfile]
        if self.seed is not None:
            seedfile = os.path.join(self.dir, "seed.json")
            with open(seedfile, "w") as f:
                json.dump(self.seed, f)
            args += ["--seed", seedfile]
        self.log = open(os.path.join(self.dir, "fake.log"), "a")
        self.proc = subprocess.Popen(args + self.extra, stdout=self.log, stderr=self.log)
        deadline = time.time() + 15
        while not os.path.exists(portfile):
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("the ServiceNow fake did not start; see %s/fake.log" % self.dir)
            time.sleep(0.05)
        with open(portfile) as f:
            self.port = int(f.read())
        self.base = "https://127.0.0.1:%d" % self.port
        self.ctl = fakelib.Control(self.base, os.path.join(self.pki, "ca.pem"))
        self.write_conf()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def write_conf(self, **opts):
        """Options: journal_field, auth (basic|okta), okta_issuer, secrets."""
        self.conf_opts.update(opts)
        o = dict({"journal_field": "work_notes", "auth": "basic", "okta_issuer": None,
                  "secrets": "memory"}, **self.conf_opts)
        with open(self.conf, "w") as f:
            f.write("[servicenow]\ninstance_url = %s\ntable = incident\n"
                    "journal_field = %s\nauth = %s\n" % (self.base, o["journal_field"], o["auth"]))
            if o["auth"] == "basic":
                f.write("username = admin\n")
            if o["okta_issuer"]:
                f.write("\n[okta]\nissuer = %s\nclient_id = kigo-test\n" % o["okta_issuer"])
            f.write("\n[tls]\nca_bundle = %s\n\n[storage]\nstate_dir = %s\nsecrets = %s\n"
                    % (os.path.join(self.pki, "ca.pem"), self.state, o["secrets"]))

    def env(self, password="secret"):
        e = dict(os.environ)
        e.update({"HOME": self.dir, "XDG_CONFIG_HOME": os.path.join(self.dir, "cfg"),
                  "XDG_STATE_HOME": os.path.join(self.dir, "xstate"),
                  "KIGO_TUI_SN_PASSWORD": password})
        e.pop("KIGO_TUI_CONFIG", None)
        e.pop("DBUS_SESSION_BUS_ADDRESS", None)
        return e

    # -- driving ------------------------------------------------------------
    def tool(self, *args, password="secret", timeout=60, env=None):
        e = self.env(password)
        e.update(env or {})
        p = subprocess.run([TOOL, self.conf] + list(args), capture_output=True, text=True,
                           env=e, timeout=timeout * SLOW)
        kv = {}
        for line in p.stdout.splitlines():
            k, _, v = line.partition("=")
            kv.setdefault(k, v)
        return p.returncode, kv, p

    def run(self, *args, timeout=90):
        p = subprocess.run([PROG, "-c", self.conf] + list(args), capture_output=True,
                           text=True, env=self.env(), timeout=timeout * SLOW)
        return p.returncode, p.stdout, p.stderr

    def sync(self, timeout=90):
        p = subprocess.run([PROG, "-c", self.conf, "sync"], capture_output=True, text=True,
                           env=self.env(), timeout=timeout * SLOW)
        return p.returncode, p.stdout, p.stderr

    def sync_start(self):
        return subprocess.Popen([PROG, "-c", self.conf, "sync"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env())

    def queue(self, number=INC1, sys_id=SYS1, n=1):
        rc, kv, p = self.tool("queue", number, sys_id, str(n))
        assert rc == 0, "queue failed: %s %s" % (p.stdout, p.stderr)
        return kv["sync_id"]

    def journal(self):
        return self.ctl.call("GET", "/__sn/journal")["entries"]

    def api_requests(self):
        """Logged requests to the Table API (not the test controls)."""
        return [r for r in self.ctl.requests() if r["path"].startswith("/api/")]

    def hold(self, next=1, hang_s=30):
        self.ctl.call("POST", "/__sn/hold", {"next": next, "hang_s": hang_s})

    def wait_for(self, pred, timeout=20, what="condition"):
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            if pred():
                return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for " + what)


def query_of(entry):
    return {k: v[0] for k, v in urllib.parse.parse_qs(entry["query"],
                                                       keep_blank_values=True).items()}


def run_tests(tests):
    """Run test functions in order; exit 0 when all pass, 1 otherwise."""
    failed = 0
    for t in tests:
        start = time.time()
        try:
            t()
            print("ok   %-50s %.1fs" % (t.__name__, time.time() - start), flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            import traceback
            print("FAIL %s: %s" % (t.__name__, e), flush=True)
            traceback.print_exc()
    print("%d tests, %d failed" % (len(tests), failed))
    sys.exit(1 if failed else 0)
