#!/bin/bash
# modbus-write against a pymodbus server, over TCP and RTU on a pty pair:
# every type and order written, then read back from the server's own
# datastore (decoded by pymodbus, tests/mb-datastore.py) and by modbus-read;
# values refused before anything is sent; exception answers; the function
# 6/16 choice; the serial line's lock against a running modbus-read.
# limit: 240
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"
echo '{"units": {"1": {"size": 300}, "2": {"size": 50, "busy": true},
                 "3": {"size": 50, "refuse": [6]}, "4": {"size": 50, "refuse": [16]},
                 "5": {"size": 50, "ignore-writes": true}}}' > "$T/spec.json"
# the points: every type in every order, a string, a coil, a bit
: > "$T/points"; : > "$T/want"; a=0
for o in ABCD CDAB BADC DCBA; do
	for tv in int16:-12345 uint16:54321 int32:-123456789 uint32:3000000000 int64:-1234567890123456789 \
	          uint64:18000000000000000000 float32:21.5 float32:-0.375 float64:-1234.5678 string10:PUMP-2; do
		t=${tv%%:*} v=${tv#*:}
		echo "1 hr $a $t $o p$a" >> "$T/points"; echo "p$a=$v" >> "$T/want"
		echo "holding:$a:$t:$o:p$a=$v"
		case $t in *64) a=$((a + 4)) ;; *16) a=$((a + 1)) ;; string10) a=$((a + 5)) ;; *) a=$((a + 2)) ;; esac
	done
done > "$T/args"
echo "1 co 7 bool - c7" >> "$T/points"; echo "c7=1" >> "$T/want"; echo "coil:7:bool:c7=on" >> "$T/args"
echo "1 hr 250 bit3 - b3" >> "$T/points"; echo "b3=1" >> "$T/want"; echo "holding:250:bit3:b3=1" >> "$T/args"
echo "1 hr 251 bit0 - b0" >> "$T/points"; echo "b0=0" >> "$T/want"; echo "holding:251:bit0:b0=0" >> "$T/args"
store() { $PY "$TOP/tests/mb-datastore.py" "$1" < "$T/points"; }
# modbus-read's view of the same points (bit: the whole register)
readback() {
	sed 's/=.*//; s/:bit[0-9]*:/:uint16:/' "$T/args" | xargs modbus-read -1 "$@" 2>/dev/null |
		grep -v '"gateway\.' | field mv | sort
}

# TCP
$PY "$TOP/tests/modbus-server.py" --spec "$T/spec.json" --port-file "$T/tcp.port" --dump "$T/tcp.dump" \
	--log "$T/tcp.log" 2>"$T/tcp.err" & _pids="$_pids $!"
mb_wait_file "$T/tcp.port" tcp
P=$(cat "$T/tcp.port")
# block index 252 is protocol address 251: its bit 0 set and bit 5, which stays
$PY - "$P" <<'EOF2'
import sys
from pymodbus.client import ModbusTcpClient
c = ModbusTcpClient("127.0.0.1", port=int(sys.argv[1])); c.connect()
c.write_register(251, 0x21, slave=1); c.close()
EOF2
xargs modbus-write --verify -H "127.0.0.1:$P" < "$T/args" 2>"$T/err"
eq "TCP: every type and order written, --verify: exit 0" "$?-$(cat "$T/err")" "0-"
eq "TCP: the server's datastore holds each value (pymodbus decodes it)" "$(store "$T/tcp.dump")" "$(cat "$T/want")"
eq "TCP: bit0 cleared in its register, the other bits as they were" \
	"$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["1"]["hr"][251])' "$T/tcp.dump")" 32
eq "TCP: modbus-read reads each value back" "$(readback -H "127.0.0.1:$P" | sed 's/"//g')" \
	"$(sed 's/^b3=1/b3=8/; s/^b0=0/b0=32/; s/^c7=on/c7=1/' "$T/want" | sort)"
eq "TCP: a register with function 6, more with 16, a coil with 5, a bit read (3) and written (6), --verify reads (3, 1)" \
	"$(sort -u "$T/tcp.log" | tr '\n' ' ')" "1 1 1 16 1 3 1 5 1 6 "

# from a map: a scaled point, by name
cat > "$T/map.conf" <<EOF2
[device plc]
tcp = 127.0.0.1:$P
holding:260:int16:hvac.setpoint scale=0.1
holding:261:uint16:hvac.mode
input:0:uint16:hvac.temp
coil:10:bool:pump.on
EOF2
modbus-write -c "$T/map.conf" hvac.setpoint=21.5 pump.on=1 hvac.mode=0x1F 2>"$T/err"
eq "a map: points by name, exit 0" "$?-$(cat "$T/err")" "0-"
eq "... 21.5 at scale 0.1 is 215 in the register, 0x1F 31, the coil set" \
	"$($PY -c 'import json,sys; u=json.load(open(sys.argv[1]))["1"]; print(u["hr"][260], u["hr"][261], u["co"][10])' "$T/tcp.dump")" \
	"215 31 1"

