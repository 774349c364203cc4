#!/bin/bash
# 100,000 records through random faults (500, 502, 503, 429 + Retry-After,
# resets, slow answers): every value arrives, alone and behind a spool, and
# the spool ends empty.
. "$(dirname "$0")/lib.sh"
plx-upload() { timeout 60 "$BIN/plx-upload" "$@"; }
export PLEXUS_API_KEY=plx_test
UP="-n 2500 --backoff 10 --backoff-max 100 --timeout 5000"

stat() { stats | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
# missing STORE N: how many of the values 1..N the store lacks
missing() { seq "$2" | comm -23 - <(values "$1") | wc -l; }
gen 100000 >"$T/in"

start_server a --key plx_test --fault-rate 0.3 --seed 11
PLEXUS_QUIET= plx-upload $UP <"$T/in" 2>"$T/a.err"
eq "alone: exit 0" $? 0
eq "alone: none of 100000 missing" "$(missing "$T/a.store" 100000)" 0
eq "alone: no duplicates (no fault here leaves a request half done)" "$(grep -c . "$T/a.store")" 100000
f=$(stat faults_injected)
check "alone: through $f faults" [ "$f" -ge 5 ]
# (libcurl itself resends once a request whose reused connection was reset
# before any answer, so plx-upload may count fewer requests than the server.)
r=$(sed -n 's/.*100000 records delivered in \([0-9]*\) requests, \([0-9]*\) retries.*/\1 \2/p' "$T/a.err")
summary_ok() { [ -n "$r" ] && [ $(( ${r% *} - ${r#* } )) -eq 40 ] && [ "${r% *}" -le "$(stat requests)" ]; }
check "alone: the summary counts requests and retries ($r; 40 batches)" summary_ok
kill "$PID_a"

start_server b --key plx_test --fault-rate 0.3 --seed 12
S=$T/spool.db
plx-buffer -a -d "$S" <"$T/in"
plx-buffer -d "$S" </dev/null | plx-upload -d "$S" $UP 2>"$T/b.err"
eq "spool: exit 0" $? 0
eq "spool: none of 100000 missing" "$(missing "$T/b.store" 100000)" 0
eq "spool: no duplicates" "$(grep -c . "$T/b.store")" 100000
eq "spool: empty, every record acknowledged" \
	"$(plx-buffer -d "$S" --status | awk '$1 == "depth" || $1 == "acked" { printf "%s ", $2 }')" "0 100000 "
check "spool: the sequence key never reached the server" sh -c "! grep -q _plx_seq '$T/b.store'"
