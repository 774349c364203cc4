#!/bin/bash
# can-read with a devices file (plexus-devices(5)): the bus behind an
# interface named (device tag, its tags, its source; -s wins), a replayed
# log's interface too, an unknown interface keeping its names; liveness per
# interface (connected, age, silent) and a silent bus said once and again
# when it speaks; SIGHUP reads the file again.  The live path without a CAN
# bus: tests/can-feed.py and --fd.
# limit: 120
. "$(dirname "$0")/lib.sh"
FEED="$PY $TOP/tests/can-feed.py"
cat > "$T/devices" <<EOF2
[device vehicle-bus]
can = vcan0
source-id = truck-7
tag = fleet=north
expect = 200ms
EOF2
export PLEXUS_DEVICES=$T/devices

# replay: a log's interfaces by their names
printf '(1436509052.249713) vcan0 123#DEADBEEF\n(1436509052.349713) vcan1 123#0102\n' > "$T/drive.log"
can-read -r "$T/drive.log" --status-interval 0 > "$T/log.out" 2>"$T/log.err"
check "a log's vcan0 is the vehicle bus: its source, its tags, device=NAME" grep -q \
	'"value":"DEADBEEF",.*"source_id":"truck-7","tags":{"fleet":"north","device":"vehicle-bus","interface":"vcan0","id":"0x123","len":"4"}' "$T/log.out"
check "... an interface the file does not name keeps its names" grep -q \
	'"value":"0102","timestamp":[0-9]*,"tags":{"interface":"vcan1","id":"0x123","len":"2"}}' "$T/log.out"
can-read -r "$T/drive.log" -s depot --status-interval 0 > "$T/log2.out" 2>"$T/log2.err"
check "-s on the command line wins over the device's source" grep -q \
	'"value":"DEADBEEF",.*"source_id":"depot","tags":{"fleet":"north","device":"vehicle-bus"' "$T/log2.out"

# live (--fd): frames every 0.2 s, then silence, then frames again
{
	for i in 1 2 3 4 5 6 7; do echo "123#0$i"; echo "SLEEP 0.2"; done
	echo "WAIT $T/speak"
	echo "123#08"
	echo "WAIT $T/renamed"
	echo "HUP"
	echo "WAIT $T/hupped"
	echo "123#09"
	echo "WAIT $T/end"
} > "$T/frames"
PLEXUS_QUIET=0 bg $FEED --frames "$T/frames" -- can-read --fd FD:vcan0 --status-interval 1 > "$T/live.out" 2>"$T/live.err"
check "said once which device the interface is" wait_for 10 grep -q "vcan0 is device vehicle-bus" "$T/live.err"
check "a bus silent past its bound (10 s at least): said" \
	wait_for 30 grep -q 'vehicle-bus: silent for 1[0-9] s (it speaks every 0.2 s)' "$T/live.err"
touch "$T/speak"
check "speaks again: said" wait_for 10 grep -q 'vehicle-bus: speaks again' "$T/live.err"
eq "... the silence said once" "$(grep -c 'vehicle-bus: silent' "$T/live.err")" 1
sed -i 's/^\[device vehicle-bus\]/[device truck-bus]/' "$T/devices"
touch "$T/renamed"
check "SIGHUP: the devices file read again" wait_for 10 grep -q 'vcan0 is device truck-bus' "$T/live.err"
touch "$T/hupped"
sleep 1.5                        # a status interval with the new name
touch "$T/end"
check "the run ends with its stream" wait_for 20 grep -q '"metric":"gateway.can.frames_read","value":9' "$T/live.out"
check "liveness: connected, tagged with the device, its tags and source" grep -q \
	'"metric":"gateway.can.device.connected","value":1,.*"source_id":"truck-7","tags":{"fleet":"north","device":"vehicle-bus"}' "$T/live.out"
check "... the age of its last frame" grep -q '"metric":"gateway.can.device.age_s","value":[0-9]*,.*"device":"vehicle-bus"' "$T/live.out"
check "... silent 1 while it was" grep -q '"metric":"gateway.can.device.silent","value":1,.*"device":"vehicle-bus"' "$T/live.out"
check "... connected 0 at the end of the stream" grep -q '"metric":"gateway.can.device.connected","value":0,.*"device":"truck-bus"' "$T/live.out"
check "after SIGHUP the frames carry the new name" grep -q '"value":"09",.*"device":"truck-bus","interface":"vcan0"' "$T/live.out"

# a file with a fault: said, the names stay
printf '[device x]\ncan =\n' >> "$T/devices"
can-read -r "$T/drive.log" --status-interval 0 > "$T/bad.out" 2>"$T/bad.err"
check "a devices file with a fault: said with its line" grep -q "devices file: $T/devices:[0-9]*: can = ''" "$T/bad.err"
check "... and the frames still read" grep -q '"value":"DEADBEEF"' "$T/bad.out"
