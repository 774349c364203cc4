#!/bin/bash
# ble-read lives through BlueZ's life: started before bluetoothd, the
# org.bluez name vanishing and coming back, the adapter removed and added,
# powered off and on.  It says so, arms discovery again, carries on and never
# exits for it.  Also the scan window mode, -a, and a closed stdout.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/ble-lib.sh"
BT=4002c40903bf13
alive() { kill -0 "$PID_ble" 2>/dev/null; }
calls() { mock calls "$1" "$2" 2>/dev/null || echo 0; }
atleast() { [ "$(calls "$1" "$2")" -ge "$3" ]; }
start_bus
start_ble
check "started before bluetoothd: waits for it" wait_for 10 said 'org.bluez is not on the bus'
start_bluez; mock adapter hci0
check "bluetoothd appears: discovery armed" wait_for 10 discovering
mock device hci0 A4:C1:38:00:00:01 "EnvSensor 1" svc=fcd2:$BT
check "... and advertisements read" wait_for 10 has ble-gateway.envsensor_1_000001.temperature

n=$(calls hci0 StartDiscovery)
f=$(calls hci0 SetDiscoveryFilter)
kill -HUP "$PID_ble"
check "SIGHUP: the discovery filter set again" wait_for 10 atleast hci0 SetDiscoveryFilter $((f + 1))
check "... and discovery started again" wait_for 10 atleast hci0 StartDiscovery $((n + 1))
check "... still running" alive
mock adv hci0 A4:C1:38:00:00:01 svc=fcd2:4002c50903bf13
check "... advertisements read after it" wait_for 10 has ble-gateway.envsensor_1_000001.temperature '"value":25.01,'

stop_bluez
check "org.bluez vanishing: said" wait_for 10 said 'org.bluez vanished'
check "... still running" alive
start_bluez
check "org.bluez back: said" wait_for 10 said 'org.bluez is back'
check "... waiting for an adapter" wait_for 10 said 'no adapter yet'
mock adapter hci0
check "... discovery armed again on the new adapter" wait_for 10 discovering
mock device hci0 A4:C1:38:00:00:02 "EnvSensor 2" svc=fcd2:$BT
check "... and advertisements read again" wait_for 10 has ble-gateway.envsensor_2_000002.temperature

mock rm-adapter hci0
check "adapter removed: said" wait_for 10 said 'adapter hci0 removed'
check "... still running" alive
mock adapter hci0
check "adapter added again: discovery armed" wait_for 10 discovering
mock powered hci0 0
check "adapter powered off: said" wait_for 10 said 'adapter hci0 powered off'
n=$(calls hci0 StartDiscovery)
mock powered hci0 1
check "powered on again: discovery armed again" wait_for 10 atleast hci0 StartDiscovery $((n + 1))
mock device hci0 A4:C1:38:00:00:03 "EnvSensor 3" svc=fcd2:$BT
check "... advertisements read" wait_for 10 has ble-gateway.envsensor_3_000003.temperature
mock adapter hci1
mock rm-adapter hci0
check "adapter removed, another one there: discovering on it" wait_for 10 discovering hci1
check "still running after all that" alive
stop_ble
eq "SIGTERM: exit 0" "$RC_ble" 0
check "final status: one bluez restart counted" has gateway.ble.bluez_restarts '"value":1,'
check "... three devices seen" has gateway.ble.devices_seen '"value":3,'

# --adapter: the adapter named, not the first one; here by its old
# spelling -a, which works for a release and says it is deprecated
mock adapter hci0
start_ble --status-interval 0 -a hci2
check "-a hci2 (deprecated): waits for it" wait_for 10 said 'no adapter hci2 yet'
check "... said deprecated" said 'ble-read: -a is deprecated: use --adapter'
check "... hci0 left alone" [ "$(calls hci0 StartDiscovery)" -eq 0 ]
mock adapter hci2
check "... hci2 added: discovering on it" wait_for 10 discovering hci2
stop_ble

# the tutorial's scan window: BLE_SCAN_DURATION seconds every POLL_INTERVAL
stops=$(calls hci2 StopDiscovery) starts=$(calls hci2 StartDiscovery)
BLE_SCAN_DURATION=1 POLL_INTERVAL=4s start_ble --status-interval 0 --adapter hci2
check "scan window: StopDiscovery after the duration, again" wait_for 15 atleast hci2 StopDiscovery $((stops + 2))
check "... StartDiscovery at each interval" atleast hci2 StartDiscovery $((starts + 2))
# the mock stamps calls in whole seconds: a pause of 3 s is 2 to 4 of them
gap=$(( $(mock times hci2 StartDiscovery | sed -n "$((starts + 2))p") - $(mock times hci2 StopDiscovery | sed -n "$((stops + 1))p") ))
check "... the first pause as long as the others: $gap s, not 0" [ "$gap" -ge 2 ]
stop_ble

# a closed stdout ends the reader
( ble-read --status-interval 0 --adapter hci2 2>"$T/err"; echo $? > "$T/rc" ) | head -c 10 >/dev/null &
wait_for 10 discovering hci2
i=0
while [ ! -s "$T/rc" ] && [ $i -lt 50 ]; do
	mock adv hci2 A4:C1:38:00:00:09 svc=fcd2:4002$(printf %02x $i)0903bf13 2>/dev/null ||
		mock device hci2 A4:C1:38:00:00:09 "EnvSensor 9" svc=fcd2:$BT
	i=$((i + 1))
done
wait_for 10 test -s "$T/rc"
eq "EPIPE: exit 0" "$(cat "$T/rc")" 0
