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


# curl's own words (its error buffer): for the log and -v, never a message
CURLISMS = re.compile(r"getpeername|Recv failure|Send failure|errno|SSL_ERROR|OpenSSL|"
                      r"Couldn't|Failed to connect|after \d+ ms|curl|Connection reset by peer")


def ours(r):
    """Messages speak our words: no curl error-buffer text without -v."""
    m = CURLISMS.search(r.err)
    check(m is None, "curl's words %r in a message: %r" % (m and m.group(0), r))


def once(r, prefix):
    """The command's final message (the line starting with prefix) is the
    only place its text appears: no WARN log line repeats it without -v."""
    lines = [l for l in r.err.splitlines() if l.startswith(prefix)]
    check(len(lines) == 1, "%d lines start with %r: %r" % (len(lines), prefix, r))
    core = lines[0][len(prefix):][:60]
    check(r.err.count(core) == 1, "the message is printed %d times: %r" % (r.err.count(core), r))
    check(" WARN " not in r.err, "a WARN log line without -v: %r" % r)


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
            once(r, "kigo-tui: login: ")
            ours(r)
        if rid and fake is not None:
            want = last_request_id(fake, exp.get("rid_path", "/"))
            check(want and want in r.err, "request id %s not quoted: %r" % (want, r))
        # under valgrind (F.SLOW) every step is slower: the bound stretches with it
        check(r.secs < max_s * F.SLOW, "took %.1fs (limit %ds)" % (r.secs, max_s * F.SLOW))
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


def once_fault(kind, path):
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
    login_case("login/reset_once", once_fault("reset", "/device"), ok=True),
    # the proxy cuts the TLS handshake itself (50 bytes into the server's hello)
    login_case("login/handshake_cut", proxied("--cut-after", "50"),
               words=[r"reset|connection", r"try again"]),
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
    login_case("login/503_once", once_fault("503", "/token"), ok=True),
    login_case("login/over_cap", body("oversized"), words=[r"too large"]),
    login_case("login/token_over_cap", body("oversized", "polls"), words=[r"too large"]),
    login_case("login/truncated_json", body("malformed"), words=[r"not valid JSON"], rid=True),
    login_case("login/wrong_shape", body("wrong_type"), words=[r"wrong type"], rid=True),
    login_case("login/clock_ahead_2h", clock_off(TWO_HOURS), ok=True),
    login_case("login/clock_behind_2h", clock_off(-TWO_HOURS), ok=True),
]


def case_verbose_keeps_curl():
    """With -v the log keeps curl's own detail of a cut handshake (the
    message itself stays in our words)."""
    f = idp()
    url = "https://127.0.0.1:%d" % env.proxy(f.port, "--cut-after", "50")
    conf = env.config(name="verbose-cut.conf", okta=url, state_dir=env.path("st-verbose-cut"))
    r = env.run(conf, "-v", "login", "--no-qr", timeout=HTTP_TIMEOUT_S * 3)
    check(r.rc == EXIT_UNAVAILABLE, "exit %s: %r" % (r.rc, r))
    logged = [l for l in r.err.splitlines() if " INFO HTTP " in l and "attempt" in l]
    check(logged and all(CURLISMS.search(l) for l in logged),
          "the -v log lacks curl's detail: %r" % r)
    final = [l for l in r.err.splitlines() if l.startswith("kigo-tui: login: ")]
    check(len(final) == 1 and not CURLISMS.search(final[0]), "the message: %r" % r)


LOGIN.append(("login/verbose_keeps_curl_detail", case_verbose_keeps_curl))


# -- sync: summaries to ServiceNow ---------------------------------------------
TOOL = os.environ.get("SN_TOOL") or os.path.join(F.ROOT, os.environ.get("BUILD", "build"), "tools", "sn_tool")
INC, INC_SYS = "INC0010001", "0945e63cfb1064aee8687e7ffc34cba3"   # md5 of the number
API = "/api/now/table/incident"


