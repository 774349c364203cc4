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
sleep 0.5
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
plx-buffer -d "$S" </dev/null | "$UP" -d "$S" --backoff 20000 2>/dev/null &
pid=$!
sleep 0.5
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
sleep 0.5
kill -TERM $pid
sleep 0.5
check "hung request, one SIGTERM: still waiting for the answer" kill -0 $pid
stop $pid TERM
eq "hung request, second SIGTERM: exit 0" $rc 0
check "hung request, second SIGTERM: at once ($took ms)" [ "$took" -lt 1500 ]
eq "hung request: nothing acknowledged" "$(counter acked)-$(counter depth)" "0-100"
# The server did keep them: replaying gives duplicates of that batch, no loss.
plx-buffer -d "$S" </dev/null | "$UP" -d "$S" 2>/dev/null
eq "replayed after the stop: spool empty" "$(counter depth)" 0
