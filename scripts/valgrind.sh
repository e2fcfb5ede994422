#!/bin/sh
# valgrind.sh - every test under valgrind's memcheck (`make valgrind`):
# every Criterion unit binary, then every integration test with every
# kigo-tui process (and tests/tools/sn_tool) run under valgrind.  valgrind
# finds what ASan does not (reads of uninitialised memory) and checks the
# unsanitized -O2 build.  Invalid access, uninitialised use and definite
# leaks fail; tests/valgrind.supp holds the third-party noise only.
#
# How each process is reached: the integration tests start the binary as
# $PROG (stacklib.py and faultlib.py in tmux, loginlib.py, sn_harness.py,
# the shell tests, scripts/demo.sh) and the tool as $SN_TOOL; both point at
# per-test wrapper scripts that exec valgrind with an absolute log file
# (vg.NAME.PID in the test's folder), so no environment scrubbing by a test
# can lose a report.  Criterion runs each test in a forked child and
# ignores its exit status, so --error-exitcode alone proves nothing: every
# process logs to its own file (-q: only errors are written) and any
# non-empty log fails.  A test that starts the binary but leaves no log
# fails too (the wrapper was bypassed).
#
# Self-test, every run: tests/vg_canary.c (a leak, an invalid read, a jump
# on uninitialised memory) through the same wrapper and log check; any of
# them unseen fails the run.  VG_SELFTEST=1 goes further: every wrapper
# also runs the leaking canary before the binary, and the run passes only
# if every test that starts the binary is then reported.
#
# KG_VALGRIND=1 is set for the tests: the test libraries stretch their
# waits (not their checks) by KG_SLOW (default 8 under valgrind).
#
#   scripts/valgrind.sh [BUILD]
#   env: VG_UNIT, VG_INTEGRATION (names; unset: all, empty: none), VG_JOBS (3:
#        most tests wait on sockets and screens, the CPU is not full at 2),
#        VG_TEST_TIMEOUT (s, per test), VG_EXTRA (valgrind options, e.g.
#        --track-origins=yes or --gen-suppressions=all), VG_SELFTEST,
#        VG_LIST=1 (print the queue, run nothing)
set -u
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
if [ "${1:-}" = --one ]; then # internal: --one unit|integration NAME (run by xargs)
	kind=$2 name=$3
else
	kind=
	BUILD=${1:-${BUILD:-build}}
fi
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$root/$BUILD" ;; esac
logs="$BUILD/valgrind"
VG_JOBS=${VG_JOBS:-3}
VG_TEST_TIMEOUT=${VG_TEST_TIMEOUT:-1500}
VG_EXTRA=${VG_EXTRA:-}
VG_SELFTEST=${VG_SELFTEST:-}
VG="valgrind -q --num-callers=30 $VG_EXTRA --leak-check=full --errors-for-leak-kinds=definite \
 --show-leak-kinds=definite --error-exitcode=99 --suppressions=$root/tests/valgrind.supp"
# Tests that never start kigo-tui or sn_tool (their own servers, scripts or
# the fuzz build): no valgrind log is expected from them.
NO_BINARY="test_kigo_fake.py test_http_tls.py"
# Meaningless under valgrind, with the reason printed.
skip_reason() {
	case $1 in
	test_fuzz.sh) echo "libFuzzer targets run under ASan+UBSan (make check, make fuzz), not valgrind" ;;
	*) return 1 ;;
	esac
}
export BUILD VG VG_SELFTEST root logs

# make_wrapper DIR NAME REAL: DIR/bin/NAME runs REAL under valgrind, logging
# to DIR/vg.NAME.PID
make_wrapper() {
	mkdir -p "$1/bin"
	{
		echo '#!/bin/sh'
		echo "# valgrind wrapper made by scripts/valgrind.sh for $3"
		if [ -n "$VG_SELFTEST" ]; then
			echo "$VG --trace-children=no --log-file='$1/vg.canary.%p' '$logs/vg_canary' leak"
		fi
		echo "exec $VG --trace-children=no --log-file='$1/vg.$2.%p' '$3' \"\$@\""
	} >"$1/bin/$2"
	chmod +x "$1/bin/$2"
}

# reports DIR: the non-empty valgrind logs under DIR
reports() {
	find "$1" -name 'vg.*' -size +0 2>/dev/null
}

show_reports() { # DIR
	for f in $(reports "$1"); do
		echo "        | $(basename "$f"):"
		sed 's/^/        | /' "$f" | head -n 60
	done
}

