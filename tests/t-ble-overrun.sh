#!/bin/bash
# A consumer that does not read must not stall ble-read: advertisements are
# still taken off the bus, records that do not fit the --max-queue are
# dropped whole and counted (gateway.ble.overruns), and the stream goes on when the
# consumer reads again.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/ble-lib.sh"
N=3000
start_bus; start_bluez; mock adapter hci0
mkfifo "$T/fifo"
bg sh -c 'exec 3<"$1"; exec sleep 600' sh "$T/fifo"      # holds the pipe open, reads nothing
ble-read --max-queue 65536 --status-interval 1 >"$T/fifo" 2>"$T/err" &
PID_ble=$!; _pids="$_pids $!"
wait_for 10 discovering
mock device hci0 A4:C1:38:00:00:01 "EnvSensor 1" svc=fcd2:4002c40903bf13
mock flood hci0 A4:C1:38:00:00:01 $N
check "still running with stdout blocked" kill -0 $PID_ble
cat "$T/fifo" > "$T/out" &
_pids="$_pids $!"
last() { grep "\"metric\":\"$1\"" "$T/out" | tail -1 | sed 's/.*"value":\([0-9]*\).*/\1/'; }
all_in() { [ "$(last gateway.ble.advertisements)" = $((N + 1)) ]; }
check "every advertisement was taken off the bus" wait_for 30 all_in
o=$(last gateway.ble.overruns)
check "records dropped while stdout was blocked are counted ($o)" [ "${o:-0}" -gt 0 ]
got=$(grep -c '"metric":"ble-gateway.envsensor_1_000001.temperature"' "$T/out")
check "... and the rest came out ($got of $((N + 1)))" [ "$got" -gt 0 -a "$got" -lt $((N + 1)) ]
check "only whole records" $PY -c 'import json, sys
[json.loads(l) for l in open(sys.argv[1])]' "$T/out"
stop_ble
eq "SIGTERM: exit 0" "$RC_ble" 0
