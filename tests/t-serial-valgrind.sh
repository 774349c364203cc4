#!/bin/bash
# serial-read under valgrind: every golden input, and a pty whose device
# disappears and returns, with noise and a SIGTERM; its --control socket
# with serial-write (under valgrind too): lines, junk, a client that
# leaves, a line waiting for an unplugged port, one at SIGTERM: no invalid
# access, no leak.  ASan binaries cannot run under valgrind: a plain build is made here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-serial.sh"
valgrind_build bin/serial-read bin/serial-write
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

# --control: serial-read and serial-write under valgrind
pty_up c
cat "$T/c.host" > "$T/c.got" 2>/dev/null & _pids="$_pids $!"
timeout --foreground -k 5 60 $VG $B -F kv --status-interval 1 --backoff-max 200 --control "$T/c.sock" \
	"$T/c.dev" >"$T/c.out" 2>"$T/c.err" &
vp=$!; _pids="$_pids $vp"
wait_for 10 test -S "$T/c.sock"
timeout 60 $VG "$VGBIN/serial-write" "$T/c.sock" one two 2>"$T/cw.err"
eq "serial-write under valgrind: lines written, exit 0, no error" "$?" 0
send() { $PY -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode().decode('unicode_escape').encode('latin-1'))
if sys.argv[3] == 'answer': s.recv(4096)" "$T/c.sock" "$@"; }
send "junk\nwrite 10 a\x00b\n$(printf 'z%.0s' $(seq 1 5000))" answer
pty_down c
send "write 5000 left\n" leave     # a client that leaves its waiting line
timeout 60 $VG "$VGBIN/serial-write" -t 300ms "$T/c.sock" away 2>>"$T/cw.err"
eq "... a line for an unplugged port: exit 75, no error" "$?" 75
wait_for 10 sh -c "! ss -xH state connected | grep -q '$T/c.sock'"
timeout 60 $VG "$VGBIN/serial-write" -t 30s "$T/c.sock" at-stop 2>>"$T/cw.err" & cw=$!
# its line waits once it is connected (valgrind takes a while to start)
wait_for 20 sh -c "ss -xH state connected | grep -q '$T/c.sock'"
sleep 0.2
kill -TERM $vp; wait $vp; rc=$?
eq "serial-read --control, junk, a client gone, unplugged, SIGTERM under valgrind: exit 0, no error" "$rc" 0
wait $cw
eq "... the line waiting at SIGTERM: exit 75, no error" "$?" 75
check "the lines reached the device" sh -c "printf 'one\\ntwo\\n' | cmp -s - '$T/c.got'"
grep '^==' "$T/c.err" "$T/cw.err" | grep -v 'ioctl 0x540c\|spurious value\|README_MISSING' | head -10 | sed 's/^/#   /'
