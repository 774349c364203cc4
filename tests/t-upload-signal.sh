#!/bin/bash
# SIGTERM/SIGINT: stop reading, give what was read one more try without
# waiting, exit 0; a second signal abandons the request in flight.  Nothing
# that was not confirmed is acknowledged.
. "$(dirname "$0")/lib.sh"
export PLEXUS_API_KEY=plx_test
UP=$BIN/plx-upload
start_server s --key plx_test

counter() { plx-buffer -d "$S" --status | awk -v k="$1" '$1 == k { print $2 }'; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
hung() { stats | grep -q '"hang": *1[,}]'; }
# drained FIFO: nothing is left in the pipe (its reader took it all)
drained() {
	$PY -c 'import fcntl, os, struct, sys, termios
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
sys.exit(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"0000"))[0] != 0)' "$1"
}
# stop PID SIGNAL...: sends each signal 0.3 s apart; sets rc and took (ms)
stop() {
	p=$1; shift
	t0=$(ms)
	for s in "$@"; do kill -"$s" "$p"; sleep 0.3; done
	wait "$p"; rc=$?
	took=$(( $(ms) - t0 ))
}

# Input still open, a batch half full: it is sent at once, then exit 0.
mkfifo "$T/in"
"$UP" -t 60000 <"$T/in" 2>"$T/err" &
pid=$!
exec 3>"$T/in"
gen 5 >&3
check "idle: the records read" wait_for 20 drained "$T/in"
sleep 0.5    # time to send them, were it not to wait
eq "idle: nothing sent before the batch is due" "$(grep -c . "$T/s.store")" 0
stop $pid TERM
exec 3>&-
eq "SIGTERM, input open: exit 0" $rc 0
check "SIGTERM, input open: quick ($took ms)" [ "$took" -lt 1500 ]
eq "SIGTERM, input open: the batch in hand delivered" "$(values "$T/s.store" | wc -l)" 5

# In a backoff after 503s: exit at once, nothing acknowledged.
S=$T/b.db
gen 100 | plx-buffer -a -d "$S"
faults '[{"status":503},{"status":503},{"status":503},{"status":503},{"status":503}]'
plx-buffer -d "$S" </dev/null | PLEXUS_QUIET= "$UP" -d "$S" --backoff 20000 2>"$T/b.err" &
pid=$!
check "in a backoff after a 503" wait_for 20 grep -q '503 gateway degraded: retry 1 in' "$T/b.err"
stop $pid INT
eq "SIGINT during a backoff: exit 0" $rc 0
check "SIGINT during a backoff: at once ($took ms)" [ "$took" -lt 1500 ]
eq "SIGINT during a backoff: nothing acknowledged" "$(counter acked)-$(counter depth)" "0-100"
curl -s -X DELETE "$PLEXUS_GATEWAY_URL/_control/faults" >/dev/null

# A request in flight that never gets an answer: the first SIGTERM lets it
# run (up to --timeout), the second abandons it.  Not acknowledged.
S=$T/h.db
gen 100 | plx-buffer -a -d "$S"
faults '[{"hang":true}]'
plx-buffer -d "$S" </dev/null | "$UP" -d "$S" --timeout 20000 2>/dev/null &
pid=$!
check "a request hangs" wait_for 20 hung
kill -TERM $pid
sleep 1    # time to exit, were it not to wait for the answer
check "hung request, one SIGTERM: still waiting for the answer" kill -0 $pid
stop $pid TERM
eq "hung request, second SIGTERM: exit 0" $rc 0
check "hung request, second SIGTERM: at once ($took ms)" [ "$took" -lt 1500 ]
eq "hung request: nothing acknowledged" "$(counter acked)-$(counter depth)" "0-100"
# The server did keep them: replaying gives duplicates of that batch, no loss.
plx-buffer -d "$S" </dev/null | "$UP" -d "$S" 2>/dev/null
eq "replayed after the stop: spool empty" "$(counter depth)" 0

# One SIGTERM during a request that never gets an answer: it is not lost,
# and the run ends when the request's own --timeout does, no later.  Not
# acknowledged.
S=$T/h2.db
gen 100 | plx-buffer -a -d "$S"
curl -s -X POST "$PLEXUS_GATEWAY_URL/_control/reset_stats" >/dev/null
faults '[{"hang":true}]'
plx-buffer -d "$S" </dev/null | "$UP" -d "$S" --timeout 2s 2>/dev/null &
pid=$!
check "a request hangs (--timeout 2s)" wait_for 20 hung
stop $pid TERM
eq "hung request, one SIGTERM: exit 0" $rc 0
check "hung request, one SIGTERM: over with the request's time-out ($took ms)" [ "$took" -lt 3500 ]
eq "hung request, one SIGTERM: nothing acknowledged" "$(counter acked)-$(counter depth)" "0-100"
