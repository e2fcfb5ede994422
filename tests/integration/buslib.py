"""buslib.py - a private D-Bus session bus for the keyring tests.

A test re-runs itself inside `dbus-run-session` (a bus of its own, so the
agent's real keyring is never touched and no test sees another's), and
waits until a Secret Service has taken its name on that bus.

    missing = buslib.missing_tools("gnome-keyring-daemon", "secret-tool")
    rc = buslib.run_inner(__file__, timeout=240)   # runs FILE --inner on a new bus
    buslib.wait_for_secrets_name(env)              # inside: the daemon is up
"""

import os
import shutil
import subprocess
import time


def missing_tools(*tools):
    """The first of dbus-run-session, dbus-send and `tools` not installed, or None."""
    for tool in ("dbus-run-session", "dbus-send") + tools:
        if shutil.which(tool) is None:
            return tool
    return None


def run_inner(path, timeout):
    """Run `python3 PATH --inner` on a private session bus; its exit status.
    The caller's DBUS_* variables are dropped, so nothing reaches its bus."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS_")}
    r = subprocess.run(["dbus-run-session", "--", "/usr/bin/python3", os.path.abspath(path),
                        "--inner"], env=env, timeout=timeout)
    return r.returncode


def wait_for_secrets_name(env, timeout=10.0):
    """True once org.freedesktop.secrets has an owner on env's session bus."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = subprocess.run(["dbus-send", "--session", "--print-reply",
                            "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                            "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"],
                           capture_output=True, text=True, env=env)
        if "boolean true" in r.stdout:
            return True
        time.sleep(0.05)
    return False
