#!/bin/bash
# ble-read against BlueZ's API (python3-dbusmock's bluez5 template on a
# private bus): advertisements become records with the tutorial's names;
# what does not decode stays out unless asked for; filters; keys; naming
# options and the tutorial's environment variables.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/ble-lib.sh"
start_bus; start_bluez; mock adapter hci0
BT=4002c40903bf13              # BTHome: temperature 25 °C, humidity 50.55 %
BT2=4002c50903bf13             # ... 25.01 °C
RUUVI=0512fc5394c37c0004fffc040cac364200cdcbb8334c884f

start_ble --status-interval 0
check "discovery is armed" wait_for 10 discovering
eq "discovery filter: LE, duplicate data, no UUIDs or RSSI" "$(mock filter hci0)" "DuplicateData=1 Transport=le"
mock device hci0 A4:C1:38:00:00:01 "EnvSensor 1" svc=fcd2:$BT rssi=-60
check "a BTHome device appearing: temperature" wait_for 10 has ble-gateway.envsensor_1_000001.temperature '"value":25,'
check "... humidity" has ble-gateway.envsensor_1_000001.humidity '"value":50.55,'
check "... rssi as a metric, in dBm" has ble-gateway.envsensor_1_000001.rssi '"value":-60,.*"unit":"dBm"'
check "... tags mac, format, unit" has ble-gateway.envsensor_1_000001.temperature '"tags":{"mac":"A4:C1:38:00:00:01","format":"bthome","unit":"°C"}'
mock adv hci0 A4:C1:38:00:00:01 svc=fcd2:$BT2 rssi=-61
check "PropertiesChanged with new service data: new records" wait_for 10 has ble-gateway.envsensor_1_000001.temperature '"value":25.01,'
mock device hci0 F8:00:00:00:00:02 "" noname mfr=0499:$RUUVI
check "a Ruuvi tag without a name: the address as slug" wait_for 10 has ble-gateway.f8_00_00_00_00_02.pressure '"value":1000.44,.*"unit":"hPa"'
mock device hci0 5E:11:22:33:44:55 "Phone" mfr=004c:0215aabbccdd rssi=-50
mock device hci0 A4:C1:38:00:00:03 "EnvSensor 3" svc=fcd2:$BT rssi=-70
wait_for 10 has ble-gateway.envsensor_3_000003.temperature
check "a phone (nothing decodes): no record" not grep -q 'phone\|5E:11' "$T/out"
check "no warning about it" not said 5E:11
mock rm-device hci0 A4:C1:38:00:00:03
mock device hci0 A4:C1:38:00:00:03 "EnvSensor 3" svc=fcd2:$BT2 rssi=-70
check "a device removed and found again" wait_for 10 has ble-gateway.envsensor_3_000003.temperature '"value":25.01,'
mock device hci0 A4:C1:38:00:00:0D "EnvSensor 13" svc=fcd2:$BT rssi=127
check "RSSI 127 (the controller's 'not available'): the readings ..." wait_for 10 has ble-gateway.envsensor_13_00000d.temperature
check "... and no rssi reading" not has ble-gateway.envsensor_13_00000d.rssi
mock template-device hci0 11:22:33:44:55:66 "Mistyped"
mock device hci0 A4:C1:38:00:00:0C "EnvSensor 12" svc=fcd2:$BT
check "a device whose properties have unexpected D-Bus types: skipped, reading goes on" \
	wait_for 10 has ble-gateway.envsensor_12_00000c.temperature
check "... nothing said about it" not said 'not understood'
mock adv hci0 A4:C1:38:00:00:01 svc=fcd2:2002ca09
check "a malformed BTHome packet: said on stderr" wait_for 10 said 'A4:C1:38:00:00:01: bthome'
stop_ble
eq "SIGTERM: exit 0" "$RC_ble" 0
check "... after stopping discovery" [ "$(mock calls hci0 StopDiscovery)" -ge 1 ]
check "every line is a record" $PY -c 'import json, sys
[json.loads(l) for l in open(sys.argv[1])]' "$T/out"