status() { # DIR STATE SECS TEXT
	printf '%s %s %s\n' "$2" "$3" "$4" >"$1/status"
	case $2 in
	PASS) printf '  PASS  %-40s %4ss  %s\n' "$name" "$3" "$4" ;;
	SKIP) printf '  SKIP  %-40s %s\n' "$name" "$4" ;;
	*)
		printf '  FAIL  %-40s %4ss  %s\n' "$name" "$3" "$4"
		[ -f "$1/out" ] && tail -n 30 "$1/out" | sed 's/^/        > /'
		show_reports "$1"
		;;
	esac
}

run_unit() { # NAME
	d="$logs/unit/$name"
	rm -rf "$d"
	mkdir -p "$d"
	s=$(date +%s)
	# shellcheck disable=SC2086
	# BoxFort re-executes the test binary for each test: children are traced,
	# but not the system programs and servers the tests start (/usr, /bin, pyenv)
	KG_VALGRIND=1 timeout -k 10 "$VG_TEST_TIMEOUT" $VG --trace-children=yes --child-silent-after-fork=no \
		--trace-children-skip='/usr/*,/bin/*,/sbin/*,/root/*,/opt/*' \
		--log-file="$d/vg.$name.%p" "$BUILD/tests/$name" --jobs 2 >"$d/out" 2>&1
	rc=$?
	secs=$(($(date +%s) - s))
	n=$(find "$d" -name 'vg.*' | wc -l)
	if [ -n "$(reports "$d")" ]; then
		status "$d" FAIL "$secs" "valgrind reports ($n processes)"
	elif [ $rc != 0 ]; then
		status "$d" FAIL "$secs" "exit $rc"
	else
		status "$d" PASS "$secs" "$n processes"
	fi
}

run_integration() { # NAME
	d="$logs/integration/$name"
	rm -rf "$d"
	mkdir -p "$d"
	if why=$(skip_reason "$name"); then
		status "$d" SKIP 0 "$why"
		return
	fi
	make_wrapper "$d" kigo-tui "$root/kigo-tui"
	[ "$BUILD" = "$root/build" ] || make_wrapper "$d" kigo-tui "$BUILD/kigo-tui"
	make_wrapper "$d" sn_tool "$BUILD/tools/sn_tool"
	t="tests/integration/$name"
	case $t in *.py) run="/usr/bin/python3" ;; *) run="sh" ;; esac
	s=$(date +%s)
	(
		unset KIGO_TUI_CONFIG KIGO_TUI_SN_PASSWORD NO_COLOR
		PROG="$d/bin/kigo-tui" SN_TOOL="$d/bin/sn_tool" KG_TEST_ROOT="$root" SAN='' \
			KG_VALGRIND=1 LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC \
			timeout -k 10 "$VG_TEST_TIMEOUT" $run "$t" >"$d/out" 2>&1
	)
	rc=$?
	secs=$(($(date +%s) - s))
	n=$(find "$d" -name 'vg.*' ! -name 'vg.canary.*' | wc -l)
	[ $rc = 124 ] && echo "timed out after ${VG_TEST_TIMEOUT}s" >>"$d/out"
	if [ -n "$(reports "$d")" ]; then
		status "$d" FAIL "$secs" "valgrind reports ($n processes)"
	elif [ $rc = 77 ]; then
		status "$d" SKIP "$secs" "$(tail -n 1 "$d/out")"
	elif [ $rc != 0 ]; then
		status "$d" FAIL "$secs" "exit $rc"
	elif [ "$n" = 0 ] && ! echo " $NO_BINARY " | grep -q " $name "; then
		status "$d" FAIL "$secs" "no process ran under valgrind: \$PROG/\$SN_TOOL bypassed"
	else
		status "$d" PASS "$secs" "$n processes"
	fi
}

if [ -n "$kind" ]; then
	case $kind in
	unit) run_unit ;;
	integration) run_integration ;;
	esac
	exit 0
fi

# -- the whole run ------------------------------------------------------
VG_UNIT=${VG_UNIT-$(for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] && [ -f "$t" ] && case $t in *.d | *.o) ;; *) basename "$t" ;; esac
done)}
VG_INTEGRATION=${VG_INTEGRATION-$(for t in tests/integration/test_*.py tests/integration/test_*.sh; do
	[ -f "$t" ] && basename "$t"
done)}
# shellcheck disable=SC2086,SC2116
VG_UNIT=$(echo $VG_UNIT) VG_INTEGRATION=$(echo $VG_INTEGRATION) # one line each
# One queue of unit and integration tests, VG_JOBS at a time, the longest
# first (measured) so that the last one does not run alone.
first="test_crash.py test_faults.py test_auth test_kigo test_sn_outbox.py test_sn_client.py \
 test_http test_auth_oidc test_store test_sn_okta.py test_faults_tui.py test_ui_workflows.py \
 test_login_oidc.py test_secrets.py"