# refused before anything is sent: the datastore is unchanged
cp "$T/tcp.dump" "$T/before"
: > "$T/tcp.log"
refused() {
	want=$1 msg=$2; shift 2
	"$@" >/dev/null 2>"$T/rerr"
	eq "refused: $* exits $want" "$?" "$want"
	check "... and says: $msg" grep -qF -- "$msg" "$T/rerr"
}
refused 65 "40000 does not fit int16 (-32768 to 32767)" \
	modbus-write -H "127.0.0.1:$P" holding:0:int16:a=1 holding:1:int16:b=40000
refused 65 "-1 does not fit uint32" modbus-write -H "127.0.0.1:$P" holding:0:uint32:a=-1
refused 65 "21.55" modbus-write -c "$T/map.conf" pump.on=0 hvac.setpoint=21.55
refused 65 "1e39" modbus-write -H "127.0.0.1:$P" holding:0:float32:a=1e39
refused 65 "nan" modbus-write -H "127.0.0.1:$P" holding:0:float32:a=nan
refused 65 "2" modbus-write -H "127.0.0.1:$P" coil:0:bool:a=2
refused 65 "PUMP-22" modbus-write -H "127.0.0.1:$P" holding:0:string4:a=PUMP-22
refused 65 "hvac.temp: a input register cannot be written" modbus-write -c "$T/map.conf" hvac.temp=1
refused 65 "no.such: no such point in the map" modbus-write -c "$T/map.conf" no.such=1
refused 64 "cannot be written" modbus-write -H "127.0.0.1:$P" input:0:uint16:a=1
refused 64 "expected name=value" modbus-write -c "$T/map.conf" hvac.setpoint
eq "nothing was sent for a refused value" "$(cat "$T/tcp.log")-$(cmp "$T/before" "$T/tcp.dump" && echo same)" "-same"

# exception answers
refused 76 "write holding 300 (function 6): exception 2 (illegal data address)" \
	modbus-write -H "127.0.0.1:$P" holding:0:int16:b=5 holding:300:int16:a=1 holding:1:int16:c=5
check "... and which points were not written" grep -q "not written: a, c" "$T/rerr"
refused 75 "exception 6 (server device busy)" modbus-write -U 2 -H "127.0.0.1:$P" holding:0:int16:a=1
refused 76 "unit 5: holding 3 reads back 0 (0000), not 7 (0007)" \
	modbus-write --verify -U 5 -H "127.0.0.1:$P" holding:3:uint16:a=7

# function 6 refused (exception 1): written again with 16; --write-function
: > "$T/tcp.log"
PLEXUS_QUIET= modbus-write -U 3 -H "127.0.0.1:$P" holding:5:int16:a=-2 2>"$T/err"
eq "a device without function 6: exit 0, written again with 16" "$?-$(tr '\n' ' ' < "$T/tcp.log")" "0-3 6 3 16 "
check "... and says so" grep -q "written with function 16" "$T/err"
eq "... the value in its datastore" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["3"]["hr"][5])' "$T/tcp.dump")" 65534
: > "$T/tcp.log"
modbus-write -U 4 --write-function single -H "127.0.0.1:$P" holding:10:uint32:CDAB:a=305419896 2>"$T/err"
eq "--write-function single: a 32-bit value as two writes with function 6" "$?-$(tr '\n' ' ' < "$T/tcp.log")" "0-4 6 4 6 "
eq "... low word first (CDAB) at the lower address" \
	"$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["4"]["hr"][10:12])' "$T/tcp.dump")" "[22136, 4660]"
: > "$T/tcp.log"
modbus-write -U 3 --write-function multiple -H "127.0.0.1:$P" holding:6:int16:a=7 coil:3:bool:c=1 2>"$T/err"
eq "--write-function multiple: functions 16 and 15 only" "$?-$(tr '\n' ' ' < "$T/tcp.log")" "0-3 16 3 15 "
printf '[device d]\ntcp = 127.0.0.1:%s\nwrite-function = single\nunit-id = 4\nholding:20:float32:x\n' "$P" > "$T/single.conf"
: > "$T/tcp.log"
modbus-write -c "$T/single.conf" x=1.5 2>"$T/err"
eq "the map's write-function = single" "$?-$(tr '\n' ' ' < "$T/tcp.log")" "0-4 6 4 6 "
eq "-n sends nothing, prints the requests" \
	"$(modbus-write -n -c "$T/map.conf" hvac.setpoint=-3 2>&1)-$(cat "$T/tcp.log" | wc -l)" \
	"plc unit 1: write holding 260 (function 6): ffe2  hvac.setpoint=-3-2"
modbus-write -t 300ms --retries 0 -H 127.0.0.1:1 holding:0:int16:a=1 2>/dev/null
eq "no device there: exit 69" $? 69

