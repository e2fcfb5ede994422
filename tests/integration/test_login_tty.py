#!/usr/bin/python3
"""test_login_tty.py - `login` on a terminal (a pseudo-terminal): the
countdown line appears only there, the QR code of the complete URL is
drawn with half blocks unless --no-qr, and the user code and URL lines
are the same as on a pipe.  Against the small fake IdP.  Exit 0 pass.
"""

import os
import pty
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loginlib import Env, PROG, ROOT, check, main  # noqa: E402

HALF_BLOCKS = ("\u2580", "\u2584", "\u2588")


def run_on_pty(env, conf, *args):
    master, slave = pty.openpty()
    p = subprocess.Popen([PROG, "-c", conf, "login"] + list(args), stdin=slave, stdout=slave,
                         stderr=subprocess.PIPE, env=env.env({"TERM": "xterm"}), close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.time() + 30
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    p.wait(10)
    os.close(master)
    return p.returncode, out.decode("utf-8", "replace"), p.stderr.read().decode()


def run():
    env = Env(prefix="kg-tty-")
    env.kind = "fake"
    try:
        env.start("idp_fake.py")
        env.call("POST", "/test/config", {"polls": ["pending", "pending", "ok"], "interval": 1})
        conf = env.config(secrets="memory")
        rc, out, err = run_on_pty(env, conf)
        check(rc == 0, "tty login exit %d: %s %s" % (rc, out, err))
        check("URL: https://" in out and "Code: WDJB-MJHT" in out, "URL/Code lines: %r" % out)
        check("Waiting for approval" in out and "left" in out, "no countdown on a tty: %r" % out)
        check("Logged in as Ana Example" in out, out)
        has_qr = os.path.exists(os.path.join(ROOT, "src", "qr.c")) or \
            any(b in out for b in HALF_BLOCKS)
        if has_qr:
            check(any(b in out for b in HALF_BLOCKS), "no QR code on a tty: %r" % out)
        env.call("POST", "/test/config", {"polls": ["ok"]})
        rc, out, err = run_on_pty(env, conf, "--no-qr")
        check(rc == 0, "tty --no-qr exit %d: %s" % (rc, err))
        check(not any(b in out for b in HALF_BLOCKS), "QR code despite --no-qr: %r" % out)
    finally:
        env.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(run))
