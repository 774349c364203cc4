#!/bin/bash
# serial-read and lines that never got their end (issue 13), on a pty with
# the default options: a pause mid-line then the rest of the line (a sketch
# printing one line in pieces around slow sensor reads), a pause mid-line
# then a new line (a device that restarted mid-line), devices ending lines
# with CR only, CRLF or LF, a device unplugged mid-line, the port reopened
# (SIGHUP) or the reader stopped mid-line; and --flush-ms, for a device
# that never ends its last line.  Nothing the device did not send whole
# becomes a reading; what is dropped is counted
# (gateway.serial.fragments_dropped) and said.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-serial.sh"

events() { grep -c '"class":"event"' "$T/$1.out"; }

pty_up f
reader f -F kv --status-interval 3600
exec 3>"$T/f.host"

# a pause mid-line (longer than the 500 ms after which a piece used to be
# taken for a line), then the rest: one line, read whole
printf 'seq=61 temp=22.60 hum=4' >&3
sleep 1.2
printf '0.5\n' >&3
wait_for 5 has "$T/f.out" hum 40.5
check "a pause mid-line, then the rest: the line is read whole" has "$T/f.out" hum 40.5
check "... the piece before the pause is no reading (hum=4)" lacks "$T/f.out" hum 4
eq "... one record of seq=61" "$(grep -c '"metric":"seq","value":61,' "$T/f.out")" 1

# Serial.print("t="); read(); Serial.print(v); ...; Serial.println(h)
printf 't=' >&3; sleep 0.8; printf '21.5' >&3; sleep 0.8; printf ' h=' >&3; sleep 0.7; printf '40.2\r\n' >&3
wait_for 5 has "$T/f.out" h 40.2
check "one line printed in pieces around slow reads: every reading" has "$T/f.out" t 21.5
eq "... no line refused" "$(wc -c < "$T/f.err")" 0

# a pause mid-line, then a new line: a device that restarted while printing
# "hum=55.0"; long and short pauses.  The two run into one line, which is
# refused whole: no junk string hum="5seq=21", no reading from the piece.
for pause in 1.2 0.2; do
	printf 'seq=20 temp=22.75 hum=5' >&3
	sleep $pause
	printf 'seq=21 temp=22.80 hum=40.5\nmark=%s\n' $pause >&3
	wait_for 5 has "$T/f.out" mark $pause
	eq "a pause of $pause s, then a new line: no string record" "$(events f)" 0
	check "... no reading from the line without its end (seq=20, temp=22.75)" \
		sh -c "! grep -q '\"value\":20,\|\"value\":22.75,' '$T/f.out'"
	check "... the line the two ran into is refused whole (seq=21)" lacks "$T/f.out" seq 21
done
check "... and said, naming the cause" \
	grep -q "f.dev:[0-9]*: kv: hum: \"5seq=21\" holds '=': a value runs into the next key (two lines run together?) (a pause of [0-9][0-9][0-9][0-9] ms before byte 24)" "$T/f.err"

# devices ending lines with CR only, CRLF or LF: each line read, and a line
# ended by a CR is out at once (no LF needed after it)
printf 'x=1\ry=2\rz=3\r' >&3
wait_for 5 has "$T/f.out" z 3
check "CR only: every line read" sh -c "grep -q '\"metric\":\"x\",\"value\":1,' '$T/f.out' && grep -q '\"metric\":\"y\",\"value\":2,' '$T/f.out'"
eq "... no string record (x=\"1\\ry=2...\")" "$(events f)" 0
printf 'u=1\r\nv=2\n' >&3
wait_for 5 has "$T/f.out" v 2
check "CRLF and LF on the same port" has "$T/f.out" u 1
eq "only the two lines run together were refused" \
	"$(grep -c 'f.dev:' "$T/f.err")" 2

# unplugged mid-line: the piece is dropped, counted, said; what the device
# sends once back starts a new line
printf 'plug=1\ncut=2' >&3
wait_for 5 has "$T/f.out" plug 1
exec 3>&-
pty_down f
wait_for 5 grep -q 'device gone' "$T/f.err"
check "unplugged mid-line: the piece is said dropped" \
	grep -q 'f.dev:[0-9]*: 5 bytes of a line without its end dropped (the device went away)' "$T/f.err"
pty_up f
wait_for 5 grep -q 'open again' "$T/f.err"
printf 'back=3\n' > "$T/f.host"
wait_for 5 has "$T/f.out" back 3
check "... the device is read again" has "$T/f.out" back 3
check "... and the piece is no reading (cut=2)" lacks "$T/f.out" cut 2

# SIGHUP mid-line: the port is reopened, the piece dropped
printf 'hup=1\nhalf=2' > "$T/f.host"
wait_for 5 has "$T/f.out" hup 1
kill -HUP "$READER_f"
wait_for 5 grep -q 'dropped (the port was reopened)' "$T/f.err"
check "SIGHUP mid-line: the piece is said dropped" \
	grep -q 'f.dev:[0-9]*: 6 bytes of a line without its end dropped (the port was reopened)' "$T/f.err"

# stopped mid-line: the piece is dropped, counted, said
printf 'end=1\nlost=2' > "$T/f.host"
wait_for 5 has "$T/f.out" end 1
stop "$READER_f"
eq "stopped mid-line: exit 0" "$RC" 0
check "... the piece is said dropped" \
	grep -q 'f.dev:[0-9]*: 6 bytes of a line without its end dropped (stopped)' "$T/f.err"
check "... and is no reading (lost=2)" lacks "$T/f.out" lost 2
check "... not decoded (half=2)" lacks "$T/f.out" half 2
check "status: 3 fragments dropped" has "$T/f.out" gateway.serial.fragments_dropped 3
check "every record is valid" sh -c "plx-buffer -d '$T/v.db' -a < '$T/f.out' 2>&1 | grep -c . | grep -qx 0"

# --flush-ms: a device that never ends its last line opts in to a pause
# ending it
reader f -F kv --status-interval 3600 --flush-ms 300
printf 'last=9' > "$T/f.host"
wait_for 5 has "$T/f.out" last 9
check "--flush-ms: a line without its end is read after that much quiet" has "$T/f.out" last 9
stop "$READER_f"
check "... and is not counted as dropped" has "$T/f.out" gateway.serial.fragments_dropped 0
