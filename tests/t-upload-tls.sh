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

# refused WHAT STORE WHY ARGS...: plx-upload ARGS fails, says WHY (a
# regular expression) and retries as after a network failure (twice here,
# then it is stopped); nothing more reaches STORE.
retried() { grep -qi "$1" err && grep -q ': retry 2 in' err; }
refused() {
	what=$1 store=$2 why=$3; shift 3
	n=$(grep -c . "$store")
	gen 10 | PLEXUS_QUIET= "$BIN/plx-upload" --backoff 100 --backoff-max 200 "$@" 2>err &
	p=$!
	check "$what: refused, said ($why) and retried" wait_for 20 retried "$why"
	kill $p; wait $p
	eq "$what: nothing stored" "$(grep -c . "$store")" "$n"
}

start_server s --key plx_test --tls-cert server.pem --tls-key server.key
url=https://127.0.0.1:$(cat s.port)

# Not trusted: nothing delivered, the failure said and retried.
refused "unknown CA" s.store "certificate" -u "$url"
refused "another CA" s.store "certificate" -u "$url" --cacert other.pem

gen 1000 >in1000
plx-upload -u "$url" --cacert ca.pem --batch-points 250 --in-flight 1 <in1000
eq "--cacert: exit 0" $? 0
eq "--cacert: all delivered" "$(values s.store | wc -l)" 1000
eq "--cacert, --in-flight 1: one TLS connection kept alive" "$(stats_tls() { curl -s --cacert ca.pem "$url/_control/stats"; }; stats_tls | grep -o '"keepalive_reuses":[0-9]*')" '"keepalive_reuses":3'

# The host name is checked too: the certificate names 127.0.0.1 only.
refused "wrong host name" s.store "host name" -u "https://localhost:$(cat s.port)" --cacert ca.pem

# Client certificates.
kill "$PID_s"
start_server m --key plx_test --tls-cert server.pem --tls-key server.key --tls-client-ca ca.pem
url=https://127.0.0.1:$(cat m.port)
refused "server wants a client certificate, none given" m.store "certificate required" -u "$url" --cacert ca.pem
gen 10 | plx-upload -u "$url" --cacert ca.pem --cert client.pem --cert-key client.key
eq "--cert/--cert-key: delivered" "$?-$(values m.store | wc -l)" "0-10"

plx-upload --cacert nothere </dev/null 2>err; eq "unreadable --cacert: exit 78" $? 78
plx-upload --cert-key nothere </dev/null 2>/dev/null; eq "unreadable --cert-key: exit 78" $? 78
