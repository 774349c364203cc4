#!/bin/bash
# Two sensors are never one series: devices that advertise the same stock
# name (MJ_HT_V1, Shelly's SBBT-002C) get names of their own, made of the
# name and the end of the MAC, the same at every start whatever order they
# come in; --alias names one yourself.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/ble-lib.sh"
BT=4002c40903bf13              # BTHome: 25 °C, 50.55 %
BT2=4002c50903bf13             # 25.01 °C
BUTTON=4000013a01              # BTHome: packet id 1, button press
names() { grep -o '"metric":"[^"]*"' "$T/out" | sort -u; }
sources() { grep -o '"source_id":"[^"]*"' "$T/out" | sort -u | tr '\n' ' '; }
start_bus; start_bluez; mock adapter hci0

start_ble --status-interval 0
wait_for 10 discovering
mock device hci0 A4:C1:38:12:34:56 "MJ_HT_V1" svc=fcd2:$BT
mock device hci0 A4:C1:38:AB:CD:EF "MJ_HT_V1" svc=fcd2:$BT2
mock device hci0 3C:2E:F5:00:00:11 "SBBT-002C" svc=fcd2:$BUTTON
mock device hci0 3C:2E:F5:00:00:22 "SBBT-002C" svc=fcd2:$BUTTON
check "two MJ_HT_V1: one series each" wait_for 10 has ble-gateway.mj_ht_v1_123456.temperature '"value":25,'
check "... the other" wait_for 10 has ble-gateway.mj_ht_v1_abcdef.temperature '"value":25.01,'
check "... each tagged with its MAC" has ble-gateway.mj_ht_v1_abcdef.temperature '"mac":"A4:C1:38:AB:CD:EF"'
check "two SBBT-002C buttons: two series" wait_for 10 has ble-gateway.sbbt_002c_000011.button '"value":"press"'
check "... the other" wait_for 10 has ble-gateway.sbbt_002c_000022.button '"value":"press"'
stop_ble
names > "$T/names1"

# a restart, the devices found the other way round: the same names
for m in A4:C1:38:12:34:56 A4:C1:38:AB:CD:EF 3C:2E:F5:00:00:11 3C:2E:F5:00:00:22; do mock rm-device hci0 $m; done
mv "$T/out" "$T/out1"
start_ble --status-interval 0
wait_for 10 discovering
mock device hci0 3C:2E:F5:00:00:22 "SBBT-002C" svc=fcd2:$BUTTON
mock device hci0 3C:2E:F5:00:00:11 "SBBT-002C" svc=fcd2:$BUTTON
mock device hci0 A4:C1:38:AB:CD:EF "MJ_HT_V1" svc=fcd2:$BT2
mock device hci0 A4:C1:38:12:34:56 "MJ_HT_V1" svc=fcd2:$BT
wait_for 10 has ble-gateway.mj_ht_v1_123456.temperature
stop_ble
eq "restarted, found in another order: the same names" "$(names)" "$(cat "$T/names1")"

# one source per device
start_ble --status-interval 0 --source-per-device
wait_for 10 discovering
mock adv hci0 A4:C1:38:12:34:56 svc=fcd2:$BT2
mock adv hci0 A4:C1:38:AB:CD:EF svc=fcd2:$BT
wait_for 10 has temperature '"source_id":"mj_ht_v1_abcdef"'
wait_for 10 has temperature '"source_id":"mj_ht_v1_123456"'
eq "--source-per-device: two sources" "$(sources)" '"source_id":"mj_ht_v1_123456" "source_id":"mj_ht_v1_abcdef" '
stop_ble

# --alias: a name of one's own; the other device keeps its own
start_ble --status-interval 0 --alias a4:c1:38:12:34:56='Kitchen fridge'
wait_for 10 discovering
mock adv hci0 A4:C1:38:12:34:56 svc=fcd2:$BT
mock adv hci0 A4:C1:38:AB:CD:EF svc=fcd2:$BT2
check "--alias: the device named by it" wait_for 10 has ble-gateway.kitchen_fridge.temperature
check "... the other by its name and MAC" wait_for 10 has ble-gateway.mj_ht_v1_abcdef.temperature
stop_ble
eq "SIGTERM: exit 0" "$RC_ble" 0
ble-read --alias A4:C1:38:12:34:56 >/dev/null 2>&1; eq "--alias without a name: usage error" "$?" 64
ble-read --alias A4:C1:38:12:34:56=... >/dev/null 2>&1; eq "--alias with a name of symbols: usage error" "$?" 64
ble-read --alias A4:C1:38:12:34:56=Kitchen --alias A4:C1:38:AB:CD:EF=kitchen >/dev/null 2>"$T/e"
eq "--alias: one name for two MACs: usage error" "$?" 64
