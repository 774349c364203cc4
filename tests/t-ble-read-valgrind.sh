#!/bin/bash
# ble-read under valgrind through a short life: advertisements (plain,
# encrypted, with the sensor's MAC in them, malformed, unknown), a devices
# file and SIGHUP, a GATT read, bluetoothd vanishing and
# returning, the adapter removed, SIGTERM: no invalid access, no leak.
# ASan binaries (CI's) cannot run under valgrind: a plain build is made.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/ble-lib.sh"
valgrind_build bin/ble-read
start_bus; start_bluez; mock adapter hci0
mock device hci0 C0:00:00:00:00:01 "Env Station" uuids=181a
mock gatt hci0 C0:00:00:00:00:01 2a6e 2c09
# a devices file names one sensor (its liveness followed; read again on SIGHUP)
printf '[device station]\nble = A4:C1:38:00:00:01\ntag = room=hall\nexpect = 1s\n' > "$T/devices"
PLEXUS_DEVICES=$T/devices $VG --log-file="$T/vg" \
	"$VGBIN/ble-read" --gatt -i 1s --status-interval 1 --unknown --bind-key 54:48:E6:8F:80:A5=231d39c1d7cc1ab1aee224cd096db932 \
	>"$T/out" 2>"$T/err" &
PID_ble=$!; _pids="$_pids $!"
wait_for 30 discovering
mock device hci0 A4:C1:38:00:00:01 "EnvSensor 1" svc=fcd2:4002c40903bf13 rssi=-60
mock device hci0 54:48:E6:8F:80:A5 "Secret" svc=fcd2:41e445f3c9962b332211006c7c4519
mock adv hci0 A4:C1:38:00:00:01 svc=fcd2:2002ca09 mfr=0999:0102
# tests/golden/ble/bthome-mac.txt's: MAC included, keyed by it, from a random address
mock device hci0 7A:00:00:00:00:01 "Secret 4" svc=fcd2:43a5808fe6485430e7cc69bafb3322110051914c8b
check "advertisements decoded under valgrind" wait_for 30 has ble-gateway.secret_8f80a5.temperature
check "... one that carries its MAC" wait_for 30 has ble-gateway.secret_4_8f80a5.temperature '"value":25.06,.*"mac":"54:48:E6:8F:80:A5"'
check "a GATT read" wait_for 30 has ble-gateway.env_station_000001.temperature
check "the sensor the devices file names" wait_for 30 has ble-gateway.station.temperature '"device":"station"'
check "... its liveness" wait_for 30 has gateway.ble.device.connected '"device":"station"'
sed -i 's/station/hall-station/' "$T/devices"
kill -HUP $PID_ble
mock adv hci0 A4:C1:38:00:00:01 svc=fcd2:4002c40903bf13
check "SIGHUP: the devices file read again" wait_for 30 has ble-gateway.hall_station.temperature '"device":"hall-station"'

stop_bluez
wait_for 30 said 'org.bluez vanished'
start_bluez; mock adapter hci0
check "bluez back, discovery armed" wait_for 30 discovering
mock rm-adapter hci0
wait_for 30 said 'adapter hci0 removed'
stop_ble
eq "exit 0 (99: valgrind found errors)" "$RC_ble" 0
check "no valgrind report" [ ! -s "$T/vg" ]
[ -s "$T/vg" ] && head -30 "$T/vg" | sed 's/^/#   /'
exit 0
