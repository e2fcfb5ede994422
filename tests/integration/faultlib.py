"""faultlib - shared pieces of the hardening tests (test_faults*, test_crash*,
test_secrets*): a PKI made at test time, the fakes (Kigo, IdP, ServiceNow)
behind an optional fault proxy (tests/fakes/tcpproxy.py), a configuration
file in a temp dir, the real kigo-tui binary run with a private HOME and no
session bus, and a tmux driver for the full-screen client that also records
the raw bytes written to the terminal.

Not a test itself (tests/run-tests.sh runs test_* only).

    env = Env("kg-faults-")
    idp = env.fake("idp_fake.py")                 # a Fake: .base .port .ctl
    kigo = env.fake("kigo_fake.py", args=["--permissive"])
    px = env.proxy(idp.port, "--stall")           # port of a tcpproxy
    conf = env.config(okta=idp.base, kigo=kigo.base)
    r = env.run(conf, "login", "--no-qr")         # Result: rc out err secs
    env.close()

A fake started with clock_offset=S sees time.time() shifted by S seconds
(its Date header and every timestamp it makes), without touching the fake.
"""

import json
import os
import shutil
import signal
import sqlite3  # noqa: F401 - for the tests
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.environ.get("KG_TEST_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FAKES = os.path.join(ROOT, "tests", "fakes")
PROG = os.environ.get("PROG") or os.path.join(ROOT, "kigo-tui")
# Under `make valgrind` (KG_VALGRIND=1) every process is 10-50x slower: waits
# (never checks) stretch by KG_SLOW (default 8 there, 1 otherwise).
SLOW = float(os.environ.get("KG_SLOW") or (8 if os.environ.get("KG_VALGRIND") else 1))
PY = "/usr/bin/python3"
SKIP = 77
sys.path.insert(0, FAKES)
import fakelib  # noqa: E402

# Runs a fake with time.time() shifted (argv: OFFSET SCRIPT ARGS...).
_SHIFT = ("import runpy, sys, time\n"
          "off = float(sys.argv[1]); real = time.time\n"
          "time.time = lambda: real() + off\n"
          "sys.argv = sys.argv[2:]\n"
          "sys.path.insert(0, __import__('os').path.dirname(sys.argv[0]))\n"
          "runpy.run_path(sys.argv[0], run_name='__main__')\n")


class Result:
    def __init__(self, rc, out, err, secs):
        self.rc, self.out, self.err, self.secs = rc, out, err, secs

    def __repr__(self):
        return "exit %s after %.1fs\n--- stdout\n%s--- stderr\n%s" % (
            self.rc, self.secs, self.out, self.err)


class Fake:
    def __init__(self, proc, port, cafile, log):
        self.proc, self.port, self.log = proc, port, log
        self.base = "https://127.0.0.1:%d" % port
        self.ctl = fakelib.Control(self.base, cafile)

    def call(self, method, path, obj=None):
        return self.ctl.call(method, path, obj)


def _wait_port(proc, port_file, what, log):
    deadline = time.time() + 20
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit("%s did not start; see %s" % (what, log))
        time.sleep(0.03)
    with open(port_file) as f:
        return int(f.read())


class Env:
    """A temp dir with a PKI, servers, a config and helpers to run kigo-tui."""

    def __init__(self, prefix="kg-hard-"):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.pki = os.path.join(self.tmp, "pki")
        subprocess.run(["sh", os.path.join(FAKES, "testca.sh"), self.pki], check=True)
        self.ca = os.path.join(self.pki, "ca.pem")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.procs = []
        self.n = 0
        self.lock = threading.Lock()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def _serial(self):
        with self.lock:
            self.n += 1
            return self.n

    # -- servers ---------------------------------------------------------
    def fake(self, script, cert="server", args=(), clock_offset=None):
        """Start tests/fakes/SCRIPT over HTTPS with the test PKI."""
        n = self._serial()
        port_file = self.path("port-%d" % n)
        log = self.path("fake-%d-%s.log" % (n, script))
        cmd = [os.path.join(FAKES, script), "--cert", os.path.join(self.pki, cert + ".pem"),
               "--key", os.path.join(self.pki, cert + ".key"), "--port-file", port_file]
        cmd += list(args)
        if clock_offset is not None:
            cmd = [PY, "-c", _SHIFT, str(clock_offset)] + cmd
        else:
            cmd = [PY] + cmd
        with open(log, "w") as lf:
            proc = subprocess.Popen(cmd, stdout=lf, stderr=lf, cwd=FAKES)
        self.procs.append(proc)
        return Fake(proc, _wait_port(proc, port_file, script, log), self.ca, log)

    def proxy(self, target_port, *opts):
        """Start tcpproxy.py in front of 127.0.0.1:target_port; its port."""
        n = self._serial()
        port_file = self.path("proxy-%d" % n)
        log = self.path("proxy-%d.log" % n)
        with open(log, "w") as lf:
            proc = subprocess.Popen([PY, os.path.join(FAKES, "tcpproxy.py"), "--target",
                                     "127.0.0.1:%d" % target_port, "--port-file", port_file]
                                    + list(opts), stdout=lf, stderr=lf)
        self.procs.append(proc)
        return _wait_port(proc, port_file, "tcpproxy", log)

    def stop(self, fake):
        fake.proc.terminate()
        try:
            fake.proc.wait(5)
        except subprocess.TimeoutExpired:
            fake.proc.kill()

    # -- configuration and the binary ------------------------------------
    def config(self, name="kigo-tui.conf", okta=None, kigo=None, sn=None, ca=None,
               state_dir=None, secrets="file", sn_auth="basic", extra=""):
        """Write a configuration; unset services are left out."""
        path = self.path(name)
        state_dir = state_dir or self.path("state")
        text = ""
        if sn:
            text += ("[servicenow]\ninstance_url = %s\ntable = incident\n"
                     "journal_field = work_notes\nauth = %s\n" % (sn, sn_auth))
            if sn_auth == "basic":
                text += "username = admin\n"
        if okta:
            text += ("[okta]\nissuer = %s\nclient_id = kigo-test\n"
                     "scopes = openid profile offline_access\n" % okta)
        if kigo:
            text += "[kigo]\napi_url = %s\n" % kigo
        text += ("[tls]\nca_bundle = %s\n[storage]\nstate_dir = %s\nsecrets = %s\n"
                 % (ca or self.ca, state_dir, secrets)) + extra
        with open(path, "w") as f:
            f.write(text)
        return path

    def env(self, extra=None):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("XDG_", "DBUS_", "KIGO_TUI_", "TMUX")) and
             k not in ("DISPLAY", "HOME")}
        e.update({"HOME": self.home, "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
                  "XDG_STATE_HOME": os.path.join(self.home, ".local", "state"),
                  "XDG_RUNTIME_DIR": self.path("no-runtime-dir"),
                  "KIGO_TUI_SN_PASSWORD": "secret"})
        if extra:
            e.update(extra)
        return e

    def run(self, conf, *args, env=None, timeout=90, stdin=subprocess.DEVNULL):
        start = time.time()
        try:
            p = subprocess.run([PROG, "-c", conf] + list(args), capture_output=True, text=True,
                               env=env or self.env(), timeout=timeout * SLOW, stdin=stdin,
                               errors="replace")
        except subprocess.TimeoutExpired as e:
            return Result(None, _s(e.stdout), _s(e.stderr), time.time() - start)
        return Result(p.returncode, p.stdout, p.stderr, time.time() - start)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        if os.environ.get("KG_KEEP_TMP"):
            print("kept", self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _s(b):
    if b is None:
        return ""
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else b


# -- the whole stack ----------------------------------------------------------
SEED_ARGS = ["--seed", "7", "--customers", "120", "--big-tokens", "400", "--catalog", "80"]
JANE = "cus_8XK2"            # INC0010001's caller (tests/fakes/seed.py JANE_ID)


def tui_in_build():
    return os.path.exists(os.path.join(ROOT, "src", "ui.c"))


class Stack:
    """The three fakes (the demo data: scripts/demo_seed.py), a logged-in
    user (idp_fake approves at once) and a config, in env.  sn_seed_edit(d)
    may change the ServiceNow seed (users, tickets) before it is loaded."""

    def __init__(self, env, name="stack", sn_seed_edit=None, secrets="file", kigo_url=None,
                 sn_url=None, idp_url=None):
        self.env = env
        seed_file = env.path(name + "-sn-seed.json")
        subprocess.run([PY, os.path.join(ROOT, "scripts", "demo_seed.py")] + SEED_ARGS +
                       ["--out", seed_file], check=True)
        if sn_seed_edit:
            with open(seed_file) as f:
                data = json.load(f)
            sn_seed_edit(data)
            with open(seed_file, "w") as f:
                json.dump(data, f)
        self.sn = env.fake("servicenow_fake.py", args=["--seed", seed_file,
                                                        "--permissive-bearer"])
        self.kigo = env.fake("kigo_fake.py", args=SEED_ARGS + ["--permissive"])
        self.idp = env.fake("idp_fake.py")
        self.idp.call("POST", "/test/config", {"polls": ["ok"], "interval": 1})
        self.state = env.path(name + "-state")
        self.conf = env.config(name=name + ".conf", sn=sn_url or self.sn.base, sn_auth="okta",
                               kigo=(kigo_url or self.kigo.base) + "/api/v1",
                               okta=idp_url or self.idp.base, state_dir=self.state,
                               secrets=secrets)

    def login(self):
        r = self.env.run(self.conf, "login", "--no-qr")
        check(r.rc == 0, "login: %r" % r)
        return self.idp.call("GET", "/test/state")

    def kigo_get(self, path):
        import urllib.request
        import ssl
        rq = urllib.request.Request(self.kigo.base + "/api/v1" + path,
                                    headers={"Authorization": "Bearer test"})
        ctx = ssl.create_default_context(cafile=self.env.ca)
        with urllib.request.urlopen(rq, context=ctx, timeout=10) as r:
            return json.loads(r.read())

    def tui(self, *args, width=100, height=30, extra_env=None):
        e = self.env.env(dict({"TERM": "xterm-256color", "LANG": "C.UTF-8",
                               "LC_ALL": "C.UTF-8", "TZ": "UTC"}, **(extra_env or {})))
        e.pop("NO_COLOR", None)
        return Tmux(self.env, [PROG, "-c", self.conf] + list(args), e, width, height)


# -- the full-screen client in tmux ---------------------------------------
class Tmux:
    """A private tmux server (its own socket) running one command in an
    80x24 (or given) window.  raw() is every byte the program wrote to its
    terminal (tmux pipe-pane), screen() the rendered text."""

    def __init__(self, env, cmd, proc_env, width=100, height=30):
        if shutil.which("tmux") is None:
            raise Skip("tmux is not installed")
        self.sock = env.path("tmux-%d.sock" % env._serial())
        self.rawfile = self.sock + ".raw"
        self.env = proc_env
        script = env.path("tmux-cmd-%d.sh" % env._serial())
        with open(script, "w") as f:
            f.write("#!/bin/sh\nexec " + " ".join(_shq(a) for a in cmd) + "\n")
        os.chmod(script, 0o700)
        envargs = []
        for k, v in proc_env.items():
            envargs += ["-e", "%s=%s" % (k, v)]
        self.rcfile = self.sock + ".rc"
        go = self.sock + ".go"
        # the program starts once pipe-pane records: no byte escapes raw()
        self._tmux("-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y",
                   str(height), *envargs, "sh", "-c",
                   "stty -ixon; while [ ! -e %s ]; do sleep 0.02; done; %s; echo $? > %s; "
                   "sleep 600" % (_shq(go), _shq(script), _shq(self.rcfile)))
        self._tmux("set-option", "-g", "remain-on-exit", "on")
        self._tmux("pipe-pane", "-o", "cat >> %s" % _shq(self.rawfile))
        with open(go, "w"):
            pass

    def _tmux(self, *args, check=True):
        e = dict(self.env)
        e.pop("TMUX", None)
        return subprocess.run(["tmux", "-S", self.sock] + list(args), capture_output=True,
                              text=True, check=check, env=e)

    def keys(self, *keys, literal=False):
        for k in keys:
            if literal:
                self._tmux("send-keys", "-l", k)
            else:
                self._tmux("send-keys", k)

    def type(self, text):
        self._tmux("send-keys", "-l", text)

    def screen(self, escapes=False):
        args = ["capture-pane", "-p"] + (["-e"] if escapes else [])
        return self._tmux(*args, check=False).stdout

    def raw(self):
        try:
            with open(self.rawfile, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def rc(self, timeout=20):
        """The program's exit status, once it has ended."""
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            try:
                with open(self.rcfile) as f:
                    data = f.read().strip()
                if data:
                    return int(data)
            except FileNotFoundError:
                pass
            time.sleep(0.1)
        raise AssertionError("the program did not end; screen:\n" + self.screen())

    def prog_pid(self):
        """pid of the program (the child of the pane's shell)."""
        pane = self.pid()
        if pane is None:
            return None
        kids = subprocess.run(["pgrep", "-P", str(pane)], capture_output=True,
                              text=True).stdout.split()
        return int(kids[0]) if kids else None

    def title(self):
        return self._tmux("display-message", "-p", "#{pane_title}", check=False).stdout.strip()

    def pid(self):
        out = self._tmux("display-message", "-p", "#{pane_pid}", check=False).stdout.strip()
        return int(out) if out.isdigit() else None

    def dead(self):
        out = self._tmux("display-message", "-p", "#{pane_dead}", check=False).stdout.strip()
        return out == "1"

    def wait_for(self, pred, timeout=20, what="screen text"):
        """pred: a string (must appear on screen) or a function of the screen."""
        deadline = time.time() + timeout * SLOW
        scr = ""
        while time.time() < deadline:
            scr = self.screen()
            if (pred in scr) if isinstance(pred, str) else pred(scr):
                return scr
            time.sleep(0.1)
        raise AssertionError("timed out waiting for %s; screen:\n%s" % (
            pred if isinstance(pred, str) else what, scr))

    def close(self):
        self._tmux("kill-server", check=False)


def _shq(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


# -- running tests ---------------------------------------------------------
class Skip(Exception):
    pass


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def run_cases(cases, jobs=1):
    """cases: [(name, fn)].  Runs them (jobs at a time), prints one line
    each, returns 0 when all pass, 77 when all skipped, 1 otherwise."""
    results = {}

    def one(name, fn):
        start = time.time()
        try:
            fn()
            results[name] = ("ok", time.time() - start, "")
        except Skip as e:
            results[name] = ("skip", time.time() - start, str(e))
        except AssertionError as e:
            results[name] = ("FAIL", time.time() - start, str(e))
        except Exception as e:  # noqa: BLE001 - report every failure
            import traceback
            results[name] = ("FAIL", time.time() - start,
                             "%s\n%s" % (e, traceback.format_exc()))
        st, secs, why = results[name]
        print("%-4s %-44s %5.1fs %s" % (st, name, secs, why if st != "ok" else ""), flush=True)

    if jobs <= 1:
        for name, fn in cases:
            one(name, fn)
    else:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(jobs) as ex:
            list(ex.map(lambda c: one(*c), cases))
    states = [r[0] for r in results.values()]
    failed = states.count("FAIL")
    print("%d cases, %d failed, %d skipped" % (len(states), failed, states.count("skip")))
    if failed:
        return 1
    if states and all(s == "skip" for s in states):
        return SKIP
    return 0


def wait_until(pred, timeout=20, what="condition"):
    deadline = time.time() + timeout * SLOW
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def read_json(path):
    with open(path) as f:
        return json.load(f)


if __name__ == "__main__":
    sys.exit("faultlib is a helper module, not a test")
