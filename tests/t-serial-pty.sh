#!/bin/bash
# serial-read on a pseudo-terminal: each format, line noise, NUL bytes,
# invalid UTF-8, overlong lines, a line without newline (flushed by
# --flush-ms, dropped at SIGTERM), timestamps taken when a line completes,
# exclusive access, a non-standard speed, SIGHUP, SIGTERM and the status
# records.  (Lines without their end: t-serial-fragments.sh.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-serial.sh"

# every format on one port, auto-detected
pty_up a
reader a -b 921600 --flush-ms 300 --status-interval 0
exec 3>"$T/a.host"
printf '%s\n' '{"env":{"t":21.5},"up":true}' 't=22.5 h:40' 'x,y' '1,2' \
	'$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47' >&3
wait_for 5 has "$T/a.out" gps.altitude 545.4
check "json over a pty" has "$T/a.out" env.t 21.5
check "kv over a pty" has "$T/a.out" h 40
check "csv over a pty" has "$T/a.out" y 2
check "nmea over a pty" has "$T/a.out" gps.lat 48.1173

# noise: random bytes, NUL bytes, invalid UTF-8, overlong lines; then data
head -c 20000 /dev/urandom >&3
sleep 1.1
printf '\nok=1\na=\0\0\001\nb=\377\376\nc=%s\nok=2\n' "$(head -c 6000 /dev/zero | tr '\0' x)" >&3
wait_for 5 has "$T/a.out" ok 2
check "after noise, data is read again" has "$T/a.out" ok 1
check "NUL bytes reported" grep -q 'a.dev:[0-9]*: NUL byte at byte 3' "$T/a.err"
check "invalid UTF-8 reported" grep -q 'a.dev:[0-9]*: invalid UTF-8 at byte 3' "$T/a.err"
check "overlong line reported" grep -q 'a.dev:[0-9]*: longer than 4096 bytes, dropped' "$T/a.err"
check "too many bad lines in a second: the rest counted, not reported" \
	grep -q 'serial-read: [0-9]* more bad lines not shown' "$T/a.err"
check "every record on stdout is valid" sh -c "plx-buffer -d '$T/v.db' -a < '$T/a.out' 2>&1 | grep -c . | grep -qx 0"

# a last line without newline is flushed after --flush-ms
printf 'tail=7' >&3
wait_for 3 has "$T/a.out" tail 7
check "a partial line is flushed by the timeout" has "$T/a.out" tail 7
kill -0 "$READER_a"; eq "the reader is still running" $? 0
stop "$READER_a"
eq "SIGTERM: exit 0" "$RC" 0
exec 3>&-

# timestamps: taken when the line is complete, not when it began
reader a --flush-ms 5000 --status-interval 0
exec 3>"$T/a.host"
printf 'slow=1' >&3
sleep 1
t0=$(date +%s%3N)
printf '\n' >&3
wait_for 3 has "$T/a.out" slow 1
ts=$(grep -o '"timestamp":[0-9]*' "$T/a.out" | head -1 | cut -d: -f2)
check "the timestamp is when the newline came ($((ts - t0)) ms)" [ $((ts - t0)) -ge -20 -a $((ts - t0)) -lt 1000 ]

# exclusive access: a second reader on the same port never gets its data
timeout 3 serial-read --status-interval 0 "$T/a.dev" >"$T/second.out" 2>"$T/second.err"
check "a second reader is refused the port" grep -q 'unable to open: in use by another process' "$T/second.err"
printf 'excl=1\n' >&3
wait_for 3 has "$T/a.out" excl 1
check "the first reader keeps reading" has "$T/a.out" excl 1
eq "the second reader printed nothing" "$(wc -c < "$T/second.out")" 0

# SIGHUP: the port is reopened, data goes on
kill -HUP "$READER_a"
sleep 0.3
printf 'hup=1\n' >&3
wait_for 3 has "$T/a.out" hup 1
check "after SIGHUP data goes on" has "$T/a.out" hup 1
printf 'part=3' >&3
sleep 0.2
stop "$READER_a"
eq "SIGTERM exits 0" "$RC" 0
check "SIGTERM: the line without its end is said dropped" grep -q 'a.dev:[0-9]*: 6 bytes of a line without its end dropped (stopped)' "$T/a.err"
check "... not decoded" lacks "$T/a.out" part 3
exec 3>&-

# a non-standard speed (termios2 BOTHER), 7E2 framing, flow control options
reader a -b 250000 --databits 7 --parity even --stopbits 2 --rtscts --xonxoff -F kv \
	--status-interval 1 -T site=lab
exec 3>"$T/a.host"
printf 'odd=1\nbad\n' >&3
sleep 1.3
stop "$READER_a"
exec 3>&-
check "250000 baud, 7E2, RTS/CTS, XON/XOFF: the port opens and reads" has "$T/a.out" odd 1
eq "no error about the port" "$(grep -c 'unable to open' "$T/a.err")" 0
check "status records carry the port tag" \
	grep -q "\"metric\":\"gateway.serial.lines_read\",\"value\":2,.*\"tags\":{\"site\":\"lab\",\"port\":\"$T/a.dev\"}" "$T/a.out"
check "status: lines_rejected counted" has "$T/a.out" gateway.serial.lines_rejected 1
check "status: reconnects 0" has "$T/a.out" gateway.serial.reconnects 0

# a port whose name is not UTF-8 (a symlink named in other bytes): the
# status records keep the -T tags; only the port tag is left out, said once
bad="$T/port-$(printf '\xff\xfe')"
ln -s "$T/a.dev" "$bad"
timeout --foreground -k 5 60 serial-read --status-interval 1 -T site=lab "$bad" >"$T/bad.out" 2>"$T/bad.err" &
pid=$!
_pids="$_pids $pid"
sleep 2.4
stop "$pid"
eq "a port named in bytes that are not UTF-8: exits 0" "$RC" 0
eq "... its status records all keep the -T tag" \
	"$(grep -c '"metric":"gateway.serial.lines_read",.*"tags":{"site":"lab"}}$' "$T/bad.out")" \
	"$(grep -c '"metric":"gateway.serial.lines_read"' "$T/bad.out")"
check "... and there are some" has "$T/bad.out" gateway.serial.lines_read 0
eq "... the port tag left out, said once" "$(grep -c 'tag port: value not valid UTF-8' "$T/bad.err")" 1

# a port the user may not open: the reason names the group to join, said
# once, and the reader goes on trying (root runs it as nobody)
if [ "$(id -u)" = 0 ] && getent group dialout >/dev/null; then
	dev=$(readlink -f "$T/a.dev")
	chgrp dialout "$dev" && chmod 660 "$dev"
	chmod 755 "$T"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		timeout --foreground -k 5 30 "$BIN/serial-read" --status-interval 0 "$T/a.dev" >/dev/null 2>"$T/perm.err" &
	pid=$!
	_pids="$_pids $pid"
	check "a port the user may not open: the group to join is named" \
		wait_for 10 grep -q 'Permission denied (the port belongs to group dialout: usermod -aG dialout nobody' "$T/perm.err"
	check "... and the reader goes on trying" kill -0 "$pid"
	# timeout hands the TERM on and waits for the reader: waited for here,
	# or it may still be exiting when the test ends (seen in CI: "left
	# processes behind")
	kill "$pid"
	wait "$pid" 2>/dev/null
else
	ok "# SKIP the permission hint needs root and a dialout group"
fi
