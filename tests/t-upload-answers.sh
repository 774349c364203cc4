#!/bin/bash
# What plx-upload believes of the server's answers (issue 20): only the
# ingest service's {"success":true,"count":N} acknowledges, a captive
# portal's 200 holds the records; a record that makes the server fail while
# it answers an empty request is found and dead-lettered; a 3xx names its
# Location; a Retry-After date is read against the server's own clock; its
# own health records carry no _plx_clk mark.
. "$(dirname "$0")/lib.sh"
plx-upload() { timeout 30 "$BIN/plx-upload" "$@"; }
export PLEXUS_API_KEY=plx_test
# gen tags record N with i=N: the server fails (500) on i=37.
start_server s --key plx_test --crash-tag i=37

stat() { stats | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
fresh() { curl -s -X DELETE "$PLEXUS_GATEWAY_URL/_control/faults" >/dev/null; curl -s -X POST "$PLEXUS_GATEWAY_URL/_control/reset_stats" >/dev/null; : >"$T/s.store"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
quick="--backoff 10 --backoff-max 50"

# A captive portal: 200 and a page.  Nothing is acknowledged to the spool.
S=$T/portal.db
fresh
gen 10 100 | plx-buffer -a -d "$S"
faults '[{"body":"<html><body>Please log in</body></html>"},{"body":"<html>again</html>"}]'
plx-buffer -d "$S" </dev/null | plx-upload -d "$S" $quick 2>"$T/err"; rc=$?
eq "captive portal: exit 0" $rc 0
eq "captive portal: every record stored once, after it" "$(values "$T/s.store" | tr '\n' ' ')|$(wc -l <"$T/s.store")" \
	"$(seq 100 109 | tr '\n' ' ')|10"
eq "captive portal: 3 requests (two held)" "$(stat requests)" 3
check "captive portal: said, with its page" \
	grep -q "200 answer not from the ingest service (a captive portal, a proxy?): <html><body>Please log in.*holding the 10 records" "$T/err"
eq "captive portal: the spool empty only after the real answer" \
	"$(plx-buffer -d "$S" --status | awk '$1 == "depth" || $1 == "acked" { printf "%s=%s ", $1, $2 }')" "depth=0 acked=10 "
# Shaped almost like it: success not true, count missing, junk after it.
for b in '{"success":false,"count":1}' '{"success":true}' '{"success":true,"count":1}x' '{"success":"true","count":1}'; do
	fresh
	faults "[{\"body\":$(printf %s "$b" | $PY -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}]"
	gen 3 >"$T/gen.in"; plx-upload <"$T/gen.in" $quick 2>/dev/null
	eq "not an acknowledgement: $b: retried, stored" "$(stat requests) $(wc -l <"$T/s.store")" "2 3"
done

# A 3xx is no verdict either: retried, and its Location said.
fresh
faults '[{"status":302,"location":"http://portal.example/login?x=1"}]'
gen 3 | PLEXUS_QUIET= plx-upload $quick 2>"$T/err"
check "302: names the Location" grep -q "302 redirect to http://portal.example/login?x=1, not followed: retry 1" "$T/err"
eq "302: stored after the retry" "$(wc -l <"$T/s.store")" 3

# A record that crashes the server: bisected to it, a dead letter; the rest delivered.
fresh
t0=$(ms)
gen 400 >"$T/gen.in"; timeout 20 "$BIN/plx-upload" <"$T/gen.in" --batch-points 400 $quick --dead-letter "$T/dead" 2>"$T/err"; rc=$?
eq "crash: exit 0" $rc 0
eq "crash: the other 399 delivered once" "$(values "$T/s.store" | cksum)|$(wc -l <"$T/s.store")" \
	"$(seq 400 | grep -vx 37 | cksum)|399"
eq "crash: the record in the dead-letter file" "$(values "$T/dead")" 37
check "crash: the search said" grep -q "500 internal error, 6 times, while the server answers an empty request: looking for the record that breaks it in the 400" "$T/err"
check "crash: the dead letter said" grep -q "line 37: refused by the server: 500 internal error; appended to" "$T/err"
n=$(stat requests)
check "crash: at most 6 + 3 log2(400) requests ($n)" [ "$n" -le 33 ]
# From a spool: the row is a dead letter there.
S=$T/crash.db
fresh
gen 100 | plx-buffer -a -d "$S"
plx-buffer -d "$S" </dev/null | timeout 20 "$BIN/plx-upload" -d "$S" $quick 2>"$T/err"
eq "crash, spool: 99 acknowledged, 1 dead" \
	"$(plx-buffer -d "$S" --status | awk '$1 == "depth" || $1 == "acked" || $1 == "dead" { printf "%s=%s ", $1, $2 }')" \
	"depth=0 acked=99 dead=1 "
check "crash, spool: the dead letter has the server's status" sh -c "plx-buffer -d '$S' --dead | grep -q '\"status\":500,.*\"value\":37,'"

# Retry-After as a date, from a server whose clock is a day ahead of ours
# (ours unsynchronised): read against its Date, 2 s, not a day (an hour).
start_server skew --key plx_test --clock-skew 86400
fresh
faults '[{"status":503,"retry_after":2,"retry_after_date":true}]'
t0=$(ms); gen 3 >"$T/gen.in"; plx-upload <"$T/gen.in" --backoff 10 --clock-warn 0 2>"$T/err"; rc=$?; t=$(( $(ms) - t0 ))
eq "Retry-After date, clocks a day apart: exit 0" $rc 0
check "Retry-After date, clocks a day apart: waited 1-4 s ($t ms)" [ "$t" -ge 900 -a "$t" -lt 4500 ]
eq "Retry-After date, clocks a day apart: stored" "$(wc -l <"$T/skew.store")" 3

# Its own health records, while the clock is not synchronised: no _plx_clk
# reaches the server (their timestamps are corrected like any record's).
export PLEXUS_GATEWAY_URL=$URL_s
fresh
rm -f "$T/h.in"; mkfifo "$T/h.in"
PLEXUS_CLOCK=unsynced plx-upload --status-interval 200ms --batch-ms 0 <"$T/h.in" 2>"$T/h.err" & pid=$!
exec 7>"$T/h.in"
check "health records sent" wait_for 20 grep -q '"gateway.upload.requests"' "$T/s.store"
exec 7>&-
wait $pid
check "health records: no _plx_clk on the server" sh -c "! grep -q _plx_clk '$T/s.store'"
check "health records: timestamps near now" sh -c "grep '\"gateway.upload.requests\"' '$T/s.store' | head -1 |
	grep -o '\"timestamp\":[0-9]*' | cut -d: -f2 | awk -v now=$(ms) '{ d = now - \$1; exit !(d > -60000 && d < 60000) }'"