def journal_count(sn, sid):
    return sum(1 for e in sn.call("GET", "/__sn/journal")["entries"]
               if ("kigo-sync-id: " + sid) in e["value"])


def sync_case(name, setup, rc=EXIT_TEMPFAIL, words=(), rid=False, max_s=25, sent=False):
    """setup(sn) -> the ServiceNow URL to use while the fault lasts (the
    fake's own, a proxy's or a broken one); it may add fault rules."""
    def fn():
        tag = name.replace("/", "-")
        sn = env.fake("servicenow_fake.py", **setup.fake_kw) if hasattr(setup, "fake_kw") \
            else env.fake("servicenow_fake.py")
        state = env.path("st-" + tag)
        good = env.config(name=tag + "-good.conf", sn=sn.base, state_dir=state,
                          secrets="memory")
        p = F.subprocess.run([TOOL, good, "queue", INC, INC_SYS, "2"], capture_output=True,
                             text=True, env=env.env(), timeout=60)
        check(p.returncode == 0, "sn_tool queue: %s %s" % (p.stdout, p.stderr))
        sid = dict(l.partition("=")[::2] for l in p.stdout.splitlines())["sync_id"]
        conf = env.config(name=tag + ".conf", sn=setup(sn), state_dir=state, secrets="memory")
        r = env.run(conf, "sync", timeout=HTTP_TIMEOUT_S * 4)
        check(r.rc is not None, "sync did not end: %r" % r)
        clean(r)
        check(r.rc == (0 if sent else rc), "exit %s, want %s: %r" % (r.rc, 0 if sent else rc, r))
        if not sent:
            said(r, sid, r"pending", *words)
        ours(r)
        if rid:   # one of the ids ServiceNow gave (the last try's, or the check's)
            ids = [q["request_id"] for q in sn.ctl.requests() if q["path"].startswith("/api/")]
            check(any(i in r.err for i in ids), "no request id of %r quoted: %r" % (ids, r))
        # under valgrind (F.SLOW) every step is slower: the bound stretches with it
        check(r.secs < max_s * F.SLOW, "took %.1fs (limit %ds)" % (r.secs, max_s * F.SLOW))
        # nothing lost: still pending (or sent), the activity rows all there
        st = json.loads(env.run(good, "status", "--json").out)
        check(st["pending_sync"] == (0 if sent else 1), "pending after %s: %r" % (name, st))
        # the fault ends: the next sync sends it, and it is there exactly once
        sn.ctl.clear_faults()
        sn.call("POST", "/__sn/hold", {"next": 0})
        r2 = env.run(good, "sync", timeout=60)
        check(r2.rc == 0, "sync after the fault: %r" % r2)
        n = journal_count(sn, sid)
        check(n == 1, "summary %s is %d times in the journal" % (sid, n))
        db = F.sqlite3.connect(os.path.join(state, "kigo-tui.db"))
        rows = db.execute("SELECT count(*) FROM activity").fetchone()[0]
        db.close()
        check(rows == 2, "activity rows: %d of 2" % rows)
    return name, fn


def sn_url(kind):
    def setup(sn):
        return {"refused": "https://127.0.0.1:%d" % free_port(),
                "dns": "https://sn-test-host.invalid"}[kind]
    return setup


def sn_cert(cert):
    """A second ServiceNow with a bad certificate while the fault lasts."""
    def setup(sn):
        return env.fake("servicenow_fake.py", cert=cert).base
    return setup


def sn_fault(kind, next=1000, method="PATCH", path=API, **kw):
    def setup(sn):
        sn.ctl.fault(kind, next=next, path=path, method=method, **kw)
        return sn.base
    return setup


def sn_hold(hang_s):
    def setup(sn):
        sn.call("POST", "/__sn/hold", {"next": 1, "hang_s": hang_s})
        return sn.base
    return setup


def sn_proxy(*opts):
    def setup(sn):
        return "https://127.0.0.1:%d" % env.proxy(sn.port, *opts)
    return setup


def sn_clock(offset):
    def setup(sn):
        return sn.base
    setup.fake_kw = {"clock_offset": offset}
    return setup


