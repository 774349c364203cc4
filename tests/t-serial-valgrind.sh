#!/bin/bash
# serial-read under valgrind: every golden input, and a pty whose device
# disappears and returns, with noise and a SIGTERM: no invalid access, no
# leak.  ASan binaries cannot run under valgrind: a plain build is made here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-serial.sh"
valgrind_build bin/serial-read
B=$VGBIN/serial-read

cases=("$TOP"/tests/golden/serial/*.in)
set -f
fails=0
for in in "${cases[@]}"; do
	args=$(cat "${in%.in}.args")
	# shellcheck disable=SC2086
	timeout 60 $VG $B $args -f "$in" >/dev/null 2>>"$T/vg.golden" || fails=$((fails + 1))
done
set +f
eq "valgrind clean on every golden input" "$fails" 0
grep '^==' "$T/vg.golden" | head -10 | sed 's/^/#   /'

pty_up g
timeout --foreground -k 5 60 $VG $B -F auto --status-interval 1 --backoff-max 200 "$T/g.dev" >"$T/g.out" 2>"$T/g.err" &
vp=$!; _pids="$_pids $vp"
wait_for 10 grep -q . "$T/g.out"          # status records: valgrind has started
{ printf 't=1\n{"a":{"b":2}}\n'; head -c 3000 /dev/urandom; printf '\nx,y\n1,2\n'; } > "$T/g.host"
sleep 0.5
pty_down g
sleep 0.5
pty_up g
wait_for 10 grep -q 'open again' "$T/g.err"
printf 'after=1\nlast=2\npartial=3' > "$T/g.host"
wait_for 10 has "$T/g.out" last 2
kill -TERM $vp; wait $vp; rc=$?
eq "pty, unplug, noise, SIGTERM under valgrind: exit 0, no error" "$rc" 0
check "and the data after the unplug came through" has "$T/g.out" after 1
check "... but not the line without its end" lacks "$T/g.out" partial 3
grep '^==' "$T/g.err" | grep -v 'ioctl 0x540c\|spurious value\|README_MISSING' | head -10 | sed 's/^/#   /'
