#!/usr/bin/python3
"""idp_fake - a small OpenID provider for the login paths a real one will
not produce: slow_down, a missing interval, malformed or oversized JSON,
error responses, an IdP that stops answering (fakelib's "hang" fault), and
a resource server that answers 401.

Built on fakelib (HTTPS with the test CA, port file, request log, faults).
Tests steer it with POST /test/config (JSON, merged into the config) and
read what happened with GET /test/state.

Config keys (defaults in CONFIG below):
  interval        seconds, or null to leave "interval" out
  expires_in      device code lifetime, seconds
  device_body     "ok" | "malformed" | "oversized" | "wrong_type" | "error"
  polls           list of answers to the device_code grant, in order; the
                  last repeats: "pending" | "slow_down" | "ok" | "denied" |
                  "expired" | "malformed" | "oversized" | "invalid_client"
  token_lifetime  access token expires_in, seconds
  name, email     claims in the id_token
  with_id_token   false: no id_token (userinfo gives the name)
  revocation      false: no revocation_endpoint in discovery
  refresh         "ok" (rotate) | "invalid_grant" | "503"
  resource_401    answer 401 to this many resource calls even with a good token
"""

import base64
import json
import os
import sys
import urllib.parse
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakelib  # noqa: E402

app = fakelib.FakeServer()

CONFIG = {
    "interval": 1,
    "expires_in": 600,
    "device_body": "ok",
    "polls": ["pending", "ok"],
    "token_lifetime": 3600,
    "name": "Ana Example",
    "email": "ana@example.test",
    "with_id_token": True,
    "revocation": True,
    "refresh": "ok",
    "resource_401": 0,
}
STATE = {
    "poll_times": [],        # monotonic seconds of each device_code poll
    "device_time": None,     # when the device code was handed out
    "refreshes": 0,
    "refresh_tokens_used": [],
    "revoked": [],           # [{"token", "hint"}]
    "resource_calls": 0,
    "resource_auth": [],     # Authorization headers seen by the resource
    "access_token": None,
    "refresh_token": None,
    "device_code": None,
    "user_code": None,
}
POLL_INDEX = [0]


def issuer(req):
    return "https://" + req.headers.get("Host", "127.0.0.1")


def b64url(obj):
    raw = json.dumps(obj).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def new_tokens(req):
    at = "AT-" + uuid.uuid4().hex
    rt = "RT-" + uuid.uuid4().hex
    STATE["access_token"] = at
    STATE["refresh_token"] = rt
    body = {"access_token": at, "token_type": "Bearer", "expires_in": CONFIG["token_lifetime"],
            "refresh_token": rt, "scope": "openid profile offline_access"}
    if CONFIG["with_id_token"]:
        claims = {"iss": issuer(req), "sub": "user-1", "aud": "kigo-test",
                  "exp": int(time.time()) + 3600, "name": CONFIG["name"],
                  "email": CONFIG["email"]}
        body["id_token"] = "eyJhbGciOiJub25lIn0." + b64url(claims) + ".sig"
    return body


def oauth_error(code, desc=None, status=400):
    body = {"error": code}
    if desc:
        body["error_description"] = desc
    return status, body


@app.route("GET", r"/\.well-known/openid-configuration")
def discovery(req):
    base = issuer(req)
    doc = {"issuer": base, "token_endpoint": base + "/token",
           "device_authorization_endpoint": base + "/device",
           "userinfo_endpoint": base + "/userinfo",
           "grant_types_supported": ["urn:ietf:params:oauth:grant-type:device_code"]}
    if CONFIG["revocation"]:
        doc["revocation_endpoint"] = base + "/revoke"
    return 200, doc


