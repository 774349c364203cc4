#!/bin/bash
# modbus-read with a devices file (plexus-devices(5)): two identical meters,
# units 1 and 2 behind one gateway, named apart (device tag, their tags, a
# source; -s wins); a unit the file does not name keeps the map's name;
# liveness per unit (connected, age, silent), a unit that stops answering
# said silent once (its bound from how often it is polled) and again when
# it answers; SIGHUP reads the file again, with the map and without (-H).
# limit: 120
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"
count() { [ "$(grep -c "$1" "$2")" -ge "$3" ]; }
echo '{"units": {"1": {"hr": [[0, "regs", [215]]]}, "2": {"hr": [[0, "regs", [230]]]}, "3": {"hr": [[0, "regs", [7]]]}}}' > "$T/s.json"
mb_tcp s "$T/s.json"
printf 'status-interval = 500ms\n[device gw]\ntcp = 127.0.0.1:%s\ninterval = 200ms\ntimeout = 100ms\n' "$PORT_s" > "$T/map.conf"
printf 'holding:0:uint16:voltage unit-id=1\nholding:0:uint16:voltage unit-id=2\nholding:0:uint16:voltage unit-id=3\n' >> "$T/map.conf"
cat > "$T/devices" <<EOF2
[device meter-a]
modbus = 127.0.0.1:$PORT_s/1
tag = floor=1
source-id = plant-1

[device meter-b]
modbus = 127.0.0.1:$PORT_s/0x02
EOF2
export PLEXUS_DEVICES=$T/devices

PLEXUS_QUIET=0 mb_bg modbus-read -c "$T/map.conf" > "$T/out" 2>"$T/err"; mp=$MP
check "unit 1 is meter-a: its tags, its source, device=NAME" wait_for 20 grep -q \
	'"metric":"voltage","value":215,.*"source_id":"plant-1","tags":{"floor":"1","device":"meter-a","unit_id":"1"}' "$T/out"
check "unit 2, an identical meter, is meter-b (a unit in hex)" \
	grep -q '"metric":"voltage","value":230,.*"tags":{"device":"meter-b","unit_id":"2"}' "$T/out"
check "unit 3, not in the file, keeps the map's name" \
	grep -q '"metric":"voltage","value":7,.*"tags":{"device":"gw","unit_id":"3"}' "$T/out"
check "said which device a unit is" grep -q "127.0.0.1:$PORT_s/2 is device meter-b" "$T/err"
check "liveness per unit: connected, with the unit's tags" wait_for 20 grep -q \
	'"metric":"gateway.modbus.device.connected","value":1,.*"source_id":"plant-1","tags":{"floor":"1","device":"meter-a","unit_id":"1"}' "$T/out"
check "... the age of its last data" grep -q '"metric":"gateway.modbus.device.age_s","value":0,.*"tags":{"device":"gw","unit_id":"3"}' "$T/out"

# the server stops answering (SIGSTOP): not connected; silent past 5 x 200 ms, 10 s at least
kill -STOP $PID_s
check "a unit that no longer answers: connected 0" wait_for 20 grep -q \
	'"metric":"gateway.modbus.device.connected","value":0,.*"device":"meter-b"' "$T/out"
check "... silent past its bound: said once" wait_for 30 grep -q 'meter-b: silent for 1[0-9] s (it speaks every 0.2 s)' "$T/err"
check "... a unit without a name, by the map's" grep -q 'gw/3: silent for' "$T/err"
check "... silent 1 in its records" wait_for 10 grep -q '"metric":"gateway.modbus.device.silent","value":1,.*"device":"meter-b"' "$T/out"
kill -CONT $PID_s
check "answers again: said" wait_for 20 grep -q 'meter-b: speaks again' "$T/err"
eq "... the silence said once" "$(grep -c 'meter-b: silent' "$T/err")" 1

# SIGHUP: the file again (a map that no longer loads: its names still change)
sed -i 's/^\[device meter-b\]/[device meter-b2]/' "$T/devices"
echo 'holding:x' >> "$T/map.conf"
kill -HUP $mp
check "SIGHUP: the devices file read again" wait_for 20 grep -q "127.0.0.1:$PORT_s/2 is device meter-b2" "$T/err"
n=$(grep -c '"value":230' "$T/out")
check "... the records carry the new name (the map in use)" wait_for 20 grep -q '"value":230,.*"device":"meter-b2"' "$T/out"
kill -TERM $mp; wait $mp
eq "SIGTERM: exit 0" $? 0

# -H and -s: the command line's source wins
mb_bg modbus-read -H 127.0.0.1:$PORT_s -U 1 -s depot -i 100ms holding:0:uint16:v > "$T/h" 2>"$T/herr"; mp=$MP
check "-H: the unit named; -s wins over the device's source" wait_for 20 grep -q \
	'"metric":"v","value":215,.*"source_id":"depot","tags":{"floor":"1","device":"meter-a","unit_id":"1"}' "$T/h"
kill -TERM $mp; wait $mp
