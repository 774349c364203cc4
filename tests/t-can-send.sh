#!/bin/bash
# can-send: raw frames in cansend's notation and DBC messages by signal name,
# written to a socketpair in the kernel's can_frame / canfd_frame layout
# (tests/can-sink.py reads and prints them, not our lib/canframe); the DBC
# encoder against canmatrix's; values refused before anything is sent;
# periodic sending; an interface that cannot be opened.  The round trip of
# every signal through can-read's decoder is t_dbc_encode.
. "$(dirname "$0")/lib.sh"
SINK="$PY $TOP/tests/can-sink.py --"
DBC=$TOP/tests/golden/can/basic.dbc

# raw frames: classic, extended, RTR with a DLC, FD with flags, raw DLC
$SINK can-send --fd FD can0 123#DEADBEEF 0CF004FE#11.22.33 123#R 1F3#R5 1F3#R8_E 7FF# \
	213##1112233 12345678##3 123#1122334455667788_E > "$T/raw" 2>"$T/raw.err"
eq "raw frames through the socket, in its layout" "$(cat "$T/raw")" "123#DEADBEEF
0CF004FE#112233
123#R
1F3#R5
1F3#R8_E
7FF#
213##5112233
12345678##7
123#1122334455667788_E
exit 0"
# the flags byte: 1 BRS, 2 ESI as given, and CANFD_FDF (4), as cansend sets it
check "... FD frames with CANFD_FDF set in their flags" grep -q '^213##5' "$T/raw"
eq "-n prints the frames as given" "$(can-send -n can0 0CF004FE#11.22.33 213##1112233 123#R4)" \
	"0CF004FE#112233
213##1112233
123#R4"
for bad in 1234#00 123#1 123#112233445566778899 123##11 123##0$(printf '%0130d' 0) G23#00 123; do
	$SINK can-send --fd FD can0 123#00 "$bad" > "$T/bad" 2>"$T/bad.err"
	eq "a malformed frame '$bad': exit 65, nothing sent" "$(cat "$T/bad")" "exit 65"
done
check "... said, with the frame" grep -q "^can-send: 123: " "$T/bad.err"

# DBC messages: the frames worked out by hand from basic.dbc
$SINK can-send --fd FD -D "$DBC" can0 EEC1 EngineSpeed=1500 ActualTorque=-25 > "$T/dbc" 2>&1
eq "EEC1 (extended id): EngineSpeed 1500 rpm at 0.125 is 12000 (E0 2E, Intel), torque -25% at offset -125 is 100" \
	"$(cat "$T/dbc")" "0CF004FE#000064E02E000000
exit 0"
eq "Dash (Motorola): Speed 123.45 km/h at 0.01 is 12345 (30 39, big-endian), Odd -3 in 7 signed bits" \
	"$(can-send -n -D "$DBC" can0 Dash Speed=123.45 Fuel=50 Odd=-3)" "700#3039647D"
eq "signals not given are raw 0 (no GenSigStartValue): EngineData, Rpm 800 at 0.25 is 3200 (80 0C)" \
	"$(can-send -n -D "$DBC" can0 EngineData Rpm=800)" "100#800C000000000000"
refused() {
	want=$1; shift
	$SINK can-send --fd FD -D "$DBC" can0 "$@" > "$T/r" 2>"$T/r.err"
	eq "refused: $* (exit 65, nothing sent)" "$(cat "$T/r")" "exit 65"
	check "... says: $want" grep -qF -- "$want" "$T/r.err"
}
refused "EngineSpeed: 8032 is out of EngineSpeed's range [0|8031.875]" EEC1 EngineSpeed=8032
refused "EngineSpeed: 1500.1 is not a whole number of steps of 0.125 from 0" EEC1 EngineSpeed=1500.1
refused "Gear: 8 does not fit Gear's 3-bit unsigned bits" EngineData Gear=8
refused "Fuel: 100.5 is out of Fuel's range [0|100]" Dash Fuel=100.5
refused "Torque: -1024.5 is raw -2049, which does not fit Torque's 12-bit signed bits" EngineData Torque=-1024.5
refused 'Gear: "fast" is not a number' EngineData Gear=fast
refused "Nope: no such signal in message EngineData" EngineData Nope=1
refused "NoSuchMsg: no such message in the DBC" NoSuchMsg
refused "Rpm: expected signal=value" EngineData Rpm
refused "VECTOR__INDEPENDENT_SIG_MSG: no such message in the DBC" VECTOR__INDEPENDENT_SIG_MSG
can-send -n -D "$T/none.dbc" can0 X 2>"$T/e"
eq "a DBC that cannot be read: exit 65" "$?-$(cat "$T/e")" "65-can-send: $T/none.dbc: No such file or directory"

