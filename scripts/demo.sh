#!/bin/sh
# demo.sh [TICKET] - kigo-tui against local stand-ins, no real service needed
# (`make demo`, `make demo TICKET=INC0010002`).
#
# Makes a throw-away CA (tests/fakes/testca.sh) and a temporary folder
# (mktemp -d, mode 0700), starts the ServiceNow fake, the Kigo fake and the
# demo IdP (scripts/demo_idp.py: idp_fake approving device codes by itself)
# on 127.0.0.1 over HTTPS with ephemeral ports, seeded so that ticket
# callers match Kigo customers (scripts/demo_seed.py), writes a
# configuration pointing at them (CA bundle, state folder and secrets =
# memory in the temporary folder: the user's keyring and files are never
# touched), and runs the real ./kigo-tui on the ticket in this terminal.
#
# When kigo-tui ends, or this script gets INT, TERM or HUP, every stand-in
# it started is stopped by pid and the temporary folder removed.  The
# stand-ins also get SIGTERM if this shell dies without a chance to clean
# up (setpriv --pdeathsig).
#
# Environment: PROG (the binary, default ./kigo-tui), TMPDIR (where the
# temporary folder goes), KIGO_DEMO_INFO (a file that receives "dir PATH"
# and "pid NAME PID" lines, for tests), KIGO_DEMO_APPROVE_AFTER (seconds,
# default 3).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
ticket=${1:-INC0010001}
prog=${PROG:-$root/kigo-tui}
py=/usr/bin/python3
fakes=$root/tests/fakes
approve=${KIGO_DEMO_APPROVE_AFTER:-3}
info=${KIGO_DEMO_INFO:-}
# The data set: Kigo fake and ServiceNow seed must be built from the same numbers.
seed_args="--seed 7 --customers 120 --big-tokens 400 --catalog 80"

die() {
	echo "demo: $*" >&2
	exit 1
}

[ -x "$prog" ] || die "$prog is not built: run 'make demo' (it builds first)"
[ -x "$py" ] || die "$py is missing: run 'make deps'"
command -v openssl >/dev/null 2>&1 || die "openssl is missing: run 'make deps'"
for f in servicenow_fake.py kigo_fake.py idp_fake.py seed.py testca.sh; do
	[ -f "$fakes/$f" ] || die "tests/fakes/$f is missing from this tree, so the demo cannot start"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kigo-demo.XXXXXX") || die "cannot create a temporary folder"
chmod 700 "$tmp"
pids=
tui=
[ -z "$info" ] || printf 'dir %s\npid demo %s\n' "$tmp" "$$" >>"$info"

# Stop a pid: TERM, then KILL if it is still there after 5 s.
stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	n=0
	while kill -0 "$1" 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

cleanup() {
	# once: a second signal (the terminal going away) must not cut it short
	trap '' INT TERM HUP
	trap - EXIT
	[ -z "$tui" ] || stop "$tui"
	for p in $pids; do
		stop "$p"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

# start NAME SCRIPT ARGS...: a stand-in in the background, its port in $tmp/NAME.port
start() {
	name=$1
	shift
	set -- "$py" "$@" --cert "$tmp/pki/server.pem" --key "$tmp/pki/server.key" \
		--port-file "$tmp/$name.port"
	if command -v setpriv >/dev/null 2>&1; then
		setpriv --pdeathsig TERM -- "$@" </dev/null >"$tmp/$name.log" 2>&1 &
	else
		"$@" </dev/null >"$tmp/$name.log" 2>&1 &
	fi
	pids="$pids $!"
	[ -z "$info" ] || echo "pid $name $!" >>"$info"
	eval "pid_$name=$!"
}

# port NAME: wait (at most 20 s) until the stand-in reports its port.
port() {
	n=0
	while [ ! -s "$tmp/$1.port" ]; do
		eval "p=\$pid_$1"
		if ! kill -0 "$p" 2>/dev/null || [ $n -ge 200 ]; then
			echo "demo: the $1 stand-in did not start:" >&2
			tail -n 20 "$tmp/$1.log" >&2
			exit 1
		fi
		sleep 0.1
		n=$((n + 1))
	done
	cat "$tmp/$1.port"
}

sh "$fakes/testca.sh" "$tmp/pki" || die "could not create the demo CA (openssl)"
# shellcheck disable=SC2086
"$py" "$here/demo_seed.py" $seed_args --out "$tmp/servicenow-seed.json" ||
	die "could not build the demo data"

start servicenow "$fakes/servicenow_fake.py" --seed "$tmp/servicenow-seed.json" --permissive-bearer
# shellcheck disable=SC2086
start kigo "$fakes/kigo_fake.py" $seed_args --permissive
start idp "$here/demo_idp.py" --approve-after "$approve"
sn_port=$(port servicenow) || exit 1
kigo_port=$(port kigo) || exit 1
idp_port=$(port idp) || exit 1

mkdir -m 700 "$tmp/state"
conf=$tmp/kigo-tui.conf
cat >"$conf" <<EOF
# kigo-tui demo configuration: local stand-ins, removed when the demo ends.
[servicenow]
instance_url = https://127.0.0.1:$sn_port
table = incident
journal_field = work_notes
auth = okta

[okta]
issuer = https://127.0.0.1:$idp_port
client_id = kigo-test
scopes = openid profile offline_access

[kigo]
api_url = https://127.0.0.1:$kigo_port/api/v1

[tls]
ca_bundle = $tmp/pki/ca.pem

[storage]
state_dir = $tmp/state
secrets = memory
EOF

cat <<EOF
kigo-tui demo: ticket $ticket, against local stand-ins on 127.0.0.1
  ServiceNow :$sn_port   Kigo :$kigo_port   IdP :$idp_port   (CA and state in $tmp)
The login screen is the real device-code flow; this demo's IdP approves the
code by itself after ${approve} seconds, so there is nothing to type.
Other tickets: make demo TICKET=INC0010002 (or 0003: a caller with no Kigo
customer yet; 0004: hundreds of tokens; 0005: hidden from you by an ACL).
Quit with q; the stand-ins are stopped and $tmp is removed.
EOF

# kigo-tui runs in the background of this shell, on this terminal, so that
# `wait` (unlike a foreground command) lets the INT/TERM/HUP traps run at once.
exec 3<&0
unset KIGO_TUI_CONFIG
"$prog" -c "$conf" "$ticket" 0<&3 3<&- &
tui=$!
wait "$tui"
rc=$?
tui=
exec 3<&-
cleanup
echo "demo: stopped the stand-ins and removed $tmp"
exit $rc
