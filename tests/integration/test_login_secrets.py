#!/usr/bin/python3
"""test_login_secrets.py - where the real binary keeps tokens when there is
no keyring, against the small fake IdP (tests/fakes/idp_fake.py).

Covers: secrets = auto with no session bus at all -> memory, with ONE
notice saying why and how to keep them (secrets = file); secrets = memory
writes nothing; secrets = file refuses a tokens file of mode 0644 and a
state folder others can read, while `status` still exits 0; text from the
IdP (the user's name) reaches stdout sanitized.  Exit 0 pass, 77 skip.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loginlib import Env, check, main  # noqa: E402


def run():
    env = Env(prefix="kg-secrets-")
    env.kind = "fake"
    try:
        env.start("idp_fake.py")
        env.call("POST", "/test/config", {"polls": ["ok"], "interval": 1,
                                          "name": "Eve \u001b]0;owned\u0007\u001b[31mRed"})
        # -- no bus at all: auto -> memory with one notice ----------------
        conf = env.config(secrets="auto", name="auto.conf")
        rc, out, err, _ = env.login(conf)
        check(rc == 0, "auto login exit %d: %s" % (rc, err))
        check(err.count("kept in memory for this run only") == 1, "notice: %r" % err)
        check("no D-Bus session bus" in err and "secrets = file" in err, "notice words: %r" % err)
        check("\x1b" not in out and "\x07" not in out, "unsanitized name: %r" % out)
        check("Logged in as Eve ]0;owned[31mRed" in out, "name: %r" % out)
        check(not os.path.exists(os.path.join(env.state_dir, "tokens.json")), "memory wrote a file")
        r = env.run(conf, "status", "--json")
        st = json.loads(r.stdout)
        check(r.returncode == 0 and st["secrets"] == "memory" and st["logged_in"] is False,
              "auto status: %s %s" % (r.stdout, r.stderr))

        # -- memory: never written anywhere --------------------------------
        conf = env.config(secrets="memory", name="memory.conf")
        rc, out, err, _ = env.login(conf)
        check(rc == 0 and "kept in memory only" in err, "memory login: %d %r" % (rc, err))
        check(not os.path.exists(os.path.join(env.state_dir, "tokens.json")), "memory wrote a file")

        # -- file: 0600, and refused when others can read it ---------------
        conf = env.config(secrets="file", name="file.conf")
        rc, out, err, _ = env.login(conf)
        check(rc == 0, "file login exit %d: %s" % (rc, err))
        path = os.path.join(env.state_dir, "tokens.json")
        os.chmod(path, 0o644)
        rc, out, err, code = env.login(conf)
        check(rc == 78 and code is None, "0644 file accepted: %d %r" % (rc, err))
        check("can be read by other users (mode 0644)" in err, "0644 message: %r" % err)
        r = env.run(conf, "status", "--json")
        check(r.returncode == 0, "status must exit 0: %d" % r.returncode)
        check(json.loads(r.stdout)["logged_in"] is False, "status read an unsafe file")
        check("mode 0644" in r.stderr, "status says why: %r" % r.stderr)
        os.chmod(path, 0o600)
        os.chmod(env.state_dir, 0o755)
        r = env.run(conf, "login", "--no-qr")
        check(r.returncode == 78 and "chmod 700" in r.stderr, "0755 folder: %r" % r.stderr)
        os.chmod(env.state_dir, 0o700)
        r = env.run(conf, "status", "--json")
        check(json.loads(r.stdout)["logged_in"] is True, "status after fixing modes: " + r.stdout)
    finally:
        env.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(run))
