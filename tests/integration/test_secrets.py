#!/usr/bin/python3
"""test_secrets.py - secrets stay secret and remote text stays text (issue 9).

The real kigo-tui against the fakes, with -vv:
  - login: while it waits, /proc/PID/environ, /proc/PID/cmdline and `ps`
    output hold no device code; after it, no access token, refresh token or
    device code (the fake says which it handed out) in anything printed, the
    log, the SQLite database (every table dumped) or any other state file;
  - a user name full of escape sequences (OSC 52 clipboard write, OSC 0
    title, screen clear, C1 controls, invalid UTF-8, a right-to-left mark,
    10,000 characters) reaches the terminal as harmless text: no ESC, no C1,
    no BEL in the raw bytes of `login` and `status`;
  - modes, whatever the umask (000 here): state folder 0700, database (and
    its -wal/-shm) 0600, tokens file 0600; a symlinked database, tokens file
    or state folder is refused with a message saying so;
  - sync (when in the build), the full-screen client (when in the build):
    the same checks on their output, log and environment.
Runs as root too (modes are checked with stat, not by access).
Exit 0 pass, 77 skip, anything else fail.
"""

import glob
import os
import sqlite3
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as F  # noqa: E402
from faultlib import check  # noqa: E402

env = F.Env("kg-secrets-")
NASTY = ("Eve \x1b]52;c;ZWNobyBwd25lZA==\x07 \x1b]0;owned-title\x07 \x1b[2J\x1b[H "
         "\u009b31m \u0085 \u202eevil\u202c \x1b[31mRed\x1b[0m " + "W" * 10000)


def dangerous(raw, full_screen=False):
    """What in the raw bytes would let remote text act on the terminal:
    OSC/DCS/APC/PM/SOS strings (title, clipboard: ESC ] 52), a terminal reset
    or screen clear (line commands only; a full-screen client clears its own
    screen), BEL, C1 controls (as UTF-8 or as a lone byte).  The program's
    own CSI sequences (colours, erase line, cursor moves) are allowed.
    Returns a description or None."""
    import re
    bad = [rb"\x1b[\]P_^X]", rb"\x1bc", rb"\x07"]
    if not full_screen:
        bad += [rb"\x1b\[[0-9;]*J", rb"\x1b\[[0-9;]*H"]
    for pat in bad:
        m = re.search(pat, raw)
        if m:
            i = m.start()
            return "%r at %d: %r" % (pat, i, raw[max(0, i - 30):i + 30])
    text = raw.decode("utf-8", "replace")
    c1 = [c for c in text if 0x80 <= ord(c) < 0xa0]
    if c1:
        return "C1 characters %r" % c1[:5]
    lone = [c for c in raw.decode("utf-8", "surrogateescape") if 0xdc80 <= ord(c) < 0xdca0]
    if lone:
        return "lone C1 bytes (not UTF-8) %r" % lone[:5]
    return None


def run_pty(conf, *args, env_extra=None, timeout=60, on_start=None):
    """Run kigo-tui with stdin/stdout/stderr on a pty; return (rc, raw bytes)."""
    import pty
    import select
    master, slave = pty.openpty()
    p = subprocess.Popen([F.PROG, "-c", conf] + list(args), stdin=slave, stdout=slave,
                         stderr=slave, env=env.env(env_extra), start_new_session=True)
    os.close(slave)
    raw = b""
    deadline = time.time() + timeout
    started = False
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            raw += chunk
        if on_start and not started and p.poll() is None:
            started = on_start(p, raw)
        if p.poll() is not None and not r:
            break
    else:
        p.kill()
    os.close(master)
    return p.wait(10), raw


def state_files(state_dir):
    out = []
    for root, dirs, files in os.walk(state_dir):
        out += [os.path.join(root, f) for f in files]
    return out


def dump_db(path):
    """Every row of every table, as one string."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        rows = []
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            for row in db.execute('SELECT * FROM "%s"' % name.replace('"', '""')):
                rows.append(repr(row))
        check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check")
        return "\n".join(rows)
    finally:
        db.close()


def proc_text(pid, environ=True):
    """environ (unless told not to) and cmdline of pid and its children,
    and ps's view."""
    texts = []
    pids = [pid]
    try:
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        pids += [int(k) for k in kids.split()]
    except FileNotFoundError:
        pass
    for p in pids:
        for what in (("environ", "cmdline") if environ else ("cmdline",)):
            try:
                with open("/proc/%d/%s" % (p, what), "rb") as f:
                    texts.append(f.read().decode("utf-8", "replace"))
            except OSError:
                pass
    # ps's view of those processes (the test's own fakes have secrets in argv)
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    texts += [l for l in ps.splitlines() if l.split(None, 1)[0] in {str(p) for p in pids}]
    return "\n".join(texts)


