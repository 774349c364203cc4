#!/bin/bash
# ble-read with a devices file (plexus-devices(5)): two identical
# thermometers named apart ("fridge", "freezer": the metric's name, the
# device tag, their tags, a source; -s and --alias win); liveness of the
# sensors the file names (connected while BlueZ lists it, age, silent),
# a silent sensor said once and again when it speaks; SIGHUP reads the file
# again.  BlueZ is python3-dbusmock's bluez5 template on a private bus.
# limit: 120
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/ble-lib.sh"
BT=4002c40903bf13              # BTHome: 25 °C, 50.55 %
BT2=4002c50903bf13             # 25.01 °C
cat > "$T/devices" <<EOF2
[device fridge]
ble = a4:c1:38:12:34:56
tag = room=kitchen
source-id = kitchen
expect = 1s

[device freezer]
ble = A4:C1:38:AB:CD:EF

[device garage]
ble = A4:C1:38:00:00:99
EOF2
export PLEXUS_DEVICES=$T/devices
start_bus; start_bluez; mock adapter hci0

PLEXUS_QUIET=0 start_ble --status-interval 1
wait_for 10 discovering
mock device hci0 A4:C1:38:12:34:56 "MJ_HT_V1" svc=fcd2:$BT
mock device hci0 A4:C1:38:AB:CD:EF "MJ_HT_V1" svc=fcd2:$BT2
check "two identical thermometers named apart: the fridge, its source and tags" wait_for 10 \
	has ble-gateway.fridge.temperature '"value":25,.*"source_id":"kitchen","tags":{"room":"kitchen","device":"fridge","mac":"A4:C1:38:12:34:56"'
check "... the freezer" wait_for 10 has ble-gateway.freezer.temperature '"value":25.01,.*"tags":{"device":"freezer","mac":"A4:C1:38:AB:CD:EF"'
check "said which device a MAC is" said "A4:C1:38:12:34:56 is device fridge"
check "liveness: the fridge heard, with its tags and source" wait_for 10 \
	has gateway.ble.device.connected '"value":1,.*"source_id":"kitchen","tags":{"room":"kitchen","device":"fridge"}'
check "... a sensor the file names, never heard: connected 0, age -1" wait_for 10 \
	has gateway.ble.device.age_s '"value":-1,.*"device":"garage"'
for i in 1 2 3 4; do mock adv hci0 A4:C1:38:12:34:56 svc=fcd2:$BT; sleep 0.3; done
check "a sensor silent past its bound (10 s at least): said" \
	wait_for 30 said 'fridge: silent for 1[0-9] s (it speaks every 1.0 s)'
check "... and in its records" wait_for 10 has gateway.ble.device.silent '"value":1,.*"device":"fridge"'
mock adv hci0 A4:C1:38:12:34:56 svc=fcd2:$BT2
check "speaks again: said" wait_for 10 said 'fridge: speaks again'
eq "... the silence said once" "$(grep -c 'fridge: silent' "$T/err")" 1
mock rm-device hci0 A4:C1:38:AB:CD:EF
check "BlueZ no longer lists it: connected 0" wait_for 10 has gateway.ble.device.connected '"value":0,.*"device":"freezer"'

# SIGHUP: the file again
sed -i 's/^\[device fridge\]/[device cold-room]/' "$T/devices"
kill -HUP "$PID_ble"
check "SIGHUP: the devices file read again" wait_for 10 said "A4:C1:38:12:34:56 is device cold-room"
mock adv hci0 A4:C1:38:12:34:56 svc=fcd2:$BT
check "... the records carry the new name" wait_for 10 has ble-gateway.cold_room.temperature '"device":"cold-room"'
stop_ble
eq "SIGTERM: exit 0" "$RC_ble" 0

# the command line wins: --alias names the metric, -s the source
mock rm-device hci0 A4:C1:38:12:34:56
start_ble --status-interval 0 --alias a4:c1:38:12:34:56=walk-in -s gw-1 -p ble-gateway
wait_for 10 discovering
mock device hci0 A4:C1:38:12:34:56 "MJ_HT_V1" svc=fcd2:$BT
check "--alias and -s win over the devices file" wait_for 10 \
	has ble-gateway.walk_in.temperature '"source_id":"gw-1","tags":{"room":"kitchen","device":"cold-room"'
stop_ble
