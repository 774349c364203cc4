#!/bin/bash
# mqtt-read's formats through a real broker, against golden files:
# tests/golden/mqtt/CASE.in holds messages, "TOPIC PAYLOAD" a line (the
# payloads from each format's documentation; "-" an empty payload; '#' a
# comment), CASE.args the options, CASE.out the records expected (a
# timestamp within a day of now, the arrival time, written
# "timestamp":T; one from the payload as it is), CASE.err the stderr
# expected.  Each message is published with QoS 1 by mosquitto_pub, in
# order; the case ends when the broker has every PUBLISH to mqtt-read
# acknowledged.  GOLDEN_UPDATE=1 rewrites .out and .err.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/mqtt-lib.sh"
G=$TOP/tests/golden/mqtt
mq_broker b
cd "$G" || exit 1
shopt -s nullglob
cases=(*.in)
[ ${#cases[@]} -gt 0 ] || { nok "no golden cases in $G"; exit 1; }
set -f
now=$(date +%s%3N)
for in in "${cases[@]}"; do
	c=${in%.in}
	id=golden-$c
	# shellcheck disable=SC2046
	mqtt-read -H 127.0.0.1 --port "$PORT_b" --client-id "$id" --clean --status-interval 0 \
		$(cat "$c.args") >"$T/$c.raw" 2>"$T/$c.err" &
	pid=$!
	_pids="$_pids $pid"
	wait_for 10 mq_subscribed b "$id" || nok "$c: mqtt-read subscribed"
	while IFS= read -r line; do
		case $line in '#'* | '') continue ;; esac
		topic=${line%% *} msg=${line#* }
		[ "$msg" = - ] && msg=""
		mq_pub b "$topic" "$msg"
	done < "$in"
	wait_for 10 mq_acked b "$id" || nok "$c: every message acknowledged"
	kill "$pid"
	wait "$pid"
	rc=$?
	perl -pe 's/"timestamp":(\d+)/abs($1 - '"$now"') < 86400000 ? "\"timestamp\":T" : "\"timestamp\":$1"/ge' \
		"$T/$c.raw" > "$T/$c.out"
	golden_verdict "$c" $rc
done
