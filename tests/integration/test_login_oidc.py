#!/usr/bin/python3
"""test_login_oidc.py - the real kigo-tui binary against a real OpenID
provider (oidc-provider 9.13.3 over HTTPS with a CA made at test time).

Covers: `login` prints URL and Code lines, approve -> exit 0 and
`Logged in as NAME`, the 0600 tokens file, `status --json` exactly as the
contract shapes it (logged in and out), `logout` revoking at the IdP;
deny -> 77; an expired code -> 75; an IdP that cannot be reached -> 69; a
certificate that does not verify -> 69 with the words; a whole login with
-v whose log holds no token, device code or refresh token; polling stops
at the first success.  Exit 0 pass, 77 skip.
"""

import os
import re
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loginlib import Env, check, have_oidc_provider, main, SKIP  # noqa: E402

STATUS_KEYS = {"logged_in", "user", "expires_at", "secrets", "pending_sync", "cache", "state_dir"}


def status_json(env, conf):
    import json

    r = env.run(conf, "status", "--json")
    check(r.returncode == 0, "status exit %d: %s" % (r.returncode, r.stderr))
    st = json.loads(r.stdout)
    check(set(st) == STATUS_KEYS, "status keys: %s" % sorted(st))
    check(set(st["cache"]) == {"customers", "tokens"}, "cache keys: %s" % st["cache"])
    check(isinstance(st["pending_sync"], int), "pending_sync: %r" % st["pending_sync"])
    check(st["state_dir"] == env.state_dir, "state_dir: %r" % st["state_dir"])
    return st


def approve_flow(env):
    conf = env.config(secrets="file")
    st = status_json(env, conf)
    check(st["logged_in"] is False and st["user"] is None and st["expires_at"] is None,
          "logged out status: %s" % st)

    rc, out, err, code = env.login(conf, args=("--no-qr", "-v"))
    check(rc == 0, "login exit %d\nstdout: %s\nstderr: %s" % (rc, out, err))
    lines = out.splitlines()
    check(any(re.fullmatch(r"URL: https://127\.0\.0\.1:\d+/device", l) for l in lines),
          "no URL line: %r" % out)
    check(any(re.fullmatch(r"Code: [A-Z]{4}-[A-Z]{4}", l) for l in lines), "no Code line: %r" % out)
    check(re.search(r"^Logged in as Ana Example$", out, re.M), "no Logged in line: %r" % out)
    check("\x1b" not in out, "escape sequence on stdout (not a tty)")
    check("Waiting" not in out, "countdown printed although stdout is not a tty")

    path = os.path.join(env.state_dir, "tokens.json")
    check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, "tokens.json mode")
    saved = env.saved()
    ev = env.call("GET", "/test/events")
    # The -v log: no access token, refresh token or device code (the user
    # code is shown by design).
    for what, value in (("access token", saved["access_token"]),
                        ("refresh token", saved["refresh_token"]),
                        ("device code", ev["device_codes"][-1])):
        check(value and value not in err and value not in out, "%s leaked into the output" % what)
    check("INFO" in err and "/token" in err, "the -v log is missing: %r" % err)
    check(ev["polls_after_success"] == 0, "polled after success: %s" % ev)

    st = status_json(env, conf)
    check(st["logged_in"] is True and st["user"] == "Ana Example", "status: %s" % st)
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", st["expires_at"] or ""),
          "expires_at: %r" % st["expires_at"])
    check(st["secrets"] == "file", "secrets: %r" % st["secrets"])
    check(st["cache"] == {"customers": 0, "tokens": 0} and st["pending_sync"] == 0, str(st))
    r = env.run(conf, "status")
    check(r.returncode == 0 and "Logged in as Ana Example" in r.stdout, r.stdout + r.stderr)

    check(env.call("GET", "/test/token?value=" + saved["refresh_token"])["active"], "RT active")
    r = env.run(conf, "logout")
    check(r.returncode == 0 and "Logged out." in r.stdout, "logout: %s %s" % (r.stdout, r.stderr))
    check(not env.call("GET", "/test/token?value=" + saved["refresh_token"])["active"],
          "the refresh token was not revoked at the IdP")
    check(not env.call("GET", "/test/token?value=" + saved["access_token"])["active"],
          "the access token was not revoked at the IdP")
    check(not os.path.exists(path), "tokens.json still there after logout")
    st = status_json(env, conf)
    check(st["logged_in"] is False and st["user"] is None, "after logout: %s" % st)
    r = env.run(conf, "logout")
    check(r.returncode == 0 and "Not logged in" in r.stdout, "second logout: " + r.stdout)


def deny_flow(env):
    conf = env.config(secrets="memory", name="deny.conf")
    rc, out, err, code = env.login(conf, action="deny", args=("--no-qr", "-vv"))
    check(code is not None, "no code: " + out)
    check(rc == 77, "deny exit %d: %s" % (rc, err))
    check("denied" in err, "deny message: %r" % err)
    # Even the debug log (curl's own lines included) holds no device code.
    dc = env.call("GET", "/test/events")["device_codes"][-1]
    check("DEBUG curl" in err, "no -vv log: %r" % err[:200])
    check(dc not in err and dc not in out, "device code leaked into the -vv log")


def failures(env):
    # Nothing listens on port 1: the IdP cannot be reached.
    conf = env.config(secrets="memory", issuer="https://127.0.0.1:1", name="down.conf")
    r = env.run(conf, "login", "--no-qr")
    check(r.returncode == 69, "unreachable exit %d: %s" % (r.returncode, r.stderr))
    check("did not answer" in r.stderr, r.stderr)
    # A server certificate from another CA: said in words.
    conf = env.config(secrets="memory", ca=os.path.join(env.pki, "otherca.pem"), name="tls.conf")
    r = env.run(conf, "login", "--no-qr")
    check(r.returncode == 69, "TLS exit %d: %s" % (r.returncode, r.stderr))
    check("certificate" in r.stderr and "verif" in r.stderr, "TLS words: %r" % r.stderr)


def expiry_flow():
    env = Env()
    try:
        env.start("oidc_server.py", extra=("--device-ttl", "3"))
        conf = env.config(secrets="memory")
        rc, out, err, code = env.login(conf, action=None)
        check(rc == 75, "expiry exit %d: %s" % (rc, err))
        check("expired" in err, "expiry message: %r" % err)
    finally:
        env.close()


def run():
    if not have_oidc_provider():
        print("oidc-provider not installed (make deps)")
        return SKIP
    env = Env()
    try:
        env.start("oidc_server.py")
        approve_flow(env)
        deny_flow(env)
        failures(env)
    finally:
        env.close()
    expiry_flow()
    return 0


if __name__ == "__main__":
    sys.exit(main(run))
