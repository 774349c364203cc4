#!/bin/bash
# The whole gateway: plx-buffer | plx-upload against the Plexus-compatible
# server, through its faults, with stages killed and restarted.  "Nothing
# lost" is checked value by value: every record plx-buffer accepted is in
# the server's store; duplicates stay within the batches in flight.
. "$(dirname "$0")/lib.sh"
S=$T/spool.db
UP="--backoff 20 --backoff-max 200 --auth-retry 300"
export PLEXUS_API_KEY=plx_test PLEXUS_SOURCE_ID=pipe-test
counter() { plx-buffer -d "$S" --status | awk -v k="$1" '$1 == k { print $2 }'; }
# atleast KEY N: the spool (once it exists) counts at least N for KEY
atleast() { [ -e "$S" ] && [ "$(counter "$1")" -ge "$2" ]; }
# missing STORE N: how many of the values 1..N the store lacks
missing() { comm -23 <(seq 1 "$2" | sort) <(values "$1" | sort -u) | wc -l; }
lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
dups() { echo $(( $(grep -c . "$1") - $(values "$1" | wc -l) )); }

# 100,000 records through random faults (5xx, 429, resets, slow answers)
start_server f --key plx_test --fault-rate 0.2 --seed 7
gen 100000 | plx-buffer -d "$S" | plx-upload -d "$S" $UP 2>"$T/f.err"
eq "100k records through 20% faults: exit 0, none missing" "$?-$(missing "$T/f.store" 100000)" "0-0"
eq "the spool is empty and every record acknowledged" "$(counter depth)-$(counter acked)" "0-100000"
d=$(dups "$T/f.store")
check "duplicates ($d) stay within the batches in flight" [ "$d" -le 10000 ]
check "the sequence key never reached the server" sh -c "! grep -q _plx_seq '$T/f.store'"
check "the server saw retries" sh -c "curl -s $PLEXUS_GATEWAY_URL/_control/stats | grep -q '\"50[023]\"'"
kill "$PID_f"

# kill -9 of plx-upload mid-stream, then of plx-buffer; restart: nothing lost
start_server k --key plx_test --faults '[{"delay":0.2},{"delay":0.2},{"delay":0.2},{"delay":0.2},{"delay":0.2},{"delay":0.2}]'
S=$T/k.db
gen 50000 | plx-buffer -d "$S" -a
plx-buffer -d "$S" -f | plx-upload -d "$S" $UP --batch-points 1000 2>/dev/null & p=$!
check "the uploader delivers (1000 points and more)" wait_for 20 sh -c "[ \$(cat '$T/k.store' 2>/dev/null | wc -l) -gt 1000 ]"
pkill -9 -f "plx-upload -d $S"; pkill -f "plx-buffer -d $S -f"; wait $p 2>/dev/null
part=$(grep -c . "$T/k.store")
check "uploader killed after $part points, before the end" [ "$part" -lt 50000 ]
plx-buffer -d "$S" < /dev/null | plx-upload -d "$S" $UP 2>/dev/null
eq "kill -9 of plx-upload: after restart none of 50000 missing" "$(missing "$T/k.store" 50000)-$(counter depth)" "0-0"
d=$(dups "$T/k.store")
# the window: up to --in-flight (4) batches of 1000 stored by the server, not yet acknowledged
check "duplicates after the kill ($d) at most the batches in flight" [ "$d" -le 4000 ]

S=$T/k2.db
: > "$T/k.store"
{ { gen 100000; sleep 3; gen 100000 100001; } | plx-buffer -d "$S" | plx-upload -d "$S" $UP; } 2>/dev/null & p=$!
check "records flow through the pipeline (some acknowledged)" wait_for 20 atleast acked 1
pkill -9 -f "plx-buffer -d $S"; wait $p 2>/dev/null
acc=$(counter accepted)
plx-buffer -d "$S" < /dev/null | plx-upload -d "$S" $UP 2>/dev/null
check "kill -9 of plx-buffer after $acc accepted records" [ "$acc" -gt 0 ]
eq "every accepted record delivered after restart" "$(missing "$T/k.store" "$acc")-$(counter depth)" "0-0"
kill "$PID_k"

