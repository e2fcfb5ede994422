#!/bin/sh
# run-tests.sh - run the unit test binaries (Criterion) and the integration
# tests, print one summary line, exit non-zero on any failure.
#
#   tests/run-tests.sh [unit|integration] [NAME-FILTER]
#
# Under SAN=1 (make asan) a LeakSanitizer or UBSan report fails the test even
# though Criterion itself would not count it.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PROG=${PROG:-./kigo-tui}
SAN=${SAN:-}
what=${1:-all}
filter=${2:-}
export BUILD PROG SAN

case $PROG in /*) ;; *) PROG="$(pwd)/$PROG" ;; esac
export KG_TEST_ROOT="$(pwd)"
if [ "$SAN" = 1 ]; then
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
	export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
fi
# A fixed, quiet environment: no user config leaks into the tests.
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC
unset KIGO_TUI_CONFIG KIGO_TUI_SN_PASSWORD NO_COLOR
logdir="$BUILD/test-logs"
mkdir -p "$logdir"

passed=0 failed=0 skipped=0
failures=""

run_one() { # name, command...
	name=$1
	shift
	log="$logdir/$name.log"
	start=$(date +%s)
	# a hung test fails instead of holding CI until its deadline
	timeout -k 10 "${KG_TEST_TIMEOUT:-600}" "$@" >"$log" 2>&1
	rc=$?
	[ $rc = 124 ] && echo "test timed out after ${KG_TEST_TIMEOUT:-600}s" >>"$log"
	if [ "$SAN" = 1 ] && grep -qE 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:' "$log"; then
		rc=99
	fi
	secs=$(( $(date +%s) - start ))
	if [ $rc = 0 ]; then
		passed=$((passed + 1))
		printf '  PASS  %-40s %3ss\n' "$name" "$secs"
	elif [ $rc = 77 ]; then
		skipped=$((skipped + 1))
		printf '  SKIP  %-40s %s\n' "$name" "$(tail -n 1 "$log")"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		printf '  FAIL  %-40s (exit %s, log %s)\n' "$name" "$rc" "$log"
		sed 's/^/        | /' "$log" | tail -n 40
	fi
	grep -h 'Synthesis:' "$log" | sed 's/^/        /'
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	echo "unit tests ($BUILD):"
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		case $t in *.d|*.o) continue ;; esac
		n=$(basename "$t")
		[ -z "$filter" ] || case $n in *$filter*) ;; *) continue ;; esac
		run_one "$n" "$t" --jobs 2
	done
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
	echo "integration tests:"
	for t in tests/integration/test_*.sh tests/integration/test_*.py; do
		[ -f "$t" ] || continue
		n=$(basename "$t")
		[ -z "$filter" ] || case $n in *$filter*) ;; *) continue ;; esac
		case $t in
		*.py) run_one "$n" /usr/bin/python3 "$t" ;;
		*) run_one "$n" sh "$t" ;;
		esac
	done
fi

echo
[ -z "$failures" ] || echo "failed:$failures"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