# --unknown: what no decoder claims, as hex
start_ble --status-interval 0 --unknown
wait_for 10 discovering
mock device hci0 5E:11:22:33:44:56 "Phone 2" mfr=004c:0215aabbccdd
check "--unknown: the phone's manufacturer data as hex" wait_for 10 has ble-gateway.phone_2_334456.mfr_004c '"value":"0215aabbccdd"'
stop_ble

# filters: name (case ignored, from the environment), allowlist, UUIDs, RSSI
BLE_NAME_FILTER=envsensor start_ble --status-interval 0
wait_for 10 discovering
mock device hci0 A4:C1:38:00:00:04 "Other" svc=fcd2:$BT
mock device hci0 A4:C1:38:00:00:05 "EnvSensor 5" svc=fcd2:$BT
check "BLE_NAME_FILTER: the matching device" wait_for 10 has ble-gateway.envsensor_5_000005.temperature
check "... not the other" not has ble-gateway.other_000004.temperature
stop_ble
start_ble --status-interval 0 -m a4:c1:38:00:00:07 --rssi -80
wait_for 10 discovering
eq "--rssi: RSSI in the discovery filter" "$(mock filter hci0)" "DuplicateData=1 RSSI=-80 Transport=le"
mock device hci0 A4:C1:38:00:00:06 "EnvSensor 6" svc=fcd2:$BT rssi=-50
mock device hci0 A4:C1:38:00:00:07 "Tag 7" mfr=0999:0102 rssi=-50
check "-m: an allowlisted device is emitted though it does not decode (rssi)" wait_for 10 has ble-gateway.tag_7_000007.rssi
check "... its data as hex" has ble-gateway.tag_7_000007.mfr_0999 '"value":"0102"'
mock adv hci0 A4:C1:38:00:00:07 rssi=-90
mock adv hci0 A4:C1:38:00:00:07 rssi=-55
wait_for 10 has ble-gateway.tag_7_000007.rssi '"value":-55'
check "--rssi: a weaker advertisement is not emitted" not has ble-gateway.tag_7_000007.rssi '"value":-90'
check "-m: a device off the allowlist is not" not has ble-gateway.envsensor_6_000006.temperature
stop_ble
BLE_SERVICE_UUIDS=fcd2,181A start_ble --status-interval 0
wait_for 10 discovering
eq "BLE_SERVICE_UUIDS: in the discovery filter" "$(mock filter hci0)" \
	"DuplicateData=1 Transport=le UUIDs=0000fcd2-0000-1000-8000-00805f9b34fb,0000181a-0000-1000-8000-00805f9b34fb"
mock device hci0 F8:00:00:00:00:08 "Ruuvi 8" mfr=0499:$RUUVI
mock device hci0 A4:C1:38:00:00:09 "EnvSensor 9" svc=fcd2:$BT
check "UUID filter: a device with that service data" wait_for 10 has ble-gateway.envsensor_9_000009.temperature
check "... not one without" not has ble-gateway.ruuvi_8_000008.temperature
stop_ble

# encrypted BTHome (https://bthome.io/encryption/'s example), key on argv and in a file
ENC=41e445f3c9962b332211006c7c4519
printf '# test keys\n54:48:e6:8f:80:a5 = 231d39c1d7cc1ab1aee224cd096db932\n' > "$T/keys"
chmod 600 "$T/keys"
start_ble --status-interval 0 --keys "$T/keys"
wait_for 10 discovering
mock device hci0 54:48:E6:8F:80:A5 "Secret" svc=fcd2:$ENC
check "encrypted BTHome with --keys: decrypted" wait_for 10 has ble-gateway.secret_8f80a5.temperature '"value":25.06,'
check "... no warning about the key file" not said 'readable by others'
stop_ble
start_ble --status-interval 0 --bind-key 54:48:E6:8F:80:A6=231d39c1d7cc1ab1aee224cd096db932
wait_for 10 discovering
mock device hci0 54:48:E6:8F:80:A6 "Secret 2" svc=fcd2:$ENC
check "the key of another MAC: wrong MIC, said" wait_for 10 said 'wrong MIC'
check "... nothing emitted" not has ble-gateway.secret_2_8f80a6.temperature
stop_ble

