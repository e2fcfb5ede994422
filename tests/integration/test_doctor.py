#!/usr/bin/python3
"""test_doctor.py - `kigo-tui doctor` against the HTTPS fakes.

Starts the Kigo fake, the IdP fake and a ServiceNow stand-in (the
ServiceNow fake when it is there, else the echo server under /echo) on
loopback with a CA made by tests/fakes/testca.sh, then runs the real binary
in a pseudo-terminal of a chosen size and checks each line and the exit
status:
  - all good: exit 0, every line ok, the IdP names its device endpoint;
  - wrong CA: the service lines say certificate/verify, exit 69;
  - a 70x20 terminal: the terminal line fails, exit 75;
  - a state folder others can read: the state line says chmod 700, exit 78;
  - no terminal at all: the terminal line is skipped, exit 0;
  - a service that refuses connections, and an issuer without a discovery
    document: those lines fail, exit 69.
Exit 0 pass, 77 skip, anything else fail.
"""

import fcntl
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

ROOT = os.environ.get("KG_TEST_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
FAKES = os.path.join(ROOT, "tests", "fakes")
PROG = os.environ.get("PROG") or os.path.join(ROOT, "kigo-tui")
PY = "/usr/bin/python3"

procs = []


def start(tmp, script, *args):
    name = os.path.basename(script).replace(".py", "")
    port_file = os.path.join(tmp, "port-" + name)
    log = open(os.path.join(tmp, name + ".log"), "w")
    p = subprocess.Popen([PY, os.path.join(FAKES, script), "--cert",
                          os.path.join(tmp, "pki", "server.pem"), "--key",
                          os.path.join(tmp, "pki", "server.key"), "--port-file", port_file]
                         + list(args), stdout=log, stderr=log)
    procs.append(p)
    deadline = time.time() + 20
    while not os.path.exists(port_file):
        if p.poll() is not None or time.time() > deadline:
            raise SystemExit("%s did not start; see %s" % (script, log.name))
        time.sleep(0.02)
    with open(port_file) as f:
        return int(f.read())


def write_conf(tmp, name, sn_url, kigo_url, issuer, ca, state):
    path = os.path.join(tmp, name + ".conf")
    with open(path, "w") as f:
        f.write("[servicenow]\ninstance_url = %s\n[okta]\nissuer = %s\nclient_id = kigo-test\n"
                "[kigo]\napi_url = %s\n[tls]\nca_bundle = %s\n[storage]\nstate_dir = %s\n"
                "secrets = memory\n" % (sn_url, issuer, kigo_url, ca, state))
    return path


def env():
    e = dict(os.environ)
    e.update(TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    for k in ("NO_COLOR", "KIGO_TUI_CONFIG", "DBUS_SESSION_BUS_ADDRESS"):
        e.pop(k, None)
    return e


def run_pty(conf, cols=100, rows=30):
    """Run doctor with stdin/stdout/stderr on a pty of cols x rows."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    p = subprocess.Popen([PROG, "-c", conf, "doctor"], stdin=slave, stdout=slave, stderr=slave,
                         env=env(), start_new_session=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    rc = p.wait(timeout=60)
    os.close(master)
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    sys.stdout.write("--- doctor %dx%d (exit %d)\n%s" % (cols, rows, rc, text))
    return rc, text


def run_pipe(conf):
    p = subprocess.run([PROG, "-c", conf, "doctor"], stdin=subprocess.DEVNULL,
                       capture_output=True, env=env(), start_new_session=True, timeout=60)
    text = p.stdout.decode() + p.stderr.decode()
    sys.stdout.write("--- doctor, no terminal (exit %d)\n%s" % (p.returncode, text))
    return p.returncode, text


def line(text, name):
    for ln in text.splitlines():
        if ln.split(" ", 1)[0] == name:
            return ln
    raise AssertionError("no %s line in:\n%s" % (name, text))


def status(text, name):
    return line(text, name).split()[1]


def main():
    for tool in ("openssl",):
        if shutil.which(tool) is None:
            print("%s not installed" % tool)
            return 77
    tmp = tempfile.mkdtemp(prefix="kg-doctor-")
    try:
        subprocess.run(["sh", os.path.join(FAKES, "testca.sh"), os.path.join(tmp, "pki")],
                       check=True)
        ca = os.path.join(tmp, "pki", "ca.pem")
        kigo = start(tmp, "kigo_fake.py", "--customers", "5", "--big-tokens", "0",
                     "--catalog", "5")
        idp = start(tmp, "idp_fake.py")
        if os.path.exists(os.path.join(FAKES, "servicenow_fake.py")):
            sn_url = "https://127.0.0.1:%d" % start(tmp, "servicenow_fake.py")
        else:
            sn_url = "https://127.0.0.1:%d/echo" % start(tmp, "echo_server.py")
        kigo_url = "https://127.0.0.1:%d/api/v1" % kigo
        issuer = "https://127.0.0.1:%d" % idp
        state = os.path.join(tmp, "state")
        os.mkdir(state, 0o700)
        os.chmod(state, 0o700)
        good = write_conf(tmp, "good", sn_url, kigo_url, issuer, ca, state)

        # 1. everything fine
        rc, out = run_pty(good)
        assert rc == 0, "doctor should pass, exit %d" % rc
        for name in ("config", "tls", "servicenow", "kigo", "idp", "keyring", "clock",
                     "terminal", "state"):
            assert status(out, name) == "ok", line(out, name)
        assert good in line(out, "config")
        assert "/device" in line(out, "idp"), line(out, "idp")
        assert "1 certificate" in line(out, "tls") and "verified" in line(out, "tls")
        assert "100x30" in line(out, "terminal") and "UTF-8" in line(out, "terminal")
        assert "secrets = memory" in line(out, "keyring")
        assert "All checks passed." in out

        # 2. the wrong CA: every service line says why, in words
        wrong = write_conf(tmp, "wrongca", sn_url, kigo_url, issuer,
                           os.path.join(tmp, "pki", "otherca.pem"), state)
        rc, out = run_pty(wrong)
        assert rc == 69, "wrong CA: exit %d" % rc
        for name in ("servicenow", "kigo", "idp", "tls"):
            ln = line(out, name)
            assert status(out, name) == "FAIL", ln
            assert "certificate" in ln.lower() or "verify" in ln.lower(), ln
        assert "\x1b" not in out

        # 3. a terminal that is too small
        rc, out = run_pty(good, 70, 20)
        assert rc == 75, "small terminal: exit %d" % rc
        assert status(out, "terminal") == "FAIL" and "70x20" in line(out, "terminal")

        # 4. no terminal: skipped, the rest still passes
        rc, out = run_pipe(good)
        assert rc == 0, "no terminal: exit %d" % rc
        assert status(out, "terminal") == "skip", line(out, "terminal")

        # 5. a state folder others can read
        os.chmod(state, 0o755)
        rc, out = run_pty(good)
        assert rc == 78, "open state folder: exit %d" % rc
        assert "chmod 700" in line(out, "state"), line(out, "state")
        os.chmod(state, 0o700)

        # 6. a service that refuses connections and an issuer with no discovery document
        s = __import__("socket").socket()
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
        s.close()
        echo = start(tmp, "echo_server.py")
        broken = write_conf(tmp, "broken", sn_url, "https://127.0.0.1:%d/api/v1" % dead,
                            "https://127.0.0.1:%d/echo" % echo, ca, state)
        rc, out = run_pty(broken)
        assert rc == 69, "unreachable service: exit %d" % rc
        assert status(out, "kigo") == "FAIL" and "connect" in line(out, "kigo").lower()
        assert status(out, "idp") == "FAIL" and "discovery" in line(out, "idp")
        assert status(out, "servicenow") == "ok"

        # 7. secrets = auto without a session bus: memory, said plainly, still a pass
        auto = write_conf(tmp, "auto", sn_url, kigo_url, issuer, ca, state)
        with open(auto) as f:
            text = f.read().replace("secrets = memory", "secrets = auto")
        with open(auto, "w") as f:
            f.write(text)
        rc, out = run_pty(auto)
        assert status(out, "keyring") == "ok", line(out, "keyring")
        assert "no keyring answers" in line(out, "keyring"), line(out, "keyring")
        assert "secrets = file" in line(out, "keyring"), line(out, "keyring")

        # 8. a CA bundle that is not PEM: a configuration problem, nothing is probed
        junk = os.path.join(tmp, "junk.pem")
        with open(junk, "w") as f:
            f.write("not a certificate\n")
        rc, out = run_pty(write_conf(tmp, "junk", sn_url, kigo_url, issuer, junk, state))
        assert rc == 78, "junk CA: exit %d" % rc
        assert "no PEM certificate" in line(out, "tls")
        print("test_doctor: ok")
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
