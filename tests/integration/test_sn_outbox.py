#!/usr/bin/python3
"""test_sn_outbox.py - the summary reaches ServiceNow exactly once, through
`kigo-tui sync` (the real binary) against the fake over real HTTPS: lost
replies after a commit, kill -9 in the middle of a send, ServiceNow down and
back, 429, a refused write, and the text that arrives."""

import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sn_harness import INC1, SYS1, Env, md5, query_of, run_tests  # noqa: E402

env = Env()


def fresh():
    """A clean slate: nothing pending, no faults, empty request log."""
    env.ctl.clear_faults()
    env.hold(next=0)
    rc, out, err = env.sync()
    assert rc == 0, "could not drain the outbox: %s %s" % (out, err)
    env.ctl.clear_requests()


def entries_with(sync_id):
    return [e for e in env.journal() if ("kigo-sync-id: " + sync_id) in e["value"]]


def patches():
    return [r for r in env.api_requests() if r["method"] == "PATCH"]


def test_nothing_pending():
    fresh()
    rc, out, err = env.sync()
    assert rc == 0 and "Nothing to send" in out, (out, err)
    assert env.api_requests() == []


def test_plain_send():
    fresh()
    sid = env.queue(n=2)
    assert entries_with(sid) == [], "queue must not send"
    rc, out, err = env.sync()
    assert rc == 0, (out, err)
    assert "INC0010001" in out and sid in out, out
    (e,) = entries_with(sid)
    assert e["element_id"] == SYS1 and e["element"] == "work_notes"
    text = e["value"]
    assert text.startswith("Kigo loyalty token actions for INC0010001 (2):\n"), text
    assert text.endswith("\nkigo-sync-id: " + sid), text
    assert "   Status:   active -> removed\n" in text and "{" not in text
    (p,) = patches()
    assert p["path"] == "/api/now/table/incident/" + SYS1
    assert json.loads(p["body"]) == {"work_notes": text}
    # the record's journal field reads back empty, as in ServiceNow
    rc, out, err = env.sync()
    assert rc == 0 and "Nothing to send" in out


def test_lost_reply_after_commit():
    fresh()
    sid = env.queue()
    env.ctl.fault("commit_then_drop", path="/api/now/table/incident/", method="PATCH")
    rc, out, err = env.sync()
    assert rc == 0, (out, err)
    assert len(entries_with(sid)) == 1, env.journal()
    reqs = env.api_requests()
    kinds = [(r["method"], r["path"].rsplit("/", 1)[0]) for r in reqs]
    assert kinds == [("PATCH", "/api/now/table/incident"),
                     ("GET", "/api/now/table")], kinds
    q = query_of(reqs[1])
    assert reqs[1]["path"] == "/api/now/table/sys_journal_field"
    assert q["sysparm_query"] == ("element_id=%s^element=work_notes^valueLIKEkigo-sync-id: %s"
                                  % (SYS1, sid)), q


def test_lost_reply_journal_table_hidden():
    """The agent cannot read sys_journal_field (rows hidden, no error): the
    record's own journal text still shows the entry, so nothing is resent."""
    fresh()
    env.ctl.call("POST", "/__sn/acl", {"journal_readable": False})
    try:
        sid = env.queue()
        env.ctl.fault("commit_then_drop", path="/api/now/table/incident/", method="PATCH")
        rc, out, err = env.sync()
        assert rc == 0, (out, err)
        assert len(entries_with(sid)) == 1, env.journal()
        reqs = env.api_requests()
        assert [r["method"] for r in reqs] == ["PATCH", "GET", "GET"], reqs
        assert reqs[2]["path"] == "/api/now/table/incident/" + SYS1
        assert query_of(reqs[2]) == {"sysparm_fields": "work_notes",
                                     "sysparm_display_value": "true"}
        # absent there too: sent again, once
        sid2 = env.queue()
        env.ctl.fault(500, path="/api/now/table/incident/", method="PATCH")
        rc, out, err = env.sync()
        assert rc == 0 and len(entries_with(sid2)) == 1, (out, err)
    finally:
        env.ctl.call("POST", "/__sn/acl", {"journal_readable": True})


def test_500_before_commit_resends_once():
    fresh()
    sid = env.queue()
    env.ctl.fault(500, path="/api/now/table/incident/", method="PATCH")
    rc, out, err = env.sync()
    assert rc == 0, (out, err)
    assert len(entries_with(sid)) == 1
    methods = [r["method"] for r in env.api_requests()]
    # not in sys_journal_field, nor in the record's journal text: resent once
    assert methods == ["PATCH", "GET", "GET", "PATCH"], methods