def no_secret(where, text, secrets):
    for name, value in secrets.items():
        if value:
            check(value not in text, "%s holds the %s" % (where, name))


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


# -- the cases -----------------------------------------------------------
def case_login_session():
    """A full login with -vv under umask 000, a nasty user name."""
    idp = env.fake("idp_fake.py")
    idp.call("POST", "/test/config", {"polls": ["pending", "pending", "ok"], "interval": 1,
                                      "name": NASTY})
    state = env.path("state-login")
    conf = env.config(name="login.conf", okta=idp.base, state_dir=state)
    seen = {}

    def on_start(p, raw):
        if b"Code:" not in raw:
            return False
        dc = idp.call("GET", "/test/state")["device_code"]
        seen["device code"] = dc
        no_secret("the running login's environment, argv or ps", proc_text(p.pid),
                  {"device code": dc})
        return True

    old = os.umask(0)
    try:
        rc, raw = run_pty(conf, "-vv", "login", "--no-qr", on_start=on_start)
    finally:
        os.umask(old)
    check(rc == 0, "login exit %d: %r" % (rc, raw[-2000:]))
    check("device code" in seen, "never saw the code while login waited")
    st = idp.call("GET", "/test/state")
    secrets = {"access token": st["access_token"], "refresh token": st["refresh_token"],
               "device code": st["device_code"]}
    check(all(secrets.values()), "the fake handed out no tokens: %r" % st)
    bad = dangerous(raw)
    check(bad is None, "login wrote terminal controls: %s" % bad)
    no_secret("login's output (-vv)", raw.decode("utf-8", "replace"), secrets)
    check(b"owned-title" in raw or b"Eve" in raw, "the name is not shown at all")

    # status on a pty: the same name, harmless; its -vv output clean too
    rc, raw = run_pty(conf, "-vv", "status")
    check(rc == 0, "status exit %d" % rc)
    bad = dangerous(raw)
    check(bad is None, "status wrote terminal controls: %s" % bad)
    no_secret("status's output", raw.decode("utf-8", "replace"), secrets)
    r = env.run(conf, "-vv", "status", "--json")
    check(r.rc == 0 and "\x1b" not in r.out, "status --json: %r" % r)

    # what is left on disk: tokens only in the 0600 tokens file
    check(mode(state) == 0o700, "state folder mode %o" % mode(state))
    files = state_files(state)
    check(any(f.endswith("kigo-tui.db") for f in files), "no database in %r" % files)
    for f in files:
        base = os.path.basename(f)
        check(mode(f) == 0o600, "%s has mode %o" % (base, mode(f)))
        if base == "tokens.json":
            continue
        with open(f, "rb") as fh:
            no_secret(base, fh.read().decode("latin-1"), secrets)
        if base.endswith(".db"):
            no_secret(base + " (dumped)", dump_db(f), secrets)
    return state, conf


def case_symlinks():
    state = env.path("state-links")
    conf = env.config(name="links.conf", okta="https://127.0.0.1:1", state_dir=state)
    r = env.run(conf, "status")
    check(r.rc == 0, "status: %r" % r)
    db = os.path.join(state, "kigo-tui.db")
    check(os.path.isfile(db), "status made no database")
    # a symlinked database is refused, and the target stays untouched
    target = env.path("elsewhere.db")
    os.rename(db, target)
    for extra in ("-wal", "-shm"):
        if os.path.exists(db + extra):
            os.unlink(db + extra)
    before = os.stat(target).st_mtime_ns, os.stat(target).st_size
    os.symlink(target, db)
    r = env.run(conf, "status")
    check("symbolic link" in r.err and "kigo-tui.db" in r.err, "symlinked db: %r" % r)
    check((os.stat(target).st_mtime_ns, os.stat(target).st_size) == before,
          "the link's target was written")
    os.unlink(db)
    # a symlinked tokens file
    conf_f = env.config(name="links-file.conf", okta="https://127.0.0.1:1", state_dir=state,
                        secrets="file")
    tok_target = env.path("tokens-elsewhere.json")
    with open(tok_target, "w") as f:
        f.write('{"access_token": "AT-planted"}')
    os.chmod(tok_target, 0o600)
    os.symlink(tok_target, os.path.join(state, "tokens.json"))
    r = env.run(conf_f, "status", "--json")
    check(r.rc == 0 and '"logged_in":false' in r.out.replace(" ", ""),
          "a symlinked tokens file was read: %r" % r)
    check("tokens.json" in r.err, "no word about the symlinked tokens file: %r" % r)
    os.unlink(os.path.join(state, "tokens.json"))
    # a symlinked state folder
    real = env.path("real-state")
    os.rename(state, real)
    os.symlink(real, state)
    r = env.run(conf, "status")
    check("symbolic link" in r.err and "state" in r.err, "symlinked folder: %r" % r)


