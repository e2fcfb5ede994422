"""stacklib - the whole stack for integration tests: a PKI made at test
time, the ServiceNow fake, the Kigo fake and the demo IdP (approving device
codes by itself) on loopback over HTTPS, a configuration pointing at them,
and the real kigo-tui driven in tmux (private socket) or run as a command.

    with Stack() as st:                 # everything stopped and removed at exit
        st.tui("INC0010001")            # full-screen client in tmux, 100x30
        st.wait_for("Tokens of Jane Doe")
        st.keys("d"); st.type("reason"); st.keys("Enter")
        st.run("stats", "--json")       # -> CompletedProcess
        st.sn.fault("503", path="/api/now/table/incident", method="PATCH")

The data set is the demo's (scripts/demo_seed.py, the same numbers for both
fakes): INC0010001's caller is Jane Doe (cus_8XK2, tokens in every status).
Not a test itself (tests/run-tests.sh runs test_* only).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("KG_TEST_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FAKES = os.path.join(ROOT, "tests", "fakes")
sys.path.insert(0, FAKES)
import fakelib  # noqa: E402

PROG = os.environ.get("PROG") or os.path.join(ROOT, "kigo-tui")
# Under `make valgrind` (KG_VALGRIND=1) every process is 10-50x slower: waits
# (never checks) stretch by KG_SLOW (default 8 there, 1 otherwise).
SLOW = float(os.environ.get("KG_SLOW") or (8 if os.environ.get("KG_VALGRIND") else 1))
PY = "/usr/bin/python3"
SEED_ARGS = ["--seed", "7", "--customers", "120", "--big-tokens", "400", "--catalog", "80"]
SKIP = 77


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Stack:
    def __init__(self, secrets="file", approve_after=0.3, size=(100, 30), prefix="kg-stack-"):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.pki = os.path.join(self.tmp, "pki")
        self.state_dir = os.path.join(self.tmp, "state")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.procs = []
        self.size = size
        self.tmux_name = "kgst%d" % os.getpid()
        self.tmux_started = False
        subprocess.run(["sh", os.path.join(FAKES, "testca.sh"), self.pki], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ca = os.path.join(self.pki, "ca.pem")
        seed = os.path.join(self.tmp, "servicenow-seed.json")
        subprocess.run([PY, os.path.join(ROOT, "scripts", "demo_seed.py")] + SEED_ARGS +
                       ["--out", seed], check=True)
        sn = self._start("servicenow", os.path.join(FAKES, "servicenow_fake.py"),
                         ["--seed", seed, "--permissive-bearer"])
        kigo = self._start("kigo", os.path.join(FAKES, "kigo_fake.py"),
                           SEED_ARGS + ["--permissive"])
        idp = self._start("idp", os.path.join(ROOT, "scripts", "demo_idp.py"),
                          ["--approve-after", str(approve_after)])
        self.sn_url = "https://127.0.0.1:%d" % sn
        self.kigo_url = "https://127.0.0.1:%d" % kigo
        self.idp_url = "https://127.0.0.1:%d" % idp
        self.sn = fakelib.Control(self.sn_url, self.ca)
        self.kigo = fakelib.Control(self.kigo_url, self.ca)
        self.conf = os.path.join(self.tmp, "kigo-tui.conf")
        with open(self.conf, "w") as f:
            f.write("[servicenow]\ninstance_url = %s\ntable = incident\n"
                    "journal_field = work_notes\nauth = okta\n"
                    "[okta]\nissuer = %s\nclient_id = kigo-test\n"
                    "scopes = openid profile offline_access\n"
                    "[kigo]\napi_url = %s/api/v1\n"
                    "[tls]\nca_bundle = %s\n"
                    "[storage]\nstate_dir = %s\nsecrets = %s\n"
                    % (self.sn_url, self.idp_url, self.kigo_url, self.ca, self.state_dir,
                       secrets))

    # -- servers ---------------------------------------------------------
    def _start(self, name, script, extra):
        port_file = os.path.join(self.tmp, name + ".port")
        log = open(os.path.join(self.tmp, name + ".log"), "w")
        proc = subprocess.Popen(
            [PY, script, "--cert", os.path.join(self.pki, "server.pem"),
             "--key", os.path.join(self.pki, "server.key"), "--port-file", port_file] + extra,
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        deadline = time.time() + 20
        while not os.path.exists(port_file):
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit("%s did not start; see %s" % (name, log.name))
            time.sleep(0.05)
        with open(port_file) as f:
            return int(f.read())

    # -- the binary as a command -------------------------------------------
    def env(self):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("KIGO_TUI", "DBUS_", "XDG_"))}
        e.update({"HOME": self.home, "TZ": "UTC", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                  "TERM": "xterm-256color", "NCURSES_NO_UTF8_ACS": "1"})
        e.pop("NO_COLOR", None)
        return e

    def run(self, *args, timeout=60):
        return subprocess.run([PROG, "-c", self.conf] + list(args), env=self.env(),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout * SLOW)

    def login(self):
        r = self.run("login", "--no-qr")
        check(r.returncode == 0, "login failed: %s %s" % (r.stdout, r.stderr))

    # -- the full-screen client in tmux ---------------------------------------
    def _tmux(self, *args, check_rc=True):
        return subprocess.run(["tmux", "-L", self.tmux_name, "-f", "/dev/null"] + list(args),
                              capture_output=True, text=True, check=check_rc)

    def tui(self, *args, extra_env=None):
        """Start kigo-tui ARGS in a fresh tmux session; its exit status goes to tui.rc."""
        env = self.env()
        env.update(extra_env or {})
        self.rc_file = os.path.join(self.tmp, "tui.rc")
        cmd = " ".join(["exec", "env", "-i"] +
                       ["%s=%s" % (k, shq(v)) for k, v in sorted(env.items())] +
                       ["sh", "-c", shq('"$0" "$@"; echo $? > %s; sleep 600' % self.rc_file),
                        shq(PROG), "-c", shq(self.conf)] + [shq(a) for a in args])
        if os.path.exists(self.rc_file):
            os.unlink(self.rc_file)
        if self.tmux_started:
            self._tmux("kill-server", check_rc=False)
        # a server still going away after kill-server makes new-session fail
        # ("server exited unexpectedly"): try again
        for attempt in range(20):
            r = self._tmux("new-session", "-d", "-x", str(self.size[0]), "-y",
                           str(self.size[1]), cmd, check_rc=attempt == 19)
            if r.returncode == 0:
                break
            time.sleep(0.1)
        self.tmux_started = True

    def screen(self):
        return self._tmux("capture-pane", "-p").stdout

    def history(self):
        return self._tmux("capture-pane", "-p", "-S", "-200").stdout

    def wait_for(self, text, timeout=20.0):
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            s = self.screen()
            if text in s:
                return s
            time.sleep(0.1)
        raise Failure("timed out waiting for %r; screen:\n%s" % (text, self.screen()))

    def keys(self, *keys):
        self._tmux("send-keys", *keys)

    def type(self, text):
        self._tmux("send-keys", "-l", text)

    def tui_rc(self, timeout=15.0):
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            if os.path.exists(self.rc_file):
                with open(self.rc_file) as f:
                    data = f.read().strip()
                if data:
                    return int(data)
            time.sleep(0.1)
        raise Failure("kigo-tui did not exit; screen:\n%s" % self.screen())

    # -- teardown -------------------------------------------------------
    def close(self):
        if self.tmux_started:
            self._tmux("kill-server", check_rc=False)
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def shq(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


def main(fn):
    """Run fn() as a test: 0 pass, 1 fail, 77 skip (when the stack is not there)."""
    for f in ("servicenow_fake.py", "kigo_fake.py", "idp_fake.py"):
        if not os.path.exists(os.path.join(FAKES, f)):
            print("tests/fakes/%s is not in this tree" % f)
            sys.exit(SKIP)
    if not os.path.exists(os.path.join(ROOT, "src", "ui.c")):
        print("the full-screen client (src/ui.c) is not in this tree")
        sys.exit(SKIP)
    if shutil.which("tmux") is None:
        print("tmux missing: run make deps")
        sys.exit(1)
    try:
        fn()
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    print("ok")
    sys.exit(0)
