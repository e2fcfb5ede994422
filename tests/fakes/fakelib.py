"""fakelib - a small toolkit for the HTTPS fake servers of kigo-tui's tests.

Python 3 standard library only (run with Debian's /usr/bin/python3).  A fake
is a FakeServer with routes; fakelib adds what every fake needs: TLS with a
certificate from tests/fakes/testca.sh, an ephemeral port reported in a file,
JSON helpers, an X-Request-Id on every response, a log of every request and
fault injection, both reachable by tests over a control endpoint.

Writing a fake
--------------
    import fakelib

    app = fakelib.FakeServer()

    @app.route("GET", r"/api/now/table/incident")
    def incidents(req):
        return 200, {"result": []}

    @app.route("PATCH", r"/api/v1/tokens/(?P<id>[^/]+)")
    def patch_token(req):
        body = req.json()               # None when the body is not JSON
        return 200, {"id": req.match["id"]}, {"ETag": '"v2"'}

    if __name__ == "__main__":
        fakelib.main(app)               # --cert --key --port-file [--host]

A route handler gets a Request and returns (status, body) or
(status, body, headers) or a Response.  body: dict/list -> JSON,
str -> text/plain, bytes -> application/octet-stream, None -> empty.
Request fields: method, path (without query), query (dict name -> list),
query_string, headers (case-insensitive), body (bytes), text(), json(),
match (the route's re.Match), request_id, conn (connection serial: two
requests with the same conn were sent over one reused connection).
Unknown routes answer 404 JSON; an exception in a handler answers 500.
Routes are matched in registration order, the regex against the whole path.
app.lock (an RLock) is held while a handler runs (unless the route says
locked=False, for slow routes), so fakes may keep plain dicts as state.

Command line (fakelib.main): --cert PEM --key PEM [--port-file FILE]
[--host 127.0.0.1] [--plain].  It binds port 0, prints "port N" on stdout and
writes N to --port-file atomically (temp file + rename: when the file exists
the server is accepting).  SIGTERM/SIGINT stop it cleanly.  --plain serves
HTTP without TLS (debugging only; the product refuses http).

Control endpoint (never logged, never faulted)
----------------------------------------------
    GET    /__control/health     -> {"ok": true}
    GET    /__control/requests   -> {"requests": [entry, ...]} oldest first;
           entry = {"seq", "conn", "method", "path", "query" (raw string),
                    "headers" {name: value}, "body" (str, utf-8 with
                    replacement), "request_id", "status", "fault"}
    DELETE /__control/requests   -> clears the log
    POST   /__control/faults     -> add a fault rule, body:
           {"kind": K, "next": N (default 1), "path": "prefix",
            "method": "GET", "retry_after": S, "hang_s": S, "delay_ms": MS,
            and the bad-body options below: "size", "length", "keep",
            "close", "shape", "status", "commit"}
    GET    /__control/faults     -> {"faults": [rule, ...]}
    DELETE /__control/faults     -> removes every rule

A rule applies to the next N requests whose path starts with "path" (and
whose method is "method", when given); rules are consumed oldest first.
Kinds:
    "500" "502" "503" "504" "429" or any other status   answer that status
        with a JSON error body {"error": {"message", "detail"}}, plus
        Retry-After: S when retry_after is given (an int, or a string sent
        as is, e.g. an HTTP-date)
    "reset"             read the request, then reset the TCP connection
                        (RST, nothing answered)
    "hang"              read the request, answer nothing for hang_s seconds
                        (default 60, cut short when the server stops), close
    "delay"             wait delay_ms, then serve the request normally
    "commit_then_drop"  run the real handler (its state change happens),
                        then reset the connection instead of answering

Bad bodies.  These run the real handler first (its state change happens: a
mutation IS applied, only its answer is spoiled), keep its status and
X-Request-Id, and replace the body; "commit": false skips the handler (a
proxy that never forwarded the request; the body is then spoiled from {}).
"status": N overrides the status sent.
    "oversize"          a valid JSON object of "size" bytes (default 9 MiB:
                        over the client's 8 MiB cap, src/http.c DEF_MAX_BODY).
                        "length": false sends no Content-Length and closes
                        the connection after the body (the client's write
                        callback must hit the cap) instead of an honest
                        Content-Length (the client may refuse it up front)
    "truncate"          the handler's JSON cut after "keep" bytes (default
                        half).  By default Content-Length is honest (a
                        complete HTTP answer whose JSON is cut); "close": true
                        announces the whole length, sends "keep" bytes and
                        closes (a transfer cut short)
    "shape"             valid JSON of the wrong shape, "shape" one of
                        "types" (default: every string becomes a number,
                        every number a string, every boolean a string;
                        objects and arrays kept), "array" (the body wrapped
                        in a JSON array), "missing" (the top-level object
                        with its members removed: no "result", no "items")
    "html"              a proxy's HTML error page, Content-Type text/html,
                        status 200 unless "status" says otherwise

Helpers: json_body(obj) -> bytes; error_response(status, message, detail,
headers) -> a ServiceNow-style {"error": {...}, "status": "failure"} Response;
http_date(ts) -> an RFC 7231 date (for Retry-After or Date); arg_parser()
-> the common argparse parser, to add a fake's own options before
main(app, parser=p, setup=fn(args)).

From Python tests the same is available as fakelib.Control(base_url,
cafile): .health(), .requests(), .clear_requests(), .fault(kind, **kw),
.clear_faults(); and in-process as app.add_fault(...), app.requests(), ...
"""