# a wrong key holds everything; once the key is valid it all goes
start_server a --key plx_good
S=$T/a.db
gen 3000 | plx-buffer -d "$S" | plx-upload -d "$S" $UP 2>"$T/a.err" &
up=$!
check "401 said loudly on stderr" wait_for 20 grep -qi 'invalid API key' "$T/a.err"
eq "401: nothing stored, nothing acknowledged" "$(lines "$T/a.store")-$(counter acked)" "0-0"
curl -s -X POST --data '{"add":["plx_test"]}' "$PLEXUS_GATEWAY_URL/_control/keys" >/dev/null
wait $up
eq "after the key is fixed: all 3000 delivered" "$(missing "$T/a.store" 3000)-$(counter depth)" "0-0"
kill "$PID_a"

# 429 with Retry-After: 2 is honoured
start_server r --key plx_test --faults '[{"status":429,"retry_after":2}]'
S=$T/r.db
t0=$(date +%s%N)
gen 10 | plx-buffer -d "$S" | plx-upload -d "$S" $UP 2>/dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "Retry-After 2 s honoured (${ms} ms), then delivered" [ "$ms" -ge 2000 -a "$(missing "$T/r.store" 10)" -eq 0 ]
kill "$PID_r"

# garbage on stdin: reported by plx-buffer, the rest delivered
start_server g --key plx_test
S=$T/g.db
{ gen 100; echo 'garbage {'; printf '\x00\x01\xff\n'; echo '{"metric":"x","value":null}'; gen 100 101; } |
	plx-buffer -d "$S" 2>"$T/g.err" | plx-upload -d "$S" $UP 2>/dev/null
eq "garbage: the 200 valid records delivered" "$(missing "$T/g.store" 200)" 0
eq "garbage: one stderr line for each of the 3 bad lines" "$(grep -c '^plx-buffer: line 10[123]: ' "$T/g.err")" 3

# a damaged spool in a running gateway's path: set aside, data flows
S=$T/dmg.db
head -c 8192 /dev/urandom > "$S"
: > "$T/g.store"
gen 50 | plx-buffer -d "$S" 2>"$T/dmg.err" | plx-upload -d "$S" $UP 2>"$T/dmg.uerr"
eq "damaged spool: the 50 new records delivered" "$(missing "$T/g.store" 50)-$(values "$T/g.store" | wc -l)" "0-50"
# by whichever of the two opened it first
check "damaged spool reported" grep -q 'damaged' "$T/dmg.err" "$T/dmg.uerr"

# two writers and one drainer on one spool
: > "$T/g.store"
S=$T/two.db
plx-buffer -d "$S" -a < /dev/null
plx-buffer -d "$S" -f | plx-upload -d "$S" $UP 2>/dev/null & p=$!
gen 20000 1 | plx-buffer -d "$S" -a & w1=$!
gen 20000 20001 | plx-buffer -d "$S" -a & w2=$!
wait $w1 $w2
wait_for 20 sh -c "[ \$(plx-buffer -d '$S' --status | awk '\$1==\"depth\"{print \$2}') -eq 0 ]"
pkill -f "plx-buffer -d $S -f"; wait $p 2>/dev/null
eq "two writers, one drainer: all 40000 delivered, spool empty" "$(missing "$T/g.store" 40000)-$(counter depth)" "0-0"

# --overflow block: a small spool never drops, the writer waits
: > "$T/g.store"
S=$T/blk.db
gen 20000 | plx-buffer -d "$S" --max-rows 500 --overflow block | plx-upload -d "$S" $UP --batch-points 200 2>/dev/null
eq "block policy: all 20000 delivered, 0 dropped" "$(missing "$T/g.store" 20000)-$(counter dropped)" "0-0"

# the sequence key never reaches the server, wherever it stands in the line
start_server q --key plx_test
printf '%s\n' '{"metric":"q.a","_plx_seq":5,"value":1}' '{"_plx_seq":6,"metric":"q.b","value":2}' \
	'{"_plx_seq":7 ,"metric":"q.c","value":3}' | plx-upload $UP 2>/dev/null
eq "sequence keys stripped in any position" "$(grep -c _plx_seq "$T/q.store")-$(grep -c . "$T/q.store")" "0-3"
