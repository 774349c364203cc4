#!/bin/bash
# can-read's live path without a CAN bus (this kernel may have none): frames
# in the kernel's struct can_frame / canfd_frame layout written into a
# socketpair whose other end is can-read --fd (tests/can-feed.py).  Also
# the bounded queue with a stopped consumer, signals, EPIPE, and the
# messages where a real CAN socket is needed.
. "$(dirname "$0")/lib.sh"
FEED="$PY $TOP/tests/can-feed.py"
stat() { grep "\"metric\":\"gateway.can.$1\"" "$2" | tail -n 1 | sed 's/.*"value":\([0-9]*\).*/\1/'; }

# 100,000 frames: every one comes out.  The queue holds the whole output
# (13 MB), so that a consumer the loaded machine leaves waiting cannot make
# it drop records (the default 1M did, 5% of them); dropping is the stopped
# consumer's case below.
$FEED --inherit --count 100000 -- can-read --fd FD:can0 --status-interval 3600 --queue 64M 2>"$T/100k.err" | cat > "$T/100k.out"
eq "100,000 frames through the socketpair: exit 0" "${PIPESTATUS[0]}" 0
eq "... 100,000 frame records" "$(grep -c '"can.frame"' "$T/100k.out")" 100000
eq "... frames_read 100000 in the final status" "$(stat frames_read "$T/100k.out")" 100000
eq "... no overrun" "$(stat overruns "$T/100k.out")" 0
eq "... the last frame's data (counter 99999, little-endian)" \
	"$(grep '"can.frame"' "$T/100k.out" | tail -n 1 | sed 's/.*"value":"\([0-9A-F]*\)".*/\1/')" 9F86010000000000
check "... tagged with the --fd name" grep -q '"interface":"can0"' "$T/100k.out"

# the same as datagrams
$FEED --type dgram --count 1000 -- can-read --fd FD --status-interval 0 > "$T/dg.out" 2>"$T/dg.err"
eq "SOCK_DGRAM socketpair: 1000 records" "$(grep -c '"can.frame"' "$T/dg.out")" 1000

# stdout stopped while 100,000 frames arrive: the reader keeps reading
# (else can-feed.py would block on a full socket), drops whole records,
# counts them, and stays small
$FEED --stall --count 100000 -- can-read --fd FD --status-interval 3600 --queue 256k \
	> "$T/stall.out" 2>"$T/stall.err"
eq "stopped consumer: exit 0" "$?" 0
eq "... every frame was read" "$(stat frames_read "$T/stall.out")" 100000
ov=$(stat overruns "$T/stall.out")
check "... overruns counted ($ov)" [ "${ov:-0}" -gt 0 ]
n=$(grep -c '"can.frame"' "$T/stall.out")
eq "... records printed + overruns = frames" "$((n + ov))" 100000
hwm=$(sed -n 's/^vmhwm //p' "$T/stall.err")
lim=8192                                  # kB; ASan's shadow memory needs more
ldd "$(command -v can-read)" | grep -q libasan && lim=65536
check "... peak RSS bounded (${hwm} kB < $lim)" [ "${hwm:-999999}" -lt $lim ]
check "... every line whole JSON" $PY -c '
import json, sys
for l in open(sys.argv[1]): json.loads(l)' "$T/stall.out"

# kinds of frames, a bad datagram, a DBC on the live path
$FEED --frames "$TOP/tests/can-frames.txt" -- can-read --fd FD:vcan0 -D "$TOP/tests/golden/can/basic.dbc" \
	--raw-unknown --status-interval 3600 > "$T/kinds.out" 2>"$T/kinds.err"
