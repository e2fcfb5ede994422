#!/bin/sh
# deps.sh - install every Debian package the build, the tests and the demo
# need, when it is missing.  As root it runs apt-get; otherwise it prints the
# exact command and stops.  Also installs the pinned OpenID provider used by
# the login tests (tests/oidc, lock file committed).
set -eu
cd "$(dirname "$0")/.."

PKGS="build-essential pkg-config libncurses-dev libcurl4-openssl-dev libjson-c-dev
libsecret-1-dev libsqlite3-dev libcriterion-dev libqrencode-dev libglib2.0-dev
openssl python3 python3-pyte tmux mandoc gnome-keyring dbus dbus-bin libsecret-tools
nodejs npm clang libclang-rt-14-dev valgrind strace procps cppcheck clang-tidy zsh"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		# nodejs/npm may come from elsewhere (the image's own node)
		case $p in
		nodejs) command -v node >/dev/null 2>&1 && continue ;;
		npm) command -v npm >/dev/null 2>&1 && continue ;;
		esac
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "kigo-tui: missing packages:$missing" >&2
		echo "run: sudo apt-get update && sudo apt-get install -y$missing" >&2
		exit 1
	fi
	echo "  DEPS    installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null
fi

# The real OpenID provider for the login tests, pinned by the lock file.
if [ -f tests/oidc/package.json ] && [ ! -d tests/oidc/node_modules/oidc-provider ]; then
	echo "  DEPS    npm ci (tests/oidc)"
	(cd tests/oidc && npm ci --silent --no-audit --no-fund >/dev/null)
fi
exit 0
