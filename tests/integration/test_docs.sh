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
	# the completion at work: an interactive zsh in tmux, compinit, Tab
	if command -v tmux >/dev/null 2>&1; then
		sock="kg-docs-$$"
		zsh_line() { # keys, expected line -> fails unless the line appears in 10 s
			tmux -L "$sock" send-keys C-u "$1" Tab
			i=0
			while [ $i -lt 100 ]; do
				tmux -L "$sock" capture-pane -p | grep -qxF -- "% $2" && return 0
				sleep 0.1
				i=$((i + 1))
			done
			fail "zsh completion of '$1': $(tmux -L "$sock" capture-pane -p | grep '^% ' | tail -n 1)"
		}
		tmux -L "$sock" new-session -d -x 100 -y 20 \
			"env -i HOME=/nonexistent TERM=xterm PATH=/usr/bin:/bin zsh -f"
		# (one argument: tmux reads a trailing ';' as its own command separator)
		tmux -L "$sock" send-keys "fpath=($(pwd)/completions \$fpath); autoload -Uz compinit; compinit -u -D; PS1='%% '; clear" Enter
		zsh_line "kigo-tui lo" "kigo-tui log"
		zsh_line "kigo-tui login --n" "kigo-tui login --no-qr"
		zsh_line "kigo-tui stat" "kigo-tui stat"
		zsh_line "kigo-tui stats --s" "kigo-tui stats --since="
		tmux -L "$sock" kill-server 2>/dev/null
	fi
fi

echo "test_docs: $fails failures"
[ "$fails" = 0 ]
