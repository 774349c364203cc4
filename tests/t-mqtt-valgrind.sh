#!/bin/bash
# mqtt-read under valgrind: every golden case's messages (every format,
# templates, malformed payloads) through one run subscribed to all, the
# login from a file, SIGHUP, the broker killed and restarted, SIGTERM: no
# invalid access, no leak.  ASan binaries cannot run under valgrind: a
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