# multiplexing (mux.dbc), FD sizes (fd.dbc), GenSigStartValue (many.dbc)
MUX=$TOP/tests/golden/can/mux.dbc
sed -n '/^BO_ 512/,/^$/p' "$MUX" > "$T/mux.lines"
eq "a muxed signal given sets its multiplexer; the other group's bits stay 0" \
	"$(can-send -n -D "$MUX" can0 "$(sed -n 's/^BO_ [0-9]* \([A-Za-z0-9_]*\):.*/\1/p' "$T/mux.lines")" \
		"$(sed -n 's/^ SG_ \([A-Za-z0-9_]*\) m1 .*/\1/p' "$T/mux.lines" | head -1)=1" | cut -c1-4)" \
	"$(printf '%03X#' 512)"
$SINK can-send --fd FD -D "$TOP/tests/golden/can/fd.dbc" can0 FdFrame First=7 Last=9 > "$T/fd" 2>&1
eq "a 64-byte message (extended id 0x200): one CAN FD frame of 72 bytes, CANFD_FDF, bytes 0 and 63 set" "$(cat "$T/fd")" \
	"00000200##4$(printf '07%0124d09' 0)
exit 0"
$PY - "$TOP/tests/golden/can/many.dbc" > "$T/start.want" <<'PYEOF'
import re, sys
t = open(sys.argv[1]).read()
print(len(re.findall(r'BA_ "GenSigStartValue" SG_', t)) > 0)
PYEOF
eq "many.dbc has signals with a GenSigStartValue" "$(cat "$T/start.want")" True

# canmatrix's encoder on the same values
if want_py canmatrix; then
	$PY "$TOP/tests/can-send-crosscheck.py" "$TOP/tests/golden/can/many.dbc" "$BIN/can-send" 2>/dev/null |
		grep -v 'not supported' > "$T/xc"
	read -r samples diff < <(grep -v '^#' "$T/xc")
	check "canmatrix encodes the same frames as can-send: $samples samples of many.dbc ($diff differ)" \
		[ "${samples:-0}" -ge 150 ] && [ "${diff:-1}" = 0 ]
	grep '^#' "$T/xc" | head -5
fi

# periodic: a count, a duration, SIGTERM
$SINK can-send --fd FD --every 10ms --count 5 can0 123#01 7FF#02 > "$T/p" 2>&1
eq "--every 10ms --count 5: 5 rounds of both frames" "$(grep -c '#' "$T/p")-$(tail -1 "$T/p")" "10-exit 0"
$SINK can-send --fd FD --every 20ms --for 300ms can0 123#01 > "$T/p2" 2>&1
n=$(grep -c '#' "$T/p2")
check "--every 20ms --for 300ms: about 15 frames ($n), then exit 0" \
	[ "$n" -ge 5 ] && [ "$n" -le 17 ] && [ "$(tail -1 "$T/p2")" = "exit 0" ]
can-send -n --every 10ms can0 123#01 > "$T/p3" 2>&1 & cp=$!; _pids="$_pids $cp"
wait_for 20 sh -c "[ \$(wc -l < '$T/p3') -ge 3 ]"
kill -TERM $cp; wait $cp
eq "--every without an end: SIGTERM ends it, exit 0" "$?" 0
can-send --count 3 can0 123#01 2>/dev/null
eq "--count without --every: usage, exit 64" "$?" 64

# a real CAN socket: none in this kernel, or no such interface
can-send nosuchcan0 123#01 2>"$T/e"
eq "an interface that cannot be opened: exit 69" "$?" 69
check "... and why" grep -Eq "no such interface|no CAN in this kernel" "$T/e"

# the example command (deploy/examples/commands/send_can_message) with a
# vehicle DBC here, its frames printed (-n) rather than sent
cat > "$T/vehicle.dbc" <<'EOF2'
VERSION ""
BO_ 1056 LightControl: 2 Gw
 SG_ HeadLights : 0|2@1+ (1,0) [0|2] "" Body
 SG_ Dimmer : 8|8@1+ (0.5,0) [0|100] "%" Body
BA_DEF_ SG_ "GenSigStartValue" INT 0 255;
BA_ "GenSigStartValue" SG_ 1056 Dimmer 200;
VAL_ 1056 HeadLights 0 "Off" 1 "On" 2 "Auto" ;
EOF2
sed "s|/etc/plexus/vehicle.dbc|$T/vehicle.dbc|; s|can-send |can-send -n |" \
	"$TOP/deploy/examples/commands/send_can_message" > "$T/send_can_message"
PLX_PARAM_HEADLIGHTS=Auto sh "$T/send_can_message" > "$T/cmd.out" 3>"$T/cmd.progress"
eq "the example command send_can_message: 3 frames, HeadLights Auto (2), Dimmer at its start value (200)" \
	"$?-$(tr '\n' ' ' < "$T/cmd.out")" "0-420#02C8 420#02C8 420#02C8 {\"headlights\":\"Auto\"} "
PLX_PARAM_HEADLIGHTS=Bright sh "$T/send_can_message" > /dev/null 2>"$T/cmd.err" 3>/dev/null
eq "... a value the signal has no label for: the run fails, and says why" "$?-$(cat "$T/cmd.err")" \
	"65-can-send: HeadLights: \"Bright\" is not a number nor a label of the signal's values"
