#!/bin/sh
# fuzz.sh SECONDS [TARGET...] - build the libFuzzer targets (clang, ASan,
# UBSan) and run each for SECONDS from its seed corpus.  A crash, a leak or
# a UBSan report fails the run and leaves the input in build-fuzz/crashes/.
#
#   make fuzz                  60 s per target
#   make fuzz FUZZ_SECONDS=600
#   scripts/fuzz.sh 3          the short run `make check` does
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=${*:-$(cd fuzz && ls fuzz_*.c | sed 's/\.c$//')}
B=build-fuzz

make --no-print-directory -j2 BUILD=$B SAN=fuzz fuzzers >/dev/null
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
mkdir -p "$B/crashes"
failed=0 passed=0
for t in $targets; do
	work="$B/corpus/$t"
	mkdir -p "$work"
	seeds="fuzz/seeds/$t"
	[ -d "$seeds" ] || seeds=""
	dict=""
	[ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
	case $t in *json*) [ -f fuzz/json.dict ] && dict="-dict=fuzz/json.dict" ;; esac
	log="$B/$t.log"
	# shellcheck disable=SC2086
	if "$B/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -artifact_prefix="$B/crashes/$t-" -print_final_stats=1 \
		$dict "$work" $seeds >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "  fuzz  $t: ok, ${runs:-?} runs in ${secs}s"
		passed=$((passed + 1))
	else
		echo "  fuzz  $t: FAILED (log $log)"
		grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -5 | sed 's/^/        /'
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
