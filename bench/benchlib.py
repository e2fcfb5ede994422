"""benchlib - what the benchmark figures share: statistics, the test
doubles on loopback (reusing tests/fakes: fakelib, kigo_fake, the
ServiceNow fake, idp_fake, tcpproxy, testca.sh), configurations, a logged-in
state, and the real binary in a pseudo-terminal with every byte it writes
timestamped and fed to a terminal emulator (pyte).

Not a benchmark itself; bench/bench.py and bench/figures.py use it.
"""

import fcntl
import json
import os
import select
import shutil
import signal
import ssl
import struct
import subprocess
import sys
import tempfile
import termios
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FAKES = os.path.join(ROOT, "tests", "fakes")
SCRIPTS = os.path.join(ROOT, "scripts")
PY = "/usr/bin/python3"
sys.path.insert(0, FAKES)
import fakelib  # noqa: E402

try:
    import pyte
except ImportError:   # scripts/deps.sh installs python3-pyte
    pyte = None

PROG = os.environ.get("PROG") or os.path.join(ROOT, "kigo-tui")
BUILD = os.environ.get("BUILD") or os.path.join(ROOT, "build")
# The data set: the Kigo fake and the ServiceNow seed are built from the same
# numbers (as scripts/demo.sh does), with the 5,000-token customer.
SEED_ARGS = ["--seed", "7", "--customers", "120", "--big-tokens", "5000", "--catalog", "80"]
JANE, BIG = "cus_8XK2", "cus_BIG1"
T_JANE, T_BIG = "INC0010001", "INC0010004"
COLS, ROWS = 100, 30


class NotAvailable(Exception):
    """This figure cannot be measured in this build; the message says why."""


# ------------------------------------------------------------------ statistics
def median(v):
    s = sorted(v)
    n = len(s)
    if n == 0:
        return None
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


def pct(v, p):
    s = sorted(v)
    if not s:
        return None
    i = int(round(p * (len(s) - 1)))
    return s[min(i, len(s) - 1)]


def now():
    return time.monotonic()


class Row:
    """One line of the table."""

    def __init__(self, fig, what, unit="ms", values=None, floor=None, target=None,
                 target_text="", better="lower", note="", na=None):
        self.fig, self.what, self.unit = fig, what, unit
        self.values = [v for v in (values or []) if v is not None]
        self.floor, self.target, self.target_text = floor, target, target_text
        self.better, self.note, self.na = better, note, na

    def median(self):
        return median(self.values) if self.values else None

    def verdict(self):
        m = self.median()
        if self.na or m is None:
            return "n/a"
        if self.target is None:
            return "report"
        ok = m <= self.target if self.better == "lower" else m >= self.target
        return "met" if ok else "NOT met"

    def as_dict(self):
        m = self.median()
        return {"figure": self.fig, "what": self.what, "unit": self.unit, "median": m,
                "min": min(self.values) if self.values else None,
                "max": max(self.values) if self.values else None, "runs": len(self.values),
                "values": self.values, "floor": self.floor,
                "ratio": (m / self.floor) if (m is not None and self.floor) else None,
                "target": self.target_text, "verdict": self.verdict(), "note": self.note,
                "na": self.na}


# ------------------------------------------------------------------ processes
class Proc:
    """A background helper (fake, proxy) reporting its port in a file."""

    def __init__(self, name, argv, tmp):
        self.name = name
        self.port_file = os.path.join(tmp, name + ".port")
        self.log = open(os.path.join(tmp, name + ".log"), "w")
        self.p = subprocess.Popen(argv + ["--port-file", self.port_file], stdout=self.log,
                                  stderr=self.log, stdin=subprocess.DEVNULL)
        deadline = now() + 30
        while not os.path.exists(self.port_file):
            if self.p.poll() is not None or now() > deadline:
                raise RuntimeError("%s did not start; see %s" % (name, self.log.name))
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


