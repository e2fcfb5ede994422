"""crashlib - the full-screen client's crash test driver (test_crash.py, mode
"tui"): one private tmux server for the whole run whose single pane is
respawned for each kill point (a respawn clears the screen, so a wait never
matches what the previous run left), screen polls every 25 ms, and a kill
clock checked inside every wait, so a point costs what the scripted session
costs and not a tmux start-up plus fixed pauses.

    p = Pane(env, proc_env, 120, 45)        # env: a faultlib.Env
    p.start([PROG, "-c", conf, "INC0010001"])
    p.wait("Customers (", clock=k)          # k.tick() may raise Kill
    p.keys("Enter"); p.type("text")
    p.kill()                                # SIGKILL; True if it was running
    p.close()

Not a test itself (tests/run-tests.sh runs test_* only).
"""

import os
import re
import signal
import subprocess
import time

POLL_S = 0.025
# under `make valgrind` (KG_VALGRIND=1) waits stretch by KG_SLOW (8 there)
SLOW = float(os.environ.get("KG_SLOW") or (8 if os.environ.get("KG_VALGRIND") else 1))
MARK = "\u25b8"  # the selection marker of the token list
BAR = "\u2502"


class Kill(Exception):
    """Raised by a Clock when the kill moment has come."""


class Stuck(Exception):
    """A wait timed out: the screen is not what the script expected."""

    def __init__(self, what, screen):
        super().__init__("timed out waiting for %s" % what)
        self.what = what
        self.screen = screen


class Clock:
    """When to kill: at a time (at, seconds from start), or `delay` seconds
    after trigger() first returns true (polled at most every 40 ms)."""

    def __init__(self, at=None, trigger=None, delay=0.0):
        self.start = time.time()
        self.at = self.start + at if at is not None else None
        self.trigger = trigger
        self.delay = delay
        self.fired_at = None
        self.last_poll = 0.0

    def tick(self):
        now = time.time()
        if self.at is None and self.trigger is not None and now - self.last_poll >= 0.04:
            self.last_poll = now
            if self.trigger():
                self.fired_at = now
                self.at = now + self.delay
        if self.at is not None and now >= self.at:
            raise Kill()


class Pane:
    def __init__(self, env, proc_env, width=120, height=45):
        self.sock = env.path("crash-tmux.sock")
        self.script = env.path("crash-run.sh")
        self.rcfile = env.path("crash-run.rc")
        self.prog = None
        self.proc_env = proc_env
        self.runs = 0
        self._tmux("-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y", str(height),
                   "sleep", "3600")
        self._tmux("set-option", "-g", "remain-on-exit", "on")

    def _tmux(self, *args, check=True):
        e = {k: v for k, v in os.environ.items() if k != "TMUX"}
        return subprocess.run(["tmux", "-S", self.sock] + list(args), capture_output=True,
                              text=True, check=check, env=e)

    def start(self, cmd):
        """Run cmd in the (respawned, cleared) pane; returns its pid."""
        self.runs += 1
        for f in (self.rcfile,):
            if os.path.exists(f):
                os.unlink(f)
        # the shell stays as the pane's process and records the exit status
        # (tmux's own pane_dead_status is not reliable across respawns)
        with open(self.script, "w") as f:
            f.write("#!/bin/sh\nenv -i %s %s\necho $? > %s\n" % (
                " ".join(_shq("%s=%s" % kv) for kv in sorted(self.proc_env.items())),
                " ".join(_shq(a) for a in cmd), _shq(self.rcfile)))
        os.chmod(self.script, 0o700)
        self._tmux("respawn-pane", "-k", "-t", "0", self.script)
        self.prog = None
        deadline = time.time() + 5 * SLOW
        while self.prog is None and time.time() < deadline and not self.dead():
            self.prog = self._child()
            if self.prog is None:
                time.sleep(0.005)
        return self.prog

    def _child(self):
        out = self._tmux("display-message", "-p", "-t", "0", "#{pane_pid}",
                         check=False).stdout.strip()
        if not out.isdigit():
            return None
        try:
            with open("/proc/%s/task/%s/children" % (out, out)) as f:
                kids = f.read().split()
        except OSError:
            return None
        return int(kids[0]) if kids else None

    def dead(self):
        return os.path.exists(self.rcfile)

    def exit_status(self):
        """The program's exit status (128 + signal when killed), or None."""
        try:
            with open(self.rcfile) as f:
                data = f.read().strip()
        except FileNotFoundError:
            return None
        return int(data) if data.isdigit() else None

    def screen(self):
        return self._tmux("capture-pane", "-p", "-t", "0", check=False).stdout

    def keys(self, *keys):
        self._tmux("send-keys", "-t", "0", *keys)

    def type(self, text):
        self._tmux("send-keys", "-t", "0", "-l", text)

    def wait(self, pred, clock=None, timeout=8.0, what=None):
        """pred: text that must be on screen, or a function of the screen
        returning a true value; returns that value (or the screen)."""
        deadline = time.time() + timeout * SLOW
        scr = ""
        while True:
            if clock is not None:
                clock.tick()
            scr = self.screen()
            v = (pred in scr) if isinstance(pred, str) else pred(scr)
            if v:
                return scr if isinstance(pred, str) else v
            if time.time() >= deadline:
                raise Stuck(what or repr(pred), scr)
            time.sleep(POLL_S)

    def pause(self, secs, clock=None):
        end = time.time() + secs
        while time.time() < end:
            if clock is not None:
                clock.tick()
            time.sleep(min(POLL_S, max(0.0, end - time.time())))

    def kill(self):
        """SIGKILL the program; True when it was still running."""
        if self.prog is None or self.dead():
            return False
        try:
            with open("/proc/%d/stat" % self.prog) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return False        # ended by itself, not reaped yet
        except (OSError, IndexError):
            return False
        try:
            os.kill(self.prog, signal.SIGKILL)
        except ProcessLookupError:
            return False
        return True

    def wait_dead(self, timeout=10.0, clock=None):
        """The program's exit status once it has ended."""
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            if clock is not None:
                clock.tick()
            st = self.exit_status()
            if st is not None:
                return st
            time.sleep(POLL_S)
        raise Stuck("the program to end", self.screen())

    def close(self):
        self._tmux("kill-server", check=False)


def _shq(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


# -- reading the screen -------------------------------------------------------
_TOKEN_RX = re.compile(r"([\u25b8 ])(tok_\S+)\s.*?\b(active|redeemed|expired|disputed|removed)\b")


def token_rows(screen):
    """[(id, status)] of the token rows on screen, in order, and the
    index of the selected one (None when no row is marked)."""
    rows, sel = [], None
    for line in screen.splitlines():
        m = _TOKEN_RX.search(line)
        if m and BAR in line and line.index(BAR) < m.start(2):
            if m.group(1) == MARK:
                sel = len(rows)
            rows.append((m.group(2), m.group(3)))
    return rows, sel


def status_line(screen):
    """The status bar's first line (second to last non-empty line)."""
    lines = [ln for ln in screen.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if "pending sync" in ln:
            return ln
    return ""


def search_empty(screen):
    """The customers pane's search line is being edited and is empty."""
    for ln in screen.splitlines():
        if ln.startswith("/ "):
            return ln[2:].split(BAR)[0].strip() == ""
    return False


def dialog_open(screen):
    """A dialog (form, picker, confirmation, text) is on screen."""
    return "Esc: cancel" in screen or "Esc: no" in screen
