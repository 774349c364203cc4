#!/bin/bash
# serial-write through serial-read's --control socket, on pty pairs: lines
# reach the device whole and in order while serial-read goes on reading and
# emitting records; two clients at once never mix within a line; a write
# waits for an unplugged port and goes through when it is back, or times
# out; refused and malformed requests are answered, said, counted, and
# change nothing; the socket's permissions, a stale socket, one socket a
# port; the line end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-serial.sh"

# device NAME: what serial-read writes to $T/NAME.dev, collected in $T/NAME.got
device() { cat "$T/$1.host" >> "$T/$1.got" 2>/dev/null & _pids="$_pids $!"; }
got_lines() { tr -d '\r' < "$T/$1.got" | grep -c .; }
# req SOCKET BYTES...: raw requests (printf format) on one connection, the answers on stdout
req() {
	$PY - "$@" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
data = sys.argv[2].encode().decode('unicode_escape').encode('latin-1')
s.sendall(data)
want, got = data.count(b'\n'), b''
s.settimeout(10)
while got.count(b'\n') < want:
    b = s.recv(4096)
    if not b:
        break
    got += b
sys.stdout.write(got.decode())
EOF
}

S=$T/w.sock
pty_up w
device w
reader w -F kv --status-interval 1 --control "$S"
check "the socket is made" test -S "$S"
eq "the socket is 0600 by default" "$(stat -c %a "$S")" 600

# --- lines in order while the device keeps printing ---------------------
( for i in $(seq 1 200); do printf 'n=%d\n' "$i"; sleep 0.005; done > "$T/w.host" ) &
feeder=$!
lines=()
for i in $(seq 1 100); do lines+=("line $i $(printf '%0300d' "$i")"); done
serial-write "$S" "${lines[@]}"
eq "serial-write: 100 lines written, exit 0" $? 0
wait $feeder
printf '%s\n' "${lines[@]}" > "$T/want1"
wait_for 5 sh -c "[ \$(grep -c . '$T/w.got') -ge 100 ]"
check "the device got the 100 lines whole, in order, each ended by LF" cmp -s "$T/want1" "$T/w.got"
wait_for 5 has "$T/w.out" n 200
check "serial-read read the device meanwhile: all 200 of its lines are records" \
	sh -c "[ \$(grep -c '\"metric\":\"n\"' '$T/w.out') -eq 200 ]"
wait_for 3 has "$T/w.out" gateway.serial.lines_written 100
check "status: gateway.serial.lines_written 100" has "$T/w.out" gateway.serial.lines_written 100

# --- a device that does not read: writes wait, reading does not -----------
# 40 lines of 4000 bytes are more than a pty holds: serial-read's writes
# meet EAGAIN until the device reads, and it reads its records meanwhile.
mkdir "$T/dev"
$PY "$TOP/tests/serial-device.py" "$T/slow.dev" "$T/dev" 300 & _pids="$_pids $!"
wait_for 5 test -e "$T/slow.dev"
reader slow -F kv --status-interval 0 --control "$T/slow.sock"
big=()
for i in $(seq 1 40); do big+=("big $i $(printf '%03995d' "$i")"); done
serial-write -t 60s "$T/slow.sock" "${big[@]}" & cbig=$!
touch "$T/dev/go"
wait_for 20 test -e "$T/dev/fed"
wait_for 5 has "$T/slow.out" n 300
check "the device does not read: serial-read still reads all its 300 lines" \
	sh -c "[ \$(grep -c '\"metric\":\"n\"' '$T/slow.out') -eq 300 ]"
kill -0 $cbig 2>/dev/null; eq "... while serial-write waits for the port to take its lines" $? 0
touch "$T/dev/drain"
wait $cbig
eq "the device reads: serial-write exits 0" $? 0
wait_for 10 sh -c "[ \$(wc -c < '$T/dev/got') -ge 160000 ]"
printf '%s\n' "${big[@]}" > "$T/wantbig"
check "... and the device got the 40 lines whole, in order" cmp -s "$T/wantbig" "$T/dev/got"
stop "$READER_slow"

# --- two clients at once --------------------------------------------------
# both start while the port is away, so that their lines are sure to meet
# in serial-read's queue
pty_down w
a=() b=()
for i in $(seq 1 150); do a+=("A $i $(printf 'a%.0s' $(seq 1 $((i * 7 % 900 + 1))))"); \
	b+=("B $i $(printf 'b%.0s' $(seq 1 $((i * 11 % 900 + 1))))"); done
