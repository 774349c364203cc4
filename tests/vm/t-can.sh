#!/bin/bash
# limit: 240
# can-read on real SocketCAN (in the VM of tests/vm/run: Debian 12's kernel,
# can-utils as the peer, the installed package's can-read):
#  - frames sent by cansend, cangen (classic, extended, RTR, CAN FD with BRS
#    and ESI, mixed) and canplayer are what candump -L logs at the same
#    time, frame for frame, to the millisecond of the kernel's timestamp,
#    even when can-read read them a second and a half late;
#  - filters as candump takes them (id:mask, id~mask, j, 29-bit ids) let
#    through what they let through in candump;
#  - "any" reads every interface;
#  - an interface set down and up, deleted and re-created, or missing at
#    start: can-read says so, waits, reopens, and reads on (can-read(1),
#    INTERFACES);
#  - --bitrate through libsocketcan: a clear error on vcan, which has no
#    bitrate; on slcan (the kernel's serial-line CAN driver, its serial
#    line a pty) the driver sends the adapter S6 (500 kbit/s in the slcan
#    protocol), ip(8) shows the bitrate, and the status records carry it
#    and the bus state; without CAP_NET_ADMIN, exit 77;
#  - can-send -> vcan -> can-read: raw frames of every kind sent by
#    can-send are what candump -L logs at the same time and what can-read
#    reads, frame for frame; DBC messages encoded by can-send (signals by
#    name and label, Motorola, multiplexed, extended, CAN FD) decode in
#    can-read to the values sent; --every 10ms --count 100 sends 100
#    frames 10 ms apart; an interface down or missing: exit 69, said.
. "$(dirname "$0")/../lib.sh"
need ip candump cansend cangen canplayer slcand can-send
CANON="$PY $TOP/tests/vm/can-canon.py"
ip link add dev vcan0 type vcan && ip link set vcan0 up && ip link add dev vcan1 type vcan && ip link set vcan1 up
trap '_cleanup; for i in vcan0 vcan1 vcan2 vcan3; do ip link del "$i" 2>/dev/null; done' EXIT
eq "vcan0: a CAN FD capable interface (MTU 72)" "$(cat /sys/class/net/vcan0/mtu)" 72
# count FILE: can.frame records in FILE
count() { grep -c '"can.frame"' "$1" 2>/dev/null; }
has_n() { [ "$(count "$1")" -ge "$2" ]; }
said() { grep -q -- "$2" "$1"; }
# canon NAME: candump's and can-read's frames of NAME in one form
# (tests/vm/can-canon.py), without the marker frames
canon() {
	$CANON candump "$T/$1.dump" | grep -v 'FEEDFACE\| 555 ' > "$T/$1.dump.c"
	$CANON can-read "$T/$1.out" | grep -v 'FEEDFACE\| 555 ' > "$T/$1.out.c"
}

