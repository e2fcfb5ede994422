#!/bin/sh
# valgrind.sh - a representative subset of the tests under valgrind
# (`make valgrind`): the decoders, parsers, store and loop unit tests, then
# the real binary in a few integration tests.  valgrind finds what ASan does
# not (reads of uninitialised memory) and checks the unsanitized build.
#
# Criterion runs each test in a forked child and ignores the child's exit
# status, so --error-exitcode alone proves nothing: every process logs to
# its own file (-q: only errors are written) and any non-empty log fails.
#
#   scripts/valgrind.sh [BUILD]    env: VG_UNIT, VG_INTEGRATION (names)
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-${BUILD:-build}}
VG_UNIT=${VG_UNIT:-"test_ticket test_sanitize test_kigo_json test_sn_json test_oidc_json test_store"}
VG_INTEGRATION=${VG_INTEGRATION:-"test_secrets.py"}
VG_EXTRA=${VG_EXTRA:-}   # e.g. --track-origins=yes when chasing a report
logs="$BUILD/valgrind"
rm -rf "$logs"
mkdir -p "$logs"
VG="valgrind -q $VG_EXTRA --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
 --trace-children=yes --child-silent-after-fork=no --error-exitcode=99 \
 --suppressions=$(pwd)/tests/valgrind.supp"
failed=0
start=$(date +%s)

check_logs() { # name
	bad=$(find "$logs/$1" -name 'vg.*' -size +0 2>/dev/null)
	if [ -n "$bad" ]; then
		echo "  FAIL  $1 (valgrind reports; logs in $logs/$1)"
		for f in $bad; do sed 's/^/        | /' "$f" | head -n 40; done
		failed=$((failed + 1))
		return 1
	fi
	return 0
}

echo "valgrind: unit tests"
for n in $VG_UNIT; do
	t="$BUILD/tests/$n"
	[ -x "$t" ] || continue
	mkdir -p "$logs/$n"
	s=$(date +%s)
	# shellcheck disable=SC2086
	$VG --log-file="$logs/$n/vg.%p" "$t" --jobs 1 >"$logs/$n/out" 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		echo "  FAIL  $n (exit $rc)"
		tail -n 20 "$logs/$n/out" | sed 's/^/        | /'
		failed=$((failed + 1))
	elif check_logs "$n"; then
		printf '  PASS  %-40s %3ss\n' "$n" "$(( $(date +%s) - s ))"
	fi
done

echo "valgrind: the real binary in integration tests"
wrap="$logs/kigo-tui"
cat >"$wrap" <<EOW
#!/bin/sh
exec $VG --log-file="$(pwd)/$logs/integration/vg.%p" "$(pwd)/kigo-tui" "\$@"
EOW
chmod +x "$wrap"
mkdir -p "$logs/integration"
for n in $VG_INTEGRATION; do
	t="tests/integration/$n"
	[ -f "$t" ] || continue
	s=$(date +%s)
	PROG="$(pwd)/$wrap" KG_TEST_ROOT="$(pwd)" KG_VALGRIND=1 LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC \
		timeout -k 10 900 /usr/bin/python3 "$t" >"$logs/integration/$n.out" 2>&1
	rc=$?
	if [ $rc != 0 ] && [ $rc != 77 ]; then
		echo "  FAIL  $n (exit $rc)"
		tail -n 30 "$logs/integration/$n.out" | sed 's/^/        | /'
		failed=$((failed + 1))
	else
		printf '  PASS  %-40s %3ss\n' "$n" "$(( $(date +%s) - s ))"
	fi
done
check_logs integration || true
echo "valgrind: $failed failed, $(( $(date +%s) - start ))s"
[ $failed = 0 ]