SYNC = [
    sync_case("sync/refused", sn_url("refused"), words=[r"connect", r"try again|sync"]),
    sync_case("sync/dns", sn_url("dns"), words=[r"resolve", r"sn-test-host\.invalid"]),
    sync_case("sync/tls_wrong_ca", sn_cert("otherca-server"), words=[r"certificate|verif"]),
    sync_case("sync/tls_expired", sn_cert("expired"), words=[r"expired"]),
    sync_case("sync/tls_wrong_host", sn_cert("wronghost"), words=[r"name|host"]),
    # applied, then the connection reset before any answer: checked, not resent
    sync_case("sync/commit_then_drop", sn_fault("commit_then_drop", next=1), sent=True),
    sync_case("sync/reset_before_commit", sn_fault("reset", next=1000),
              words=[r"reset|connection"]),
    # 1300 bytes: past the handshake, inside the PATCH's answer (the note is
    # applied); every check after it is cut the same way: nothing resent
    # the cut waits for the client's request (1000 bytes with the handshake):
    # under valgrind the server's session tickets would use up the 1300 first
    sync_case("sync/reset_mid_reply", sn_proxy("--cut-after", "1300", "--cut-wait-client", "1000"),
              words=[r"reset|connection", r"may already be in ServiceNow"], rid=True),
    sync_case("sync/stall", sn_proxy("--stall"), words=[r"timed out|did not answer"],
              max_s=HTTP_TIMEOUT_S + 15),
    # applied, the reply held past the client's timeout: found by the check
    sync_case("sync/applied_reply_stalls", sn_hold(HTTP_TIMEOUT_S + 20), sent=True,
              max_s=HTTP_TIMEOUT_S * 2 + 15),
    sync_case("sync/429_retry_after", sn_fault("429", retry_after=1), words=[r"429"], rid=True),
    sync_case("sync/429", sn_fault("429"), words=[r"429"], rid=True),
    sync_case("sync/500", sn_fault("500"), words=[r"500"], rid=True),
    sync_case("sync/502", sn_fault("502"), words=[r"502"], rid=True),
    sync_case("sync/503", sn_fault("503"), words=[r"503", r"sync"], rid=True),
    sync_case("sync/504", sn_fault("504"), words=[r"504"], rid=True),
    sync_case("sync/503_once", sn_fault("503", next=1), sent=True),
    sync_case("sync/clock_ahead_2h", sn_clock(TWO_HOURS), sent=True),
    sync_case("sync/clock_behind_2h", sn_clock(-TWO_HOURS), sent=True),
]

# Bad bodies (fakelib's bad-body kinds).  On the PATCH they run the real
# handler first, so the note IS in the journal and only the answer is
# spoiled: the client must not take a spoiled 2xx as proof either way, look,
# find it and send nothing again.  A proxy's HTML page that never reached
# ServiceNow (commit false) must leave the summary pending, not "sent".
JOURNAL = "/api/now/table/sys_journal_field"


def sn_faults(*rules):
    """Several fault rules at once: (kind, path, method, extra options)."""
    def setup(sn):
        for kind, path, method, kw in rules:
            sn.ctl.fault(kind, path=path, method=method, **dict({"next": 1000}, **kw))
        return sn.base
    return setup


