#!/bin/bash
# Every fault the server can inject, one at a time: plx-upload retries what
# can be retried (honouring Retry-After), splits on 413, reports what the
# server dropped, and in the end every record is stored.
. "$(dirname "$0")/lib.sh"
plx-upload() { timeout 30 "$BIN/plx-upload" "$@"; }
export PLEXUS_API_KEY=plx_test
start_server s --key plx_test

stat() { stats | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
fresh() { curl -s -X POST "$PLEXUS_GATEWAY_URL/_control/reset_stats" >/dev/null; : >"$T/s.store"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
all1000=$(seq 1000 | tr '\n' ' ')
# up [ARGS]: 1000 records in two batches of 500, quick retries.
up() { gen 1000 >"$T/gen.in"; plx-upload <"$T/gen.in" --batch-points 500 --backoff 10 --backoff-max 100 --timeout 1000 "$@" 2>"$T/err"; }

for f in '{"status":500}' '{"status":502}' '{"status":503}' '{"status":408}' '{"status":429}' \
         '{"status":302}' '{"reset":true}'; do
	fresh
	faults "[$f]"
	up; rc=$?
	eq "$f: exit 0" $rc 0
	eq "$f: retried once (3 requests)" "$(stat requests)" 3
	eq "$f: every record stored once" "$(values "$T/s.store" | tr '\n' ' ')|$(wc -l <"$T/s.store")" "$all1000|1000"
done

fresh
faults '[{"status":503},{"status":503},{"status":503},{"reset":true},{"status":500}]'
up; rc=$?
eq "five failures in a row: exit 0" $rc 0
eq "five failures in a row: 7 requests" "$(stat requests)" 7
eq "five failures in a row: all stored once" "$(values "$T/s.store" | tr '\n' ' ')|$(wc -l <"$T/s.store")" "$all1000|1000"

# Slow answers are only slow.
fresh
faults '[{"delay":0.5},{"ok":true}]'
up; rc=$?
eq "delay: exit 0, no retry" "$rc $(stat requests)" "0 2"
eq "delay: all stored once" "$(values "$T/s.store" | tr '\n' ' ')|$(wc -l <"$T/s.store")" "$all1000|1000"

# Accepted but never answered: the request times out and is sent again, so
# the batch in flight is stored twice — and nothing else.
fresh
faults '[{"hang":true}]'
t0=$(ms); up --timeout 500; rc=$?; t=$(( $(ms) - t0 ))
eq "hang: exit 0" $rc 0
check "hang: gave up after --timeout 500 ($t ms)" [ "$t" -ge 500 -a "$t" -lt 5000 ]
eq "hang: every record stored" "$(values "$T/s.store" | tr '\n' ' ')" "$all1000"
eq "hang: duplicates only the batch in flight" "$(wc -l <"$T/s.store")" 1500

# Retry-After is honoured even when the backoff would be much shorter.
fresh
faults '[{"status":429,"retry_after":2}]'
t0=$(ms); up; rc=$?; t=$(( $(ms) - t0 ))
eq "429 Retry-After 2: exit 0" $rc 0
check "429 Retry-After 2: waited 2 s ($t ms)" [ "$t" -ge 2000 -a "$t" -lt 4000 ]
eq "429 Retry-After 2: all stored" "$(values "$T/s.store" | wc -l)" 1000
fresh
faults '[{"status":503,"retry_after":3,"retry_after_date":true}]'
t0=$(ms); up; rc=$?; t=$(( $(ms) - t0 ))
eq "503 Retry-After HTTP-date: exit 0" $rc 0
check "503 Retry-After HTTP-date +3 s: waited 2-3 s ($t ms)" [ "$t" -ge 1900 -a "$t" -lt 5000 ]
fresh
t0=$(ms); up; t=$(( $(ms) - t0 ))
check "no fault: quick ($t ms)" [ "$t" -lt 1500 ]

# 413: the batch goes in halves, and halves again.
fresh
faults '[{"status":413},{"status":413}]'
gen 500 >"$T/gen.in"; plx-upload <"$T/gen.in" --backoff 10 2>"$T/err"; rc=$?
eq "413 twice: exit 0" $rc 0
# 500 -> 413; its first 250 -> 413; 125 + 125; the other 250.
eq "413 twice: requests" "$(stat requests)" 5
eq "413 twice: largest request 250 points" "$(stat max_points_in_request)" 250
eq "413 twice: every record stored once" "$(values "$T/s.store" | tr '\n' ' ')|$(wc -l <"$T/s.store")" "$(seq 500 | tr '\n' ' ')|500"
fresh
faults '[{"status":413}]'
gen 1 >"$T/gen.in"; plx-upload <"$T/gen.in" --dead-letter "$T/dead" 2>"$T/err"
eq "413 on a single record: a dead letter" "$(wc -l <"$T/dead")" 1
check "413 on a single record: said so" grep -q "line 1: refused by the server: 413 .*appended to" "$T/err"

# What a 200 says about points it did not keep.
fresh
faults '[{"status":200,"dropped":7}]'
up; rc=$?
eq "dropped: exit 0, not resent" "$rc $(stat requests)" "0 2"
check "dropped: reported" grep -q "the server dropped 7 of the 500 points sent" "$T/err"
fresh
faults '[{"short_count":true}]'
up
check "short count: reported" grep -q "the server counted 499 of the 500 points sent" "$T/err"
PLEXUS_QUIET= up
check "summary line" grep -q "1000 records delivered in 2 requests, 0 retries, 0 dead letters, 0 lines rejected" "$T/err"
fresh
faults '[{"status":503}]'
PLEXUS_QUIET= up
check "retry reported unless quiet" grep -q "503 gateway degraded: retry 1 in" "$T/err"
check "summary counts the retry" grep -q "1000 records delivered in 3 requests, 1 retries" "$T/err"
check "the end of the outage said" grep -q "delivered again after 0 s (1 retries)" "$T/err"

# No server at all: retried until one appears.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
: >"$T/late.store"
gen 10 | PLEXUS_QUIET= plx-upload -u "http://127.0.0.1:$port" --backoff 50 --backoff-max 200 2>"$T/err" &
up_pid=$!
check "server down: plx-upload retries" wait_for 20 grep -q "no answer: .*retry 2 in" "$T/err"
$PY "$TOP/tests/plexus-server.py" --quiet --port "$port" --store "$T/late.store" --key plx_test 2>/dev/null &
_pids="$_pids $!"
wait $up_pid
eq "server down, then up: exit 0" $? 0
eq "server down, then up: all stored" "$(values "$T/late.store" | wc -l)" 10
check "server down, then up: the end of the outage said with its length" \
	grep -Eq "delivered again after [0-9]+ s \([0-9]+ retries\)" "$T/err"

# Failures among requests in flight together (--in-flight 4): from a spool,
# every record stored once and acknowledged, the failed batches after the others.
S=$T/w.db
fresh
gen 4000 | plx-buffer -a -d "$S"
faults '[{"delay":0.3,"status":503},{"delay":0.3},{"reset":true},{"delay":0.3},{"status":500},{"status":413}]'
plx-buffer -d "$S" </dev/null | plx-upload -d "$S" --batch-points 500 --backoff 10 --backoff-max 50 2>"$T/err"
eq "window, failures: exit 0" $? 0
eq "window, failures: every record stored once" "$(values "$T/s.store" | tr '\n' ' ')|$(wc -l <"$T/s.store")" "$(seq 4000 | tr '\n' ' ')|4000"
eq "window, failures: the spool empty, all acknowledged" \
	"$(plx-buffer -d "$S" --status | awk '$1 == "depth" || $1 == "acked" { printf "%s=%s ", $1, $2 }')" "depth=0 acked=4000 "
check "window, failures: several in flight ($(stat max_in_flight))" [ "$(stat max_in_flight)" -ge 2 ]