# RTU on a pty pair: the same points, and the lock against modbus-read
mb_pty line
$PY "$TOP/tests/modbus-server.py" --spec "$T/spec.json" --rtu "$T/line.srv" --port-file "$T/rtu.ready" \
	--dump "$T/rtu.dump" 2>"$T/rtu.err" & _pids="$_pids $!"
mb_wait_file "$T/rtu.ready" rtu
dev="$T/line.dev:19200:8N1"
xargs modbus-write --verify -t 1s -H "$dev" < "$T/args" 2>"$T/err"
eq "RTU: every type and order written, --verify: exit 0" "$?-$(cat "$T/err")" "0-"
eq "RTU: the server's datastore holds each value" "$(store "$T/rtu.dump" | sed '/^b0=/d')" "$(sed '/^b0=/d' "$T/want")"

cat > "$T/rtu.conf" <<EOF2
[device bus]
rtu = $T/line.dev 19200 8N1
timeout = 1s
lock = $T/line.lock
interval = 50ms
holding:0:int16:r.a
holding:1:int16:r.b
EOF2
# a daemon polls the line every 50ms; writes take turns with it
mb_bg modbus-read --status-interval 0 -c "$T/rtu.conf" > "$T/d.out" 2>"$T/d.err"; dp=$MP
check "a modbus-read daemon polls the line" wait_for 20 grep -q '"r.a"' "$T/d.out"
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	modbus-write --verify --lock-wait 5 -c "$T/rtu.conf" r.a=$i r.b=-$i 2>>"$T/w.err" && ok=$((ok + 1))
done
eq "10 writes while modbus-read polls the line: all written and read back" "$ok-$(cat "$T/w.err")" "10-"
check "... the daemon reads the last values" wait_for 20 sh -c "tail -2 '$T/d.out' | grep -q '\"value\":-10'"
n=$(grep -c '"r.a"' "$T/d.out")
check "... and goes on polling" wait_for 20 sh -c "[ \$(grep -c '\"r.a\"' '$T/d.out') -gt $((n + 3)) ]"
kill $dp; wait $dp
eq "... neither saw a frame of the other's: no error" "$(cat "$T/d.err")" ""
# another process holds the line: a write waits for it, or gives up
rm -f "$T/go"
flock "$T/line.lock" sh -c "touch '$T/held'; while [ ! -e '$T/go' ]; do sleep 0.05; done" & fp=$!; _pids="$_pids $fp"
wait_for 20 test -e "$T/held" || nok "flock holds the line's lock"
modbus-write --lock-wait 0 -c "$T/rtu.conf" r.a=99 2>"$T/lerr"
eq "the line locked by another process, --lock-wait 0: exit 75" $? 75
check "... the lock named" grep -q "line.lock is locked by another process" "$T/lerr"
modbus-write --lock-wait 30 -c "$T/rtu.conf" r.a=77 2>/dev/null & wp=$!
sleep 0.5    # time to write, were it not to wait
eq "a write waits for the lock: not written yet" \
	"$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["1"]["hr"][0])' "$T/rtu.dump")" 10
touch "$T/go"; wait $fp
wait $wp
eq "... then writes when it is let go" \
	"$?-$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["1"]["hr"][0])' "$T/rtu.dump")" "0-77"
rm -f "$T/go" "$T/held"
flock "$T/line.lock" sh -c "touch '$T/held'; while [ ! -e '$T/go' ]; do sleep 0.05; done" & fp=$!; _pids="$_pids $fp"
wait_for 20 test -e "$T/held"
modbus-write --lock-wait 30 -c "$T/rtu.conf" r.a=1 r.b=2 2>"$T/serr" & wp=$!
sleep 0.3
kill -TERM $wp; wait $wp
eq "SIGTERM while waiting for the lock: exit 75, nothing written" "$?" 75
check "... and says what was not written" grep -q "not written: r.a, r.b" "$T/serr"
touch "$T/go"; wait $fp

# the example command (deploy/examples/commands/set_setpoint) with its map here
printf '[device boiler]\ntcp = 127.0.0.1:%s\nholding:100:int16:hvac.setpoint scale=0.1\n' "$P" > "$T/boiler.map"
sed "s|/etc/plexus/boiler.map|$T/boiler.map|" "$TOP/deploy/examples/commands/set_setpoint" > "$T/set_setpoint"
PLX_PARAM_VALUE=21.5 sh "$T/set_setpoint" > "$T/cmd.out" 2>"$T/cmd.err" 3>"$T/cmd.progress"
eq "the example command set_setpoint: exit 0, its result, 215 in the register" \
	"$?-$(cat "$T/cmd.out")-$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["1"]["hr"][100])' "$T/tcp.dump")" \
	'0-{"setpoint":21.5}-215'
PLX_PARAM_VALUE=21.55 sh "$T/set_setpoint" > /dev/null 2>"$T/cmd.err" 3>/dev/null
eq "... a value between two steps: the run fails (65) and says why" "$?" 65
check "... said" grep -q "hvac.setpoint: 21.55 is not a whole number of steps of 0.1" "$T/cmd.err"
