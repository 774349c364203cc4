#!/bin/bash
# modbus-read over Modbus RTU: a pymodbus serial server on one end of a socat
# pty pair, modbus-read on the other; several unit ids on one line, an
# absent unit, and the lock that keeps two processes off one line.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"
echo '{"units": {"1": {"hr": [[0, "float32", "CDAB", 21.5], [2, "int16", "ABCD", -7]], "co": [[0, [1, 1, 0]]]},
                 "2": {"ir": [[10, "uint32", "DCBA", 123456]]}}}' > "$T/spec.json"
mb_pty line
mb_rtu line "$T/spec.json"
cat > "$T/map.conf" <<EOF2
[device bus]
rtu = $T/line.dev 19200 8N1
timeout = 300ms
retries = 0
lock = $T/line.lock
holding:0:float32:CDAB:t.temp
holding:2:int16:t.delta
coil:1:bool:t.run
coil:2:bool:t.alarm
input:10:uint32:DCBA:m.count unit-id=2
EOF2
timeout 10 modbus-read -1 -c "$T/map.conf" > "$T/out" 2>"$T/err"
eq "RTU --once: exit 0" $? 0
eq "RTU: values of two units on one line" "$(grep -v '"gateway\.modbus\.' "$T/out" | field mv | sort | tr '\n' ' ')" \
	"m.count=123456 t.alarm=0 t.delta=-7 t.run=1 t.temp=21.5 "
cat "$T/err"

eq "RTU one-line form" "$(timeout 5 modbus-read -1 -H "$T/line.dev:19200:8N1" -U 2 input:10:uint32:DCBA:x | head -1 | field value)" 123456

echo 'input:0:uint16:absent.x unit-id=7' >> "$T/map.conf"
timeout 10 modbus-read -1 -c "$T/map.conf" > "$T/out2" 2>"$T/err2"
eq "RTU: an absent unit: exit 69, the others still read" "$?-$(grep -vc '"gateway\.modbus\.' "$T/out2")" "69-5"
check "RTU: the absent unit reported" grep -q 'bus unit 7: read input 0-0: no response within 300ms' "$T/err2"

# the lock: a second process waits for the first to let go of the line.
# hold: another process holds the line's lock until $T/go exists
hold() {
	rm -f "$T/held" "$T/go"
	flock "$T/line.lock" sh -c "touch '$T/held'; while [ ! -e '$T/go' ]; do sleep 0.05; done" & fp=$!
	wait_for 20 test -e "$T/held" || nok "flock holds the line's lock"
}
# has_open PID FILE: the process has FILE open
has_open() { for f in /proc/"$1"/fd/*; do [ "$(readlink "$f")" = "$2" ] && return 0; done; return 1; }
hold
mb_bg modbus-read -1 -c "$T/map.conf" > "$T/w.out" 2>/dev/null; mp=$MP
check "a run opens the line's lock file" wait_for 20 has_open $mp "$T/line.lock"
sleep 0.5    # time to read the line, were it not to wait
check "... and reads nothing while another process holds the lock" sh -c "kill -0 $mp && [ ! -s '$T/w.out' ]"
touch "$T/go"; wait $fp
wait $mp
eq "... then reads the line: its 5 values (unit 7 absent: exit 69)" "$?-$(grep -vc '"gateway\.modbus\.' "$T/w.out")" "69-5"
hold
mb_bg modbus-read -1 --lock-wait 60 -c "$T/map.conf" > "$T/t.out" 2>/dev/null; mp=$MP
check "a run waits for the lock" wait_for 20 has_open $mp "$T/line.lock"
kill -TERM $mp; wait $mp
eq "SIGTERM ends a run waiting for the line's lock: exit 0, its status records out" \
	"$?-$(grep -c '"gateway.modbus.requests"' "$T/t.out")" "0-3"
timeout 10 modbus-read -1 --lock-wait 0 -c "$T/map.conf" > /dev/null 2>"$T/lerr"
eq "--lock-wait 0 and the line busy: exit 69" $? 69
check "the lock is named" grep -q "line.lock is locked by another process" "$T/lerr"
touch "$T/go"; wait $fp
# a daemon and a cron run on one line take turns: the lock is held for a
# request, not for as long as the port is open (a write must get its turn)
sed '/absent/d; s/^retries = 0$/retries = 0\ninterval = 100ms/' "$T/map.conf" > "$T/daemon.conf"
mb_bg modbus-read --status-interval 0 -c "$T/daemon.conf" > "$T/d1" 2>"$T/d1err"; d1=$MP
check "a daemon polls the line" wait_for 20 grep -q '"t.temp"' "$T/d1"
timeout 10 modbus-read -1 --lock-wait 5 -c "$T/daemon.conf" > "$T/d2" 2>"$T/d2err"
eq "a cron run while a daemon polls the line every 100ms: exit 0, its 5 values" \
	"$?-$(grep -vc '"gateway\.modbus\.' "$T/d2")" "0-5"
n=$(grep -c '"t.temp"' "$T/d1")
check "... and the daemon goes on polling" wait_for 20 sh -c "[ \$(grep -c '\"t.temp\"' '$T/d1') -gt $((n + 3)) ]"
kill $d1; wait $d1
eq "... neither saw a frame of the other's: no error" "$(cat "$T/d1err" "$T/d2err")" ""

# rs485 = on on a port that cannot (a pty): a warning, and the reads go on
sed 's/^retries = 0$/retries = 0\nrs485 = on/; /absent/d' "$T/map.conf" > "$T/rs485.conf"
timeout 10 modbus-read -1 -c "$T/rs485.conf" > "$T/o485" 2>"$T/e485"
eq "rs485 = on on a pty: exit 0, the values read" "$?-$(grep -vc '"gateway\.modbus\.' "$T/o485")" "0-5"
check "and a warning that the port cannot" grep -q "bus: unable to set RS-485 mode" "$T/e485"

# a serial line the user may not open: the reason names the group to join
# (root runs modbus-read as nobody, as serial-read in t-serial-pty.sh)
if [ "$(id -u)" = 0 ] && getent group dialout >/dev/null; then
	mb_pty perm
	dev=$(readlink -f "$T/perm.dev")
	chgrp dialout "$dev" && chmod 660 "$dev"
	chmod 755 "$T"
	: > "$T/perm.lock" && chmod 666 "$T/perm.lock"
	printf '[device p]\nrtu = %s\nlock = %s\nholding:0:uint16:x\n' "$T/perm.dev" "$T/perm.lock" > "$T/perm.map"
	setpriv --reuid=nobody --regid=nogroup --clear-groups timeout 10 "$BIN/modbus-read" -1 \
		-c "$T/perm.map" >/dev/null 2>"$T/perm.err"
	check "a line the user may not open: the group to join is named" \
		grep -q "open $T/perm.dev: Permission denied (the port belongs to group dialout: usermod -aG dialout nobody, then log in again)" "$T/perm.err"
else
	ok "# SKIP the permission hint needs root and a dialout group"
fi