import argparse
import email.utils
import http.server
import json
import os
import re
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import urllib.request
import uuid

__all__ = ["FakeServer", "Request", "Response", "Control", "main", "arg_parser",
           "json_body", "error_response", "http_date"]


def json_body(obj):
    """Serialise obj as compact UTF-8 JSON bytes."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Request:
    """One received request, as handed to a route handler."""

    def __init__(self, method, target, headers, body, conn):
        parts = urllib.parse.urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query_string = parts.query
        self.query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.conn = conn
        self.match = None
        self.request_id = "req-" + uuid.uuid4().hex[:16]

    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def arg(self, name, default=None):
        """First value of a query parameter."""
        vals = self.query.get(name)
        return vals[0] if vals else default


class Response:
    def __init__(self, status=200, body=None, headers=None):
        self.status = int(status)
        self.headers = dict(headers or {})
        if body is None:
            self.body = b""
        elif isinstance(body, (dict, list)):
            self.body = json_body(body)
            self.headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            self.body = body.encode("utf-8")
            self.headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            self.body = bytes(body)
            self.headers.setdefault("Content-Type", "application/octet-stream")

    @classmethod
    def of(cls, result):
        if isinstance(result, Response):
            return result
        if isinstance(result, tuple):
            return cls(*result)
        raise TypeError("handler must return (status, body[, headers]) or Response")


def error_response(status, message, detail="", headers=None):
    """ServiceNow-style JSON error body; fakes may use it too."""
    return Response(status, {"error": {"message": message, "detail": detail},
                             "status": "failure"}, headers)


BAD_BODIES = ("oversize", "truncate", "shape", "html")
DEFAULT_OVERSIZE = 9 << 20       # the client's cap is 8 MiB (src/http.c)
HTML_PAGE = ("<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
             "<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response "
             "from an upstream server.</p><hr><address>corp-proxy/2.4</address></body>"
             "</html>\n")


def _wrong_types(v):
    """Every leaf of the wrong type; objects and arrays kept."""
    if isinstance(v, dict):
        return {k: _wrong_types(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_wrong_types(x) for x in v]
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return 12345
    return v


def _spoil(resp, kind, fault):
    """The bad-body fault `kind` applied to the handler's answer resp."""
    status = int(fault.get("status") or resp.status)
    hdrs = {k: v for k, v in resp.headers.items() if k.lower() != "content-type"}
    if kind == "html":
        return Response(int(fault.get("status") or 200), HTML_PAGE.encode("utf-8"),
                        dict(hdrs, **{"Content-Type": "text/html; charset=utf-8"}))
    hdrs["Content-Type"] = "application/json"
    if kind == "oversize":
        size = int(fault.get("size") or DEFAULT_OVERSIZE)
        head, tail = b'{"padding":"', b'"}'
        pad = max(0, size - len(head) - len(tail))
        return Response(status, head + b"x" * pad + tail, hdrs)
    try:
        obj = json.loads(resp.body.decode("utf-8")) if resp.body else {}
    except (ValueError, UnicodeDecodeError):
        obj = {}
    if kind == "truncate":
        full = json_body(obj) if resp.body else b'{"result":{}}'
        keep = int(fault.get("keep") or max(1, len(full) // 2))
        keep = max(1, min(keep, len(full) - 1))
        fault["_full"] = len(full)
        return Response(status, full[:keep], hdrs)
    shape = fault.get("shape") or "types"
    if shape == "array":
        obj = [obj]
    elif shape == "missing":
        obj = {}
    else:
        obj = _wrong_types(obj)
    return Response(status, obj, hdrs)


class _Drop(Exception):
    """Raised inside the handler to end the connection without an answer."""

    def __init__(self, reset):
        super().__init__("drop")
        self.reset = reset


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, so connection reuse is visible
    server_version = "kigo-fake/1"
    sys_version = ""

    def setup(self):
        app = self.server.app
        self.conn_id = app._next_conn()
        if app.ssl_context is not None:
            self.request.settimeout(10)
            self.request = app.ssl_context.wrap_socket(self.request, server_side=True)
            self.request.settimeout(None)
        super().setup()

    def log_message(self, fmt, *args):
        if self.server.app.verbose:
            sys.stderr.write("fake: " + (fmt % args) + "\n")

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, resp, req_id):
        self.send_response(resp.status)
        hdrs = dict(resp.headers)
        hdrs.setdefault("X-Request-Id", req_id)
        hdrs["Content-Length"] = str(len(resp.body))
        for k, v in hdrs.items():
            self.send_header(k, str(v))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    def _reset(self):
        try:
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        raise _Drop(True)

    def _dispatch(self):
        app = self.server.app
        body = self._read_body()
        req = Request(self.command, self.path, self.headers, body, self.conn_id)
        if req.path.startswith("/__control/"):
            self._send(app._control(req), req.request_id)
            return
        fault = app._take_fault(req)
        kind = fault["kind"] if fault else None
        entry = app._log(req, kind)
        if kind == "reset":
            self._reset()
        if kind == "hang":
            app.stopping.wait(float(fault.get("hang_s", 60)))
            self.close_connection = True
            raise _Drop(False)
        if kind == "delay":
            app.stopping.wait(float(fault.get("delay_ms", 1000)) / 1000.0)
        if kind is not None and kind.isdigit():
            hdrs = {}
            if fault.get("retry_after") is not None:
                hdrs["Retry-After"] = str(fault["retry_after"])
            resp = error_response(int(kind), "Injected fault %s" % kind,
                                  "fakelib fault rule", hdrs)
        elif kind in BAD_BODIES and fault.get("commit") is False:
            resp = Response(200, {})
        else:
            resp = app._route(req)
        if kind in BAD_BODIES:
            resp = _spoil(resp, kind, fault)
        entry["status"] = resp.status
        if kind == "commit_then_drop":
            self._reset()
        rid = resp.headers.get("X-Request-Id", req.request_id)
        if kind == "oversize" and fault.get("length") is False:
            self._send_unframed(resp, rid)
        elif kind == "truncate" and fault.get("close"):
            self._send_cut(resp, rid, int(fault.get("_full", len(resp.body))))
        else:
            self._send(resp, rid)

    def _head(self, resp, req_id, length):
        self.send_response(resp.status)
        hdrs = dict(resp.headers)
        hdrs.setdefault("X-Request-Id", req_id)
        if length is not None:
            hdrs["Content-Length"] = str(length)
        else:
            hdrs["Connection"] = "close"
        for k, v in hdrs.items():
            self.send_header(k, str(v))
        self.end_headers()

    def _send_unframed(self, resp, req_id):
        """No Content-Length: the body ends when the connection closes."""
        self._head(resp, req_id, None)
        for i in range(0, len(resp.body), 65536):
            self.wfile.write(resp.body[i:i + 65536])
        self.wfile.flush()
        self.close_connection = True
        raise _Drop(False)

    def _send_cut(self, resp, req_id, full):
        """Announce full bytes, send fewer, close: a transfer cut short."""
        self._head(resp, req_id, full)
        self.wfile.write(resp.body)
        self.wfile.flush()
        self.close_connection = True
        raise _Drop(False)

    def handle_one_request(self):
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._dispatch()
            self.wfile.flush()
        except _Drop:
            self.close_connection = True
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            self.close_connection = True

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        try:
            self.request.close()
        except OSError:
            pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            return  # TLS failures and resets are what the fault tests provoke
        super().handle_error(request, client_address)


class FakeServer:
    """A routed HTTPS server with request log and fault injection."""

    def __init__(self, verbose=False):
        self.routes = []
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.verbose = verbose
        self.ssl_context = None
        self.httpd = None
        self.port = None
        self._faults = []
        self._requests = []
        self._seq = 0
        self._conns = 0

    # -- routes ---------------------------------------------------------
    def route(self, method, pattern, locked=True):
        """Decorator: method ("GET", ... or "*") and a regex for the whole
        path; locked=False runs the handler without app.lock (slow routes)."""
        rx = re.compile(pattern)

        def deco(fn):
            self.routes.append((method.upper(), rx, fn, locked))
            return fn
        return deco

    def _route(self, req):
        allowed = False
        for method, rx, fn, locked in self.routes:
            m = rx.fullmatch(req.path)
            if not m:
                continue
            if method not in ("*", req.method):
                allowed = True
                continue
            req.match = m
            try:
                if not locked:
                    return Response.of(fn(req))
                with self.lock:
                    return Response.of(fn(req))
            except Exception:  # a broken fake must be loud, not hang the test
                traceback.print_exc()
                return error_response(500, "fake handler crashed", traceback.format_exc(limit=3))
        if allowed:
            return error_response(405, "Method not allowed", req.method + " " + req.path)
        return error_response(404, "No such route", req.path)

    # -- request log and faults -------------------------------------------
    def _next_conn(self):
        with self.lock:
            self._conns += 1
            return self._conns

    def _log(self, req, fault):
        with self.lock:
            self._seq += 1
            entry = {"seq": self._seq, "conn": req.conn, "method": req.method, "path": req.path,
                     "query": req.query_string, "headers": {k: v for k, v in req.headers.items()},
                     "body": req.text(), "request_id": req.request_id, "status": None,
                     "fault": fault}
            self._requests.append(entry)
            return entry

    def requests(self):
        with self.lock:
            return [dict(e) for e in self._requests]

    def clear_requests(self):
        with self.lock:
            self._requests.clear()

    def add_fault(self, kind, next=1, path="", method=None, **kw):
        rule = dict(kw, kind=str(kind), next=int(next), path=path or "",
                    method=method.upper() if method else None)
        with self.lock:
            self._faults.append(rule)
        return rule

    def clear_faults(self):
        with self.lock:
            self._faults.clear()

    def _take_fault(self, req):
        with self.lock:
            for rule in self._faults:
                if not req.path.startswith(rule["path"]):
                    continue
                if rule["method"] and rule["method"] != req.method:
                    continue
                rule["next"] -= 1
                if rule["next"] <= 0:
                    self._faults.remove(rule)
                return dict(rule)
        return None

    def _control(self, req):
        what = req.path[len("/__control/"):]
        if what == "health":
            return Response(200, {"ok": True})
        if what == "requests":
            if req.method == "DELETE":
                self.clear_requests()
                return Response(204)
            return Response(200, {"requests": self.requests()})
        if what == "faults":
            if req.method == "DELETE":
                self.clear_faults()
                return Response(204)
            if req.method == "POST":
                spec = req.json()
                if not isinstance(spec, dict) or "kind" not in spec:
                    return error_response(400, "fault needs a JSON object with kind")
                return Response(201, self.add_fault(**spec))
            with self.lock:
                return Response(200, {"faults": [dict(r) for r in self._faults]})
        return error_response(404, "No such control endpoint", req.path)

    # -- serving ----------------------------------------------------------
    def start(self, certfile=None, keyfile=None, host="127.0.0.1", port=0, port_file=None):
        """Bind and serve in a background thread; returns the port."""
        if certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certfile, keyfile)
            ctx.set_alpn_protocols(["http/1.1"])
            self.ssl_context = ctx
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        _Server.address_family = family
        self.httpd = _Server((host, port), _Handler)
        self.httpd.app = self
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True).start()
        if port_file:
            tmp = "%s.tmp.%d" % (port_file, os.getpid())
            with open(tmp, "w") as f:
                f.write("%d\n" % self.port)
            os.replace(tmp, port_file)
        return self.port

    def stop(self):
        self.stopping.set()
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()