serial-write "$S" "${a[@]}" & ca=$!
serial-write "$S" "${b[@]}" & cb=$!
sleep 0.5
pty_up w
: > "$T/w.got"
device w
wait $ca; ra=$?
wait $cb; rb=$?
eq "two clients at once: both exit 0" "$ra $rb" "0 0"
wait_for 5 sh -c "[ \$(grep -c . '$T/w.got') -ge 300 ]"
printf '%s\n' "${a[@]}" > "$T/wantA"
printf '%s\n' "${b[@]}" > "$T/wantB"
check "every line arrived whole: client A's, in its order" sh -c "grep '^A ' '$T/w.got' | cmp -s - '$T/wantA'"
check "... and client B's, in its order" sh -c "grep '^B ' '$T/w.got' | cmp -s - '$T/wantB'"
eq "... and nothing else" "$(grep -cv '^[AB] [0-9]* [ab]*$' "$T/w.got")" 0
check "the two were interleaved line by line (they wrote at once)" \
	sh -c "cut -c1 '$T/w.got' | uniq | wc -l | awk '{ exit !(\$1 > 2) }'"

# --- more clients than serial-read takes at once -----------------------------
$PY -c "
import socket, sys, time
c = []
for i in range(16):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); c.append(s)
open(sys.argv[2], 'w').close()
time.sleep(3)" "$S" "$T/held" & holder=$!
wait_for 5 test -e "$T/held"
serial-write "$S" x 2>"$T/busy.err"
eq "a 17th client at once: exit 75" $? 75
check "... busy" grep -q 'line 1: busy: too many clients at once' "$T/busy.err"
wait $holder
serial-write "$S" "after busy"
eq "once they are gone, serial-write goes through" $? 0

# --- refused and malformed requests ----------------------------------------
wait_for 3 grep -qx 'after busy' "$T/w.got"
: > "$T/w.got"
serial-write "$S" ok1 $'bad\rline' ok2 2>"$T/refused.err"
eq "a line with a CR: exit 65" $? 65
check "... said, naming the line" grep -q 'line 2: holds a carriage return' "$T/refused.err"
serial-write "$S" $'a\nb' 2>/dev/null
eq "a line with an LF: exit 65" $? 65
serial-write "$S" "$(printf 'x%.0s' $(seq 1 4097))" 2>/dev/null
eq "a line over 4096 bytes: exit 65" $? 65
out=$(req "$S" 'write 100 a\x00b\nhello\nwrite 99999999 x\nwrite 100\nwrite 100 fine\n')
eq "raw requests: a NUL refused, junk malformed, a good one after them on the same connection" \
	"$(printf '%s\n' "$out" | cut -d' ' -f1-2 | tr '\n' '|')" "err refused|err malformed|err malformed|err malformed|ok|"
wait_for 3 grep -qx fine "$T/w.got"
eq "only the good line reached the device" "$(cat "$T/w.got")" "fine"
check "a malformed request is said on stderr" grep -q 'control .*: malformed request: not "write TIMEOUT_MS TEXT"' "$T/w.err"
req "$S" "$(for i in $(seq 1 100); do printf 'junk %d\\n' "$i"; done)" > "$T/junk.ans"
eq "100 junk requests: 100 answers" "$(grep -c '^err malformed' "$T/junk.ans")" 100
wait_for 3 grep -q 'more bad control requests not shown' "$T/w.err"
check "... said at most 5 a second, the rest counted" \
	sh -c "[ \$(grep -c 'junk' '$T/w.err') -le 10 ] && grep -q 'more bad control requests not shown' '$T/w.err'"
long=$(req "$S" "$(printf 'y%.0s' $(seq 1 4200))\\n")
check "a request over the limit: malformed, and the connection closed" \
	sh -c "printf '%s' '$long' | grep -q '^err malformed longer than'"
$PY -c "
import socket, sys
for i in range(5):   # each leaves at once, its answers unread
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.sendall(b'junk\\n' * 50 + b'write 10 a\\x00b\\n' * 50); s.close()" "$S"
sleep 0.3
kill -0 "$READER_w"; eq "clients that send junk and leave at once: serial-read runs on" $? 0
printf 'after=1\n' > "$T/w.host"
wait_for 3 has "$T/w.out" after 1
check "reading goes on after all that" has "$T/w.out" after 1
# 4 raw, 100 junk, 1 too long, and what serial-read read of the clients
# that left before it answered
malformed() { sed -n 's/.*"gateway.serial.control_malformed","value":\([0-9]*\),.*/\1/p' "$T/w.out" | tail -1; }
counted() { [ "$(malformed)" -ge 105 ] 2>/dev/null; }
wait_for 3 counted
check "status: gateway.serial.control_malformed counts them ($(malformed))" test "$(malformed)" -ge 105