def case_loose_modes():
    """A database others could read is refused (or tightened), not used as is."""
    state = env.path("state-modes")
    conf = env.config(name="modes.conf", okta="https://127.0.0.1:1", state_dir=state)
    check(env.run(conf, "status").rc == 0, "status")
    db = os.path.join(state, "kigo-tui.db")
    os.chmod(db, 0o644)
    r = env.run(conf, "status")
    check(mode(db) == 0o600 or ("644" in r.err and "chmod 600" in r.err),
          "a 0644 database was used silently: mode %o, %r" % (mode(db), r))
    os.chmod(db, 0o600)
    os.chmod(state, 0o755)
    r = env.run(conf, "status")
    check(mode(state) == 0o700 or "chmod 700" in r.err,
          "a 0755 state folder was used silently: %r" % r)


def strip_own_links(raw, allowed_prefix):
    """Drop the client's own OSC 8 hyperlinks (the ticket link printed after
    the screen closes) when they point at the configured ServiceNow."""
    import re
    pat = re.compile(rb"\x1b\]8;;([\x21-\x7e]*)\x1b\\")
    return pat.sub(lambda m: b"" if (not m.group(1) or m.group(1).startswith(allowed_prefix))
                   else m.group(0), raw)


def case_full_screen():
    """The full-screen client with -v: a ticket, a caller, a token and a
    customer full of escape sequences; the secrets it holds while running."""
    if not F.tui_in_build():
        raise F.Skip("the full-screen client is not in this build")

    def nasty_sn(data):
        data["tickets"][0]["short_description"] = "Desc " + NASTY
        caller = data["tickets"][0]["caller_id"]
        for u in data["users"]:
            if u["sys_id"] == caller:
                u["name"] = "Jane " + NASTY[:300]

    st = F.Stack(env, "tui", sn_seed_edit=nasty_sn)
    st.login()
    toks = st.kigo_get("/customers/%s/tokens" % F.JANE)
    tid = toks["items"][0]["id"]
    st.kigo.call("POST", "/__control/kigo/token/" + tid, {"name": "Tok " + NASTY[:2000]})
    t = st.tui("-v", "INC0010001")
    try:
        t.wait_for("Customers (1)", timeout=30)
        t.keys("Enter")
        t.wait_for(lambda scr: "Tok " in scr, timeout=30, what="the tokens")
        idp = st.idp.call("GET", "/test/state")
        secrets = {"access token": idp["access_token"], "refresh token": idp["refresh_token"],
                   "device code": idp["device_code"]}
        pid = t.prog_pid()
        check(pid, "no kigo-tui process in the pane")
        no_secret("the client's environment, argv or ps", proc_text(pid), secrets)
        t.keys("?")
        t.wait_for("Return to ServiceNow", what="help")
        t.keys("Escape")
        t.keys("q")
        rc = t.rc(timeout=20)
        check(rc == 0, "exit %s; screen:\n%s" % (rc, t.screen()))
        raw = strip_own_links(t.raw(), st.sn.base.encode())
        bad = dangerous(raw, full_screen=True)
        check(bad is None, "the full-screen client wrote terminal controls: %s" % bad)
        no_secret("the full-screen client's output (-v)", raw.decode("utf-8", "replace"),
                  secrets)
        check(b"\x1b[" in raw, "no screen drawn at all?")
        check(b"owned-title" not in raw or b"\x1b]0;owned-title" not in raw, "title change")
        # the log: a file in the state folder, mode 0600, no secret, no control
        logs = [f for f in state_files(st.state) if f.endswith(".log")]
        check(logs, "no log file in the state folder after -v: %r" % state_files(st.state))
        for f in logs:
            check(mode(f) == 0o600, "%s mode %o" % (f, mode(f)))
            with open(f, "rb") as fh:
                data = fh.read()
            no_secret(os.path.basename(f), data.decode("latin-1"), secrets)
            check(dangerous(data) is None, "control characters in the log: %s" % dangerous(data))
        for f in state_files(st.state):
            if f.endswith(".db"):
                no_secret(os.path.basename(f) + " (dumped)", dump_db(f), secrets)
        # what is printed afterwards: status, sync
        for args in (("status",), ("sync",)):
            rc, out = run_pty(st.conf, "-v", *args)
            bad = dangerous(out)
            check(bad is None, "%s wrote terminal controls: %s" % (args[0], bad))
            no_secret(args[0], out.decode("utf-8", "replace"), secrets)
    finally:
        t.close()


