#!/bin/sh
# testca.sh OUTDIR - make a throw-away PKI for the HTTPS test servers.
#
# Written with openssl at test time (nothing secret is committed), EC P-256
# keys so it takes well under a second.  OUTDIR receives:
#
#   ca.pem ca.key              the test CA (give ca.pem to tls.ca_bundle)
#   server.pem server.key      localhost, 127.0.0.1, ::1, signed by the CA
#   expired.pem expired.key    same names, signed by the CA, expired a year ago
#   wronghost.pem wronghost.key  for "other.invalid" only, signed by the CA
#   otherca.pem otherca.key    a second, unrelated CA (wrong-CA tests)
#   otherca-server.pem/.key    localhost cert signed by the unrelated CA
#
# Idempotent and safe to run concurrently on the same OUTDIR: a lock
# serialises runs and ".complete" is written last, so a second run returns
# at once and never mixes files from two CAs.
set -eu

out=${1:?usage: testca.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -f "$out/.complete" ] && exit 0

exec 9>"$out/.lock"
flock 9
[ -f "$out/.complete" ] && exit 0

work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
umask 077

ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# A self-signed CA: make_ca NAME "CN"
make_ca() {
	ec "$1.key"
	openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 30 -sha256 \
		-subj "/CN=$2" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# A leaf signed by a CA through `openssl ca`, which (unlike `x509 -req` in
# OpenSSL 3.0) takes explicit -startdate/-enddate: leaf NAME CA SAN START END
leaf() {
	name=$1 ca=$2 san=$3 start=$4 end=$5
	ec "$name.key"
	openssl req -new -key "$name.key" -out "$name.csr" -subj "/CN=kigo-test-$name" 2>/dev/null
	rm -rf db && mkdir db && : >db/index.txt
	cat >db/ca.cnf <<EOF
[ca]
default_ca = testca
[testca]
database = db/index.txt
new_certs_dir = db
serial = db/serial
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
x509_extensions = leaf_ext
[anything]
commonName = supplied
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
EOF
	# a random serial so two runs never issue the same issuer+serial pair
	openssl rand -hex 8 >db/serial
	openssl ca -batch -config db/ca.cnf -cert "$ca.pem" -keyfile "$ca.key" \
		-in "$name.csr" -out "$name.pem" -notext \
		-startdate "$start" -enddate "$end" 2>/dev/null >/dev/null
	rm -f "$name.csr"
}

# YYMMDDHHMMSSZ (UTCTime) relative to now, in days.
day() { date -u -d "$1 days" +%y%m%d%H%M%SZ; }

make_ca ca "kigo-tui test CA"
make_ca otherca "unrelated test CA"
local_san="DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1"
leaf server ca "$local_san" "$(day -1)" "$(day 30)"
leaf expired ca "$local_san" "$(day -400)" "$(day -365)"
leaf wronghost ca "DNS:other.invalid" "$(day -1)" "$(day 30)"
leaf otherca-server otherca "$local_san" "$(day -1)" "$(day 30)"
rm -rf db
chmod 0644 ./*.pem
mv -f ./*.pem ./*.key "$out/"
: >"$out/.complete"
