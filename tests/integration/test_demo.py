#!/usr/bin/python3
"""test_demo.py - `make demo` end to end: scripts/demo.sh in tmux.

Runs scripts/demo.sh (the real binary, the three stand-ins, a throw-away CA
and state folder) in a private tmux server of 100x30, then checks:
  - the real device-code login screen appears with the demo's own
    verification page, and the demo IdP approves it by itself;
  - the banner of the seeded ticket INC0010001 (its caller's words) appears;
  - `q` quits, demo.sh exits 0, every stand-in it started is gone and its
    temporary folder removed;
  - a second run (TICKET INC0010002) works too, and killing its terminal
    (SIGHUP, an interrupted demo) leaves nothing running either.
Skipped (77) while the full-screen client is not in this build (the binary
says "not available in this build yet") or a fake is missing.
Exit 0 pass, 77 skip, anything else fail.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("KG_TEST_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
PROG = os.environ.get("PROG") or os.path.join(ROOT, "kigo-tui")
# one private tmux server per demo run (a killed server's socket may linger)
SOCK = ["kgdemo-%d-0" % os.getpid()]


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", SOCK[0]] + list(args), capture_output=True,
                          text=True, check=check)


def screen():
    r = tmux("capture-pane", "-p", check=False)
    return r.stdout if r.returncode == 0 else ""


def wait_for(pred, what, timeout=25.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = screen()
        if pred(s):
            return s
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s; the screen:\n%s" % (what, screen()))


def nospace(s):
    """The screen without spaces: the login screen spaces out the user code."""
    return "".join(s.split())


def read_info(path):
    dirs, pids = [], {}
    if os.path.exists(path):
        with open(path) as f:
            for ln in f:
                parts = ln.split()
                if parts[:1] == ["dir"]:
                    dirs.append(parts[1])
                elif parts[:1] == ["pid"]:
                    pids[parts[1]] = int(parts[2])
    return dirs, pids


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not running: look at its state
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def assert_all_gone(info, timeout=15.0):
    dirs, pids = read_info(info)
    assert dirs and set(pids) >= {"demo", "servicenow", "kigo", "idp"}, (dirs, pids)
    deadline = time.time() + timeout
    while time.time() < deadline:
        left = [n for n, p in pids.items() if alive(p)]
        if not left and not any(os.path.exists(d) for d in dirs):
            return
        time.sleep(0.2)
    raise AssertionError("left behind: processes %s, folders %s" % (
        [(n, p) for n, p in pids.items() if alive(p)], [d for d in dirs if os.path.exists(d)]))


def start_demo(tmp, ticket, info, prog=PROG):
    env = ("env PROG=%s TMPDIR=%s KIGO_DEMO_INFO=%s LANG=C.UTF-8 "
           "LC_ALL=C.UTF-8 NCURSES_NO_UTF8_ACS=1" % (prog, tmp, info))
    cmd = "%s sh %s/scripts/demo.sh %s; echo DEMO-EXIT $?; sleep 120" % (env, ROOT, ticket)
    tmux("kill-server", check=False)
    n = int(SOCK[0].rsplit("-", 1)[1]) + 1
    SOCK[0] = "kgdemo-%d-%d" % (os.getpid(), n)
    tmux("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", cmd)


def main():
    for tool in ("tmux", "openssl"):
        if shutil.which(tool) is None:
            print("%s not installed" % tool)
            return 77
    for f in ("servicenow_fake.py", "kigo_fake.py", "idp_fake.py"):
        if not os.path.exists(os.path.join(ROOT, "tests", "fakes", f)):
            print("tests/fakes/%s is not in this tree yet" % f)
            return 77
    tmp = tempfile.mkdtemp(prefix="kg-demo-test-")
    info = os.path.join(tmp, "info")
    try:
        # 0. the mechanics alone, with a stand-in for the client that waits on
        # the terminal: the stand-ins start and an interrupted demo (its
        # terminal killed: SIGHUP) leaves nothing behind
        fake_tui = os.path.join(tmp, "fake-tui")
        with open(fake_tui, "w") as f:
            f.write("#!/bin/sh\necho \"FAKE-TUI $*\"\nexec cat >/dev/null\n")
        os.chmod(fake_tui, 0o755)
        start_demo(tmp, "INC0010001", info, fake_tui)
        s = wait_for(lambda s: "FAKE-TUI" in s or "DEMO-EXIT" in s, "the demo to start")
        assert "FAKE-TUI -c" in s and "INC0010001" in s, s
        tmux("kill-server", check=False)
        assert_all_gone(info)
        os.unlink(info)

        # 1. the first demo: login approved by itself, the ticket, q
        t0 = time.time()
        start_demo(tmp, "INC0010001", info)
        s = wait_for(lambda s: "demo-approves-by-itself" in s or "DEMO-EXIT" in s
                     or "not available in this build" in s, "the login screen")
        if "not available in this build" in s:
            wait_for(lambda s: "DEMO-EXIT" in s, "the demo to end")
            assert_all_gone(info)
            print("the full-screen client is not in this build yet "
                  "(kigo-tui TICKET: not available); demo mechanics checked, UI part skipped")
            return 77
        assert "DEMO-EXIT" not in s, "the demo ended before its login screen:\n" + s
        assert "WDJB-MJHT" in nospace(s), "the user code is not on the login screen:\n" + s
        t_login = time.time()
        s = wait_for(lambda s: "INC0010001" in s and "ExtraBucks not applied" in s
                     and "WDJB-MJHT" not in nospace(s), "the banner of INC0010001 after the login")
        print("login screen after %.1fs, approved and banner after %.1fs more"
              % (t_login - t0, time.time() - t_login))
        print(s)
        tmux("send-keys", "q")
        s = wait_for(lambda s: "DEMO-EXIT" in s, "the demo to end after q")
        assert "DEMO-EXIT 0" in s, "demo.sh did not exit 0 after q:\n" + s
        assert_all_gone(info)
        tmux("kill-server", check=False)

        # 2. a second demo on another ticket, then its terminal goes away
        os.unlink(info)
        start_demo(tmp, "INC0010002", info)
        wait_for(lambda s: "INC0010002" in s and "Coupon expired" in s
                 and "WDJB-MJHT" not in nospace(s), "the banner of INC0010002")
        tmux("kill-server", check=False)
        assert_all_gone(info)
        left = [d for d in os.listdir(tmp) if d.startswith("kigo-demo.")]
        assert not left, left
        print("test_demo: ok")
        return 0
    finally:
        tmux("kill-server", check=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