SYNC += [
    sync_case("sync/patch_over_cap", sn_fault("oversize", next=1), sent=True),
    sync_case("sync/patch_over_cap_unframed", sn_fault("oversize", next=1, length=False),
              sent=True),
    sync_case("sync/patch_truncated_json", sn_fault("truncate", next=1), sent=True),
    sync_case("sync/patch_cut_short", sn_fault("truncate", next=1, close=True), sent=True),
    sync_case("sync/patch_wrong_types", sn_fault("shape", next=1, shape="types"), sent=True),
    sync_case("sync/patch_array", sn_fault("shape", next=1, shape="array"), sent=True),
    sync_case("sync/patch_no_result", sn_fault("shape", next=1000, shape="missing"), sent=True),
    sync_case("sync/patch_html_applied", sn_fault("html", next=1), sent=True),
    # every PATCH meets the proxy's page and never reaches ServiceNow
    sync_case("sync/patch_html_not_forwarded", sn_fault("html", commit=False),
              words=[r"HTML page", r"proxy", r"not known whether"], rid=True),
    # the reply is lost, and the look into the journal is spoiled: unknown,
    # so nothing is sent again (the next sync, with the fault gone, finds it)
    sync_case("sync/check_truncated", sn_faults(("commit_then_drop", API, "PATCH", {"next": 1}),
                                                ("truncate", JOURNAL, "GET", {})),
              words=[r"may already be in ServiceNow", r"not valid JSON|ends too early"],
              rid=True),
    sync_case("sync/check_wrong_shape", sn_faults(("commit_then_drop", API, "PATCH", {"next": 1}),
                                                  ("shape", JOURNAL, "GET", {"shape": "array"})),
              words=[r"may already be in ServiceNow", r"not a JSON object"], rid=True),
    sync_case("sync/check_html", sn_faults(("commit_then_drop", API, "PATCH", {"next": 1}),
                                           ("html", JOURNAL, "GET", {})),
              words=[r"may already be in ServiceNow", r"HTML page"], rid=True),
    sync_case("sync/check_over_cap", sn_faults(("commit_then_drop", API, "PATCH", {"next": 1}),
                                               ("oversize", JOURNAL, "GET", {})),
              words=[r"may already be in ServiceNow", r"larger than the limit"]),
]