def kill_during_send(commit):
    fresh()
    sid = env.queue()
    if commit:
        env.hold(next=1, hang_s=20)          # applied, reply held
    else:
        env.ctl.fault("hang", path="/api/now/table/incident/", method="PATCH", hang_s=20)
    proc = env.sync_start()
    env.wait_for(lambda: len(patches()) == 1, what="the PATCH to arrive")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    assert len(entries_with(sid)) == (1 if commit else 0)
    env.ctl.clear_requests()
    rc, out, err = env.sync()
    assert rc == 0, (out, err)
    assert len(entries_with(sid)) == 1, env.journal()
    methods = [r["method"] for r in env.api_requests()]
    # after a crash it looks first, and sends only when the entry is absent
    assert methods == (["GET"] if commit else ["GET", "GET", "PATCH"]), methods


def test_kill9_after_commit_before_reply():
    kill_during_send(commit=True)


def test_kill9_before_commit():
    kill_during_send(commit=False)


def test_one_flush_at_a_time():
    """A second sync while the first is mid-send sends nothing (it could
    duplicate the entry); once the first is gone, the next finishes."""
    fresh()
    sid = env.queue()
    env.hold(next=1, hang_s=20)
    first = env.sync_start()
    try:
        env.wait_for(lambda: len(patches()) == 1, what="the first PATCH")
        rc, out, err = env.sync()
        assert rc == 75, (rc, out, err)
        assert "another kigo-tui is sending it right now" in err and sid in err, err
        assert len(patches()) == 1
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        first.stdout.close()
        first.stderr.close()
    rc, out, err = env.sync()
    assert rc == 0, (out, err)
    assert len(entries_with(sid)) == 1 and len(patches()) == 1


def test_down_then_back():
    fresh()
    sid1 = env.queue(n=1)
    sid2 = env.queue(number="INC0010002", sys_id=md5("INC0010002"), n=1)
    env.stop()
    t0 = time.time()
    rc, out, err = env.sync()
    assert rc == 75, (rc, out, err)
    lines = [l for l in err.splitlines() if "is still pending" in l]
    assert len(lines) == 2, err
    assert sid1 in lines[0] and sid2 in lines[1], err
    assert all("Could not reach ServiceNow" in l for l in lines), err
    assert time.time() - t0 < 60
    # still down on a second try: still pending, nothing lost
    rc, out, err = env.sync()
    assert rc == 75
    env.start()                                  # back (a fresh instance)
    rc, out, err = env.sync()
    assert rc == 0, (out, err)
    assert len(entries_with(sid1)) == 1 and len(entries_with(sid2)) == 1
    rc, out, err = env.sync()
    assert rc == 0 and "Nothing to send" in out
    assert len(env.journal()) == 2


def test_429_on_patch_waits_and_sends_once():
    fresh()
    sid = env.queue()
    env.ctl.fault(429, path="/api/now/table/incident/", method="PATCH", retry_after=1)
    t0 = time.time()
    rc, out, err = env.sync()
    assert rc == 0, (out, err)
    assert time.time() - t0 >= 0.9
    assert len(entries_with(sid)) == 1
    assert [r["status"] for r in patches()] == [429, 200]


def test_refused_write_stays_pending():
    fresh()
    sid = env.queue()
    env.ctl.fault(403, path="/api/now/table/incident/", method="PATCH")
    rc, out, err = env.sync()
    assert rc == 75, (out, err)
    assert sid in err and "Injected fault 403" in err and "fakelib fault rule" in err, err
    assert entries_with(sid) == []
    rc, out, err = env.sync()
    assert rc == 0 and len(entries_with(sid)) == 1, (out, err)


def test_comments_field():
    fresh()
    env.write_conf(journal_field="comments")
    try:
        sid = env.queue()
        rc, out, err = env.sync()
        assert rc == 0, (out, err)
        (e,) = entries_with(sid)
        assert e["element"] == "comments"
    finally:
        env.write_conf(journal_field="work_notes")


try:
    run_tests([test_nothing_pending, test_plain_send, test_lost_reply_after_commit,
               test_lost_reply_journal_table_hidden, test_500_before_commit_resends_once, test_kill9_after_commit_before_reply,
               test_kill9_before_commit, test_one_flush_at_a_time, test_down_then_back, test_429_on_patch_waits_and_sends_once,
               test_refused_write_stays_pending, test_comments_field])
finally:
    env.close()
