"""loginlib - shared pieces of the test_login_* integration tests: a PKI
made at test time, the real OpenID provider (tests/oidc/server.mjs) or the
small fake (tests/fakes/idp_fake.py), a configuration file, and the real
kigo-tui binary run with a private HOME and no session bus.

Not a test itself (tests/run-tests.sh runs test_* only).
"""

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.environ.get("KG_TEST_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FAKES = os.path.join(ROOT, "tests", "fakes")
PROG = os.environ.get("PROG") or os.path.join(ROOT, "kigo-tui")
# Under `make valgrind` (KG_VALGRIND=1) every process is 10-50x slower: waits
# (never checks) stretch by KG_SLOW (default 8 there, 1 otherwise).
SLOW = float(os.environ.get("KG_SLOW") or (8 if os.environ.get("KG_VALGRIND") else 1))
SKIP = 77


def have_oidc_provider():
    return shutil.which("node") is not None and os.path.isdir(
        os.path.join(ROOT, "tests", "oidc", "node_modules", "oidc-provider"))


class Env:
    """A temp dir with a PKI, servers, a config and helpers to run kigo-tui."""

    def __init__(self, prefix="kg-login-"):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.pki = os.path.join(self.tmp, "pki")
        subprocess.run(["sh", os.path.join(FAKES, "testca.sh"), self.pki], check=True)
        self.ca = os.path.join(self.pki, "ca.pem")
        self.procs = []
        self.base = None
        self.state_dir = os.path.join(self.tmp, "state")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)

    # -- servers ---------------------------------------------------------
    def start(self, script, cert="server", extra=()):
        """Start tests/fakes/SCRIPT (idp_fake.py or oidc_server.py)."""
        port_file = os.path.join(self.tmp, "port-%d" % len(self.procs))
        log = open(os.path.join(self.tmp, "server-%d.log" % len(self.procs)), "w")
        proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(FAKES, script),
             "--cert", os.path.join(self.pki, cert + ".pem"),
             "--key", os.path.join(self.pki, cert + ".key"),
             "--port-file", port_file] + list(extra),
            stdout=log, stderr=log)
        self.procs.append(proc)
        deadline = time.time() + 15
        while not os.path.exists(port_file):
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit("%s did not start; see %s" % (script, log.name))
            time.sleep(0.05)
        with open(port_file) as f:
            self.base = "https://127.0.0.1:%d" % int(f.read())
        return self.base

    def call(self, method, path, body=None):
        ctx = ssl.create_default_context(cafile=self.ca)
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    # -- configuration and the binary ------------------------------------
    def config(self, secrets="file", issuer=None, ca=None, name="kigo-tui.conf", client_id="kigo-test"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write("[okta]\nissuer = %s\nclient_id = %s\nscopes = openid profile offline_access\n"
                    "[tls]\nca_bundle = %s\n[storage]\nstate_dir = %s\nsecrets = %s\n"
                    % (issuer or self.base, client_id, ca or self.ca, self.state_dir, secrets))
        return path

    def env(self, extra=None, bus=False):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("XDG_", "DBUS_", "KIGO_TUI_")) and k not in ("DISPLAY", "HOME")}
        e.update({"HOME": self.home, "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
                  "XDG_STATE_HOME": os.path.join(self.home, ".local", "state"),
                  "XDG_RUNTIME_DIR": os.path.join(self.tmp, "no-runtime-dir")})
        if bus:
            for k in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
                if k in os.environ:
                    e[k] = os.environ[k]
        if extra:
            e.update(extra)
        return e

    def run(self, conf, *args, env=None, timeout=60):
        return subprocess.run([PROG, "-c", conf] + list(args), capture_output=True, text=True,
                              env=env or self.env(), timeout=timeout * SLOW)

    def login(self, conf, action="approve", args=("--no-qr",), env=None, timeout=60):
        """Run `login`, read URL and Code from its stdout, then approve or
        deny (action None: do nothing).  Returns (rc, stdout, stderr, code)."""
        p = subprocess.Popen([PROG, "-c", conf, "login"] + list(args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env or self.env())
        out_lines, code = [], None
        deadline = time.time() + timeout * SLOW
        while code is None:
            line = p.stdout.readline()
            if not line:
                break
            out_lines.append(line)
            if line.startswith("Code: "):
                code = line[len("Code: "):].strip()
            if time.time() > deadline:
                break
        if code is not None and action is not None:
            self.approve(code, action)
        try:
            rest, err = p.communicate(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            p.kill()
            rest, err = p.communicate()
            raise AssertionError("login did not end; stderr: " + err)
        return p.returncode, "".join(out_lines) + rest, err, code

    def approve(self, code, action="approve"):
        """oidc-provider's test route, or the fake's poll script."""
        if self.kind == "oidc":
            self.call("POST", "/test/%s?user_code=%s" % (action, code))

    def saved(self):
        with open(os.path.join(self.state_dir, "tokens.json")) as f:
            return json.load(f)

    def close(self):
        for p in self.procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    kind = "oidc"


def main(fn):
    """Run fn(), print ok, map a skip to 77."""
    try:
        rc = fn()
    except AssertionError as e:
        print("FAIL:", e)
        raise
    if rc == SKIP:
        return SKIP
    print("ok")
    return 0


def check(cond, what):
    if not cond:
        raise AssertionError(what)


if __name__ == "__main__":
    sys.exit("loginlib is a helper module, not a test")
