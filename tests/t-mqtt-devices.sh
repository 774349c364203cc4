#!/bin/bash
# mqtt-read and the devices file (plexus-devices(5)): a device named by the
# format's device id or by its topic gets the file's name as its device
# tag, its tags and its source; SIGHUP reads the file again; liveness
# records per device.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/mqtt-lib.sh"
mq_broker b
export PLEXUS_DEVICES=$T/devices
printf '[device fridge]\nmqtt = 0x00158d0001d8e1d2\nsource-id = kitchen\ntag = room=kitchen\n\n[device hall]\nmqtt = zigbee2mqtt/hall-sensor\n' > "$T/devices"
has() { grep -q -- "$2" "$1"; }
mqtt-read -H 127.0.0.1 --port "$PORT_b" -F zigbee2mqtt --client-id dev --status-interval 1h > "$T/out" 2>"$T/err" &
pid=$!
_pids="$_pids $pid"
wait_for 10 mq_subscribed b dev || nok "mqtt-read subscribed"
mq_pub b zigbee2mqtt/0x00158d0001d8e1d2 '{"temperature":4.5}'
mq_pub b zigbee2mqtt/hall-sensor '{"temperature":19}'
mq_pub b zigbee2mqtt/other '{"temperature":20}'
wait_for 10 has "$T/out" '"value":20,'
check "by the device id: the file's source, tags and name" \
	grep -q '"value":4.5,.*"source_id":"kitchen","tags":{"room":"kitchen","device":"fridge"}' "$T/out"
check "by the topic: the file's name, a source made of it" \
	grep -q '"value":19,.*"source_id":"hall","tags":{"device":"hall"}' "$T/out"
check "a device the file does not name keeps its own" \
	grep -q '"value":20,.*"source_id":"other","tags":{"device":"other"}' "$T/out"
printf '[device freezer]\nmqtt = 0x00158d0001d8e1d2\n' > "$T/devices"
kill -HUP "$pid"
wait_for 10 sh -c "[ \$(grep -c 'Received SUBSCRIBE from dev\$' '$T/b.log') -ge 2 ]"
mq_pub b zigbee2mqtt/0x00158d0001d8e1d2 '{"temperature":4.25}'
wait_for 10 has "$T/out" '"value":4.25,'
check "SIGHUP: the file read again" grep -q '"value":4.25,.*"source_id":"freezer","tags":{"device":"freezer"}' "$T/out"
kill "$pid"
wait "$pid"
check "liveness records per device at the end" \
	grep -q '"metric":"gateway.mqtt.device.connected","value":1,.*"tags":{"device":"freezer"}' "$T/out"
