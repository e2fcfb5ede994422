#!/usr/bin/python3
"""bench.py - the driver behind `make bench` (scripts/bench.sh runs it).

Measures the figures of issue 8, each the median of repeated runs with its
spread (min..max), next to its floor and the ratio to it where one exists,
prints one table and writes OUT/results.json and OUT/results.md.

    bench.py --customers-db DB --out DIR [--only 1,4,...] [--runs N] [--keys N]

Figures (numbers as in issue 8 and docs/benchmarks.md):
  1 launch -> banner painted from a warm cache, services slowed
  2 launch -> dashboard complete, fresh cache, loopback doubles
  3 sequential round trips on the critical path (50 ms each way)
  4 search keystroke -> results (store query, its SQL alone, the binary)
  5 key -> screen updated, moving in a 5,000-token list
  6 bytes written to the terminal per Down key, per full-screen open
  7 idle wake-ups per second
  8 peak RSS, 5,000-token customer open, 1,000,000 cached customers
  9 exactly-once sync throughput, 1,000 summaries

A figure that cannot be measured in this build (for instance the
full-screen client is not in it yet) is reported as "n/a" with the reason;
the driver still exits 0.  Environment: BUILD, PROG (scripts/bench.sh sets
them), KIGO_BENCH_RUNS, KIGO_BENCH_KEYS, KIGO_BENCH_ONLY.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchlib as bl  # noqa: E402


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "ms":
        return "%.1f ms" % v if v >= 10 else "%.2f ms" % v
    if unit == "MB":
        return "%.1f MB" % v
    if unit in ("B", "bytes"):
        return "%d B" % round(v)
    if unit == "/s":
        return "%.1f/s" % v
    if unit == "RTT":
        return "%.2f RTT" % v
    return "%g %s" % (v, unit)


def table(rows):
    head = ["#", "figure", "median", "spread (min..max)", "runs", "floor", "ratio", "target",
            "verdict"]
    lines = []
    for r in rows:
        d = r.as_dict()
        if r.na:
            lines.append([str(r.fig), r.what, "n/a", r.na, "", "", "", r.target_text, "n/a"])
            continue
        spread = "%s..%s" % (fmt(d["min"], r.unit), fmt(d["max"], r.unit)) if d["runs"] > 1 else ""
        lines.append([str(r.fig), r.what, fmt(d["median"], r.unit), spread, str(d["runs"]),
                      fmt(r.floor, r.unit) if r.floor else "",
                      "%.2fx" % d["ratio"] if d["ratio"] else "", r.target_text, r.verdict()])
    return head, lines


def render_text(head, lines):
    w = [max(len(h), *(len(ln[i]) for ln in lines)) if lines else len(h)
         for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w[i]) for i, h in enumerate(head)),
           "  ".join("-" * x for x in w)]
    for ln in lines:
        out.append("  ".join(c.ljust(w[i]) for i, c in enumerate(ln)))
    return "\n".join(out)


def render_md(head, lines):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for ln in lines:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in ln) + " |")
    return "\n".join(out)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    model = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "commit": commit + ("+dirty" if dirty else ""), "load_before": load,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers-db", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default=os.environ.get("KIGO_BENCH_ONLY", ""))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("KIGO_BENCH_RUNS", "5")))
    ap.add_argument("--keys", type=int, default=int(os.environ.get("KIGO_BENCH_KEYS", "10000")))
    a = ap.parse_args()
    only = {int(x) for x in a.only.replace(",", " ").split()} if a.only else set(range(1, 10))
    ctx = bl.Context(a.customers_db, a.out, a.runs, a.keys)
    m = machine()
    print("kigo-tui bench: %s; %d cores, %s; commit %s; load %s"
          % (m["date"], m["nproc"], m["cpu"], m["commit"], m["load_before"]), flush=True)

    import figures  # noqa: E402  (after benchlib: it uses the same path)
    rows = []
    broken = 0
    t0 = time.time()
    try:
        for n in sorted(only):
            fn = getattr(figures, "fig%d" % n, None)
            if fn is None:
                continue
            t = time.time()
            try:
                got = fn(ctx)
            except bl.NotAvailable as e:
                got = [bl.Row(n, figures.TITLES[n], na=str(e), target_text=figures.TARGETS[n])]
            except Exception as e:  # the bench broke: say so, measure the rest, exit 1
                broken += 1
                traceback.print_exc()
                got = [bl.Row(n, figures.TITLES[n], na="bench error: %s" % str(e)[:200],
                              target_text=figures.TARGETS[n])]
            for r in got:
                if not isinstance(r, bl.Row):
                    r = bl.Row(**r)
                rows.append(r)
                d = r.as_dict()
                print("  [%d] %-52s %s%s" % (n, r.what, "n/a: " + r.na if r.na else
                                             fmt(d["median"], r.unit),
                                             "" if r.na else "  (%s)" % r.verdict()), flush=True)
            print("      figure %d took %.0f s" % (n, time.time() - t), flush=True)
    finally:
        ctx.close()
    with open("/proc/loadavg") as f:
        m["load_after"] = " ".join(f.read().split()[:3])
    m["seconds"] = round(time.time() - t0)
    head, lines = table(rows)
    print()
    print(render_text(head, lines))
    notes = [r for r in rows if r.note]
    if notes:
        print()
        for r in notes:
            print("  [%d] %s: %s" % (r.fig, r.what, r.note))
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"machine": m, "rows": [r.as_dict() for r in rows]}, f, indent=1)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("Machine: %d cores, %s, kernel %s; commit %s; %s; load average %s before, "
                "%s after; %d s.\n\n" % (m["nproc"], m["cpu"], m["kernel"], m["commit"],
                                         m["date"], m["load_before"], m["load_after"],
                                         m["seconds"]))
        f.write(render_md(head, lines) + "\n")
        if notes:
            f.write("\n")
            for r in notes:
                f.write("- [%d] %s: %s\n" % (r.fig, r.what, r.note))
    print("\nresults: %s/results.md, %s/results.json (%d s)" % (a.out, a.out, m["seconds"]))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
