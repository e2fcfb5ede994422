#!/usr/bin/python3
"""test_login_keyring.py - tokens in a real keyring: gnome-keyring-daemon
under dbus-run-session (RECIPES.md), the real binary, the fake IdP.

Covers: login stores one item with our schema's attributes (issuer,
client_id, account); a new kigo-tui process finds it (status, with
secrets = keyring and auto); logout clears it; a locked keyring (the
lookup that returns nothing and no error) is recognised: keyring mode
refuses in one sentence, auto falls back to memory with the notice, status
still exits 0.  Exit 0 pass, 77 skip.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loginlib import Env, check, main, SKIP, SLOW  # noqa: E402
from buslib import missing_tools, run_inner, wait_for_secrets_name  # noqa: E402

PASSWORD = "kigo-test-keyring"


def lookup(env, issuer):
    return subprocess.run(["secret-tool", "lookup", "issuer", issuer, "client_id", "kigo-test"],
                          capture_output=True, text=True, env=env)


def inner():
    """Runs inside dbus-run-session: a private session bus."""
    env = Env(prefix="kg-keyring-")
    env.kind = "fake"
    daemon = None
    try:
        benv = env.env(bus=True)
        benv["XDG_RUNTIME_DIR"] = os.path.join(env.tmp, "run")
        os.makedirs(benv["XDG_RUNTIME_DIR"], mode=0o700)
        benv["XDG_DATA_HOME"] = os.path.join(env.home, ".local", "share")
        daemon = subprocess.Popen(["gnome-keyring-daemon", "--unlock", "--components=secrets",
                                   "--foreground"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=benv)
        daemon.stdin.write(PASSWORD.encode())
        daemon.stdin.close()
        check(wait_for_secrets_name(benv), "gnome-keyring-daemon did not take the bus name")

        env.start("idp_fake.py")
        env.call("POST", "/test/config", {"polls": ["ok"], "interval": 1})
        conf = env.config(secrets="keyring")
        rc, out, err, _ = env.login(conf, env=benv)
        check(rc == 0, "keyring login exit %d: %s" % (rc, err))
        check("memory" not in err, "unexpected notice: %r" % err)
        r = lookup(benv, env.base)
        check(r.returncode == 0, "no keyring item: %s" % r.stderr)
        item = json.loads(r.stdout)
        check(item["refresh_token"].startswith("RT-"), "stored value: %s" % sorted(item))
        attrs = subprocess.run(["secret-tool", "search", "--all", "issuer", env.base],
                               capture_output=True, text=True, env=benv)
        blob = attrs.stdout + attrs.stderr
        check("attribute.client_id = kigo-test" in blob, "attributes: %s" % blob)
        check("attribute.account = ana@example.test" in blob, "account attribute: %s" % blob)
        check("org.kigo.KigoTui.Token" in blob, "schema: %s" % blob)
        check(blob.count("attribute.issuer") == 1, "one item only: %s" % blob)

        # A new process (a restart of kigo-tui) finds the login.
        for mode in ("keyring", "auto"):
            c = env.config(secrets=mode, name="status-%s.conf" % mode)
            r = env.run(c, "status", "--json", env=benv)
            st = json.loads(r.stdout)
            check(r.returncode == 0 and st["logged_in"] and st["secrets"] == "keyring"
                  and st["user"] == "Ana Example", "%s status: %s %s" % (mode, r.stdout, r.stderr))

        # A second login replaces the item instead of adding one.
        rc, out, err, _ = env.login(conf, env=benv)
        check(rc == 0, "second login: %s" % err)
        attrs = subprocess.run(["secret-tool", "search", "--all", "issuer", env.base],
                               capture_output=True, text=True, env=benv)
        check((attrs.stdout + attrs.stderr).count("attribute.issuer") == 1, "two items")

        r = env.run(conf, "logout", env=benv)
        check(r.returncode == 0 and "Logged out." in r.stdout, "logout: %s %s" % (r.stdout, r.stderr))
        check(lookup(benv, env.base).returncode != 0, "item still in the keyring after logout")
        st = json.loads(env.run(conf, "status", "--json", env=benv).stdout)
        check(st["logged_in"] is False, "status after logout: %s" % st)

        # Locked: lookups return nothing and no error.
        rc, out, err, _ = env.login(conf, env=benv)
        check(rc == 0, "login before lock: %s" % err)
        # (secret-tool lock hangs in libsecret 0.20.5: ask the service directly)
        r = subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
                            "/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock",
                            "array:objpath:/org/freedesktop/secrets/collection/login"],
                           capture_output=True, text=True, env=benv, timeout=10)
        check(r.returncode == 0, "could not lock the keyring: %s" % r.stderr)
        r = env.run(conf, "login", "--no-qr", env=benv)
        check(r.returncode == 69 and "keyring is locked" in r.stderr,
              "locked keyring mode: %d %r" % (r.returncode, r.stderr))
        r = env.run(conf, "status", "--json", env=benv)
        check(r.returncode == 0 and json.loads(r.stdout)["logged_in"] is False
              and "locked" in r.stderr, "locked status: %s %s" % (r.stdout, r.stderr))
        auto = env.config(secrets="auto", name="auto.conf")
        r = env.run(auto, "status", "--json", env=benv)
        check(r.returncode == 0 and json.loads(r.stdout)["secrets"] == "memory"
              and "kept in memory for this run only" in r.stderr
              and "locked" in r.stderr, "locked auto: %s %s" % (r.stdout, r.stderr))
        # logout cannot reach what the locked keyring holds: it says so, and fails
        r = env.run(auto, "logout", env=benv)
        check(r.returncode == 69 and "keyring is locked" in r.stderr
              and "were not removed" in r.stderr and "logout again" in r.stderr
              and "Logged out" not in r.stdout and "nothing to forget" not in r.stdout,
              "locked auto logout: %d %r %r" % (r.returncode, r.stdout, r.stderr))
    finally:
        if daemon is not None:
            daemon.terminate()
            try:
                daemon.wait(5)
            except subprocess.TimeoutExpired:
                daemon.kill()
        env.close()
    return 0


def run():
    tool = missing_tools("gnome-keyring-daemon", "secret-tool")
    if tool is not None:
        print("%s not installed" % tool)
        return SKIP
    rc = run_inner(__file__, timeout=120 * SLOW)
    check(rc == 0, "inner test failed (exit %d)" % rc)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--inner"]:
        sys.exit(0 if inner() == 0 else 1)
    sys.exit(main(run))