# --- frame for frame against candump, with the same filters
# NAME:SPEC: candump -L SPEC and can-read SPEC side by side
SPECS="all:vcan0 mask:vcan0,100:700 inverse:vcan0,100~700 join:vcan0,1:1,2:2,j
eff:vcan0,00000100:00000700 two:vcan0,123:7FF,7FF:7FF any:any"
DUMPS=""
for s in $SPECS; do
	n=${s%%:*} spec=${s#*:}
	bg candump -L "$spec" > "$T/$n.dump"
	DUMPS="$DUMPS $!"
	bg can-read --status-interval 0 "$spec" > "$T/$n.out" 2>"$T/$n.err"
	eval "CR_$n=$!"
done
# marker frames, 103 and 7FF (every filter above lets one of them
# through), data FEEDFACE...: left out of the comparison
mark() { cansend vcan0 "103#$1" && cansend vcan0 "7FF#$1"; }
all_have() {
	local x
	for x in $SPECS; do grep -q "$1" "$T/${x%%:*}.out" && grep -q "$1" "$T/${x%%:*}.dump" || return 1; done
}
started() { mark FEEDFACEFEEDFACE; all_have FEEDFACEFEEDFACE; }
check "every can-read and candump is reading" wait_for 20 started

# can-read stopped while frames arrive: the timestamps must still be the
# kernel's, not the time it reads them
kill -STOP "$CR_all"
for f in 123#DEADBEEF 12345678#11.22.33 7FF#R 7FF#R4 00000123#R3 5AA# 123##1DEADBEEF \
	123##3001122334455667788990011223344556677889900112233445566778899 1F334455##2AA 100#01 1FF#0102; do
	cansend vcan0 "$f" || nok "cansend vcan0 $f"
done
cansend vcan1 321#CAFE
sleep 1.5                        # can-read reads them this much later than they arrived
kill -CONT "$CR_all"
# ids 000..12B in turn (-I i): a random one could be 555, the id of the
# 9-byte frames below, which the checks leave out
cangen vcan0 -m -n 300 -g 1 -I i
printf '(1.000000) can0 %s\n' 0CF004FE#1122334455667788 18FEF100#FFFF 123##0 7DF#0201 7E8#R8 \
	12345678##3112233445566778899AABBCC 555##1112233445566778899 555##1112233445566778899 > "$T/replay.log"
# the last two: CAN FD frames of 9 bytes (cansend would pad them to 12;
# canplayer does not, nor does the kernel): candump logs them; a length no
# CAN FD frame has, can-read drops them and says so once (can-read(1))
canplayer -t -I "$T/replay.log" vcan0=can0
mark FEEDFACE00000001            # the end: each socket has all before it
check "every can-read and candump got every frame" wait_for 30 all_have FEEDFACE00000001
for s in $SPECS; do eval "kill -TERM \$CR_${s%%:*}"; done
kill -TERM $DUMPS
for s in $SPECS; do
	n=${s%%:*} spec=${s#*:}
	canon "$n"
	d=$(diff "$T/$n.dump.c" "$T/$n.out.c" | head -n 6 | tr '\n' ' ')
	eq "can-read $spec: the frames candump -L $spec logs, with its timestamps ($(wc -l < "$T/$n.dump.c") frames)" "$d" ""
done
eq "vcan0: 11 + 300 + 6 frames sent and read" "$(wc -l < "$T/all.out.c")" 317
k=$(cut -d' ' -f4 "$T/all.dump.c" | tr ',' '\n' | sort -u | tr '\n' ' ')
eq "... of every kind (flags seen)" "$k" "- brs esi ext fd rtr "
check "... a frame read 1.5 s late keeps the kernel's time (can-read and candump agree above)" \
	grep -q ' vcan0 123 - 4 DEADBEEF$' "$T/all.out.c"
check "... the filters let through some frames and not others" \
	sh -c "[ \$(wc -l < '$T/mask.dump.c') -gt 0 ] && [ \$(wc -l < '$T/mask.dump.c') -lt \$(wc -l < '$T/all.dump.c') ]"
check "... any: vcan1's frame too, tagged vcan1" grep -q ' vcan1 321 - 2 CAFE$' "$T/any.out.c"
eq "the 9-byte CAN FD frames: candump logged them" \
	"$(grep -c ' vcan0 555##[0-9A-F]112233445566778899$' "$T/all.dump")" 2
check "... can-read did not" sh -c "! grep -q '\"0x555\"' '$T/all.out'"
eq "... and said so once" "$(cat "$T/all.err")" \
	"can-read: vcan0: CAN FD frame 0x555 of 9 bytes, a length no frame has: dropped (said once per id and length)"
eq "... nothing else said by any of them" "$(cat "$T"/*.err | grep -v 'frame 0x555 of 9 bytes')" ""

# --- can-send -> vcan0 -> can-read, candump -L logging beside them; a
# second can-read decodes through the DBC files can-send encodes from
DBC="-D $TOP/tests/golden/can/basic.dbc -D $TOP/tests/golden/can/mux.dbc"
bg candump -L vcan0 > "$T/cs.dump"
CSD=$!
bg can-read --status-interval 0 vcan0 > "$T/cs.out" 2>"$T/cs.err"
CSR=$!
bg can-read --status-interval 0 $DBC vcan0 > "$T/csd.out" 2>"$T/csd.err"
CSDBC=$!
# cs_have MARK METRIC: both raw readers have the marker frame, the DBC
# reader the metric (7FF, a marker's id, is StdHigh in basic.dbc)
cs_have() { grep -q "$1" "$T/cs.out" && grep -q "$1" "$T/cs.dump" && grep -q "\"$2\"" "$T/csd.out"; }
cs_started() { mark FEEDFACEFEEDFACE; cs_have FEEDFACEFEEDFACE can.StdHigh.Scaled; }
check "can-send: candump and two can-read are reading vcan0" wait_for 20 cs_started
FD32=00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF
can-send vcan0 123#DEADBEEF 12345678#11.22.33 7FF#R 7FF#R4 00000123#R3 5AA# 213##1DEADBEEF \
	"213##3$FD32" 1F334455##2AA 213##0 2>"$T/cs-send.err"
eq "can-send: 10 frames of every kind in one call: exit 0, nothing said" "$?-$(cat "$T/cs-send.err")" 0-
can-send --every 10ms --count 100 vcan0 4C0#0102 2>"$T/cs-every.err"
eq "can-send --every 10ms --count 100: exit 0, nothing said" "$?-$(cat "$T/cs-every.err")" 0-
# DBC messages by signal name: Motorola (Dash's Speed and Odd, MuxMsg's
# C1, MuxExt's P3), multiplexed (C1, P3), a label (Gear=D), an extended id
# (EEC1, MuxExt), more than 8 bytes (MuxExt: CAN FD)
G=$TOP/tests/golden/can
can-send -D "$G/basic.dbc" vcan0 Dash Speed=123.45 Fuel=50 Odd=-3 &&
	can-send -D "$G/basic.dbc" vcan0 EEC1 EngineSpeed=1500 ActualTorque=-25 &&
	can-send -D "$G/basic.dbc" vcan0 EngineData Rpm=800 Gear=D Running=On Torque=-12.5 &&
	can-send -D "$G/mux.dbc" vcan0 MuxMsg C1=-4.5 Common=7 &&
	can-send -D "$G/mux.dbc" vcan0 MuxExt P3=-12.5 Count=3
eq "can-send -D: five messages encoded and sent (exit 0)" $? 0
mark FEEDFACE00000001
check "... all read by candump and both can-read" wait_for 30 cs_have FEEDFACE00000001 can.MuxExt.P3
kill -TERM "$CSD" "$CSR" "$CSDBC"
canon cs
eq "can-read: the frames candump -L logs, with its timestamps ($(wc -l < "$T/cs.dump.c") frames)" \
	"$(diff "$T/cs.dump.c" "$T/cs.out.c" | head -n 6 | tr '\n' ' ')" ""
# the frames as sent, in can-canon's form (ID FLAGS LEN DATA)
eq "... the raw frames are those given to can-send, in order" \
	"$(grep -v ' 4C0 ' "$T/cs.out.c" | head -n 10 | cut -d' ' -f3- | tr '\n' ';')" \
	"123 - 4 DEADBEEF;12345678 ext 3 112233;7FF rtr 0 -;7FF rtr 4 -;00000123 ext,rtr 3 -;5AA - 0 -;213 brs,fd 4 DEADBEEF;213 brs,esi,fd 32 $FD32;1F334455 esi,ext,fd 1 AA;213 fd 0 -;"
eq "--every 10ms --count 100: 100 frames, candump saw 100" \
	"$(grep -c ' 4C0 - 2 0102$' "$T/cs.out.c") $(grep -c ' 4C0 - 2 0102$' "$T/cs.dump.c")" "100 100"
span=$(grep ' 4C0 ' "$T/cs.out.c" | sed -n '1p;$p' | cut -d' ' -f1 | tr '\n' ' ' | awk '{ print $2 - $1 }')
check "... 10 ms apart: the first to the last at least 99 x 10 ms, by the kernel's timestamps (${span} ms)" \
	[ "${span:-0}" -ge 985 ]
# metric=value of the signals given to can-send
decoded() {
	sed -n 's/.*"metric":"can\.\('"$1"'\)","value":\([^,]*\),.*/\1=\2/p' "$T/csd.out" | tr '\n' ' '
}
eq "can-read -D: Dash (Motorola, a signed Motorola signal) as sent" "$(decoded 'Dash\.[A-Za-z]*')" \
	"Dash.Speed=123.45 Dash.Fuel=50 Dash.Odd=-3 "
eq "... EEC1 (extended id, an offset)" "$(decoded 'EEC1\.[A-Za-z]*')" \
	"EEC1.ActualTorque=-25 EEC1.EngineSpeed=1500 "
eq "... EngineData: labels for Gear and Running, the signals not given at 0" "$(decoded 'EngineData\.[A-Za-z]*')" \
	'EngineData.Rpm=800 EngineData.Coolant=-40 EngineData.Torque=-12.5 EngineData.Gear="D" EngineData.Running="On" EngineData.Throttle=0 EngineData.Accel=0 '
eq "... MuxMsg: C1 (multiplexed, Motorola, signed) picks Selector 1" "$(decoded 'MuxMsg\.[A-Za-z0-9]*')" \
	'MuxMsg.Selector="Amps" MuxMsg.Common=7 MuxMsg.A1=0 MuxMsg.C1=-4.5 '
eq "... MuxExt (16 bytes: CAN FD, extended id): P3 (multiplexed, Motorola) picks Page 3" "$(decoded 'MuxExt\.[A-Za-z0-9]*')" \
	'MuxExt.Page="Third" MuxExt.Count=3 MuxExt.P3=-12.5 MuxExt.P3b=0 '
eq "... nothing said by either can-read" "$(cat "$T/cs.err" "$T/csd.err")" ""

# an interface down, or missing
ip link add dev vcan3 type vcan
can-send vcan3 123#00 2>"$T/down.err"
eq "can-send on a vcan that is down: exit 69 (a frame not sent)" $? 69
eq "... said, with the frame" "$(cat "$T/down.err")" "can-send: vcan3: 123#00: Network is down"
ip link set vcan3 up
can-send vcan3 123#00
eq "... the same vcan up: exit 0" $? 0
can-send vcan9 123#00 2>"$T/missing.err"
eq "can-send on a missing interface: exit 69, said" "$?-$(cat "$T/missing.err")" "69-can-send: vcan9: no such interface"

# --- interfaces going away and coming back, while can-read runs
send_seen() { cansend "$1" "$2#$3" 2>/dev/null; grep -q "\"value\":\"$3\"" "$T/life.out"; }
bg can-read --status-interval 1 vcan1 vcan2 > "$T/life.out" 2>"$T/life.err"
CR=$!
check "vcan2 missing at start: said" wait_for 10 said "$T/life.err" 'vcan2: unable to open: .*; retrying'
check "... vcan1 read meanwhile" wait_for 10 send_seen vcan1 111 01
ip link add dev vcan2 type vcan && ip link set vcan2 up
check "vcan2 created: can-read opens it and reads" wait_for 15 send_seen vcan2 222 01
ip link set vcan1 down
check "vcan1 set down: said once" wait_for 10 said "$T/life.err" 'vcan1: interface down; waiting for it'
ip link set vcan1 up
check "vcan1 up again: its frames are read" wait_for 10 send_seen vcan1 111 02
check "... and that is said" said "$T/life.err" 'vcan1: up again'
ip link del vcan1
check "vcan1 deleted: said" wait_for 10 said "$T/life.err" 'vcan1: device gone (No such device); reopening'
cansend vcan2 222#02
check "... vcan2 read meanwhile" wait_for 10 grep -q '"value":"02"' "$T/life.out"
ip link add dev vcan1 type vcan && ip link set vcan1 up
check "vcan1 re-created (another ifindex): reopened, its frames read" wait_for 20 send_seen vcan1 111 03
check "... 'open again' said" said "$T/life.err" 'vcan1: open again'
kill -HUP "$CR"
check "SIGHUP: the interfaces reopened, frames read" wait_for 10 send_seen vcan2 222 03
check "can-read ran through it all" kill -0 "$CR"
kill -TERM "$CR"; wait "$CR"
eq "SIGTERM: exit 0" $? 0
rc=$(grep '"gateway.can.reconnects"' "$T/life.out" | tail -n 1 | sed 's/.*"value":\([0-9]*\).*/\1/')
check "gateway.can.reconnects counts the reopening ($rc)" [ "${rc:-0}" -ge 1 ]
check "... each problem said once, not a line per retry" \
	[ "$(grep -c 'vcan1: unable to open' "$T/life.err")" -le 1 ]
eq "... stderr: can-read's own lines only (libsocketcan's 'no link data found' for a vcan kept out)" \
	"$(grep -v '^can-read: ' "$T/life.err")" ""

# --- the bitrate, through libsocketcan
can-read --bitrate 500000 vcan0 > /dev/null 2>"$T/br.err"
eq "--bitrate on vcan (no bitrate to set): exit 69" $? 69
eq "... saying so, in one line" "$(cat "$T/br.err")" \
	"can-read: --bitrate: vcan0 has no bitrate to set: not a CAN controller (a virtual one, vcan or vxcan, has none)"
check "... vcan0 left up" grep -q ',UP' <<< "$(ip link show vcan0)"
can-read --bitrate 500000 vcan9 > /dev/null 2>"$T/br9.err"
eq "--bitrate on a missing interface: exit 69" $? 69
eq "... saying so" "$(cat "$T/br9.err")" "can-read: --bitrate: unable to set the bitrate of vcan9: No such device"

# slcan: a pty whose far end is the "adapter" (a python loop logs what the
# driver writes to it and writes what tests put in $T/inject)
$PY - "$T" <<'EOF' &
import os, pty, select, sys, time
t = sys.argv[1]
m, s = pty.openpty()
open(t + '/pty.tmp', 'w').write(os.ttyname(s))
os.rename(t + '/pty.tmp', t + '/pty')
log = open(t + '/adapter.in', 'ab', 0)
while True:
    if select.select([m], [], [], 0.1)[0]:
        log.write(os.read(m, 256))
    try:
        os.write(m, open(t + '/inject', 'rb').read())
        os.unlink(t + '/inject')
    except FileNotFoundError:
        pass
EOF
_pids="$_pids $!"
wait_for 10 test -f "$T/pty"
bg slcand -F "$(cat "$T/pty")" slcan0 >"$T/slcand.log" 2>&1
check "slcand attaches the pty as slcan0" wait_for 10 test -d /sys/class/net/slcan0
bg can-read --status-interval 1 --bitrate 500000 slcan0 > "$T/sl.out" 2>"$T/sl.err"
check "can-read --bitrate 500000 slcan0: the adapter is opened" wait_for 15 grep -q O "$T/adapter.in"
eq "... the driver told the adapter: close, S6 (500 kbit/s), open" "$(tr '\r' ' ' < "$T/adapter.in")" "C S6 O "
check "... ip -details link shows it" grep -q 'bitrate 500000' <<< "$(ip -details link show slcan0)"
check "... the status records: gateway.can.bitrate 500000" \
	wait_for 10 grep -q '"gateway.can.bitrate","value":500000,.*"interface":"slcan0"' "$T/sl.out"
check "... and gateway.can.bus_state error-active" \
	grep -q '"gateway.can.bus_state","value":"error-active",.*"interface":"slcan0"' "$T/sl.out"
bg candump -L slcan0 > "$T/sl.dump"
SLDUMP=$!
# inject TEXT: what the adapter sends the driver
inject() { printf "$1" > "$T/inject.tmp" && mv "$T/inject.tmp" "$T/inject"; }
sl_has() { grep -q "$1" "$T/sl.dump" && grep -q "$1" "$T/sl.out"; }
sl_started() { inject 't1038FEEDFACEFEEDFACE\r'; sleep 0.2; sl_has FEEDFACEFEEDFACE; }
check "candump and can-read are reading slcan0" wait_for 20 sl_started
inject 't1234AABBCCDD\rT123456784DEADBEEF\rr7FF2\rt1038FEEDFACE00000001\r'
check "frames from the adapter reach can-read and candump" wait_for 10 sl_has FEEDFACE00000001
kill -TERM "$SLDUMP"
canon sl
eq "... can-read's are candump's" "$(diff "$T/sl.dump.c" "$T/sl.out.c" | tr '\n' ' ')" ""
eq "... three frames: classic, extended, remote request" "$(cut -d' ' -f3- "$T/sl.out.c" | tr '\n' ';')" \
	"123 - 4 AABBCCDD;12345678 ext 4 DEADBEEF;7FF rtr 2 -;"
can-read --bitrate 300000 slcan0 > /dev/null 2>"$T/bad.err"
eq "--bitrate 300000 on slcan (not one of its bitrates): exit 69" $? 69
eq "... the kernel's reason said" "$(cat "$T/bad.err")" \
	"can-read: --bitrate: unable to set the bitrate of slcan0 (300000 bit/s): Invalid argument"
check "... slcan0 left up, at 500000 bit/s" grep -q 'ERROR-ACTIVE.*bitrate 500000' <<< "$(ip -details link show slcan0 | tr '\n' ' ')"
setpriv --reuid=plexus --regid=plexus --init-groups can-read --bitrate 250000 slcan0 > /dev/null 2>"$T/np.err"
eq "--bitrate without CAP_NET_ADMIN (user plexus): exit 77" $? 77
check "... saying it needs CAP_NET_ADMIN" grep -q 'CAP_NET_ADMIN' "$T/np.err"
check "... the bitrate unchanged" grep -q 'bitrate 500000' <<< "$(ip -details link show slcan0)"