class Control:
    """Client for a running fake's control endpoint (for Python tests)."""

    def __init__(self, base_url, cafile=None):
        self.base = base_url.rstrip("/")
        self.ctx = ssl.create_default_context(cafile=cafile) if self.base.startswith("https") else None

    def call(self, method, path, obj=None):
        data = json_body(obj) if obj is not None else None
        rq = urllib.request.Request(self.base + path, data=data, method=method,
                                    headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(rq, context=self.ctx, timeout=10) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def health(self):
        return self.call("GET", "/__control/health")

    def requests(self):
        return self.call("GET", "/__control/requests")["requests"]

    def clear_requests(self):
        self.call("DELETE", "/__control/requests")

    def fault(self, kind, **kw):
        return self.call("POST", "/__control/faults", dict(kw, kind=str(kind)))

    def clear_faults(self):
        self.call("DELETE", "/__control/faults")


def http_date(ts=None):
    return email.utils.formatdate(ts if ts is not None else time.time(), usegmt=True)


def arg_parser(description="kigo-tui test fake"):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--cert", help="server certificate (PEM)")
    p.add_argument("--key", help="server key (PEM)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port-file", help="write the bound port here")
    p.add_argument("--plain", action="store_true", help="HTTP without TLS (debugging)")
    p.add_argument("--verbose", action="store_true")
    return p


def main(app, argv=None, parser=None, setup=None):
    """Parse the common options (parser: an arg_parser() with more options),
    call setup(args) if given, serve until SIGTERM/SIGINT."""
    args = (parser or arg_parser()).parse_args(argv)
    if setup:
        setup(args)
    if not args.plain and not (args.cert and args.key):
        sys.exit("fake: --cert and --key are required (or --plain)")
    app.verbose = args.verbose
    done = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: done.set())
    port = app.start(None if args.plain else args.cert, args.key, args.host, 0, args.port_file)
    print("port %d" % port, flush=True)
    while not done.wait(0.5):
        pass
    app.stop()
    return args
