#!/bin/bash
# modbus-write and can-send under valgrind: every type written with
# --verify, a device without function 6 (written again with 16), an
# exception answer, a refused value and a map by name; raw frames and a
# DBC message (FD, multiplexed) through a socketpair, --every, and refused
# values: no invalid access, no leak.  A plain build is made here (ASan
# binaries cannot run under valgrind).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"
valgrind_build bin/modbus-write bin/can-send
echo '{"units": {"1": {"size": 100}, "3": {"size": 20, "refuse": [6]}}}' > "$T/s.json"
mb_tcp v "$T/s.json"
H=127.0.0.1:$PORT_v
$VG "$VGBIN/modbus-write" --verify -H "$H" holding:0:int16:a=-5 holding:1:uint32:CDAB:b=70000 \
	holding:3:float64:DCBA:c=-1.25 holding:7:string6:d=ab holding:10:bit2:e=1 coil:4:bool:f=on 2>"$T/e1"
eq "every type, --verify: valgrind clean, exit 0" "$?-$(grep -c '^==' "$T/e1")" "0-0"
$VG "$VGBIN/modbus-write" -U 3 -H "$H" holding:1:int16:a=2 holding:30:int16:b=1 2>"$T/e2"
eq "function 6 refused, then an exception: clean, exit 76" "$?-$(grep -c '^==' "$T/e2")" "76-0"
$VG "$VGBIN/modbus-write" -H "$H" holding:0:int16:a=1 holding:1:uint16:b=-1 2>"$T/e3"
eq "a refused value: clean, exit 65" "$?-$(grep -c '^==' "$T/e3")" "65-0"
printf '[device v]\ntcp = %s\nholding:20:int16:x.sp scale=0.5\nholding:21:uint16:x.n\n' "$H" > "$T/map.conf"
$VG "$VGBIN/modbus-write" -c "$T/map.conf" x.sp=10.5 x.n=3 2>"$T/e4"
eq "points of a map by name: clean, exit 0" "$?-$(grep -c '^==' "$T/e4")" "0-0"
$VG "$VGBIN/modbus-write" -c "$T/map.conf" nosuch=1 2>"$T/e5"
eq "no such point: clean, exit 65" "$?-$(grep -c '^==' "$T/e5")" "65-0"

SINK="$PY $TOP/tests/can-sink.py --"
$SINK $VG "$VGBIN/can-send" --fd FD can0 123#DEADBEEF 12345678#R 213##1112233 > "$T/c1" 2>"$T/ce1"
eq "raw frames: clean, exit 0" "$(tail -1 "$T/c1")-$(grep -c '^==' "$T/ce1")" "exit 0-0"
$SINK $VG "$VGBIN/can-send" --fd FD --every 10ms --count 3 -D "$TOP/tests/golden/can/mux-ext.dbc" can0 ExtMux \
	Leaf=7 Plain=1 > "$T/c2" 2>"$T/ce2"
eq "a DBC message with extended multiplexing, --every: clean, 3 frames" \
	"$(tail -1 "$T/c2")-$(grep -c '#' "$T/c2")-$(grep -c '^==' "$T/ce2")" "exit 0-3-0"
$SINK $VG "$VGBIN/can-send" --fd FD -D "$TOP/tests/golden/can/fd.dbc" can0 FdFrame First=1 Temp24=-1.5 > "$T/c3" 2>"$T/ce3"
eq "a 64-byte FD message: clean" "$(tail -1 "$T/c3")-$(grep -c '^==' "$T/ce3")" "exit 0-0"
$VG "$VGBIN/can-send" -n -D "$TOP/tests/golden/can/basic.dbc" can0 EEC1 EngineSpeed=99999 2>"$T/ce4"
eq "a refused value: clean, exit 65" "$?-$(grep -c '^==' "$T/ce4")" "65-0"
