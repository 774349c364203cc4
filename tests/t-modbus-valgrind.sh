#!/bin/bash
# modbus-read under valgrind: a --once run with good points, an exception and
# a unit that never answers, a daemon run (with a devices file) given SIGHUP
# twice and ended by SIGTERM, --once with two devices (a thread each), --probe, and a
# map with an error: no invalid access, no leak.  ASan binaries cannot run
# under valgrind, so a plain binary is built in the temp dir.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"
valgrind_build bin/modbus-read
echo '{"units": {"1": {"hr": [[0, "float32", "CDAB", 21.5], [4, "string8", "ABCD", "abc"]], "co": [[0, [1, 0]]]}, "2": {"size": 10}}}' > "$T/s.json"
mb_tcp v "$T/s.json"
cat > "$T/map.conf" <<EOF2
status-interval = 1s
[device v]
tcp = 127.0.0.1:$PORT_v
timeout = 200ms
interval = 100ms
holding:0:float32:CDAB:a.f scale=2 unit=C tag.x=y
holding:4:string8:a.s
coil:1:bool:a.c
holding:100:uint16:a.exc unit-id=2
holding:0:uint16:a.dead unit-id=3
EOF2
$VG "$VGBIN/modbus-read" -1 -c "$T/map.conf" > "$T/out" 2>"$T/err"
eq "--once with failures: valgrind clean, exit 69" $? 69
eq "and the good points read" "$(grep -c '"a\.' "$T/out")" 3
# with a devices file naming unit 1 (renamed at the second SIGHUP)
printf '[device meter]\nmodbus = 127.0.0.1:%s/1\ntag = floor=2\n' "$PORT_v" > "$T/devices"
PLEXUS_DEVICES=$T/devices mb_bg $VG "$VGBIN/modbus-read" -c "$T/map.conf" > "$T/out2" 2>"$T/err2"
check "the daemon polls and sends its status records" \
	wait_for 30 sh -c "[ \$(grep -c '\"a\.f\"' '$T/out2') -ge 2 ] && grep -q '\"gateway\.modbus\.requests\"' '$T/out2'"
# SIGHUP: the map again (a second device, a thread more), then a map
# that does not load (the one in use kept)
printf '[device w]\ntcp = 127.0.0.1:%s\ninterval = 100ms\nholding:0:uint16:w.x\n' "$PORT_v" >> "$T/map.conf"
kill -HUP $MP
check "SIGHUP: the new map's device polled" wait_for 30 grep -q '"w\.x"' "$T/out2"
echo 'holding:x' >> "$T/map.conf"
sed -i 's/^\[device meter\]/[device meter-2]/' "$T/devices"
kill -HUP $MP
check "SIGHUP with a map that does not load: said" wait_for 30 grep -q 'SIGHUP: .*going on with the map in use' "$T/err2"
check "... the devices file's new name on the map in use" wait_for 30 grep -q '"a\.f",.*"device":"meter-2"' "$T/out2"
kill -TERM $MP; wait $MP
eq "daemon run with SIGHUPs ended by SIGTERM: valgrind clean, exit 0" $? 0
sed -i '$d' "$T/map.conf"
$VG "$VGBIN/modbus-read" -1 -c "$T/map.conf" > "$T/out4" 2>"$T/err5"
eq "--once, two devices (a thread each): valgrind clean, exit 69" $? 69
$VG "$VGBIN/modbus-read" -H 127.0.0.1:$PORT_v --probe 0:6 > /dev/null 2>"$T/err3"
eq "--probe: valgrind clean" $? 0
printf '[device d]\ntcp = h\nholding:0:uint16:a tag.k=v scale=x\n' > "$T/bad.conf"
$VG "$VGBIN/modbus-read" -c "$T/bad.conf" 2>"$T/err4"
eq "a map error: valgrind clean, exit 78" $? 78
grep -h '^==[0-9]*==' "$T"/err* | head -20
