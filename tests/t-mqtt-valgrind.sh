#!/bin/bash
# mqtt-read under valgrind: every golden case's messages (every format,
# templates, malformed payloads) through one run subscribed to all, the
# login from a file, SIGHUP, the broker killed and restarted, SIGTERM; and
# over TLS with a client certificate: no invalid access, no leak.  ASan binaries cannot run under valgrind: a
# plain build is made here.
# limit: 400
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/mqtt-lib.sh"
valgrind_build bin/mqtt-read
B=$VGBIN/mqtt-read
mq_broker b
has() { [ "$(grep -c -- "$2" "$1")" -ge "$3" ]; }
printf 'username=gw\npassword=x\n' > "$T/auth"
chmod 600 "$T/auth"

$VG $B -H 127.0.0.1 --port "$PORT_b" --client-id vg --auth-file "$T/auth" --status-interval 1 \
	-F zigbee2mqtt -t 'zigbee2mqtt/#' -F tasmota -t 'tele/+/+' -F shelly -t '+/events/rpc' -t '+/status/+' \
	-F chirpstack -t 'application/#' -F tts -t 'v3/#' -F plain -t 'sensors/#' -t 'home/#' \
	-F json -t 'plant/#' --metric '%m' > "$T/out" 2>"$T/vg" &
pid=$!
_pids="$_pids $pid"
wait_for 60 mq_subscribed b vg || nok "mqtt-read under valgrind subscribed"
n=0
for in in "$TOP"/tests/golden/mqtt/*.in; do
	while IFS= read -r line; do
		case $line in '#'* | '') continue ;; esac
		topic=${line%% *} msg=${line#* }
		[ "$msg" = - ] && msg=""
		mq_pub b "$topic" "$msg"
		n=$((n + 1))
	done < "$in"
done
wait_for 60 mq_acked b vg
check "every message acknowledged ($n)" mq_acked b vg
kill -HUP "$pid"
wait_for 60 has "$T/b.log" 'Received SUBSCRIBE from vg$' 2
mq_stop b KILL
sleep 1
mq_broker b
wait_for 60 has "$T/b.log" 'Received SUBSCRIBE from vg$' 3
mq_pub b zigbee2mqtt/after '{"temperature":1}'
wait_for 60 grep -q '"source_id":"after"' "$T/out"
check "a message after the broker came back" grep -q '"source_id":"after"' "$T/out"
kill "$pid"
wait "$pid"
eq "valgrind clean: messages, SIGHUP, broker restart, SIGTERM" "$?" 0
grep '^==' "$T/vg" | head -10 | sed 's/^/#   /'

# over TLS: a client certificate, a burst of messages (TLS records holding
# several MQTT packets: what OpenSSL decrypted before poll knew, which
# libmosquitto reads on its own)
cd "$T" || exit 1
test_certs "DNS:localhost,IP:127.0.0.1"
TLSPORT=$(mq_free_port)
mq_stop b
mq_broker b "allow_anonymous true" "listener $TLSPORT 127.0.0.1" "cafile $T/ca.pem" \
	"certfile $T/server.pem" "keyfile $T/server.key" "require_certificate true"
$VG $B -H 127.0.0.1 --port "$TLSPORT" --client-id vgtls --cacert ca.pem --cert client.pem --cert-key client.key \
	-F plain -t 's/#' --status-interval 1 > "$T/tls.out" 2>"$T/vg.tls" &
pid=$!
_pids="$_pids $pid"
wait_for 60 mq_subscribed b vgtls || nok "mqtt-read over TLS under valgrind subscribed"
seq 1 500 | mosquitto_pub -h 127.0.0.1 -p "$PORT_b" -q 1 -t s/a/v -l
wait_for 60 has "$T/tls.out" '"metric":"v"' 500
check "500 messages over TLS" has "$T/tls.out" '"metric":"v"' 500
kill "$pid"
wait "$pid"
eq "valgrind clean over TLS" "$?" 0
grep '^==' "$T/vg.tls" | head -10 | sed 's/^/#   /'
