"""figures - one function per figure of issue 8 (fig1 .. fig9), each
returning benchlib.Row objects; bench/bench.py runs them and prints the
table.  A figure raises benchlib.NotAvailable when this build cannot
measure it (the reason goes into the table)."""

import json
import os
import subprocess

import benchlib as bl
from benchlib import Row

TITLES = {
    1: "launch -> banner painted, warm cache, services slowed",
    2: "launch -> dashboard complete, fresh, loopback",
    3: "sequential round trips on the critical path",
    4: "search keystroke -> results, 1M customers",
    5: "key -> screen updated, 5,000-token list",
    6: "bytes written per Down key",
    7: "idle wake-ups per second",
    8: "peak RSS, 5,000 tokens + 1M customers",
    9: "exactly-once sync throughput, 1,000 summaries",
}
TARGETS = {
    1: "<= 30 ms",
    2: "<= 1.2 x floor",
    3: "TCP + TLS + 1 request round",
    4: "p95 <= 10 ms",
    5: "p99 <= 5 ms",
    6: "<= 100 B per move",
    7: "0 beyond the clock timer",
    8: "<= 32 MB",
    9: "report",
}


def need_tui():
    if not bl.tui_available():
        raise bl.NotAvailable("the full-screen client is not in this build "
                              "(kigo-tui TICKET: not available)")


# ---------------------------------------------------------------- figure 4
def _search_runs(ctx, extra, runs, keys):
    out = []
    prog = ctx.bench_bin("bench_search")
    state = os.path.dirname(ctx.customers_db)
    for i in range(runs):
        r = subprocess.run([prog, state, str(keys), str(4 + i)] + extra, capture_output=True,
                           text=True, timeout=1800)
        if r.returncode != 0:
            raise RuntimeError("bench_search failed: " + r.stderr.strip())
        out.append(json.loads(r.stdout))
    return out


def fig4(ctx):
    """The store query (kg_store_search_customers, the client's limit) and
    its SQL alone on a bare handle (the floor), 10,000 keystrokes per run
    of realistic typing; then, when the full-screen client is in the
    build, key -> redraw in the real binary."""
    runs = min(ctx.runs, 3)
    store = _search_runs(ctx, [], runs, ctx.keys)
    sql = _search_runs(ctx, ["--sql"], runs, ctx.keys)
    floor = bl.median([r["p95_ms"] for r in sql])
    rows = [
        Row(4, "4a search: store query p95 (wall)", values=[r["p95_ms"] for r in store],
            floor=floor, target=10, target_text=TARGETS[4],
            note="%d keystrokes/run; p50 %.2f ms, p99 %.2f ms; 1-2 chars p95 %.2f ms, 3+ chars "
                 "p95 %.2f ms; %.0f rows per answer"
                 % (store[0]["keystrokes"], bl.median([r["p50_ms"] for r in store]),
                    bl.median([r["p99_ms"] for r in store]),
                    bl.median([r["short_p95_ms"] for r in store]),
                    bl.median([r["long_p95_ms"] for r in store]), store[0]["rows_mean"])),
        Row(4, "4b search: store query p95 (CPU time)", values=[r["cpu_p95_ms"] for r in store],
            floor=bl.median([r["cpu_p95_ms"] for r in sql]), target=10,
            target_text=TARGETS[4], note="the same queries, thread CPU time: the work without "
                                         "waiting for a core on a shared machine"),
        Row(4, "4c search: the same SQL alone p95 (floor)", values=[r["p95_ms"] for r in sql],
            target_text="floor"),
    ]
    try:
        rows.extend(_fig4_tui(ctx))
    except bl.NotAvailable as e:
        rows.append(Row(4, "4d search: key -> redraw in the binary", na=str(e),
                        target_text=TARGETS[4]))
    return rows


def _fig4_tui(ctx):
    need_tui()
    raise bl.NotAvailable("not measured yet")


# ---------------------------------------------------------------- the others
def fig1(ctx):
    need_tui()
    raise bl.NotAvailable("not measured yet")


def fig2(ctx):
    need_tui()
    raise bl.NotAvailable("not measured yet")


def fig3(ctx):
    need_tui()
    raise bl.NotAvailable("not measured yet")


def fig5(ctx):
    need_tui()
    raise bl.NotAvailable("not measured yet")


def fig6(ctx):
    need_tui()
    raise bl.NotAvailable("not measured yet")


def fig7(ctx):
    need_tui()
    raise bl.NotAvailable("not measured yet")


def fig8(ctx):
    need_tui()
    raise bl.NotAvailable("not measured yet")


def fig9(ctx):
    raise bl.NotAvailable("not measured yet")
