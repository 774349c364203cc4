#!/bin/bash
# A record the server refuses (400) though it passed our own checks: the
# batch is bisected until the record is alone, it becomes a dead letter (in
# the spool, or in --dead-letter FILE), one stderr line names it, and every
# other record is delivered.
. "$(dirname "$0")/lib.sh"
plx-upload() { timeout 30 "$BIN/plx-upload" "$@"; }
export PLEXUS_API_KEY=plx_test
# gen tags record N with i=N: the server refuses i=37, i=500 and i=1000.
start_server s --key plx_test --reject-tag i=37 --reject-tag i=500 --reject-tag i=1000

stat() { stats | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
fresh() { curl -s -X POST "$PLEXUS_GATEWAY_URL/_control/reset_stats" >/dev/null; : >"$T/s.store"; }
want=$(seq 999 | grep -vx -e 37 -e 500 | tr '\n' ' ')

# One bad record in a batch of 400.
fresh
gen 400 >"$T/gen.in"; plx-upload <"$T/gen.in" --batch-points 400 --dead-letter "$T/dead" 2>"$T/err"; rc=$?
eq "one bad record: exit 0" $rc 0
eq "one bad record: the other 399 delivered once" "$(values "$T/s.store" | cksum)|$(wc -l <"$T/s.store")" \
	"$(seq 400 | grep -vx 37 | cksum)|399"
eq "one bad record: in the dead-letter file" "$(values "$T/dead")" 37
check "one bad record: the dead letter is the record as sent" grep -qx '{"metric":"test.value","value":37,.*"tags":{"i":"37"}}' "$T/dead"
eq "one bad record: one stderr line" "$(wc -l <"$T/err")" 1
check "one bad record: names the line and the server's message" \
	grep -q "^plx-upload: line 37: refused by the server: 400 points\[0\] refused by --reject-tag i=37; appended to $T/dead" "$T/err"
n=$(stat requests)
check "bisection: at most 2 log2(400) + 1 requests ($n)" [ "$n" -le 19 ]
# When the first half goes through, the second is split without being sent:
# the last of 64 records costs 1 + log2(64) + 1 requests.
fresh
gen 64 937 >"$T/gen.in"; plx-upload <"$T/gen.in" --dead-letter "$T/dead64" 2>/dev/null
eq "bisection: last of 64 found in 8 requests" "$(stat requests) $(values "$T/dead64") $(wc -l <"$T/s.store")" "8 1000 63"

# Two bad records, three batches, no dead-letter file: said on stderr.
fresh
gen 999 >"$T/gen.in"; plx-upload <"$T/gen.in" --batch-points 400 2>"$T/err"; rc=$?
eq "two bad records: exit 0" $rc 0
eq "two bad records: the others delivered once" "$(values "$T/s.store" | cksum)|$(wc -l <"$T/s.store")" "$(echo "$want" | tr ' ' '\n' | grep . | cksum)|997"
eq "two bad records: two stderr lines" "$(wc -l <"$T/err")" 2
check "no store: the record itself is on stderr" grep -q 'line 500: .*dropped, no dead-letter store: {"metric":"test.value","value":500,' "$T/err"

# A batch of one bad record alone.
fresh
gen 1 1000 >"$T/gen.in"; plx-upload <"$T/gen.in" --dead-letter "$T/dead1" 2>"$T/err"
eq "a lone bad record: one request, a dead letter" "$(stat requests) $(values "$T/dead1")" "1 1000"

# SIGHUP reopens the dead-letter file: moved away (log rotation), the file
# at its path takes the records refused after it.  The input is a fifo held
# open on fd 7.
fresh
rm -f "$T/h.in"; mkfifo "$T/h.in"
PLEXUS_QUIET= "$BIN/plx-upload" --batch-ms 0 --dead-letter "$T/hdead" <"$T/h.in" 2>"$T/h.err" & pid=$!
exec 7>"$T/h.in"
gen 1 37 >&7
check "before SIGHUP: the refused record in the dead-letter file" wait_for 20 test -s "$T/hdead"
mv "$T/hdead" "$T/hdead.1"
kill -HUP $pid
check "SIGHUP: said" wait_for 20 grep -q "SIGHUP: reading the API key again, reopening the dead-letter file" "$T/h.err"
gen 1 500 >&7
check "after SIGHUP: the next one in a new file at the path" wait_for 20 test -s "$T/hdead"
exec 7>&-
wait $pid
eq "after SIGHUP: exit 0, one dead letter in each file" "$?-$(values "$T/hdead.1")-$(values "$T/hdead")" "0-37-500"

# From a spool: the refused rows move to the spool's dead letters, the rest
# are acknowledged; requeued, they go again once the server takes them.
S=$T/spool.db
fresh
gen 999 | plx-buffer -a -d "$S"
plx-buffer -d "$S" </dev/null | plx-upload -d "$S" --batch-points 999 --dead-letter "$T/dead2" 2>"$T/err"; rc=$?
eq "spool: exit 0" $rc 0
eq "spool: the others delivered" "$(values "$T/s.store" | tr '\n' ' ')" "$want"
st=$(plx-buffer -d "$S" --status)
eq "spool: queue empty, 997 acknowledged, 2 dead" \
	"$(echo "$st" | awk '$1 == "depth" || $1 == "acked" || $1 == "dead" { printf "%s=%s ", $1, $2 }')" \
	"depth=0 acked=997 dead=2 "
check "spool: the dead-letter file is not used" [ ! -s "$T/dead2" ]
check "spool: stderr names line and seq" grep -q "line 37 (seq 37): refused by the server: 400 .*; kept as a dead letter in $S" "$T/err"
plx-buffer -d "$S" --dead >"$T/deadlist"
check "spool: plx-buffer --dead lists both" sh -c "grep -q '\"value\":37,' '$T/deadlist' && grep -q '\"value\":500,' '$T/deadlist'"
check "spool: with the server's message" grep -q "refused by --reject-tag i=500" "$T/deadlist"
plx-buffer -d "$S" --requeue-dead 2>/dev/null
kill "$PID_s"; wait "$PID_s" 2>/dev/null
start_server s2 --key plx_test
plx-buffer -d "$S" </dev/null | plx-upload -d "$S" 2>"$T/err"
eq "requeued dead letters delivered when the server takes them" "$(values "$T/s2.store" | tr '\n' ' ')" "37 500 "
eq "spool: empty at last" "$(plx-buffer -d "$S" --status | awk '$1 == "depth" || $1 == "dead" { printf "%s ", $2 }')" "0 0 "