class Services:
    """The three doubles over HTTPS on loopback, optionally behind proxies."""

    def __init__(self, ctx):
        self.ctx = ctx
        tmp = ctx.tmp
        for f in ("servicenow_fake.py", "kigo_fake.py", "idp_fake.py", "tcpproxy.py"):
            if not os.path.exists(os.path.join(FAKES, f)):
                raise NotAvailable("tests/fakes/%s is not in this tree" % f)
        seed = os.path.join(tmp, "sn-seed.json")
        subprocess.run([PY, os.path.join(SCRIPTS, "demo_seed.py")] + SEED_ARGS + ["--out", seed],
                       check=True)
        tls = ["--cert", ctx.pki + "/server.pem", "--key", ctx.pki + "/server.key"]
        self.sn = Proc("servicenow", [PY, os.path.join(FAKES, "servicenow_fake.py"), "--seed",
                                      seed, "--permissive-bearer"] + tls, tmp)
        self.kigo = Proc("kigo", [PY, os.path.join(FAKES, "kigo_fake.py")] + SEED_ARGS +
                         ["--permissive"] + tls, tmp)
        self.idp = Proc("idp", [PY, os.path.join(FAKES, "idp_fake.py")] + tls, tmp)
        self.procs = [self.sn, self.kigo, self.idp]
        self.ports = {"sn": self.sn.port, "kigo": self.kigo.port, "idp": self.idp.port}

    def control(self, name):
        port = self.ports[name]
        return fakelib.Control("https://127.0.0.1:%d" % port, self.ctx.ca)

    def clear_logs(self):
        for n in self.ports:
            self.control(n).clear_requests()

    def logs(self):
        return {n: self.control(n).requests() for n in self.ports}

    def proxied(self, delay_ms, connect_rtt=False, tag="p", names=("sn", "kigo")):
        """tcpproxy in front of the doubles named: {name: port}.  The IdP
        stays direct by default: the saved login belongs to its issuer URL
        (a proxy port would be another issuer), and a logged-in launch does
        not contact it (its request log shows so)."""
        out, procs = {}, []
        for n, port in self.ports.items():
            if n not in names:
                continue
            argv = [PY, os.path.join(FAKES, "tcpproxy.py"), "--target", "127.0.0.1:%d" % port,
                    "--delay-ms", str(delay_ms)]
            if connect_rtt:
                argv.append("--connect-rtt")
            pr = Proc("%s-%s-%d" % (tag, n, len(self.ctx.procs)), argv, self.ctx.tmp)
            procs.append(pr)
            out[n] = pr.port
        self.ctx.procs.extend(procs)
        return out, procs

    def stop(self):
        for p in self.procs:
            p.stop()


def stop_all(procs):
    for p in procs:
        p.stop()


