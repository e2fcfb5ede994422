#!/usr/bin/python3
"""demo_idp.py - the identity provider of `make demo`: tests/fakes/idp_fake.py
with two additions for a demo that nobody has to approve by hand.

  - The device code approves itself APPROVE_AFTER seconds (default 3) after
    it was handed out: polls before that answer authorization_pending,
    polls after it get tokens.  idp_fake itself only knows a fixed list of
    answers, which ties the delay to the client's polling interval.
  - The verification URI says so (".../demo-approves-by-itself"),
    so the real device-code screen tells the viewer what will happen, and
    that page explains it to a browser too.

Same command line as idp_fake (fakelib's --cert --key --port-file ...) plus
--approve-after SECONDS, --name and --email (the signed-in agent).
"""

import os
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
import fakelib  # noqa: E402
import idp_fake  # noqa: E402

VERIFY_PATH = "/demo-approves-by-itself"
APPROVE = {"after": 3.0}


def _wrapped(name, wrapper):
    """Replace the handler registered under function name `name`."""
    for i, (method, rx, fn, locked) in enumerate(idp_fake.app.routes):
        if fn.__name__ == name:
            idp_fake.app.routes[i] = (method, rx, wrapper(fn), locked)
            return
    raise SystemExit("demo_idp: idp_fake has no %s route" % name)


def _token(orig):
    def token(req):
        t0 = idp_fake.STATE.get("device_time")
        ready = t0 is not None and time.monotonic() - t0 >= APPROVE["after"]
        idp_fake.CONFIG["polls"] = ["ok"] if ready else ["pending"]
        return orig(req)
    return token


def _device(orig):
    def device(req):
        res = orig(req)
        status, body = res[0], res[1]
        if status == 200 and isinstance(body, dict) and "verification_uri" in body:
            base = idp_fake.issuer(req)
            body["verification_uri"] = base + VERIFY_PATH
            body["verification_uri_complete"] = "%s%s?user_code=%s" % (
                base, VERIFY_PATH, body.get("user_code", ""))
        return res
    return device


@idp_fake.app.route("GET", VERIFY_PATH)
def demo_page(req):
    return 200, ("kigo-tui demo\n\nThis stand-in identity provider approves every device "
                 "code by itself %g seconds after it was issued, so the login can be seen "
                 "without a second device.  With a real Okta you would sign in here and "
                 "type the code.\n" % APPROVE["after"])


def main():
    parser = fakelib.arg_parser("kigo-tui demo identity provider")
    parser.add_argument("--approve-after", type=float, default=3.0)
    parser.add_argument("--name", default="Demo Agent")
    parser.add_argument("--email", default="demo.agent@cvs.example")

    def setup(args):
        APPROVE["after"] = args.approve_after
        idp_fake.CONFIG.update(interval=1, name=args.name, email=args.email,
                               polls=["pending"])

    _wrapped("token", _token)
    _wrapped("device", _device)
    fakelib.main(idp_fake.app, parser=parser, setup=setup)


if __name__ == "__main__":
    main()
