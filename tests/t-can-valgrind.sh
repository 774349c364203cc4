#!/bin/bash
# can-read under valgrind: every golden log (raw, DBC, filters, rate
# control, malformed lines) and the live path through a socketpair, with a
# stopped consumer: no invalid access, no leak.  ASan binaries cannot run
# under valgrind: a plain build is made here.
. "$(dirname "$0")/lib.sh"
valgrind_build bin/can-read
B=$VGBIN/can-read

cd "$TOP/tests/golden/can" || exit 1
logs=(*.log)
set -f
fails=0
for in in "${logs[@]}"; do
	args=$(cat "${in%.log}.args")
	# shellcheck disable=SC2086
	timeout 120 $VG $B --status-interval 1 $args -r "$in" >/dev/null 2>>"$T/vg.golden" || fails=$((fails + 1))
done
set +f
eq "valgrind clean on every golden log" "$fails" 0
grep '^==' "$T/vg.golden" | head -10 | sed 's/^/#   /'

$PY "$TOP/tests/can-feed.py" --frames "$TOP/tests/can-frames.txt" -- $VG $B --fd FD -D basic.dbc --raw-unknown \
	--on-change --status-interval 1 > "$T/kinds.out" 2>"$T/vg.kinds"
eq "live path, every kind of frame and a DBC: clean" "$?" 0
grep '^==' "$T/vg.kinds" | head -10 | sed 's/^/#   /'

$PY "$TOP/tests/can-feed.py" --stall --count 20000 -- $VG $B --fd FD --queue 64k \
	--status-interval 1 > "$T/stall.out" 2>"$T/vg.stall"
eq "stopped consumer, overruns: clean" "$?" 0
grep '^==' "$T/vg.stall" | head -10 | sed 's/^/#   /'
check "... and it did overrun" grep -q '"gateway.can.overruns","value":[1-9]' "$T/stall.out"

# the devices file: tags per interface, liveness, read again on SIGHUP
# (the templates made again), and once with a fault
printf '[device bus]\ncan = can0\ntag = fleet=north\nsource-id = truck-7\nexpect = 1s\n' > "$T/devices"
{ echo "123#01"; echo "HUP"; echo "123#02"; } > "$T/hup.frames"
PLEXUS_DEVICES=$T/devices $PY "$TOP/tests/can-feed.py" --frames "$T/hup.frames" -- $VG $B --fd FD:can0 \
	-D basic.dbc --raw-unknown --status-interval 1 > "$T/dev.out" 2>"$T/vg.dev"
eq "a devices file, liveness and SIGHUP: clean" "$?" 0
grep '^==' "$T/vg.dev" | head -10 | sed 's/^/#   /'
check "... the device's tags were applied" grep -q '"device":"bus"' "$T/dev.out"
printf '[device x]\ncan =\n' >> "$T/devices"
PLEXUS_DEVICES=$T/devices timeout 120 $VG $B --status-interval 1 -r dbc.log >/dev/null 2>"$T/vg.bad"
eq "a devices file with a fault: clean" "$?" 0
grep '^==' "$T/vg.bad" | head -10 | sed 's/^/#   /'