queue() {
	# shellcheck disable=SC2086
	for n in $first; do
		if echo " $VG_UNIT " | grep -q " $n "; then echo "unit $n"; fi
		if echo " $VG_INTEGRATION " | grep -q " $n "; then echo "integration $n"; fi
	done
	for n in $VG_INTEGRATION; do echo " $first " | grep -q " $n " || echo "integration $n"; done
	for n in $VG_UNIT; do echo " $first " | grep -q " $n " || echo "unit $n"; done
}
if [ -n "${VG_LIST:-}" ]; then queue; exit 0; fi

command -v valgrind >/dev/null 2>&1 || { echo "valgrind missing: run make deps"; exit 1; }
rm -rf "$logs"
mkdir -p "$logs"
start=$(date +%s)
failed=0

echo "valgrind: self-test (tests/vg_canary.c through the wrapper)"
cc -O0 -g -w -o "$logs/vg_canary" tests/vg_canary.c || exit 1
for mode in leak invalid uninit clean; do
	d="$logs/selftest/$mode"
	mkdir -p "$d"
	saved=$VG_SELFTEST
	VG_SELFTEST=
	make_wrapper "$d" canary "$logs/vg_canary"
	VG_SELFTEST=$saved
	"$d/bin/canary" "$mode" >/dev/null 2>&1
	seen=$(reports "$d")
	if [ "$mode" = clean ] && [ -n "$seen" ]; then
		echo "  FAIL  a clean program is reported (the suppressions or options are wrong):"
		show_reports "$d"
		failed=$((failed + 1))
	elif [ "$mode" != clean ] && [ -z "$seen" ]; then
		echo "  FAIL  the canary's $mode went unseen: the wrapper or the log check is broken"
		failed=$((failed + 1))
	else
		printf '  PASS  %-40s %s\n' "canary $mode" "$([ -n "$seen" ] && echo reported || echo silent)"
	fi
done
[ $failed = 0 ] || { echo "valgrind: self-test failed"; exit 1; }

# Under valgrind every kill point of test_crash takes seconds: fewer of them
# (the same code paths; make check runs 20, KG_CRASH_POINTS=200 by hand)
KG_CRASH_POINTS=${KG_CRASH_POINTS:-6}
export KG_CRASH_POINTS
echo "valgrind: $(queue | grep -c .) tests, $VG_JOBS at a time (unit: each Criterion child;" \
	"integration: every kigo-tui and sn_tool process)"
queue | xargs -P "$VG_JOBS" -L 1 sh "$root/scripts/valgrind.sh" --one

passed=0 skipped=0 failures="" flagged=0 unflagged=""
for f in "$logs"/unit/*/status "$logs"/integration/*/status; do
	[ -f "$f" ] || continue
	n=$(basename "$(dirname "$f")")
	read -r st _ rest <"$f"
	case $st in
	PASS) passed=$((passed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)) failures="$failures $n" ;;
	esac
	case $f in */integration/*)
		if [ -n "$VG_SELFTEST" ] && [ -n "$(find "$(dirname "$f")" -name 'vg.canary.*')" ]; then
			if [ -n "$(find "$(dirname "$f")" -name 'vg.canary.*' -size +0)" ]; then
				flagged=$((flagged + 1))
			else
				unflagged="$unflagged $n"
			fi
		fi
		;;
	esac
	: "$rest"
done
# every test was accounted for
# shellcheck disable=SC2086
want=$(($(printf '%s\n' $VG_UNIT $VG_INTEGRATION | grep -c .)))
have=$((passed + skipped + failed))
if [ "$have" != "$want" ]; then
	echo "valgrind: $want tests asked for, $have reported (a runner died)"
	failed=$((failed + 1))
fi
echo
if [ -n "$VG_SELFTEST" ]; then
	echo "valgrind self-test: the leaking canary was reported in $flagged tests; not in:${unflagged:- none}"
	[ -z "$unflagged" ] && [ "$flagged" -gt 0 ]
	exit $?
fi
[ -z "$failures" ] || echo "failed:$failures"
echo "valgrind: $passed passed, $failed failed, $skipped skipped, $(($(date +%s) - start))s (logs in ${logs#"$root"/})"
[ $failed = 0 ]
