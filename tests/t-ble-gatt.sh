#!/bin/bash
# ble-read --gatt: Environmental Sensing characteristics (GattService1 181A,
# GattCharacteristic1 objects with a ReadValue method, added to the mock)
# read after Device1.Connect; a failing connect or read is counted.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/ble-lib.sh"
twice() { [ "$(count "$1")" -ge 2 ]; }
start_bus; start_bluez; mock adapter hci0
mock device hci0 C0:00:00:00:00:01 "Env Station" uuids=181a
mock gatt hci0 C0:00:00:00:00:01 2a6e 2c09          # 23.48 °C
mock gatt hci0 C0:00:00:00:00:01 2a6f 1013          # 48.8 %
mock gatt hci0 C0:00:00:00:00:01 2a6d 28ab0f00      # 102685.6 Pa = 1026.856 hPa
mock gatt hci0 C0:00:00:00:00:01 2a19 5a            # 90 %
mock device hci0 C0:00:00:00:00:02 "Env Broken" uuids=181a connect=fail
mock device hci0 C0:00:00:00:00:03 "Env Flaky" uuids=181a
mock gatt hci0 C0:00:00:00:00:03 2a6e fail
mock gatt hci0 C0:00:00:00:00:03 2a19 64
mock device hci0 5E:00:00:00:00:04 "Phone"          # not ESS: never connected

start_ble --gatt -i 1s --status-interval 1
check "temperature read over GATT" wait_for 10 has ble-gateway.env_station_000001.temperature '"value":23.48,.*"format":"gatt","unit":"°C"'
check "... humidity" wait_for 10 has ble-gateway.env_station_000001.humidity '"value":48.8,'
check "... pressure, in hPa" wait_for 10 has ble-gateway.env_station_000001.pressure '"value":1026.856,.*"unit":"hPa"'
check "... battery level" wait_for 10 has ble-gateway.env_station_000001.battery '"value":90,'
check "a device whose Connect fails: said" wait_for 10 said 'C0:00:00:00:00:02: GATT: le-connection-abort-by-local'
check "a characteristic whose ReadValue fails: said" wait_for 10 said 'C0:00:00:00:00:03: GATT 2a6e: ReadValue'
check "... the others of that device read" wait_for 10 has ble-gateway.env_flaky_000003.battery '"value":100,'
check "read again at the next interval" wait_for 10 twice ble-gateway.env_station_000001.temperature
check "connection failures counted" wait_for 10 has gateway.ble.connection_failures '"value":[1-9]'
eq "a device not advertising 181A is not connected" "$(mock connects hci0 5E:00:00:00:00:04)" 0
stop_ble
eq "SIGTERM: exit 0" "$RC_ble" 0
check "no GATT without --gatt" [ "$(mock connects hci0 C0:00:00:00:00:01)" -ge 2 ]
n=$(mock connects hci0 C0:00:00:00:00:01)
start_ble --status-interval 0
wait_for 10 discovering
mock adv hci0 C0:00:00:00:00:01 rssi=-40
stop_ble
eq "... (without it: no Connect)" "$(mock connects hci0 C0:00:00:00:00:01)" "$n"
