#!/bin/sh
# test_cli.sh - the real binary's exit statuses and messages for the command
# line, the TICKET gate and the configuration (interface contract):
#   64 usage, before any configuration is read (a broken file proves it),
#   65 refused TICKET, before the configuration (same proof),
#   78 configuration error naming file:line: key,
#   --help and --version.
set -u
: "${PROG:?PROG must name the kigo-tui binary}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kg-cli-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0
n=0

# Nothing of the developer's own set-up may be found.
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_STATE_HOME="$tmp/state"
mkdir -p "$HOME"
unset KIGO_TUI_CONFIG NO_COLOR

broken="$tmp/broken.conf"
printf '[ui]\n# comment\ncolour = never\n' >"$broken"
good="$tmp/good.conf"
cat >"$good" <<'EOF'
[servicenow]
instance_url = https://sn.invalid
[storage]
secrets = memory
EOF

fail() {
	echo "FAIL: $*"
	sed 's/^/    stderr: /' "$tmp/err"
	fails=$((fails + 1))
}

# run EXPECTED-STATUS ARGS...: runs the binary, keeps stdout/stderr.
run() {
	want=$1
	shift
	n=$((n + 1))
	"$PROG" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if grep -qE 'Sanitizer|runtime error' "$tmp/err"; then
		cat "$tmp/err"
		fail "sanitizer report for: $*"
	fi
	if [ "$got" != "$want" ]; then
		fail "exit $got, expected $want, for: $*"
		return 1
	fi
	return 0
}

# The message has the given number of lines and no raw control byte.
check_lines() {
	lines=$(wc -l <"$tmp/err")
	[ "$lines" = "$1" ] || fail "$lines lines of stderr, expected $1"
	if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$tmp/err"; then
		fail "raw control character on stderr"
	fi
}

has() { # FILE TEXT
	grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks: $2"
}

# ---- 64: usage errors, before the configuration (KIGO_TUI_CONFIG is broken) ----
export KIGO_TUI_CONFIG="$broken"
usage() { # EXPECTED-TEXT ARGS...
	text=$1
	shift
	if run 64 "$@"; then
		check_lines 2
		has "$tmp/err" "$text"
		has "$tmp/err" "Try 'kigo-tui --help'"
	fi
	[ ! -s "$tmp/out" ] || fail "usage error wrote to stdout: $*"
}
usage "missing TICKET"
usage "missing TICKET" -v --offline
usage "unknown option '--bogus'" --bogus INC0012345
usage "unknown option '-x'" -x status
usage "unexpected argument" INC0012345 INC0012346
usage "unexpected argument" status extra
usage "needs a value" INC0012345 -c
usage "does not apply to 'login'" login --offline
usage "does not apply to 'sync'" sync --json
usage "YYYY-MM-DD" stats --since 2023-02-30
usage "\\x1B" "--$(printf '\033')[2J"
# even -c naming a broken or missing file is not read on a usage error
usage "unknown option" -c "$broken" --nope
usage "unknown option" -c "$tmp/missing.conf" --nope