has() { grep -q -- "$2" "$1"; }
check "classic frame" has "$T/kinds.out" '"value":"DEADBEEF","timestamp":[0-9]*,"tags":{"interface":"vcan0","id":"0x123","len":"4"}'
check "extended id, decoded by the DBC" has "$T/kinds.out" '"can.EEC1.ActualTorque","value":125,.*"id":"0x0CF004FE"'
check "remote request with its DLC" has "$T/kinds.out" '"value":"R",.*"id":"0x7FF","len":"4","flags":"rtr"'
check "CAN FD, BRS" has "$T/kinds.out" '"value":"DEADBEEF",.*"flags":"fd,brs"}'
check "CAN FD, 16 bytes, BRS and ESI" has "$T/kinds.out" '"value":"00112233445566778899AABBCCDDEEFF",.*"len":"16","flags":"fd,brs,esi"'
check "error frame: controller and bus-off" has "$T/kinds.out" '"can.error","value":"bus-off"'
check "DBC signal decoded on the live path" has "$T/kinds.out" '"can.EngineData.Rpm","value":2000,.*"unit":"rpm"'
eq "bad datagram counted" "$(stat bad_input "$T/kinds.out")" 1
eq "frames_decoded 2" "$(stat frames_decoded "$T/kinds.out")" 2
# a frame shorter than its DBC message, CAN FD frames of 9 bytes: no value from them
eq "EEC1 only from its 8-byte frame" "$(grep -c '"can.EEC1.ActualTorque"' "$T/kinds.out")" 1
eq "... nothing from a 9-byte CAN FD frame" "$(grep -c '"timestamp":[0-9]*,"tags":{"interface":"vcan0","id":"0x100"' "$T/kinds.out")" 7
eq "... nor sent raw (--raw-unknown)" "$(grep -c '"id":"0x555"' "$T/kinds.out")" 0
eq "... counted: frames_bad_length 5" "$(stat frames_bad_length "$T/kinds.out")" 5
eq "... said once per id and length" "$(grep -c 'does not fit\|not decoded\|dropped' "$T/kinds.err")" 3
check "... the short frame named with its message" \
	grep -q 'vcan0: frame 0x0CF004FE of 3 bytes, message EEC1 has 8: not decoded' "$T/kinds.err"
check "... the CAN FD one with its length" grep -q 'vcan0: CAN FD frame 0x100 of 9 bytes, a length no frame has' "$T/kinds.err"

# filters on the --fd path (the kernel's rules, applied by can-read)
$FEED --frames "$TOP/tests/can-frames.txt" -- can-read --fd FD --filter '123:7FF,#0' --status-interval 0 \
	> "$T/filt.out" 2>/dev/null
eq "--filter 123:7FF,#0: only id 0x123 frames" "$(grep -v -c '"id":"0x123"' "$T/filt.out")" 0
eq "... three of them" "$(grep -c . "$T/filt.out")" 3

# SIGHUP with --fd: nothing to reopen (the socket is not can-read's to
# open): said, and the reading goes on, not a frame lost.  (Interfaces
# closed and opened again: tests/unit/can-read/t_can_reopen.c.)
PLEXUS_QUIET=0 $FEED --hup-after 500 --count 1000 -- can-read --fd FD --status-interval 0 \
	> "$T/hup.out" 2>"$T/hup.err"
eq "SIGHUP with --fd: exit 0 at the end of the stream" "$?" 0
eq "... every frame out, from before and after it" "$(grep -c '"can.frame"' "$T/hup.out")" 1000
check "... said" grep -q 'can-read: SIGHUP: nothing to reopen' "$T/hup.err"

# SIGTERM: windows and status out, exit 0; SIGHUP does not end it
mkfifo "$T/fifo"
can-read -r - -i 10s --status-interval 1 < "$T/fifo" > "$T/term.out" 2>"$T/term.err" &
p=$!
exec 7>"$T/fifo"
wait_for 10 grep -q frames_read "$T/term.out"          # running, handlers in place
echo '(1436509052.000000) can0 123#01' >&7
wait_for 10 grep -q '"gateway.can.frames_read","value":1' "$T/term.out"
kill -HUP $p
echo '(1436509053.000000) can0 124#02' >&7
check "after SIGHUP the log is still read" wait_for 10 grep -q '"gateway.can.frames_read","value":2' "$T/term.out"
kill -TERM $p
wait $p
eq "SIGHUP then SIGTERM: exit 0" "$?" 0
exec 7>&-
check "... the open interval windows sent" grep -q '"value":"01"' "$T/term.out"
check "... both" grep -q '"value":"02"' "$T/term.out"
eq "... and a final status" "$(grep -c '"gateway.can.frames_read","value":2' "$T/term.out" | awk '{print ($1 >= 2)}')" 1

# EPIPE: the consumer exits, can-read ends with 0
for i in $(seq 1 20000); do echo "(1436509052.000000) can0 123#0102"; done > "$T/big.log"
can-read -r "$T/big.log" --status-interval 0 2>"$T/pipe.err" | head -n 1 > /dev/null
eq "EPIPE ends it with exit 0" "${PIPESTATUS[0]}" 0

