#!/bin/sh
# bench.sh - kigo-tui's benchmarks (`make bench`): each figure of issue 8
# measured against its physical floor, printed as a table.
#
# Builds nothing itself (make bench builds $PROG and $BUILD/bench/*), makes
# the 1,000,000-customer state database once into $BUILD/bench/ (reused by
# later runs while the generator and its arguments are unchanged), then
# runs bench/bench.py, which starts the test doubles on loopback, drives
# the real binary in a pseudo-terminal and prints the table.  Results also
# go to $BUILD/bench/results.json and $BUILD/bench/results.md (the table
# docs/benchmarks.md records).
#
# Benchmarks print figures; they are not pass/fail tests.  The exit status
# is 0 when the figures could be measured, non-zero only when the bench
# itself broke (a generator or a driver error).
#
# Environment: BUILD (default build), PROG (default ./kigo-tui),
# KIGO_BENCH_CUSTOMERS (1000000), KIGO_BENCH_KEYS (keystrokes, 10000),
# KIGO_BENCH_RUNS (repetitions per figure, 5), KIGO_BENCH_ONLY (figure
# numbers to run, e.g. "4 8").
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PROG=${PROG:-./kigo-tui}
case $PROG in /*) ;; *) PROG="$(pwd)/$PROG" ;; esac
case $BUILD in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
B=$BUILD/bench
N=${KIGO_BENCH_CUSTOMERS:-1000000}
SEED=8
export BUILD PROG LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC
unset KIGO_TUI_CONFIG KIGO_TUI_SN_PASSWORD NO_COLOR

[ -x "$PROG" ] || { echo "bench: $PROG is not built: run 'make bench'" >&2; exit 1; }
[ -x "$B/gen_customers" ] || { echo "bench: $B/gen_customers is not built: run 'make bench'" >&2; exit 1; }

# The cached-customer database: regenerated when the generator or N changed.
db=$B/customers/kigo-tui.db
stamp="$(cksum <"$B/gen_customers") $N $SEED"
if [ ! -f "$db" ] || [ "$(cat "$B/customers.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "bench: generating $N customers into $B/customers (once; reused by later runs)"
	rm -rf "$B/customers" "$B/customers.stamp"
	mkdir -p "$B"
	mkdir -m 700 "$B/customers"
	"$B/gen_customers" "$B/customers" "$N" "$SEED"
	echo "$stamp" >"$B/customers.stamp"
fi

exec /usr/bin/python3 bench/bench.py --customers-db "$db" --out "$B" "$@"