# ------------------------------------------------------------------ context
class Context:
    """One bench run: a temporary folder with a PKI, the doubles (started on
    first use), a logged-in tokens.json, state folders."""

    def __init__(self, customers_db, out, runs, keys):
        self.customers_db = customers_db
        self.out = out
        self.runs = max(1, runs)
        self.keys = keys
        os.makedirs(out, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="run.", dir=out)
        os.chmod(self.tmp, 0o700)
        self.pki = os.path.join(self.tmp, "pki")
        self.ca = os.path.join(self.pki, "ca.pem")
        self._svc = None
        self._tokens = None
        self._big = None
        self.procs = []
        self.n = 0
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)

    def bench_bin(self, name):
        p = os.path.join(BUILD, "bench", name)
        if not os.path.exists(p):
            raise NotAvailable("%s is not built (make bench builds it)" % p)
        return p

    def services(self):
        if self._svc is None:
            if not os.path.exists(self.ca):
                subprocess.run(["sh", os.path.join(FAKES, "testca.sh"), self.pki], check=True,
                               stdout=subprocess.DEVNULL)
            self._svc = Services(self)
        return self._svc

    def env(self):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("XDG_", "DBUS_", "KIGO_TUI_", "TMUX", "STY"))
             and k not in ("DISPLAY", "HOME", "NO_COLOR", "COLUMNS", "LINES")}
        e.update({"HOME": self.home, "TERM": "xterm-256color", "LANG": "C.UTF-8",
                  "LC_ALL": "C.UTF-8", "TZ": "UTC",
                  "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
                  "XDG_RUNTIME_DIR": os.path.join(self.tmp, "no-runtime-dir")})
        return e

    def config(self, state_dir, ports=None):
        """A configuration for the doubles (through `ports` when proxied)."""
        svc = self.services()
        p = dict(svc.ports)
        p.update(ports or {})
        self.n += 1
        path = os.path.join(self.tmp, "kigo-tui-%d.conf" % self.n)
        with open(path, "w") as f:
            f.write("[servicenow]\ninstance_url = https://127.0.0.1:%d\ntable = incident\n"
                    "journal_field = work_notes\nauth = okta\n"
                    "[okta]\nissuer = https://127.0.0.1:%d\nclient_id = kigo-test\n"
                    "scopes = openid profile offline_access\n"
                    "[kigo]\napi_url = https://127.0.0.1:%d/api/v1\n"
                    "[tls]\nca_bundle = %s\n[storage]\nstate_dir = %s\nsecrets = file\n"
                    % (p["sn"], p["idp"], p["kigo"], self.ca, state_dir))
        return path

    def _login(self):
        """Log in once through the real device flow (idp_fake approves on the
        second poll); later state folders get a copy of tokens.json."""
        st = self.state_dir("login")
        conf = self.config(st)
        # idp_fake: the first poll gets the tokens
        self.services().control("idp").call("POST", "/test/config", {"polls": ["ok"],
                                                                     "interval": 1})
        r = subprocess.run([PROG, "-c", conf, "login", "--no-qr"], capture_output=True,
                           text=True, env=self.env(), timeout=60)
        tok = os.path.join(st, "tokens.json")
        if r.returncode != 0 or not os.path.exists(tok):
            raise RuntimeError("login for the bench failed (exit %d): %s %s"
                               % (r.returncode, r.stdout, r.stderr))
        with open(tok, "rb") as f:
            self._tokens = f.read()

    def state_dir(self, name, logged_in=False, big=False):
        """A new state folder (0700); with logged_in, the saved tokens;
        with big, a copy of the 1,000,000-customer database."""
        d = os.path.join(self.tmp, "state-%s-%d" % (name, self.n))
        self.n += 1
        os.makedirs(d, mode=0o700)
        if big:
            if not os.path.exists(self.customers_db):
                raise NotAvailable("no customer database at %s" % self.customers_db)
            subprocess.run(["cp", "--reflink=auto", self.customers_db,
                            os.path.join(d, "kigo-tui.db")], check=True)
            os.chmod(os.path.join(d, "kigo-tui.db"), 0o600)
        if logged_in:
            if self._tokens is None:
                self._login()
            fd = os.open(os.path.join(d, "tokens.json"), os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, self._tokens)
            os.close(fd)
        return d

    def close(self):
        stop_all(self.procs)
        if self._svc is not None:
            self._svc.stop()
        if os.environ.get("KIGO_BENCH_KEEP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)


# ------------------------------------------------------------------ the pty
def tui_available():
    """Whether `kigo-tui TICKET` is the full-screen client in this build."""
    r = subprocess.run([PROG, "--offline", "-c", "/dev/null", "INC0000001"], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=20)
    return "not available in this build" not in (r.stdout + r.stderr)


class Tty:
    """The real binary in a pseudo-terminal of COLS x ROWS.

    t0 is taken just before the fork; every read is (time, bytes).  The
    screen (pyte) is fed as bytes arrive, after their time was taken."""

    def __init__(self, argv, env, cols=COLS, rows=ROWS):
        if pyte is None:
            raise NotAvailable("python3-pyte is not installed (make deps)")
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.chunks = []
        self.total = 0
        self.closed = False
        self.t0 = now()
        pid, fd = os.forkpty()
        if pid == 0:
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd

    def _read(self, timeout):
        """One read (at most timeout seconds); returns its time or None."""
        if self.closed:
            return None
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not r:
            return None
        t = now()
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return None
        self.chunks.append((t, data))
        self.total += len(data)
        self.stream.feed(data)
        return t

    def text(self):
        return "\n".join(self.screen.display)

    def wait_for(self, pred, timeout=30.0):
        """Read until pred(self) holds; the time of the read that made it so."""
        deadline = now() + timeout
        if pred(self):
            return self.chunks[-1][0] if self.chunks else now()
        while now() < deadline and not self.closed:
            t = self._read(deadline - now())
            if t is not None and pred(self):
                return t
        raise TimeoutError("screen never matched; it shows:\n" + self.text())

    def settle(self, quiet=0.015, timeout=10.0):
        """Read until nothing came for `quiet` s: (bytes, time of the last read)."""
        n0 = self.total
        last = None
        deadline = now() + timeout
        while now() < deadline:
            t = self._read(quiet)
            if t is None:
                break
            last = t
        return self.total - n0, last

    def key(self, data, quiet=0.015, timeout=10.0):
        """Write a key, wait for the output to settle: (latency s, bytes).
        latency None when nothing was written back."""
        t = now()
        os.write(self.fd, data)
        n, last = self.settle(quiet, timeout)
        return (last - t if last is not None else None), n

    def alive(self):
        return os.waitpid(self.pid, os.WNOHANG) == (0, 0)

    def close(self, keys=b"q", timeout=5.0):
        """Quit with `keys`; kill if it does not end.  Returns the exit status."""
        try:
            if keys:
                os.write(self.fd, keys)
            deadline = now() + timeout
            while now() < deadline:
                self._read(0.05)
                pid, st = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    return os.waitstatus_to_exitcode(st)
            os.kill(self.pid, signal.SIGKILL)
            _, st = os.waitpid(self.pid, 0)
            return os.waitstatus_to_exitcode(st)
        finally:
            try:
                os.close(self.fd)
            except OSError:
                pass


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            k, _, v = ln.partition(":")
            out[k] = v.strip()
    return out


def proc_cpu_ms(pid):
    """User + system CPU time of a process so far, in ms (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def https_get(url, cafile, headers=None):
    ctx = ssl.create_default_context(cafile=cafile)
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        return json.loads(r.read() or b"null")
