#!/usr/bin/python3
"""test_faults.py - the fault matrix (issue 9): the real kigo-tui against the
HTTPS fakes, with faults from fakelib's control endpoint, tcpproxy.py and the
test PKI (tests/fakes/testca.sh).

Faults: connection refused, DNS failure (a name under .invalid), TLS (wrong
CA, expired certificate, wrong host name), a reset in the middle of a reply
(tcpproxy --cut-after), a server that stalls forever (tcpproxy --stall: the
client's own timeout must end it), 429 with and without Retry-After,
500/502/503/504 on every attempt, a body over the cap, truncated JSON, valid
JSON of the wrong shape, and a server clock 2 hours off (its Date header and
every timestamp it makes).

Commands: `login --no-qr` against the IdP; `status` after each (offline: it
must still exit 0 and say not logged in); `sync` against ServiceNow and
`doctor` when they are in the build (they skip while they are placeholders).

For each: the exit status per the contract, a message that says what
happened (the words of the fault) and what to do, the server's request id
when it gave one, no control character from the server on the terminal, a
bounded run time, and nothing lost or sent twice (see the sync cases).
Cases run a few at a time so the stall cases (30 s each: the client's
timeout) overlap.  Exit 0 pass, 77 skip, anything else fail.
"""

import json
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as F  # noqa: E402
from faultlib import check  # noqa: E402

EXIT_UNAVAILABLE, EXIT_TEMPFAIL = 69, 75
HTTP_TIMEOUT_S = 30          # src/http.c's default whole-transfer timeout
TWO_HOURS = 7200

env = F.Env("kg-faults-")


