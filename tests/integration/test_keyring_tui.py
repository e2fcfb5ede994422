#!/usr/bin/python3
"""test_keyring_tui.py - the full-screen client with a real keyring
(gnome-keyring-daemon under dbus-run-session), now that the keyring is read
and written on a worker thread.

The login is stored in the keyring by `kigo-tui login`; the client in tmux
(secrets = keyring) reads it off the loop, goes online and shows the
customer's tokens; with access tokens that live 4 s it renews the session
with rotation several times, each renewal saved to the keyring without
blocking; q exits at once; the keyring then holds the newest refresh token
(one the IdP has not seen used).  Respects KG_VALGRIND=1.  Exit 0 pass,
1 fail, 77 skip.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stacklib  # noqa: E402  (puts tests/fakes on the path)
from stacklib import Stack, check  # noqa: E402
import fakelib  # noqa: E402
from buslib import missing_tools, run_inner, wait_for_secrets_name  # noqa: E402

SLOW = stacklib.SLOW
PASSWORD = "kigo-test-keyring"


def inner():
    bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    check(bus, "dbus-run-session gave no DBUS_SESSION_BUS_ADDRESS")
    with Stack(secrets="keyring") as st:
        kenv = dict(st.env(), DBUS_SESSION_BUS_ADDRESS=bus,
                    XDG_RUNTIME_DIR=os.path.join(st.tmp, "run"),
                    XDG_DATA_HOME=os.path.join(st.home, ".local", "share"))
        os.makedirs(kenv["XDG_RUNTIME_DIR"], mode=0o700)
        daemon = subprocess.Popen(["gnome-keyring-daemon", "--unlock", "--components=secrets",
                                   "--foreground"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=kenv)
        st.procs.append(daemon)
        daemon.stdin.write(PASSWORD.encode())
        daemon.stdin.close()
        check(wait_for_secrets_name(kenv), "gnome-keyring-daemon did not take the bus name")

        idp = fakelib.Control(st.idp_url, st.ca)
        idp.call("POST", "/test/config", {"token_lifetime": 4})
        r = subprocess.run([stacklib.PROG, "-c", st.conf, "login", "--no-qr"], env=kenv,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=60 * SLOW)
        check(r.returncode == 0, "login: %s %s" % (r.stdout, r.stderr))
        before = idp.call("GET", "/test/state")["refreshes"]

        st.tui("INC0010001", extra_env={"DBUS_SESSION_BUS_ADDRESS": bus})
        st.wait_for("Customers (1)", timeout=10 * SLOW)
        st.keys("Enter")
        st.wait_for("Tokens of Jane Doe (8", timeout=10 * SLOW)
        st.wait_for("+ online", timeout=10 * SLOW)
        # renewals every ~2 s, each one saved to the keyring off the loop
        deadline = time.time() + 20 * SLOW
        while idp.call("GET", "/test/state")["refreshes"] < before + 3:
            check(time.time() < deadline, "the session was not renewed; screen:\n%s"
                  % st.screen())
            time.sleep(0.2)
        # quit between two renewals (one every ~2 s): right after one was answered
        n = idp.call("GET", "/test/state")["refreshes"]
        while idp.call("GET", "/test/state")["refreshes"] == n:
            check(time.time() < deadline + 10 * SLOW, "renewals stopped")
            time.sleep(0.05)
        time.sleep(min(0.5 * SLOW, 1.2))
        screen = st.screen()
        check("could not be saved" not in screen, "a save failed:\n%s" % screen)
        t0 = time.time()
        st.keys("q")
        rc = st.tui_rc(timeout=15 * SLOW)
        took = time.time() - t0
        check(rc == 0, "exit status %d" % rc)
        check(took < 5 * SLOW, "q took %.1f s" % took)
        print("q with a real keyring: exit after %.2f s" % took)

        state = idp.call("GET", "/test/state")
        r = subprocess.run(["secret-tool", "lookup", "issuer", st.idp_url,
                            "client_id", "kigo-test"], capture_output=True, text=True, env=kenv)
        check(r.returncode == 0, "no keyring item: %s" % r.stderr)
        stored = json.loads(r.stdout)["refresh_token"]
        check(stored not in state["refresh_tokens_used"],
              "the keyring holds a refresh token already used (the rotated one was not saved)")
        print("renewals: %d, the keyring holds the newest refresh token"
              % (state["refreshes"] - before))
        r = subprocess.run(["secret-tool", "search", "--all", "issuer", st.idp_url],
                           capture_output=True, text=True, env=kenv)
        check((r.stdout + r.stderr).count("attribute.issuer") == 1, "not one item: %s"
              % (r.stdout + r.stderr))
    return 0


def run():
    tool = missing_tools("gnome-keyring-daemon", "secret-tool", "tmux")
    if tool is not None:
        print("%s not installed" % tool)
        sys.exit(stacklib.SKIP)
    rc = run_inner(__file__, timeout=240 * SLOW)
    check(rc == 0, "inner test failed (exit %d)" % rc)


if __name__ == "__main__":
    if sys.argv[1:] == ["--inner"]:
        stacklib.main(inner)
    stacklib.main(run)
