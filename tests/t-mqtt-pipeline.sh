#!/bin/bash
# Issue 18's "done when": `mqtt-read -F zigbee2mqtt -t 'zigbee2mqtt/#' |
# plx-buffer | plx-upload` delivers a Zigbee sensor's readings to the
# Plexus-compatible test server, and the same for a ChirpStack uplink: a
# real broker, messages published by mosquitto_pub, records through the
# spool and the uploader, each device its own source.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/mqtt-lib.sh"
mq_broker b
start_server s --key plx_test
export PLEXUS_API_KEY=plx_test PLEXUS_SOURCE_ID=mqtt-gw
# stored N PATTERN: the server holds at least N points matching PATTERN
stored() { [ "$(grep -c -- "$2" "$T/s.store" 2>/dev/null)" -ge "$1" ]; }
# pipeline NAME READER-ARGS...: reader | plx-buffer | plx-upload, a spool of
# its own, run as the systemd units run it (bash -o pipefail, TERM trapped)
pipeline() {
	n=$1
	shift
	mkdir -p "$T/$n"
	PLEXUS_BUFFER=$T/$n/spool.db setsid bash -o pipefail -c \
		'trap : TERM INT; mqtt-read -H 127.0.0.1 --port '"$PORT_b"' "$@" | plx-buffer | plx-upload --batch-ms 100ms' \
		mqtt-read "$@" 2>"$T/$n.err" &
	eval "PID_$n=$!"
	_pids="$_pids $!"
}

pipeline z -F zigbee2mqtt -t 'zigbee2mqtt/#' --client-id pipe-z
wait_for 10 mq_subscribed b pipe-z || nok "mqtt-read subscribed"
mq_pub b zigbee2mqtt/0x00158d0001d8e1d2 \
	'{"battery":100,"humidity":58.47,"linkquality":123,"pressure":1020,"temperature":21.14,"voltage":3035}'
mq_pub b zigbee2mqtt/bridge/state '{"state":"online"}'
wait_for 20 stored 6 '"source_id":"0x00158d0001d8e1d2"'
check "the Zigbee sensor's six readings reach the server, under the device's source" \
	stored 6 '"source_id":"0x00158d0001d8e1d2"'
check "its temperature, as published" \
	grep -q '"metric":"temperature".*"value":21.14.*"source_id":"0x00158d0001d8e1d2"\|"source_id":"0x00158d0001d8e1d2".*"metric":"temperature".*"value":21.14' "$T/s.store"
check "the bridge's state is no reading" sh -c "! grep -q '\"metric\":\"state\"' '$T/s.store'"

pipeline c -F chirpstack --client-id pipe-c
wait_for 10 mq_subscribed b pipe-c || nok "mqtt-read -F chirpstack subscribed"
mq_pub b application/17c82e96-be03-4f38-aef3-f83d48582d97/device/0101010101010101/event/up \
	'{"deduplicationId":"3ac7e3c4-4401-4b8d-9386-a5c902f9202d","time":"2022-07-18T09:33:28.823500726+00:00","deviceInfo":{"deviceName":"Test device","devEui":"0101010101010101"},"fCnt":10,"fPort":1,"data":"qg==","object":{"temperature":21.5},"rxInfo":[{"gatewayId":"0016c001f153a14c","rssi":-36,"snr":10.5}]}'
wait_for 20 stored 4 '"source_id":"0101010101010101"'
check "the ChirpStack uplink reaches the server: temperature, rssi, snr, f_cnt" \
	stored 4 '"source_id":"0101010101010101"'
check "stamped with the uplink's time" grep -q '"timestamp":1658136808823' "$T/s.store"
for n in z c; do
	eval "p=\$PID_$n"
	kill -TERM -- "-$p"
	wait "$p"
	eq "pipeline $n: SIGTERM, exit 0" $? 0
done