# BTHome "MAC included", encrypted by python3-cryptography (tests/bthome-encrypt.py):
# BlueZ reports a random address, the key file names the sensor's own MAC
if want_py cryptography; then
	enc() { $PY "$TOP/tests/bthome-encrypt.py" --mac-included --key 231d39c1d7cc1ab1aee224cd096db932 "$@"; }
	start_ble --status-interval 0 --keys "$T/keys"
	wait_for 10 discovering
	mock device hci0 7A:11:22:33:44:01 "Secret 3" svc=fcd2:$(enc --counter 5 54:48:E6:8F:80:A5 02d209)
	check "MAC included: keyed by the sensor's MAC, not BlueZ's random address" \
		wait_for 10 has ble-gateway.secret_3_8f80a5.temperature '"value":25.14,'
	check "... named and tagged by the sensor's MAC" has ble-gateway.secret_3_8f80a5.temperature '"mac":"54:48:E6:8F:80:A5"'
	mock device hci0 7A:11:22:33:44:02 "Secret 3" svc=fcd2:$(enc --counter 6 54:48:E6:8F:80:A5 02d309)
	check "... its BlueZ address changed: the same series" \
		wait_for 10 has ble-gateway.secret_3_8f80a5.temperature '"value":25.15,'
	stop_ble
fi

# naming: source id, prefix, one source per device
PLEXUS_SOURCE_ID=pi-garage start_ble --status-interval 0
wait_for 10 discovering
mock adv hci0 A4:C1:38:00:00:01 svc=fcd2:4002c60903bf13
check "PLEXUS_SOURCE_ID: records' source_id and the prefix" wait_for 10 has pi-garage.envsensor_1_000001.temperature '"source_id":"pi-garage"'
stop_ble
start_ble --status-interval 0 --source-per-device
wait_for 10 discovering
mock adv hci0 A4:C1:38:00:00:01 svc=fcd2:4002c70903bf13
check "--source-per-device: source_id is the slug, the metric the reading" wait_for 10 has temperature '"source_id":"envsensor_1_000001"'
stop_ble
start_ble --status-interval 0 --source-per-device -p env
wait_for 10 discovering
mock adv hci0 A4:C1:38:00:00:01 svc=fcd2:4002c80903bf13
check "... with -p: prefix.reading" wait_for 10 has env.temperature '"source_id":"envsensor_1_000001"'
stop_ble
start_ble --status-interval 1 -T site=garage -T rack=2
wait_for 10 discovering
mock adv hci0 A4:C1:38:00:00:01 svc=fcd2:4002c90903bf13
check "-T: tags on every reading" wait_for 10 has ble-gateway.envsensor_1_000001.temperature \
	'"tags":{"site":"garage","rack":"2","mac":"A4:C1:38:00:00:01",'
check "... and on the status records" wait_for 10 has gateway.ble.decoded '"tags":{"site":"garage","rack":"2"}'
stop_ble
ble-read -T mac=x >/dev/null 2>"$T/e"; eq "-T mac=...: a tag ble-read sets itself, usage error" "$?" 64

# the command line
ble-read --uuid nope >/dev/null 2>"$T/e"; eq "--uuid with a bad UUID: usage error" "$?" 64
ble-read --bind-key 00:11 >/dev/null 2>&1; eq "--bind-key without a key: usage error" "$?" 64
ble-read -i 2x >/dev/null 2>&1; eq "-i 2x: not a duration: usage error" "$?" 64
POLL_INTERVAL=soon ble-read >/dev/null 2>&1; eq "POLL_INTERVAL=soon: usage error" "$?" 64
PLEXUS_SOURCE_ID='Bad Id' ble-read >/dev/null 2>&1; eq "a bad PLEXUS_SOURCE_ID: 78" "$?" 78
ble-read --keys "$T/none" >/dev/null 2>&1; eq "--keys missing: 66" "$?" 66
ble-read --version | grep -q '^ble-read [0-9]'; eq "--version" "$?" 0
ble-read --bus unix:path=$T/nobus --status-interval 0 >/dev/null 2>"$T/e"; eq "no bus: 69" "$?" 69
