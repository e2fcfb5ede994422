#!/usr/bin/python3
"""test_keyring_hung.py - a Secret Service that never answers must not
freeze the full-screen client.

Under dbus-run-session (a private session bus), $BUILD/tools/hung_secrets
owns org.freedesktop.secrets and swallows every call (D-Bus then waits
25 s).  The real binary runs in tmux against the full fake stack, with a
cache filled by an earlier run (secrets = file):

- secrets = keyring: the ticket banner and the cached panes paint at once,
  the status bar says the keyring is being read, then that it is not
  answering; keys work (help opens and closes, a resize redraws); after
  10 s without an answer the call is given up and the status bar says why
  the login could not be read and what to do; q exits within a few seconds although a save is still stuck
  in the keyring;
- secrets = auto: the same first paint, and q at once while the keyring
  is read exits within a few seconds.

The tool's log proves the keyring was really asked.  Respects KG_VALGRIND=1
(slower waits).  Exit 0 pass, 1 fail, 77 skip.
"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stacklib  # noqa: E402
from stacklib import Stack, check  # noqa: E402
from buslib import missing_tools, run_inner  # noqa: E402

ROOT = stacklib.ROOT
BUILD = os.environ.get("BUILD") or "build"
TOOL = os.path.join(BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD),
                    "tools", "hung_secrets")
SLOW = stacklib.SLOW


def set_secrets(st, mode):
    with open(st.conf) as f:
        text = f.read()
    text = re.sub(r"(?m)^secrets = .*$", "secrets = %s" % mode, text)
    with open(st.conf, "w") as f:
        f.write(text)


def timed_wait(st, text, limit):
    t0 = time.time()
    screen = st.wait_for(text, timeout=limit)
    return time.time() - t0, screen


def quit_within(st, limit):
    t0 = time.time()
    st.keys("q")
    rc = st.tui_rc(timeout=limit + 10)
    took = time.time() - t0
    check(rc == 0, "exit status %d after q" % rc)
    check(took <= limit, "q took %.1f s to exit (limit %.1f s)" % (took, limit))
    return took


def inner():
    bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    check(bus, "dbus-run-session gave no DBUS_SESSION_BUS_ADDRESS")
    with Stack(secrets="file") as st:
        # an earlier run fills the cache (ticket, customer, tokens)
        st.login()
        st.tui("INC0010001")
        st.wait_for("Customers (1)", timeout=30 * SLOW)
        st.keys("Enter")
        st.wait_for("Tokens of Jane Doe", timeout=30 * SLOW)
        quit_within(st, 10 * SLOW)

        ready = os.path.join(st.tmp, "hung.ready")
        log = open(os.path.join(st.tmp, "hung.log"), "w")
        env = dict(os.environ)
        hung = subprocess.Popen([TOOL, ready], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, env=env)
        st.procs.append(hung)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            check(hung.poll() is None, "hung_secrets exited: %s" % open(log.name).read())
            check(time.time() < deadline, "hung_secrets did not take the bus name")
            time.sleep(0.05)
        extra = {"DBUS_SESSION_BUS_ADDRESS": bus}

        # secrets = keyring
        set_secrets(st, "keyring")
        t_start = time.time()
        st.tui("INC0010001", extra_env=extra)
        took, screen = timed_wait(st, "INC0010001", 2.0 * SLOW)
        print("first paint (keyring hung): %.2f s" % took)
        st.wait_for("Tokens of Jane Doe", timeout=2.0 * SLOW)  # the cached tokens pane
        deadline = time.time() + 2.0 * SLOW
        while True:
            screen = st.screen()
            if ("Reading the saved login from the keyring" in screen
                    or "keyring is not answering" in screen):
                break
            check(time.time() < deadline,
                  "the status bar does not say the keyring is read:\n%s" % screen)
            time.sleep(0.1)
        # keys respond while the keyring hangs: help opens and closes
        st.keys("?")
        took, _ = timed_wait(st, "Help (this list)", 2.0 * SLOW)
        print("help after ?: %.2f s" % took)
        st.keys("Escape")
        deadline = time.time() + 3 * SLOW
        while "Help (this list)" in st.screen() and time.time() < deadline:
            time.sleep(0.1)
        check("Help (this list)" not in st.screen(), "help did not close:\n%s" % st.screen())
        st._tmux("resize-window", "-x", "90", "-y", "28")
        # the banner's right edge (online state) moves to the new width: a redraw
        deadline = time.time() + 3.0 * SLOW
        while True:
            screen = st.screen()
            ends = [len(ln.rstrip()) for ln in screen.splitlines() if "INC0010001" in ln]
            if ends and 80 <= ends[0] <= 90 and "Jane Doe" in screen:
                break
            check(time.time() < deadline, "no redraw after the resize:\n%s" % screen)
            time.sleep(0.1)
        # (under valgrind the 10 s may be over already: then the next check sees it)
        deadline = time.time() + 8.0 * SLOW
        while True:
            screen = st.screen()
            if "keyring is not answering" in screen:
                check("q quits" in screen, "no way out named:\n%s" % screen)
                break
            if "gave no answer" in screen:
                break
            check(time.time() < deadline, "the status bar never said the keyring is not "
                  "answering:\n%s" % screen)
            time.sleep(0.1)
        # given up after 10 s: the status bar says why and what to do
        limit = max(1.0, 20 * SLOW - (time.time() - t_start))
        screen = st.wait_for("The keyring gave no answer in 10 s; restart it", timeout=limit)
        bar = [ln.strip() for ln in screen.splitlines() if "gave no answer" in ln]
        print("keyring timeout seen after %.1f s; status bar: %s"
              % (time.time() - t_start, bar[0] if bar else "?"))
        # the demo IdP approves the login by itself; its save hangs in the keyring
        st.wait_for("+ online", timeout=20 * SLOW)
        took = quit_within(st, 5.0 * SLOW)
        print("q with a save stuck in the keyring: exit after %.2f s" % took)
        check("saving the renewed login to the keyring" in st.screen(),
              "the wait for the keyring on exit is not explained:\n%s" % st.screen())

        # secrets = auto: paint at once, q at once
        set_secrets(st, "auto")
        st.tui("INC0010001", extra_env=extra)
        took, screen = timed_wait(st, "INC0010001", 2.0 * SLOW)
        print("first paint (auto, keyring hung): %.2f s" % took)
        st.wait_for("Jane Doe", timeout=2.0 * SLOW)
        took = quit_within(st, 5.0 * SLOW)
        print("q while the keyring is read: exit after %.2f s" % took)

        log.flush()
        swallowed = open(log.name).read()
        check("swallowed" in swallowed, "the keyring was never asked: %r" % swallowed)
    return 0


def run():
    tool = missing_tools("tmux")
    if tool is not None:
        print("%s not installed" % tool)
        sys.exit(stacklib.SKIP)
    if not os.path.exists(TOOL):
        print("%s missing: run make check (it builds tests/tools)" % TOOL)
        sys.exit(stacklib.SKIP)
    rc = run_inner(__file__, timeout=240 * SLOW)
    check(rc == 0, "inner test failed (exit %d)" % rc)


if __name__ == "__main__":
    if sys.argv[1:] == ["--inner"]:
        stacklib.main(inner)
    stacklib.main(run)
