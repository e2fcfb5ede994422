#!/usr/bin/python3
"""test_sn_okta.py - servicenow.auth = okta: the ticket and the summary go
out with the Okta access token as Bearer (ServiceNow validates it at the
IdP's userinfo, as a real instance does), a 401 makes one refresh and one
resend, and a failed refresh leaves the summary pending with a reason."""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sn_harness import FAKES, INC1, Env, run_tests  # noqa: E402
import fakelib  # noqa: E402

env = Env(start=False)
idp_port_file = os.path.join(env.dir, "idp-port")
idp_log = open(os.path.join(env.dir, "idp.log"), "w")
idp = subprocess.Popen(["/usr/bin/python3", os.path.join(FAKES, "idp_fake.py"),
                        "--cert", os.path.join(env.pki, "server.pem"),
                        "--key", os.path.join(env.pki, "server.key"),
                        "--port-file", idp_port_file], stdout=idp_log, stderr=idp_log)
deadline = time.time() + 15
while not os.path.exists(idp_port_file):
    if idp.poll() is not None or time.time() > deadline:
        raise SystemExit("idp_fake did not start")
    time.sleep(0.05)
with open(idp_port_file) as f:
    IDP = "https://127.0.0.1:%d" % int(f.read())
idp_ctl = fakelib.Control(IDP, os.path.join(env.pki, "ca.pem"))
env.extra = ["--userinfo", IDP + "/userinfo", "--userinfo-ca", os.path.join(env.pki, "ca.pem")]
env.conf_opts = {"auth": "okta", "okta_issuer": IDP, "secrets": "file"}
env.start()


def idp_state():
    return idp_ctl.call("GET", "/test/state")


def idp_config(**kw):
    idp_ctl.call("POST", "/test/config", kw)


def bearer_of(r):
    return r["headers"].get("Authorization", "")


def test_login():
    idp_config(polls=["ok"], interval=1)
    rc, out, err = env.run("login", "--no-qr", timeout=60)
    assert rc == 0, (out, err)
    assert idp_state()["access_token"]


def test_ticket_with_bearer():
    env.ctl.clear_requests()
    rc, kv, p = env.tool("ticket", INC1, password="")
    assert rc == 0, p.stdout + p.stderr
    (r,) = env.api_requests()
    assert bearer_of(r) == "Bearer " + idp_state()["access_token"], bearer_of(r)


def test_summary_with_bearer():
    env.ctl.clear_requests()
    sid = env.queue()
    rc, out, err = env.sync()
    assert rc == 0, (out, err)
    (p,) = [r for r in env.api_requests() if r["method"] == "PATCH"]
    assert bearer_of(p) == "Bearer " + idp_state()["access_token"]
    assert len([e for e in env.journal() if sid in e["value"]]) == 1


def test_401_refreshes_once_and_sends_once():
    env.ctl.clear_requests()
    before = idp_state()
    sid = env.queue()
    env.ctl.fault(401, path="/api/now/table/incident/", method="PATCH")
    rc, out, err = env.sync()
    assert rc == 0, (out, err)
    after = idp_state()
    assert after["refreshes"] == before["refreshes"] + 1, (before, after)
    ps = [r for r in env.api_requests() if r["method"] == "PATCH"]
    assert [r["status"] for r in ps] == [401, 200], ps
    assert bearer_of(ps[1]) == "Bearer " + after["access_token"]
    assert bearer_of(ps[0]) != bearer_of(ps[1])
    assert len([e for e in env.journal() if sid in e["value"]]) == 1


def test_refresh_fails_stays_pending():
    env.ctl.clear_requests()
    sid = env.queue()
    idp_config(refresh="invalid_grant")
    env.ctl.fault(401, path="/api/now/table/incident/", method="PATCH")
    rc, out, err = env.sync()
    print(err)
    assert rc == 75, (rc, out, err)
    assert sid in err and "still pending" in err, err
    assert "login" in err, err
    assert [e for e in env.journal() if sid in e["value"]] == []
    at = idp_state()["access_token"]
    assert at not in out + err


try:
    run_tests([test_login, test_ticket_with_bearer, test_summary_with_bearer,
               test_401_refreshes_once_and_sends_once, test_refresh_fails_stays_pending])
finally:
    env.close()
    idp.terminate()
    idp.wait()
    idp_log.close()