@app.route("POST", r"/device")
def device(req):
    kind = CONFIG["device_body"]
    if kind == "malformed":
        return 200, '{"device_code": "abc", "user_code": ', {"Content-Type": "application/json"}
    if kind == "oversized":
        return 200, {"device_code": "x", "pad": "y" * (200 * 1024)}
    if kind == "error":
        return oauth_error("invalid_client", "Client \x1b[31mauthentication\x1b[0m failed", 401)
    STATE["device_code"] = "DC-" + uuid.uuid4().hex
    STATE["user_code"] = "WDJB-MJHT"
    STATE["device_time"] = time.monotonic()
    POLL_INDEX[0] = 0
    base = issuer(req)
    body = {"device_code": STATE["device_code"], "user_code": STATE["user_code"],
            "verification_uri": base + "/activate",
            "verification_uri_complete": base + "/activate?user_code=WDJB-MJHT",
            "expires_in": CONFIG["expires_in"]}
    if kind == "wrong_type":
        body["expires_in"] = "600"
    if CONFIG["interval"] is not None:
        body["interval"] = CONFIG["interval"]
    return 200, body


@app.route("POST", r"/token")
def token(req):
    form = {k: v[0] for k, v in urllib.parse.parse_qs(req.text()).items()}
    grant = form.get("grant_type")
    if grant == "urn:ietf:params:oauth:grant-type:device_code":
        STATE["poll_times"].append(time.monotonic())
        if form.get("device_code") != STATE["device_code"] or form.get("client_id") != "kigo-test":
            return oauth_error("invalid_grant", "unknown device code")
        polls = CONFIG["polls"]
        answer = polls[min(POLL_INDEX[0], len(polls) - 1)]
        POLL_INDEX[0] += 1
        if answer == "pending":
            return oauth_error("authorization_pending")
        if answer == "slow_down":
            return oauth_error("slow_down")
        if answer == "denied":
            return oauth_error("access_denied", "The end-user denied the request")
        if answer == "expired":
            return oauth_error("expired_token")
        if answer == "invalid_client":
            return oauth_error("invalid_client", "no such client\x07\x1b]0;pwned\x07")
        if answer == "malformed":
            return 200, "{\"access_token\": 5}", {"Content-Type": "application/json"}
        if answer == "oversized":
            return 200, {"access_token": "A", "token_type": "Bearer", "pad": "z" * (100 * 1024)}
        return 200, new_tokens(req), {"Cache-Control": "no-store"}
    if grant == "refresh_token":
        STATE["refreshes"] += 1
        STATE["refresh_tokens_used"].append(form.get("refresh_token"))
        if CONFIG["refresh"] == "503":
            return oauth_error("temporarily_unavailable", None, 503)
        if CONFIG["refresh"] == "invalid_grant" or form.get("refresh_token") != STATE["refresh_token"]:
            return oauth_error("invalid_grant", "refresh token is invalid or was already used")
        return 200, new_tokens(req)
    return oauth_error("unsupported_grant_type")


@app.route("POST", r"/revoke")
def revoke(req):
    form = {k: v[0] for k, v in urllib.parse.parse_qs(req.text()).items()}
    STATE["revoked"].append({"token": form.get("token"), "hint": form.get("token_type_hint")})
    return 200, None


@app.route("GET", r"/userinfo")
def userinfo(req):
    if req.headers.get("Authorization") != "Bearer %s" % STATE["access_token"]:
        return 401, {"error": "invalid_token"}
    return 200, {"sub": "user-1", "name": CONFIG["name"], "email": CONFIG["email"]}


@app.route("*", r"/api/resource")
def resource(req):
    STATE["resource_calls"] += 1
    auth = req.headers.get("Authorization")
    STATE["resource_auth"].append(auth)
    if CONFIG["resource_401"] > 0:
        CONFIG["resource_401"] -= 1
        return 401, {"error": "invalid_token"}
    if STATE["access_token"] is None or auth != "Bearer %s" % STATE["access_token"]:
        return 401, {"error": "invalid_token"}
    return 200, {"ok": True, "body": req.text()}


@app.route("POST", r"/test/config")
def set_config(req):
    spec = req.json() or {}
    CONFIG.update(spec)
    if "access_token" in spec:  # make the current token invalid at the resource
        STATE["access_token"] = spec["access_token"]
    return 200, CONFIG


@app.route("GET", r"/test/state")
def get_state(req):
    st = dict(STATE)
    if st["device_time"] is not None:
        st["poll_offsets"] = [round(t - st["device_time"], 3) for t in st["poll_times"]]
    st.pop("poll_times")
    st.pop("device_time")
    return 200, st


if __name__ == "__main__":
    fakelib.main(app)
