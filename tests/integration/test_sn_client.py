#!/usr/bin/python3
"""test_sn_client.py - the ServiceNow client against the fake over real HTTPS:
fetch by number and sys_id with the exact request checked, injection never
sent, 401/403/404/429/5xx, and the caller."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sn_harness import INC1, SYS1, Env, md5, query_of, run_tests  # noqa: E402

FIELDS = ("number,short_description,state,priority,caller_id,assigned_to,sys_updated_on,sys_id,"
          "caller_id.email,caller_id.phone,caller_id.mobile_phone")
env = Env()


def fresh():
    env.ctl.clear_faults()
    env.ctl.clear_requests()


def test_by_number():
    fresh()
    rc, kv, p = env.tool("ticket", "inc0010001")
    assert rc == 0, p.stdout + p.stderr
    assert kv["number"] == INC1 and kv["sys_id"] == SYS1
    assert kv["state"] == "2" and kv["state_label"] == "In Progress"
    assert kv["priority_label"] == "2 - High"
    assert kv["caller_name"] == "Jane Doe"
    assert kv["caller_id"] == md5("user:jane.doe@example.com")
    assert kv["assigned_to_name"] == "Agent Smith"
    assert kv["short_description"] == "ExtraBucks not applied"
    reqs = env.api_requests()
    assert len(reqs) == 1, reqs
    r = reqs[0]
    assert r["method"] == "GET" and r["path"] == "/api/now/table/incident"
    q = query_of(r)
    assert q == {"sysparm_query": "number=" + INC1, "sysparm_limit": "2",
                 "sysparm_fields": FIELDS, "sysparm_display_value": "all",
                 "sysparm_exclude_reference_link": "true"}, q
    # the caller came along (dot-walked): no sys_user request is needed
    assert kv["caller_read"] == "yes" and kv["caller_email"] == "jane.doe@example.com", kv
    assert kv["caller_phone"] == "+14015550100", kv
    assert r["headers"].get("Authorization", "").startswith("Basic ")
    assert r["headers"].get("Accept") == "application/json"


def test_by_sys_id():
    fresh()
    rc, kv, p = env.tool("ticket", SYS1)
    assert rc == 0, p.stdout + p.stderr
    assert kv["number"] == INC1
    (r,) = env.api_requests()
    assert r["path"] == "/api/now/table/incident/" + SYS1
    assert query_of(r) == {"sysparm_fields": FIELDS, "sysparm_display_value": "all",
                           "sysparm_exclude_reference_link": "true"}
    assert kv["caller_read"] == "yes" and kv["caller_email"] == "jane.doe@example.com", kv


def test_caller_fields_left_out():
    """An instance that leaves dot-walked fields out: the ticket still reads,
    and says that the caller must be read from sys_user."""
    fresh()
    env.ctl.call("POST", "/__sn/acl", {"dot_walk": False})
    try:
        rc, kv, p = env.tool("ticket", INC1)
    finally:
        env.ctl.call("POST", "/__sn/acl", {"dot_walk": True})
    assert rc == 0, p.stdout + p.stderr
    assert kv["caller_id"] == md5("user:jane.doe@example.com")
    assert kv["caller_read"] == "no", kv
    assert "caller_email" not in kv, kv


def test_injection_never_sent():
    fresh()
    for bad in ("INC0010001^NQactive=true", "INC0010001^ORnumber=INC0010002",
                "INC0010001%5ENQ", "INC0010001 ", "INC001", "I0010001", "INC0010001\n",
                "number=INC0010001", "../INC0010001", "INC0010001@x"):
        rc, kv, p = env.tool("ticket", bad)
        assert rc == 65, (bad, rc, p.stdout)
        assert kv.get("err") == "BAD_INPUT", (bad, p.stdout)
    assert env.api_requests() == [], env.api_requests()
    # a sys_id that is not 32 hex digits is refused too (and is not a number)
    rc, kv, p = env.tool("ticket", "9d385017c611228701d22104cc95c37z")
    assert rc == 65 and env.api_requests() == []


def test_hidden_ticket_404():
    fresh()
    rc, kv, p = env.tool("ticket", "INC0010005")
    assert kv["err"] == "NOT_FOUND", p.stdout
    assert "no such ticket, or you may not see it" in kv["message"]
    rc, kv, p = env.tool("ticket", md5("INC0010005"))
    assert kv["err"] == "NOT_FOUND", p.stdout
    m = kv["message"]
    # both parts of ServiceNow's envelope, the hint and the request id
    assert "No Record found" in m and "ACL restricts" in m, m
    assert "no such ticket, or you may not see it" in m and "request id req-" in m, m


def test_two_records_or_other_number_refused():
    seeded = Env(seed={"users": [], "tickets": [
        {"number": "INC0020002", "sys_id": md5("a"), "short_description": "one"},
        {"number": "INC0020002", "sys_id": md5("b"), "short_description": "two"}]})
    try:
        rc, kv, p = seeded.tool("ticket", "INC0020002")
        assert kv["err"] == "PROTOCOL", p.stdout
        assert "2 records" in kv["message"], kv["message"]
        rc, kv, p = seeded.tool("ticket", "INC0020003")
        assert kv["err"] == "NOT_FOUND"
    finally:
        seeded.close()


def test_401_bad_password():
    fresh()
    rc, kv, p = env.tool("ticket", INC1, password="wrong")
    assert rc == 77 and kv["err"] == "UNAUTHORIZED", p.stdout
    m = kv["message"]
    assert "User Not Authenticated" in m and "Required to provide Auth information" in m, m
    assert "servicenow.username" in m, m
    assert "wrong" not in p.stdout + p.stderr


def test_403():
    fresh()
    env.ctl.fault(403, path="/api/now/table/incident")
    rc, kv, p = env.tool("ticket", INC1)
    assert rc == 77 and kv["err"] == "FORBIDDEN", p.stdout
    assert "Injected fault 403" in kv["message"] and "fakelib fault rule" in kv["message"]


def test_429_waits_retry_after():
    fresh()
    env.ctl.fault(429, path="/api/now/table/incident", retry_after=1)
    t0 = time.time()
    rc, kv, p = env.tool("ticket", INC1)
    took = time.time() - t0
    assert rc == 0, p.stdout
    assert took >= 0.9, "did not wait Retry-After (%.2fs)" % took
    assert [r["status"] for r in env.api_requests()] == [429, 200]


def test_5xx():
    fresh()
    env.ctl.fault(500, path="/api/now/table/incident")
    rc, kv, p = env.tool("ticket", INC1)
    assert rc == 0, "a GET is retried after a 500: " + p.stdout
    fresh()
    env.ctl.fault(503, next=10, path="/api/now/table/incident")
    rc, kv, p = env.tool("ticket", INC1)
    assert kv["err"] == "UNAVAILABLE" and rc == 69, p.stdout
    assert "503" in kv["message"] and "try again later" in kv["message"], kv["message"]


def test_reset_is_a_transport_error():
    fresh()
    env.ctl.fault("reset", next=10, path="/api/now/table/incident")
    rc, kv, p = env.tool("ticket", INC1)
    assert kv["err"] != "OK" and "Could not reach ServiceNow" in kv["message"], p.stdout


def test_user():
    fresh()
    caller = md5("user:jane.doe@example.com")
    rc, kv, p = env.tool("user", caller)
    assert rc == 0, p.stdout
    assert kv["name"] == "Jane Doe" and kv["email"] == "jane.doe@example.com"
    assert kv["phone"] == "+14015550100"
    (r,) = env.api_requests()
    assert r["path"] == "/api/now/table/sys_user/" + caller
    rc, kv, p = env.tool("user", md5("nobody"))
    assert kv["err"] == "NOT_FOUND"


def test_no_password():
    rc, kv, p = env.tool("ticket", INC1, password="")
    assert rc == 77 and "KIGO_TUI_SN_PASSWORD" in kv["message"], p.stdout


try:
    run_tests([test_by_number, test_by_sys_id, test_caller_fields_left_out,
               test_injection_never_sent, test_hidden_ticket_404,
               test_two_records_or_other_number_refused, test_401_bad_password, test_403,
               test_429_waits_retry_after, test_5xx, test_reset_is_a_transport_error,
               test_user, test_no_password])
finally:
    env.close()