def case_sync_store_locked():
    """Another process holds the database's write lock through the whole
    sync: the attempt cannot be recorded, so nothing is sent, and the
    message names the database file and what to do."""
    tag = "sync-store-locked"
    sn = env.fake("servicenow_fake.py")
    state = env.path("st-" + tag)
    conf = env.config(name=tag + ".conf", sn=sn.base, state_dir=state, secrets="memory")
    p = F.subprocess.run([TOOL, conf, "queue", INC, INC_SYS, "1"], capture_output=True,
                         text=True, env=env.env(), timeout=60)
    check(p.returncode == 0, "sn_tool queue: %s %s" % (p.stdout, p.stderr))
    sid = dict(l.partition("=")[::2] for l in p.stdout.splitlines())["sync_id"]
    dbfile = os.path.join(state, "kigo-tui.db")
    db = F.sqlite3.connect(dbfile, timeout=1, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        r = env.run(conf, "sync", timeout=60)
    finally:
        db.execute("ROLLBACK")
        db.close()
    check(r.rc not in (0, None), "sync with the database locked: %r" % r)
    clean(r)
    ours(r)
    said(r, sid, r"pending", r"local database", re.escape(dbfile), r"try again")
    check(journal_count(sn, sid) == 0, "sent although the attempt was not recorded")
    r2 = env.run(conf, "sync", timeout=60)
    check(r2.rc == 0, "sync after the lock: %r" % r2)
    check(journal_count(sn, sid) == 1, "summary %s is %d times in the journal" % (
        sid, journal_count(sn, sid)))


SYNC.append(("sync/store_locked", case_sync_store_locked))


# -- doctor: every service at once ----------------------------------------------
def doctor_case(name, sn_setup=None, kigo_setup=None, idp_setup=None, rc=EXIT_UNAVAILABLE,
                lines=(), max_s=25):
    """lines: (service, regex) pairs the doctor's report must hold."""
    def fn():
        tag = name.replace("/", "-")
        urls = {}
        for svc, script, setup, args in (("servicenow", "servicenow_fake.py", sn_setup, []),
                                         ("kigo", "kigo_fake.py", kigo_setup, ["--permissive"]),
                                         ("idp", "idp_fake.py", idp_setup, [])):
            kw = dict(getattr(setup, "fake_kw", {}))
            f = env.fake(script, args=args, **kw)
            urls[svc] = setup(f) if setup else f.base
        conf = env.config(name=tag + ".conf", sn=urls["servicenow"],
                          kigo=urls["kigo"] + "/api/v1", okta=urls["idp"],
                          state_dir=env.path("st-" + tag), secrets="memory")
        r = env.run(conf, "doctor", timeout=HTTP_TIMEOUT_S * 3)
        check(r.rc == rc, "exit %s, want %s: %r" % (r.rc, rc, r))
        clean(r)
        for svc, pat in lines:
            line = [l for l in r.out.splitlines() if l.startswith(svc)]
            check(line and re.search(pat, line[0], re.I), "%s line lacks /%s/: %r" % (svc, pat, r))
        # under valgrind (F.SLOW) every step is slower: the bound stretches with it
        check(r.secs < max_s * F.SLOW, "took %.1fs (limit %ds)" % (r.secs, max_s * F.SLOW))
    return name, fn


def idp_cert(cert):
    def setup(f):
        return env.fake("idp_fake.py", cert=cert).base
    return setup


def any_fault(kind, **kw):
    def setup(f):
        f.ctl.fault(kind, next=1000, **kw)
        return f.base
    return setup


DOCTOR = [
    doctor_case("doctor/refused_dns_tls", sn_setup=sn_url("refused"),
                kigo_setup=sn_url("dns"), idp_setup=idp_cert("otherca-server"),
                lines=[("servicenow", r"FAIL.*connect"), ("kigo", r"FAIL.*resolve"),
                       ("idp", r"FAIL.*(certificate|verif)")]),
    doctor_case("doctor/stall_and_503", kigo_setup=sn_proxy("--stall"),
                sn_setup=any_fault("503"),
                lines=[("kigo", r"FAIL.*timed out"), ("servicenow", r"503")],
                max_s=HTTP_TIMEOUT_S + 15),
    doctor_case("doctor/clock_2h_off", sn_setup=sn_clock(TWO_HOURS), rc=EXIT_TEMPFAIL,
                lines=[("clock", r"WARN.*(719\d|720\d) s.*(NTP|time)")]),   # Date has 1 s steps
    # a proxy's page stands in for ServiceNow (200) and Kigo (403): not "OK"
    doctor_case("doctor/html_pages", sn_setup=any_fault("html"),
                kigo_setup=any_fault("html", status=403),
                lines=[("servicenow", r"FAIL.*HTTP 200 with an HTML page.*request id.*proxy"),
                       ("kigo", r"FAIL.*HTTP 403 with an HTML page.*proxy")]),
    # bodies over the probe's cap, cut short, and an IdP document of the wrong shape
    doctor_case("doctor/over_cap_cut_shape", kigo_setup=any_fault("oversize", size=200000),
                sn_setup=any_fault("truncate", close=True),
                idp_setup=any_fault("shape", shape="array"),
                lines=[("kigo", r"FAIL.*larger than the limit"),
                       ("servicenow", r"FAIL.*closed before the whole answer"),
                       ("idp", r"FAIL.*not a usable discovery document")]),
]


def available(cmd, *args):
    conf = env.config(name="probe.conf", okta="https://127.0.0.1:1", sn="https://127.0.0.1:1",
                      kigo="https://127.0.0.1:1/api/v1", state_dir=env.path("st-probe"),
                      secrets="memory")
    r = env.run(conf, cmd, *args, timeout=30)
    return "not available in this build" not in r.err


def run():
    cases = list(LOGIN)
    if os.path.exists(TOOL) and available("sync"):
        cases += SYNC
    else:
        print("skip: sync cases (sync or %s not in this build)" % TOOL)
    if available("doctor"):
        cases += DOCTOR
    else:
        print("skip: doctor cases (doctor not in this build)")
    only = os.environ.get("KG_FAULT_CASES")   # a regex: run the matching cases only
    if only:
        cases = [c for c in cases if re.search(only, c[0])]
    return F.run_cases(cases, jobs=4)


if __name__ == "__main__":
    try:
        rc = run()
    finally:
        env.close()
    sys.exit(rc)