# --- unplugged while a write waits, replugged ------------------------------
pty_down w
sleep 0.3
serial-write -t 10s "$S" "while away" 2>"$T/away.err" & cw=$!
sleep 0.8
kill -0 $cw 2>/dev/null; eq "a write while the port is unplugged waits" $? 0
$PY -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'write 10000 left behind\\n'); s.close()" "$S"
sleep 0.3
pty_up w
: > "$T/w.got"
device w
wait $cw
eq "the port is back: the waiting line is written, exit 0" $? 0
wait_for 3 grep -qx 'while away' "$T/w.got"
check "... and the device got it" grep -qx 'while away' "$T/w.got"
serial-write "$S" "next"
wait_for 3 grep -qx next "$T/w.got"
eq "a line whose client left while it waited is not written" "$(cat "$T/w.got")" "while away
next"
printf 'back=1\n' > "$T/w.host"
wait_for 3 has "$T/w.out" back 1
check "reading resumed after the replug" has "$T/w.out" back 1

pty_down w
serial-write -t 700ms "$S" "never" 2>"$T/timeout.err"
eq "the port does not come back: exit 75 after the timeout" $? 75
check "... said clearly" grep -q 'line 1: timeout: the port .* was not there in time' "$T/timeout.err"
wait_for 3 sh -c "grep -q '\"gateway.serial.writes_failed\",\"value\":1,' '$T/w.out'"
check "status: gateway.serial.writes_failed 1" grep -q '"gateway.serial.writes_failed","value":1,' "$T/w.out"
serial-write -t 20s "$S" "at stop" 2>"$T/stop.err" & cs=$!
sleep 0.5
stop "$READER_w"
eq "serial-read stops (SIGTERM) with a line waiting: exit 0" "$RC" 0
wait $cs
eq "... the waiting client is told: exit 75" $? 75
check "... stopped" grep -q 'stopped' "$T/stop.err"
check "the socket is removed at exit" test ! -e "$S"
serial-write "$S" x 2>"$T/none.err"
eq "nobody on the socket: exit 69" $? 69

# --- a stale socket, a live one, a file ------------------------------------
pty_up w
: > "$T/w.got"
device w
reader w -F kv --status-interval 0 --control "$S" --control-mode 0660
eq "--control-mode 0660" "$(stat -c %a "$S")" 660
kill -9 "$(pgrep -P "$READER_w")"; wait "$READER_w" 2>/dev/null
check "killed: its socket is left behind" test -S "$S"
PLEXUS_QUIET=0 reader w -F kv --status-interval 0 --control "$S"
check "a new serial-read removes the stale socket, says so" grep -q 'stale socket' "$T/w.err"
serial-write "$S" fresh
eq "... and answers on its own" $? 0
wait_for 3 grep -qx fresh "$T/w.got"
pty_up w2
timeout 10 serial-read --control "$S" "$T/w2.dev" >/dev/null 2>"$T/w2.err"
eq "a socket another serial-read answers on: exit 69" $? 69
echo data > "$T/plain"
timeout 10 serial-read --control "$T/plain" "$T/w2.dev" >/dev/null 2>&1
eq "a file that is no socket: exit 73, left alone" "$?:$(cat "$T/plain")" "73:data"
timeout 10 serial-read --control "$T/x.sock" -r /dev/null >/dev/null 2>&1
eq "--control with -r: usage error" $? 64
stop "$READER_w"

# --- one socket a port; line ends ----------------------------------------------
: > "$T/w.got"
device w2
reader w --status-interval 0 --control "$T/a.sock" --delimiter crlf
reader w2 --status-interval 0 --control "$T/b.sock" --eol cr
serial-write "$T/a.sock" to-a && serial-write "$T/b.sock" to-b
wait_for 3 grep -q to-a "$T/w.got"
wait_for 3 grep -q to-b "$T/w2.got"
eq "two ports, a socket each: each line to its port; --delimiter crlf ends it CRLF" \
	"$(od -An -c "$T/w.got" | tr -s ' ')" " t o - a \r \n"
eq "--eol cr ends it CR" "$(od -An -c "$T/w2.got" | tr -s ' ')" " t o - b \r"
# the example command executable (deploy/examples/commands/send_mcu), its
# socket here
sed "s|/run/plexus/serial-read/arduino.sock|$T/a.sock|" "$TOP/deploy/examples/commands/send_mcu" > "$T/send_mcu"
: > "$T/w.got"
eq "examples/commands/send_mcu: its result" "$(PLX_PARAM_LED=on sh "$T/send_mcu")" '{"sent":"LED 1"}'
wait_for 3 grep -q 'LED 1' "$T/w.got"
eq "... and the device got the line" "$(tr -d '\r' < "$T/w.got")" "LED 1"
if [ "$(id -u)" = 0 ] && getent group daemon >/dev/null; then
	stop "$READER_w"
	reader w --status-interval 0 --control "$S" --control-group daemon --control-mode 660
	eq "--control-group daemon" "$(stat -c %G:%a "$S")" daemon:660
	chmod 711 "$T"   # the way in is open: the socket's mode alone keeps nobody out
	su -s /bin/sh nobody -c "serial-write '$S' x" 2>"$T/perm.err"
	eq "a user the mode keeps out: exit 77" "$?" 77
fi