# where a real CAN socket is needed
if [ ! -d /proc/sys/net/can ] && ! grep -q 'can' /proc/net/protocols 2>/dev/null; then
	can-read --status-interval 0 can0 > /dev/null 2>"$T/af.err"
	eq "no CAN in the kernel: exit 69" "$?" 69
	check "... said clearly" grep -q 'socket(AF_CAN): Address family not supported by protocol' "$T/af.err"
else
	ok "# SKIP this kernel has CAN"
fi
can-read --bitrate 500000 can0 > /dev/null 2>"$T/br.err"
rc=$?
check "--bitrate without privilege or CAN: 69 or 77 ($rc)" [ $rc -eq 69 -o $rc -eq 77 ]
check "... with a clear message" grep -q -- '--bitrate: unable to' "$T/br.err"

# old spellings work for a release, and say they are deprecated
G=$TOP/tests/golden/can
can-read --status-interval 0 -d "$G/basic.dbc" --replay "$G/dbc.log" > "$T/old.out" 2>"$T/old.err"
eq "-d and --replay (deprecated): exit 0" "$?" 0
check "... the records of -D and -r" cmp -s "$T/old.out" "$G/dbc.out"
check "... -d said deprecated" grep -q -- 'can-read: -d is deprecated: use -D/--dbc' "$T/old.err"
check "... --replay said deprecated" grep -q -- 'can-read: --replay is deprecated: use -r/--read' "$T/old.err"
# the source id of the environment, as -s
PLEXUS_SOURCE_ID=truck-9 can-read --status-interval 0 -r "$G/raw.log" > "$T/src.out"
eq "PLEXUS_SOURCE_ID: every record's source_id" "$(grep -vc '"source_id":"truck-9"' "$T/src.out")" 0
PLEXUS_SOURCE_ID=truck-9 can-read --status-interval 0 -s car-1 -r "$G/raw.log" > "$T/src.out"
eq "... -s over it" "$(grep -vc '"source_id":"car-1"' "$T/src.out")" 0

# usage
can-read > /dev/null 2>&1; eq "no input: exit 64" "$?" 64
can-read -i 2x -r x > /dev/null 2>&1; eq "-i 2x: not a duration: exit 64" "$?" 64
can-read --signal-rate 'A=1y' -D x -r x > /dev/null 2>&1; eq "--signal-rate A=1y: exit 64" "$?" 64
can-read --filter 12G:7FF -r x > /dev/null 2>&1; eq "bad filter: exit 64" "$?" 64
can-read --agg max -r x > /dev/null 2>&1; eq "--agg without --interval: exit 64" "$?" 64
can-read -r /nonexistent > /dev/null 2>&1; eq "missing log: exit 66" "$?" 66
printf 'BO_ x\n' > "$T/bad.dbc"
can-read -D "$T/bad.dbc" -r "$T/big.log" > /dev/null 2>"$T/dbc.err"; eq "malformed DBC: exit 65" "$?" 65
check "... naming file and line" grep -q "bad.dbc:1:" "$T/dbc.err"
printf 'BO_ 256 X: 8 Y\n SG_ a : 0|8@1+ (1,0) [0|1] "" Y\n\nBA_DEF_ BO_ "A" INT 0 1;\nBA_DEFX_ BO_ "B" INT 0 1;\n' \
	> "$T/kw.dbc"
can-read -D "$T/kw.dbc" -r "$T/big.log" > /dev/null 2>"$T/kw.err"; eq "unknown DBC keyword: exit 65" "$?" 65
check "... naming it and its line" grep -q "kw.dbc:5: expected a DBC keyword .*, found 'BA_DEFX_'" "$T/kw.err"
printf 'BO_ 291 X: 2 Y\n SG_ a : 7|8@0+ (1,0) [0|1] "" Y\n SG_ b : 4|8@1+ (1,0) [0|1] "" Y\n' > "$T/ov.dbc"
can-read -D "$T/ov.dbc" -r "$T/big.log" > "$T/ov.out" 2>"$T/ov.err"; eq "overlapping signals: read all the same" "$?" 0
check "... a warning naming both, the message and the line" \
	grep -q "ov.dbc:3: signals a (line 2) and b of message X overlap: 4 bits in both, from bit 4" "$T/ov.err"
