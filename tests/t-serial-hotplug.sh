#!/bin/bash
# serial-read when the device disappears and returns (the USB adapter is
# pulled and plugged in again): the pty pair is killed and made again under
# the same names, three times.  The reader says so once on stderr, waits,
# reopens, goes on reading, counts the reconnects, and never exits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-serial.sh"

pty_up h
reader h --backoff-max 300 --status-interval 1 -F kv
opens() { grep -c 'open again' "$T/h.err"; }
for round in 1 2 3; do
	printf 'round=%d\n' "$round" > "$T/h.host"
	wait_for 5 has "$T/h.out" round "$round"
	check "round $round: data read" has "$T/h.out" round "$round"
	pty_down h
	sleep 0.7
	kill -0 "$READER_h" 2>/dev/null; eq "round $round: the device is gone, the reader runs on" $? 0
	pty_up h
	wait_for 5 sh -c "[ \$(grep -c 'open again' '$T/h.err') -ge $round ]"
	eq "round $round: reopened" "$(opens)" "$round"
done
printf 'round=4\n' > "$T/h.host"
wait_for 5 has "$T/h.out" round 4
check "after three unplugs data resumes" has "$T/h.out" round 4
sleep 1.1
stop "$READER_h"
eq "SIGTERM: exit 0" "$RC" 0
eq "one 'device gone' line per unplug" "$(grep -c 'device gone' "$T/h.err")" 3
eq "one 'unable to open' line per outage, not one per attempt" "$(grep -c 'unable to open' "$T/h.err")" 3
check "status: 3 reconnects" has "$T/h.out" gateway.serial.reconnects 3
check "status records while the device was away" \
	sh -c "[ \$(grep -c gateway.serial.reconnects '$T/h.out') -ge 4 ]"
check "every record is valid" sh -c "plx-buffer -d '$T/v.db' -a < '$T/h.out' 2>&1 | grep -c . | grep -qx 0"

# a port that is not there at start: waited for, not an exit
timeout --foreground -k 5 60 serial-read --status-interval 0 --backoff-max 200 "$T/late.dev" >"$T/late.out" 2>"$T/late.err" &
lp=$!; _pids="$_pids $lp"
sleep 0.5
pty_up late
wait_for 5 grep -q 'open again' "$T/late.err"
printf 'late=1\n' > "$T/late.host"
wait_for 5 has "$T/late.out" late 1
check "a port that appears after start is opened" has "$T/late.out" late 1
stop $lp
eq "exit 0" "$RC" 0