def case_sn_password():
    """sync -vv with basic auth: the password (and its Basic header) stays
    out of the output, the database and the process's argv."""
    import base64
    pw = "pw-Secret-4711-xyz"
    sn = env.fake("servicenow_fake.py", args=["--user", "admin", "--password", pw])
    state = env.path("state-pw")
    conf = env.config(name="pw.conf", sn=sn.base, state_dir=state, secrets="memory")
    e = env.env({"KIGO_TUI_SN_PASSWORD": pw})
    tool = os.path.join(F.ROOT, os.environ.get("BUILD", "build"), "tools", "sn_tool")
    if not os.path.exists(tool):
        raise F.Skip("sn_tool is not built")
    p = subprocess.run([tool, conf, "queue", "INC0010001", "0945e63cfb1064aee8687e7ffc34cba3",
                        "1"], capture_output=True, text=True, env=e, timeout=60)
    check(p.returncode == 0, "queue: %s %s" % (p.stdout, p.stderr))
    sn.ctl.fault("hang", path="/api/now/table/incident/", method="PATCH", hang_s=3)
    seen = {}

    def on_start(proc, raw):
        time.sleep(0.5)
        # the password is in the environment the user gave it (by design);
        # it must not reach argv, ps, or a child's environment
        seen["proc"] = proc_text(proc.pid, environ=False)
        return True

    rc, raw = run_pty(conf, "-vv", "sync", env_extra={"KIGO_TUI_SN_PASSWORD": pw},
                      on_start=on_start)
    basic = base64.b64encode(("admin:" + pw).encode()).decode()
    secrets = {"password": pw, "Basic credentials": basic}
    check("proc" in seen, "never looked at the running sync")
    no_secret("sync's argv or ps", seen["proc"], secrets)
    no_secret("sync -vv output", raw.decode("utf-8", "replace"), secrets)
    check(dangerous(raw) is None, "sync wrote terminal controls: %s" % dangerous(raw))
    for f in state_files(state):
        with open(f, "rb") as fh:
            no_secret(os.path.basename(f), fh.read().decode("latin-1"), secrets)
        if f.endswith(".db"):
            no_secret(os.path.basename(f) + " (dumped)", dump_db(f), secrets)


def run():
    # the detector itself must see every attack in the payload
    for attack in ("\x1b]52;c;eA==\x07", "\x1b]0;t\x07", "\x1b[2J", "\u009b", "\x07"):
        check(dangerous(attack.encode()), "detector misses %r" % attack)
    check(dangerous(b"a\x85b"), "detector misses a lone C1 byte")
    check(dangerous(b"\x1b[K\x1b[1;31mok\x1b[0m") is None, "detector refuses plain CSI")
    cases = [("login session: no secret leaks, text harmless, modes", case_login_session),
             ("symlinked state files are refused", case_symlinks),
             ("loose modes are refused or fixed", case_loose_modes),
             ("full-screen client: harmless text, no secret", case_full_screen),
             ("ServiceNow password: not in output, argv or state", case_sn_password)]
    return F.run_cases(cases, jobs=1)


if __name__ == "__main__":
    try:
        rc = run()
    finally:
        env.close()
    sys.exit(rc)