def free_port():
    """A loopback port nobody listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def said(r, *patterns):
    """Every pattern (a regex, case-insensitive) is in stderr."""
    for p in patterns:
        check(re.search(p, r.err, re.I), "message lacks /%s/: %r" % (p, r))


def clean(r):
    for stream in (r.out, r.err):
        bad = [c for c in stream if (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0]
        check(not bad, "control characters on the terminal: %r in %r" % (bad[:5], r))


def last_request_id(fake, prefix):
    ids = [q["request_id"] for q in fake.ctl.requests() if q["path"].startswith(prefix)]
    return ids[-1] if ids else None


# -- the faults, as a server URL for one service ----------------------------
# Each returns (url, fake or None, expectations).  Expectations: rc, words
# (regexes stderr must match), rid (the request id must be quoted), max_s.
TRANSPORT = {
    "refused": lambda: ("https://127.0.0.1:%d" % free_port(), None,
                        dict(words=[r"connect", r"try again|check"])),
    "dns": lambda: ("https://kigo-test-host.invalid", None,
                    dict(words=[r"resolve", r"kigo-test-host\.invalid", r"check"])),
    "tls_wrong_ca": lambda: tls_fake("otherca-server", [r"certificate|verif", r"ca_bundle"]),
    "tls_expired": lambda: tls_fake("expired", [r"expired", r"certificate|verif"]),
    "tls_wrong_host": lambda: tls_fake("wronghost", [r"name|host", r"certificate|verif"]),
}


def tls_fake(cert, words):
    f = env.fake("idp_fake.py", cert=cert)
    return f.base, f, dict(words=words)


def idp(**config):
    f = env.fake("idp_fake.py")
    f.call("POST", "/test/config", dict({"polls": ["ok"], "interval": 1}, **config))
    return f


# -- login ------------------------------------------------------------------
def login_case(name, make, rc=EXIT_UNAVAILABLE, words=(), rid=False, max_s=20, ok=False):
    def fn():
        url, fake, exp = make()
        words_all = list(words) + exp.get("words", [])
        tag = name.replace("/", "-")
        conf = env.config(name=tag + ".conf", okta=url, state_dir=env.path("st-" + tag))
        r = env.run(conf, "login", "--no-qr", timeout=HTTP_TIMEOUT_S * 3)
        check(r.rc is not None, "login did not end: %r" % r)
        clean(r)
        if ok:
            check(r.rc == 0 and "Logged in as" in r.out, "login failed: %r" % r)
        else:
            check(r.rc == rc, "exit %s, want %s: %r" % (r.rc, rc, r))
            said(r, r"login", *words_all)
            check(r.err.count("kigo-tui: login:") == 1, "one final message: %r" % r)
        if rid and fake is not None:
            want = last_request_id(fake, exp.get("rid_path", "/"))
            check(want and want in r.err, "request id %s not quoted: %r" % (want, r))
        check(r.secs < max_s, "took %.1fs (limit %ds)" % (r.secs, max_s))
        # status is offline: it works whatever happened, and says the truth
        s = env.run(conf, "status", "--json")
        check(s.rc == 0, "status after %s: %r" % (name, s))
        st = json.loads(s.out)
        check(st["logged_in"] is ok, "status logged_in after %s: %r" % (name, s))
    return name, fn


def transport(kind):
    return TRANSPORT[kind]


def persistent(kind, retry_after=None, path="/.well-known"):
    """Every request under path answers `kind` (a status code or fakelib
    fault), as long as the test lasts."""
    def make():
        f = idp()
        kw = {"next": 1000, "path": path}
        if retry_after is not None:
            kw["retry_after"] = retry_after
        f.ctl.fault(kind, **kw)
        return f.base, f, dict(rid_path=path)
    return make


def once(kind, path):
    def make():
        f = idp()
        f.ctl.fault(kind, next=1, path=path)
        return f.base, f, {}
    return make


def body(kind, where="device_body"):
    def make():
        f = idp(**({where: kind} if where == "device_body" else {"polls": [kind]}))
        return f.base, f, dict(rid_path="/device" if where == "device_body" else "/token")
    return make


def proxied(*opts):
    def make():
        f = idp()
        return "https://127.0.0.1:%d" % env.proxy(f.port, *opts), f, {}
    return make


def clock_off(offset):
    def make():
        f = env.fake("idp_fake.py", clock_offset=offset)
        f.call("POST", "/test/config", {"polls": ["ok"], "interval": 1})
        return f.base, f, {}
    return make


LOGIN = [
    login_case("login/refused", transport("refused")),
    login_case("login/dns", transport("dns")),
    login_case("login/tls_wrong_ca", transport("tls_wrong_ca")),
    login_case("login/tls_expired", transport("tls_expired")),
    login_case("login/tls_wrong_host", transport("tls_wrong_host")),
    # the proxy resets both sides 1200 bytes into the server's answers
    # (past the handshake and the discovery document, inside /device)
    login_case("login/reset_mid_reply", proxied("--cut-after", "1200"),
               words=[r"reset|connection", r"try again"]),
    login_case("login/reset_once", once("reset", "/device"), ok=True),
    login_case("login/stall", proxied("--stall"), words=[r"timed out|did not answer"],
               max_s=HTTP_TIMEOUT_S + 15),
    login_case("login/429_retry_after", persistent("429", retry_after=1),
               words=[r"429", r"try again"], rid=True),
    login_case("login/429", persistent("429"), words=[r"429", r"try again"], rid=True),
    login_case("login/500", persistent("500"), words=[r"HTTP 500", r"try again"], rid=True),
    login_case("login/502", persistent("502"), words=[r"HTTP 502", r"try again"], rid=True),
    login_case("login/503", persistent("503"), words=[r"HTTP 503", r"try again"], rid=True),
    login_case("login/504", persistent("504", path="/device"), words=[r"HTTP 504", r"try again"],
               rid=True),
    login_case("login/503_once", once("503", "/token"), ok=True),
    login_case("login/over_cap", body("oversized"), words=[r"too large"]),
    login_case("login/token_over_cap", body("oversized", "polls"), words=[r"too large"]),
    login_case("login/truncated_json", body("malformed"), words=[r"not valid JSON"], rid=True),
    login_case("login/wrong_shape", body("wrong_type"), words=[r"wrong type"], rid=True),
    login_case("login/clock_ahead_2h", clock_off(TWO_HOURS), ok=True),
    login_case("login/clock_behind_2h", clock_off(-TWO_HOURS), ok=True),
]


def run():
    cases = list(LOGIN)
    return F.run_cases(cases, jobs=4)


if __name__ == "__main__":
    try:
        rc = run()
    finally:
        env.close()
    sys.exit(rc)
