#!/usr/bin/python3
"""Golden screen dumps of the main layout at 80x24 and 132x43 (issue 6): the
real binary in tmux against the fakes, in a fixed environment (TZ=UTC,
LANG=C.UTF-8, TERM=xterm-256color, the demo's seeded data), INC0010001 with
Jane Doe's tokens open.  What changes from run to run (the data's age) is
masked before comparing: the data's age and the
seed's dates, which are relative to today.  KG_GOLDEN_UPDATE=1 rewrites the files.
"""

import os
import re

import stacklib
from stacklib import Stack, check

GOLDEN = os.path.join(stacklib.ROOT, "tests", "golden")
MASKS = [
    # right-aligned, so the padding before it changes with its length too
    (re.compile(r" +(fresh|cached just now|cached \d+[smhd] ago)"), " <age>"),
    # the seed's dates are relative to today: their order is stable, not their values
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "YYYY-MM-DD"),
]


def normalize(screen):
    lines = []
    for line in screen.rstrip("\n").split("\n"):
        for rx, rep in MASKS:
            line = rx.sub(rep, line)
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


def dump(size):
    with Stack(size=size) as st:
        st.login()
        st.tui("INC0010001")
        st.wait_for("Customers (1)")
        st.keys("Enter")
        st.wait_for("Tokens of Jane Doe (8")
        st.wait_for("online")
        return normalize(st.screen())


def scenario():
    for size in ((80, 24), (132, 43)):
        got = dump(size)
        path = os.path.join(GOLDEN, "main-%dx%d.txt" % size)
        if os.environ.get("KG_GOLDEN_UPDATE") == "1" or not os.path.exists(path):
            os.makedirs(GOLDEN, exist_ok=True)
            with open(path, "w") as f:
                f.write(got)
            if os.environ.get("KG_GOLDEN_UPDATE") != "1":
                raise stacklib.Failure("no golden file %s: written now, review and commit it"
                                       % path)
            continue
        with open(path) as f:
            want = f.read()
        if got != want:
            import difflib
            diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                "golden", "screen"))
            raise stacklib.Failure("screen differs from %s:\n%s" % (path, diff))


if __name__ == "__main__":
    stacklib.main(scenario)
