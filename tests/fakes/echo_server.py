#!/usr/bin/python3
"""echo_server.py - generic HTTPS echo fake for the HTTP core tests.

    echo_server.py --cert server.pem --key server.key --port-file FILE

Routes (any method unless noted), on top of fakelib's control endpoint:
    /echo[/...]        200 JSON {"method","path","query","headers","body","conn"};
                       ?etag=V sets ETag: V, ?replayed=1 sets
                       Idempotent-Replayed: true, ?date=1 sends a fixed Date
                       (Wed, 25 Nov 2026 08:30:00 GMT), ?rid=V sets X-Request-Id: V
    /status/NNN        answers status NNN with a small JSON error body
    /bytes/N           N bytes of "x" (application/octet-stream)
    /delay/MS          waits MS milliseconds, then 200 {"ok": true}
    /gzip/N            N bytes of "x" gzip-compressed (Content-Encoding: gzip),
                       so Content-Length is small and only the decoded size is big
"""

import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakelib  # noqa: E402

app = fakelib.FakeServer()
FIXED_DATE = "Wed, 25 Nov 2026 08:30:00 GMT"


@app.route("*", r"/echo(/.*)?")
def echo(req):
    hdrs = {}
    if req.arg("etag"):
        hdrs["ETag"] = req.arg("etag")
    if req.arg("replayed"):
        hdrs["Idempotent-Replayed"] = "true"
    if req.arg("date"):
        hdrs["Date"] = FIXED_DATE
    if req.arg("rid"):
        hdrs["X-Request-Id"] = req.arg("rid")
    return 200, {"method": req.method, "path": req.path, "query": req.query_string,
                 "headers": {k: v for k, v in req.headers.items()},
                 "body": req.text(), "conn": req.conn}, hdrs


@app.route("*", r"/status/(?P<code>[0-9]{3})")
def status(req):
    code = int(req.match["code"])
    return fakelib.error_response(code, "Status %d as asked" % code, "echo_server")


@app.route("GET", r"/bytes/(?P<n>[0-9]+)")
def nbytes(req):
    return 200, b"x" * int(req.match["n"])


@app.route("GET", r"/gzip/(?P<n>[0-9]+)")
def gz(req):
    return 200, gzip.compress(b"x" * int(req.match["n"])), {"Content-Encoding": "gzip"}


@app.route("GET", r"/delay/(?P<ms>[0-9]+)", locked=False)
def delay(req):
    app.stopping.wait(int(req.match["ms"]) / 1000.0)
    return 200, {"ok": True}


if __name__ == "__main__":
    fakelib.main(app)
