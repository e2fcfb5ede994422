#!/usr/bin/python3
"""test_http_tls.py - the shared HTTPS test infrastructure works end to end.

Makes a PKI with tests/fakes/testca.sh, starts tests/fakes/echo_server.py as
a separate process (as the Criterion tests and other fakes do) and checks,
with Python's own TLS client: the good certificate verifies for localhost and
127.0.0.1; the expired, wrong-host and other-CA
certificates are rejected; the control endpoint logs requests and injects
faults.  The product's own TLS path is covered by build/tests/test_http.
Exit 0 pass, 77 skip, anything else fail.
"""

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.environ.get("KG_TEST_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
FAKES = os.path.join(ROOT, "tests", "fakes")
sys.path.insert(0, FAKES)
import fakelib  # noqa: E402


def start(tmp, cert):
    port_file = os.path.join(tmp, "port-" + cert)
    log = open(os.path.join(tmp, cert + ".log"), "w")
    proc = subprocess.Popen([sys.executable, os.path.join(FAKES, "echo_server.py"),
                             "--cert", os.path.join(tmp, cert + ".pem"),
                             "--key", os.path.join(tmp, cert + ".key"),
                             "--port-file", port_file], stdout=log, stderr=log)
    deadline = time.time() + 10
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit("echo_server did not start; see " + log.name)
        time.sleep(0.02)
    with open(port_file) as f:
        return proc, int(f.read())


def get(url, cafile, **kw):
    ctx = ssl.create_default_context(cafile=cafile)
    with urllib.request.urlopen(urllib.request.Request(url, **kw), context=ctx, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


def expect_tls_failure(url, cafile, words):
    try:
        get(url, cafile)
    except urllib.error.URLError as e:
        reason = str(e.reason)
        assert isinstance(e.reason, ssl.SSLCertVerificationError), reason
        assert any(w in reason for w in words), reason
        return
    raise AssertionError("TLS verification should have failed for " + url)


def main():
    if shutil.which("openssl") is None:
        print("openssl not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="kg-tls-")
    procs = []
    try:
        t0 = time.time()
        subprocess.run(["sh", os.path.join(FAKES, "testca.sh"), tmp], check=True)
        subprocess.run(["sh", os.path.join(FAKES, "testca.sh"), tmp], check=True)  # idempotent
        for f in ("ca.pem", "server.pem", "server.key", "expired.pem", "wronghost.pem",
                  "otherca.pem", "otherca-server.pem"):
            assert os.path.exists(os.path.join(tmp, f)), f
        assert os.stat(os.path.join(tmp, "ca.key")).st_mode & 0o077 == 0
        print("testca.sh: %.2fs" % (time.time() - t0))
        ca = os.path.join(tmp, "ca.pem")

        good, port = start(tmp, "server")
        procs.append(good)
        base = "https://127.0.0.1:%d" % port
        status, hdrs, body = get(base + "/echo/a?x=1", ca, data=b'{"k":1}', method="POST")
        assert status == 200 and hdrs.get("X-Request-Id", "").startswith("req-"), hdrs
        echoed = json.loads(body)
        assert echoed["method"] == "POST" and echoed["body"] == '{"k":1}', echoed
        status, _, _ = get("https://localhost:%d/echo" % port, ca)
        assert status == 200

        ctl = fakelib.Control(base, ca)
        assert ctl.health() == {"ok": True}
        ctl.fault("503", next=2, retry_after=7, path="/echo")
        for _ in range(2):
            try:
                get(base + "/echo", ca)
                raise AssertionError("expected 503")
            except urllib.error.HTTPError as e:
                assert e.code == 503 and e.headers["Retry-After"] == "7"
                assert e.headers["X-Request-Id"]
        assert get(base + "/echo", ca)[0] == 200
        ctl.fault("reset")
        try:
            get(base + "/echo", ca)
            raise AssertionError("expected a reset")
        except (ConnectionError, urllib.error.URLError):
            pass
        reqs = ctl.requests()
        assert [r["fault"] for r in reqs[-4:]] == ["503", "503", None, "reset"], reqs
        assert reqs[0]["headers"].get("Content-Type") is not None
        ctl.clear_requests()
        assert ctl.requests() == []

        expect_tls_failure("https://localhost:%d/echo" % port, os.path.join(tmp, "otherca.pem"),
                           ["unable to get local issuer", "certificate verify failed"])
        for cert, words in (("expired", ["expired"]), ("wronghost", ["mismatch", "match"])):
            proc, p = start(tmp, cert)
            procs.append(proc)
            expect_tls_failure("https://127.0.0.1:%d/echo" % p, ca, words)
        print("ok")
        return 0
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
