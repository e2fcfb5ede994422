#!/bin/sh
# Short libFuzzer runs of every target (decoders, config, TICKET, sanitizer):
# no crash, leak or UBSan report.  `make fuzz` runs them longer.
# Under `make asan` this is skipped: these targets already run under ASan+UBSan.
cd "$KG_TEST_ROOT" || exit 1
if [ "${SAN:-}" = 1 ]; then
	echo "fuzz targets already run with ASan+UBSan in make check"
	exit 77
fi
if ! command -v clang >/dev/null 2>&1; then
	echo "clang missing: run make deps"
	exit 1
fi
exec scripts/fuzz.sh "${KG_FUZZ_SECONDS:-3}"
