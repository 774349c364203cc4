#!/bin/bash
# serial-read with a devices file (plexus-devices(5)): two identical
# boards on two ports named apart, their tags and source; the port found by
# a link to it; liveness records per device, a silent device said once and
# again when it speaks, connected 0 when unplugged; SIGHUP reads the file
# again; a file with a fault is said, and reading goes on.
# limit: 120
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib-serial.sh"
pty_up a
pty_up b
ln -s "$T/a.dev" "$T/by-id-uno-A"
cat > "$T/devices" <<EOF
[device furnace]
serial = $T/by-id-uno-A
tag = site=boiler-room
source-id = plant-1
expect = 1s

[device freezer]
serial = $T/b.dev
EOF
export PLEXUS_DEVICES=$T/devices
PLEXUS_QUIET=0 reader a -F kv --status-interval 1
PLEXUS_QUIET=0 reader b -F kv --status-interval 1
printf 't=71.5\n' > "$T/a.host"
printf 't=-18.5\n' > "$T/b.host"
check "port a (found by a link to it) is the furnace" \
	wait_for 10 grep -q '"metric":"t","value":71.5,.*"source_id":"plant-1","tags":{"site":"boiler-room","device":"furnace"}' "$T/a.out"
check "port b, an identical board, is the freezer" \
	wait_for 10 grep -q '"metric":"t","value":-18.5,.*"tags":{"device":"freezer"}' "$T/b.out"
check "said once on stderr which device a port is" grep -q "b.dev is device freezer" "$T/b.err"
check "liveness: connected, with the device tag" \
	wait_for 10 grep -q '"metric":"gateway.serial.device.connected","value":1,.*"device":"freezer"' "$T/b.out"
check "... the age of its last data" wait_for 10 grep -q '"metric":"gateway.serial.device.age_s","value":[0-9]*,.*"device":"freezer"' "$T/b.out"

# the furnace speaks every second (expect = 1s): silent past the 10 s floor
for i in 1 2 3; do printf 't=7%d\n' "$i" > "$T/a.host"; sleep 0.5; done
check "a device silent past its bound: said once" wait_for 20 grep -q 'furnace: silent for 1[0-9] s (it speaks every 1.0 s)' "$T/a.err"
check "... and in its records" wait_for 10 grep -q '"metric":"gateway.serial.device.silent","value":1,.*"device":"furnace"' "$T/a.out"
printf 't=80\n' > "$T/a.host"
check "speaks again: said" wait_for 10 grep -q 'furnace: speaks again' "$T/a.err"
eq "... the silence said once" "$(grep -c 'furnace: silent' "$T/a.err")" 1

# unplugged: connected 0
pty_down b
check "unplugged: connected 0" wait_for 10 grep -q '"metric":"gateway.serial.device.connected","value":0,.*"device":"freezer"' "$T/b.out"
pty_up b

# SIGHUP reads the file again: a new name
sed -i 's/^\[device freezer\]/[device freezer-2]/' "$T/devices"
kill -HUP "$READER_b"
check "SIGHUP: the devices file read again" wait_for 10 grep -q 'b.dev is device freezer-2' "$T/b.err"
printf 't=-19\n' > "$T/b.host"
check "... the records carry the new name" wait_for 10 grep -q '"value":-19,.*"device":"freezer-2"' "$T/b.out"

# a file with a fault: said, names as they were, reading goes on
printf '[device x]\nble = not-a-mac\n' >> "$T/devices"
kill -HUP "$READER_b"
check "a devices file with a fault: said with its line" wait_for 10 grep -q "devices file: $T/devices:[0-9]*: ble = 'not-a-mac'" "$T/b.err"
printf 't=-20\n' > "$T/b.host"
check "... and the names stay as they were" wait_for 10 grep -q '"value":-20,.*"device":"freezer-2"' "$T/b.out"
stop "$READER_b"
eq "exit 0" "$RC" 0
