#!/bin/bash
# TLS: the server's certificate is verified by default (a self-signed one is
# refused, and retried as a network failure), trusted with --cacert, and a
# client certificate is presented with --cert/--cert-key.
. "$(dirname "$0")/lib.sh"
plx-upload() { timeout 30 "$BIN/plx-upload" "$@"; }
export PLEXUS_API_KEY=plx_test
need openssl

# A CA, a server certificate for 127.0.0.1 and a client certificate.
cd "$T" || exit 1
cert() { # NAME SUBJECT [SAN]: NAME.pem and NAME.key signed by ca
	openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null &&
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out "$1.pem" \
		${3:+-extfile <(printf 'subjectAltName=%s\n' "$3")} 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca 2>/dev/null
cert server /CN=gateway-test "IP:127.0.0.1"
cert client /CN=gateway-1
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 -subj /CN=other 2>/dev/null
check "test certificates made" [ -s ca.pem -a -s server.pem -a -s client.pem ]

start_server s --key plx_test --tls-cert server.pem --tls-key server.key
url=https://127.0.0.1:$(cat s.port)

# Not trusted: nothing delivered, the failure said and retried.
gen 10 | PLEXUS_QUIET= timeout 1 "$BIN/plx-upload" -u "$url" --backoff 100 --backoff-max 200 2>err
eq "unknown CA: still retrying after 1 s" $? 124
check "unknown CA: the reason on stderr" grep -qi "certificate" err
eq "unknown CA: nothing stored" "$(grep -c . s.store)" 0

gen 10 | timeout 1 "$BIN/plx-upload" -u "$url" --cacert other.pem --backoff 100 2>/dev/null
eq "another CA: refused too" "$?-$(grep -c . s.store)" "124-0"

gen 1000 | plx-upload -u "$url" --cacert ca.pem -n 250
eq "--cacert: exit 0" $? 0
eq "--cacert: all delivered" "$(values s.store | wc -l)" 1000
eq "--cacert: one TLS connection kept alive" "$(stats_tls() { curl -s --cacert ca.pem "$url/_control/stats"; }; stats_tls | grep -o '"keepalive_reuses":[0-9]*')" '"keepalive_reuses":3'

# The host name is checked too: the certificate names 127.0.0.1 only.
gen 10 | PLEXUS_QUIET= timeout 1 "$BIN/plx-upload" -u "https://localhost:$(cat s.port)" --cacert ca.pem --backoff 100 2>err
eq "wrong host name: refused" $? 124
check "wrong host name: said so" grep -q "host name" err

# Client certificates.
kill "$PID_s"
start_server m --key plx_test --tls-cert server.pem --tls-key server.key --tls-client-ca ca.pem
url=https://127.0.0.1:$(cat m.port)
gen 10 | timeout 1 "$BIN/plx-upload" -u "$url" --cacert ca.pem --backoff 100 2>/dev/null
eq "server wants a client certificate: none given, nothing stored" "$?-$(grep -c . m.store)" "124-0"
gen 10 | plx-upload -u "$url" --cacert ca.pem --cert client.pem --cert-key client.key
eq "--cert/--cert-key: delivered" "$?-$(values m.store | wc -l)" "0-10"

plx-upload --cacert nothere </dev/null 2>err; eq "unreadable --cacert: exit 78" $? 78
plx-upload --cert-key nothere </dev/null 2>/dev/null; eq "unreadable --cert-key: exit 78" $? 78
