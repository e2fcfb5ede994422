#!/bin/sh
# test_docs.sh - the man pages are clean under `mandoc -T lint -W warning`
# and, with the shell completions, name every command and option the
# binary's --help names.
set -u
: "${PROG:?PROG must name the kigo-tui binary}"
cd "${KG_TEST_ROOT:-.}" || exit 1
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

if command -v mandoc >/dev/null 2>&1; then
	for m in man/kigo-tui.1 man/kigo-tui.conf.5; do
		out=$(mandoc -T lint -W warning "$m" 2>&1) || fail "mandoc lint $m: $out"
	done
else
	echo "mandoc not installed: lint skipped"
fi

help=$("$PROG" --help) || fail "--help failed"
for w in login logout status sync doctor stats --offline --no-qr --json --since --config \
	--verbose --help --version; do
	printf '%s\n' "$help" | grep -qF -- "$w" || fail "--help lacks $w"
	case $w in
	--*) pat="Fl -${w#--}" ;;
	*) pat="Cm $w" ;;
	esac
	grep -qF -- "$pat" man/kigo-tui.1 || fail "man/kigo-tui.1 lacks '$pat'"
	grep -qF -- "$w" completions/kigo-tui.bash || fail "bash completion lacks $w"
	grep -qF -- "$w" completions/_kigo-tui || fail "zsh completion lacks $w"
done
for s in "EXIT STATUS" ENVIRONMENT FILES SYNOPSIS; do
	grep -q "^\.Sh $s" man/kigo-tui.1 || fail "man/kigo-tui.1 lacks section $s"
done
for code in 64 65 69 75 77 78; do
	grep -q "^\.It $code\$" man/kigo-tui.1 || fail "man/kigo-tui.1 EXIT STATUS lacks $code"
done

if command -v bash >/dev/null 2>&1; then
	bash -n completions/kigo-tui.bash || fail "bash completion: syntax"
	got=$(bash -c '. completions/kigo-tui.bash
		COMP_WORDS=(kigo-tui -v lo); COMP_CWORD=2; _kigo_tui; echo "${COMPREPLY[*]}"')
	[ "$got" = "login logout" ] || fail "bash completion of 'lo': $got"
	got=$(bash -c '. completions/kigo-tui.bash
		COMP_WORDS=(kigo-tui login --n); COMP_CWORD=2; _kigo_tui; echo "${COMPREPLY[*]}"')
	[ "$got" = "--no-qr" ] || fail "bash completion of 'login --n': $got"
fi
if command -v zsh >/dev/null 2>&1; then
	zsh -n completions/_kigo-tui || fail "zsh completion: syntax"
fi

echo "test_docs: $fails failures"
[ "$fails" = 0 ]