# ---- 65: refused TICKETs, before the configuration ----
refused() { # ARG [EXPECTED-TEXT]
	if run 65 "$1"; then
		check_lines 1
		has "$tmp/err" "invalid TICKET"
		[ $# -lt 2 ] || has "$tmp/err" "$2"
	fi
}
refused 'INC1^ORactive=true' "'^'"
refused 'INC0012345^NQ' "'^'"
refused "INC0012345'" "quotes"
refused 'INC0012345"' "quotes"
refused 'INC0012345 OR 1=1' "space"
refused "$(printf 'INC0012345\033[2J')" '\x1B'
refused "$(printf 'INC00\00712345')" '\x07'
refused "$(printf 'INC0012345\r')" '\x0D'
refused "$(printf '%0300d' 7 | tr 0 A)"
refused "INC$(printf '%0297d' 1)" "4 to 12 digits"
refused 'javascript:alert(1)' "https"
refused 'http://sn.example.com/launch?ticket=INC0012345' "https"
refused 'ftp://sn.example.com/launch?ticket=INC0012345' "https"
refused 'https://sn.example.com/launch?ticket=INC0012345&ticket=INC0012346' "twice"
refused 'https://sn.example.com/launch?ticket=INC1%5EORactive%3Dtrue' "'^'"
refused 'https://sn.example.com/launch?ticket=INC0012345&debug=1' "unknown parameter"
refused 'https://sn.example.com/launch?ticket=INC0012345&email=x%0A@y.example' "control"
refused 'https://sn.example.com/launch?ticket=INC0012345&customer=42' "customer"
refused 'https://sn.example.com/nope?ticket=INC0012345' "/launch"
refused ''
unset KIGO_TUI_CONFIG

# ---- 78: configuration errors name file:line: key ----
config_error() { # EXPECTED-TEXT ARGS...
	text=$1
	shift
	if run 78 "$@"; then
		has "$tmp/err" "$text"
	fi
}
config_error "broken.conf:3: ui.colour: unknown key" -c "$broken" status
config_error "broken.conf:3: ui.colour" --config="$broken" INC0012345
config_error "missing.conf" -c "$tmp/missing.conf" status
printf '[okta]\nissuer = http://okta.example.com\n' >"$tmp/url.conf"
config_error "url.conf:2: okta.issuer: bad value" -c "$tmp/url.conf" doctor
printf '[servicenow]\nauth = kerberos\n' >"$tmp/enum.conf"
config_error "enum.conf:2: servicenow.auth" -c "$tmp/enum.conf" sync
printf '[ui]\ncolor = auto\ncolor = never\n' >"$tmp/dup.conf"
config_error "dup.conf:3: ui.color: duplicate key" -c "$tmp/dup.conf" logout
printf '[tui]\n' >"$tmp/sec.conf"
config_error "sec.conf:1: [tui]: unknown section" -c "$tmp/sec.conf" status
# the lookup order: $KIGO_TUI_CONFIG, then the XDG file
KIGO_TUI_CONFIG="$tmp/enum.conf" config_error "enum.conf:2" status
KIGO_TUI_CONFIG="$tmp/missing.conf" config_error "KIGO_TUI_CONFIG" status
mkdir -p "$XDG_CONFIG_HOME/kigo-tui"
cp "$tmp/dup.conf" "$XDG_CONFIG_HOME/kigo-tui/kigo-tui.conf"
config_error "kigo-tui/kigo-tui.conf:3: ui.color" status
# -c wins over the XDG file
if run 78 -c "$tmp/url.conf" status; then
	has "$tmp/err" "url.conf:2"
fi
rm "$XDG_CONFIG_HOME/kigo-tui/kigo-tui.conf"

# ---- a valid command line reaches its command ----
"$PROG" -c "$good" status --json >"$tmp/out" 2>"$tmp/err" </dev/null
got=$?
n=$((n + 1))
case $got in
64 | 65 | 78) fail "status with a good configuration ended $got" ;;
esac

# ---- --help and --version ----
if run 0 --help; then
	for w in login logout status sync doctor stats --offline --no-qr --json --since \
		--config --version TICKET; do
		has "$tmp/out" "$w"
	done
	[ ! -s "$tmp/err" ] || fail "--help wrote to stderr"
fi
run 0 status --help && has "$tmp/out" "Usage:"
KIGO_TUI_CONFIG="$broken" run 0 --help
if run 0 --version; then
	head -n 1 "$tmp/out" | grep -qE '^kigo-tui [0-9]+\.[0-9]+\.[0-9]+$' ||
		fail "--version: $(head -n 1 "$tmp/out")"
fi

echo "test_cli: $n runs, $fails failures"
[ "$fails" = 0 ]
